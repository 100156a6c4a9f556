//! The GPU layer every quantsr crate stands on: opening a device on any adapter, loading and
//! validating WGSL from `shaders/`, pipelines whose bind layouts are reflected from the shader,
//! texture helpers for the exchange formats, and blocking readback for tests and tools.

mod context;
mod error;
mod kernel;
mod pass_timer;
mod peak;
mod readback;
pub mod registry;
mod resources;
pub mod selftest;
mod shader;
mod texture;

pub use context::{Capabilities, GpuContext, GpuOptions, WANTED_FEATURES, test_gpu, timing_test_gpu};
pub use error::GpuError;
pub use kernel::{ComputeKernel, NamedResource, workgroups, workgroups_2d};
pub use pass_timer::{PassTime, PassTimer, submit_and_time};
pub use peak::{PeakKind, measure_fma_peak, measure_peak};
pub use readback::{TextureData, read_buffer, read_buffer_prefix, read_texture, read_texture_rect};
pub use registry::{KERNELS, KernelEntry};
pub use resources::{ResourceCounts, resource_counts};
pub use shader::{
    SHADER_FILES, ValidatedShader, all_shader_features, expand_includes, load_shader, load_shader_with, shader_file,
    validate_wgsl,
};
pub use texture::{
    STORAGE_SAMPLED, UPLOADED, create_texture, create_texture_with_data, extent, texel_size, upload_texture,
};
pub use wgpu;

//! The runtime a renderer embeds: an [`Upscaler`] per view, created once and dispatched into
//! the renderer's own command encoder every frame, plus the [`jitter`] conventions (FSR 2's)
//! the renderer uses to jitter its projection.
//!
//! The frame pipeline (ARCHITECTURE §4) is prepare → reconstruction parameters → resolve → output.
//! The parameter step is where the rungs differ: `taau` fills the parameters with fixed
//! heuristics; the neural rungs predict them.

mod descriptor;
mod error;
mod frame_monitor;
mod network;
mod passes;
mod quality_table;
mod textures;
mod uniforms;
mod upscaler;

pub use descriptor::{
    CameraInfo, DispatchInputs, Exposure, FrameInfo, NEURAL_SHARPNESS, TAAU_SHARPNESS, UpscalerDescriptor,
    UpscalerFlags,
};
pub use error::UpscalerError;
pub use frame_monitor::{FrameReport, TimingSource};
pub use network::{Autotune, KernelVariant, Math, NetworkProbe, ProbeOutput, kernel_sources};
pub use passes::OUTPUT_FORMATS;
pub use quality_table::builtin_quality_table;
pub use quantsr_core::{QualityMode, jitter_offset, jitter_phase_count, mip_bias, projection_jitter, render_size};
pub use quantsr_model::{DebugView, ModelFile};
pub use quantsr_monitor::{
    Adapt, Controller, ControllerSettings, FrameTimings, JointController, LoadProfile, Precision, QualityTable, Rung,
    SwitchReason, SyntheticLoad, TelemetryLog, TelemetryRecord,
};
pub use upscaler::{PASS_NAMES, Upscaler};

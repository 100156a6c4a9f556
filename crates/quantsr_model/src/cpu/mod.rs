//! CPU references of the upscaler's frame pipeline (ARCHITECTURE §4), one module per WGSL file under
//! `shaders/upscaler/`:
//!
//! | module          | oracle for                           | resolution |
//! |-----------------|--------------------------------------|------------|
//! | [`common`]      | `shaders/upscaler/common.wgsl`       | —          |
//! | [`prepare`]     | `shaders/upscaler/prepare.wgsl`      | render     |
//! | [`taau_params`] | `shaders/upscaler/taau_params.wgsl`  | render     |
//! | [`network_input`] | the neural rungs' input (training/NETWORK.md) | render |
//! | [`resolve`]     | `shaders/upscaler/resolve.wgsl`      | display    |
//! | [`sharpen`]     | `shaders/upscaler/sharpen.wgsl`      | display    |
//!
//! [`pipeline::CpuUpscaler`] strings them together and keeps the state the GPU `Upscaler`
//! keeps between frames. Every function computes what its kernel computes, in the same order
//! and in f32, and rounds what the kernel stores exactly as the storage texture would
//! ([`image::StorageFormat`]), so GPU and CPU results agree to a few ulps of the stored
//! precision.

pub mod common;
pub mod image;
pub mod network_input;
pub mod pipeline;
pub mod prepare;
pub mod resolve;
pub mod sharpen;
pub mod taau_params;

pub use common::FrameConstants;
pub use image::{F16Rounding, Image, StorageFormat, TextureStore};
pub use pipeline::{CpuFrameInputs, CpuNetworkRung, CpuUpscaler, CpuUpscalerDescriptor, FrameTextures};
pub use sharpen::DebugView;

//! Sharpening, exposure, debug views, and the write into the caller's output texture. WGSL
//! `shaders/upscaler/sharpen.wgsl`, CPU reference `quantsr_model::cpu::sharpen`.

use quantsr_gpu::{GpuContext, GpuError};

use super::{Grid, Pass, PassSpec};

pub(crate) const SPEC: PassSpec = PassSpec { name: "sharpen", wgsl: "upscaler/sharpen.wgsl", grid: Grid::Display };

/// Storage formats the output pass can write; the caller's output texture must be one.
pub const OUTPUT_FORMATS: [wgpu::TextureFormat; 2] =
    [wgpu::TextureFormat::Rgba16Float, wgpu::TextureFormat::Rgba32Float];

/// Builds the pass for the caller's output format, a define of its WGSL.
pub(crate) fn build(ctx: &GpuContext, output_format: wgpu::TextureFormat) -> Result<Pass, GpuError> {
    let format = match output_format {
        wgpu::TextureFormat::Rgba32Float => "rgba32float",
        _ => "rgba16float",
    };
    Pass::build(ctx, &SPEC, &[("OUTPUT_FORMAT", format)])
}

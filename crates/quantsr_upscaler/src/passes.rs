//! The frame pipeline's compute passes (ARCHITECTURE §4), one kernel per WGSL file under
//! `shaders/upscaler/`. Bind groups are made by [`crate::Upscaler`], which owns the textures.

use quantsr_gpu::{ComputeKernel, GpuContext, GpuError, load_shader_with, validate_wgsl};

/// The kernels of the upscaler, created once in `Upscaler::new`.
pub(crate) struct Passes {
    /// Dilation, disocclusion, depth for the next frame.
    pub prepare: ComputeKernel,
    /// The `taau` rung's heuristic reconstruction parameters.
    pub taau_params: ComputeKernel,
    /// Reconstruction, history rectification and accumulation.
    pub resolve: ComputeKernel,
    /// Sharpening, exposure, debug views, write to the caller's output format.
    pub sharpen: ComputeKernel,
}

/// Storage formats the output pass can write; the caller's output texture must be one.
pub const OUTPUT_FORMATS: [wgpu::TextureFormat; 2] =
    [wgpu::TextureFormat::Rgba16Float, wgpu::TextureFormat::Rgba32Float];

impl Passes {
    pub fn new(ctx: &GpuContext, output_format: wgpu::TextureFormat) -> Result<Self, GpuError> {
        let kernel = |path: &str| ComputeKernel::from_path(ctx, path, "main");
        // The output pass's storage format is a define of its shader.
        let name = match output_format {
            wgpu::TextureFormat::Rgba32Float => "rgba32float",
            _ => "rgba16float",
        };
        let source = load_shader_with("upscaler/sharpen.wgsl", &[("OUTPUT_FORMAT", name)])?;
        let sharpen_shader = validate_wgsl("upscaler/sharpen.wgsl", source, ctx.device.features())?;
        Ok(Self {
            prepare: kernel("upscaler/prepare.wgsl")?,
            taau_params: kernel("upscaler/taau_params.wgsl")?,
            resolve: kernel("upscaler/resolve.wgsl")?,
            sharpen: ComputeKernel::new(ctx, &sharpen_shader, "main", &[])?,
        })
    }
}

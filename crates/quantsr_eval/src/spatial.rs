//! Spatial baselines on the GPU (`shaders/baselines/spatial.wgsl`): single-frame upscales
//! the temporal methods are compared with.

use quantsr_gpu::{ComputeKernel, GpuContext, GpuError, load_shader, validate_wgsl, wgpu, workgroups_2d};

/// Which spatial filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpatialFilter {
    /// 2×2 linear interpolation.
    Bilinear,
    /// 4×4 Catmull-Rom.
    Bicubic,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    render_size: [u32; 2],
    display_size: [u32; 2],
    jitter: [f32; 2],
    pad: [f32; 2],
}

/// A spatial upscaler for fixed display size.
pub struct SpatialUpscaler {
    kernel: ComputeKernel,
    params: wgpu::Buffer,
    display_size: [u32; 2],
}

impl SpatialUpscaler {
    /// Builds the filter's pipeline.
    pub fn new(ctx: &GpuContext, filter: SpatialFilter, display_size: [u32; 2]) -> Result<Self, GpuError> {
        let path = "baselines/spatial.wgsl";
        let shader = validate_wgsl(path, load_shader(path)?, ctx.device.features())?;
        let entry = match filter {
            SpatialFilter::Bilinear => "bilinear",
            SpatialFilter::Bicubic => "bicubic",
        };
        let kernel = ComputeKernel::new(ctx, &shader, entry, &[])?;
        let params = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("spatial params"),
            size: size_of::<Params>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(Self { kernel, params, display_size })
    }

    /// Records the upscale of the top-left `render_size` of `color` into `output`
    /// (`Rgba32Float`, display size).
    pub fn dispatch(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        color: &wgpu::TextureView,
        output: &wgpu::TextureView,
        render_size: [u32; 2],
        jitter: [f32; 2],
    ) {
        let p = Params { render_size, display_size: self.display_size, jitter, pad: [0.0; 2] };
        ctx.queue.write_buffer(&self.params, 0, bytemuck::bytes_of(&p));
        let bind = self.kernel.bind_group(
            &ctx.device,
            0,
            &[
                self.params.as_entire_binding(),
                wgpu::BindingResource::TextureView(color),
                wgpu::BindingResource::TextureView(output),
            ],
        );
        self.kernel.dispatch(encoder, &[&bind], workgroups_2d(self.display_size, [8, 8]), None);
    }
}

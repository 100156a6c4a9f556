//! Spatial baselines on the GPU (`shaders/baselines/spatial.wgsl` for bilinear and bicubic,
//! `shaders/baselines/easu.wgsl` for the edge-adaptive filter): single-frame upscales the
//! temporal methods are compared with. [`crate::spatial_cpu`] holds their CPU references.

use quantsr_gpu::{ComputeKernel, GpuContext, GpuError, load_shader, validate_wgsl, wgpu, workgroups_2d};

/// Which spatial filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpatialFilter {
    /// 2×2 linear interpolation.
    Bilinear,
    /// 4×4 Catmull-Rom.
    Bicubic,
    /// Edge-adaptive upscaling in the spirit of FSR 1's EASU: a 12-tap Lanczos-like kernel
    /// stretched along the local edge, clamped to the nearest 2×2 samples (no ringing),
    /// filtered in a tonemapped space so HDR highlights do not dominate.
    Easu,
}

impl SpatialFilter {
    /// The shader file (under `shaders/`) and entry point implementing the filter.
    pub fn shader(self) -> (&'static str, &'static str) {
        match self {
            SpatialFilter::Bilinear => ("baselines/spatial.wgsl", "bilinear"),
            SpatialFilter::Bicubic => ("baselines/spatial.wgsl", "bicubic"),
            SpatialFilter::Easu => ("baselines/easu.wgsl", "easu"),
        }
    }
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
    /// The bind group of the last (colour, output) views, reused while the caller keeps them.
    bound: Option<Box<(wgpu::TextureView, wgpu::TextureView, wgpu::BindGroup)>>,
}

impl SpatialUpscaler {
    /// Builds the filter's pipeline.
    pub fn new(ctx: &GpuContext, filter: SpatialFilter, display_size: [u32; 2]) -> Result<Self, GpuError> {
        let (path, entry) = filter.shader();
        let shader = validate_wgsl(path, load_shader(path)?, ctx.device.features())?;
        let kernel = ComputeKernel::new(ctx, &shader, entry, &[])?;
        let params = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("spatial params"),
            size: size_of::<Params>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(Self { kernel, params, display_size, bound: None })
    }

    /// Records the upscale of the top-left `render_size` of `color` into `output`
    /// (`Rgba32Float`, display size). `jitter` is in render pixels: render pixel k holds the
    /// scene at k + 0.5 − jitter.
    ///
    /// The parameters live in one uniform buffer written at record time, so submit each
    /// encoder before recording the next dispatch of the same upscaler.
    pub fn dispatch(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        color: &wgpu::TextureView,
        output: &wgpu::TextureView,
        render_size: [u32; 2],
        jitter: [f32; 2],
    ) {
        let p = Params { render_size, display_size: self.display_size, jitter, pad: [0.0; 2] };
        ctx.queue.write_buffer(&self.params, 0, bytemuck::bytes_of(&p));
        if !matches!(self.bound.as_deref(), Some((c, o, _)) if c == color && o == output) {
            let bind = self.kernel.bind_group(
                &ctx.device,
                0,
                &[
                    ("params", self.params.as_entire_binding()),
                    ("color", wgpu::BindingResource::TextureView(color)),
                    ("output", wgpu::BindingResource::TextureView(output)),
                ],
            );
            self.bound = Some(Box::new((color.clone(), output.clone(), bind)));
        }
        let (_, _, bind) = self.bound.as_deref().expect("bound above");
        self.kernel.dispatch(encoder, &[bind], workgroups_2d(self.display_size, [8, 8]), None);
    }
}

//! The frame pipeline's compute passes, one module per pass, each beside the name of its WGSL
//! (`shaders/upscaler/<name>.wgsl`) and of its CPU reference (`quantsr_model::cpu::<name>`):
//!
//! | pass | WGSL | host | CPU reference | grid |
//! |---|---|---|---|---|
//! | prepare | `upscaler/prepare.wgsl` | [`prepare`] | `cpu::prepare` | render |
//! | params (taau) | `upscaler/taau_params.wgsl` | [`taau_params`] | `cpu::taau_params` | render |
//! | params (neural) | `network/input.wgsl` + generated layers | `crate::network` | `cpu::network_input`, `quantsr_model::network` | render |
//! | resolve | `upscaler/resolve.wgsl` | [`resolve`] | `cpu::resolve` | display |
//! | sharpen | `upscaler/sharpen.wgsl` | [`sharpen`] | `cpu::sharpen` | display |
//!
//! A pass binds its resources by the names its WGSL declares them with, from the frame's one
//! table of named resources ([`crate::textures::Textures::frame_resources`]); `Upscaler` keeps
//! the order of the passes and the textures between them.

pub(crate) mod prepare;
pub(crate) mod resolve;
pub(crate) mod sharpen;
pub(crate) mod taau_params;

use quantsr_gpu::{ComputeKernel, GpuContext, GpuError, NamedResource, workgroups_2d};

pub use sharpen::OUTPUT_FORMATS;

/// The pixels a pass runs over: one invocation per render pixel or per display pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grid {
    Render,
    Display,
}

/// What names a pass: its slot in the frame's timings ([`crate::PASS_NAMES`]), its WGSL and
/// the grid it runs over.
#[derive(Debug)]
pub(crate) struct PassSpec {
    pub name: &'static str,
    pub wgsl: &'static str,
    pub grid: Grid,
}

/// One pass's kernel, ready to bind and dispatch.
pub(crate) struct Pass {
    pub spec: &'static PassSpec,
    kernel: ComputeKernel,
}

impl Pass {
    /// Builds the pass from its WGSL with `defines` applied (see `quantsr_gpu::load_shader_with`).
    fn build(ctx: &GpuContext, spec: &'static PassSpec, defines: &[(&str, &str)]) -> Result<Self, GpuError> {
        let source = quantsr_gpu::load_shader_with(spec.wgsl, defines)?;
        let shader = quantsr_gpu::validate_wgsl(spec.wgsl, source, ctx.device.features())?;
        Ok(Self { spec, kernel: ComputeKernel::new(ctx, &shader, "main", &[])? })
    }

    /// The pass's bind group, its bindings taken by name from the frame's resources.
    pub fn bind(&self, device: &wgpu::Device, frame: &[NamedResource<'_>]) -> wgpu::BindGroup {
        self.kernel.bind_group(device, 0, frame)
    }

    /// Records the pass in a compute pass of its own, over its grid.
    pub fn dispatch(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        group: &wgpu::BindGroup,
        render_size: [u32; 2],
        display_size: [u32; 2],
        timestamp_writes: Option<wgpu::ComputePassTimestampWrites<'_>>,
    ) {
        let size = match self.spec.grid {
            Grid::Render => render_size,
            Grid::Display => display_size,
        };
        self.kernel.dispatch(encoder, &[group], workgroups_2d(size, [8, 8]), timestamp_writes);
    }
}

/// The fixed passes of the upscaler, created once in `Upscaler::new` (the neural parameter
/// pass is built per rung by `crate::network`).
pub(crate) struct Passes {
    pub prepare: Pass,
    pub taau_params: Pass,
    pub resolve: Pass,
    pub sharpen: Pass,
}

impl Passes {
    pub fn new(ctx: &GpuContext, output_format: wgpu::TextureFormat) -> Result<Self, GpuError> {
        Ok(Self {
            prepare: prepare::build(ctx)?,
            taau_params: taau_params::build(ctx)?,
            resolve: resolve::build(ctx)?,
            sharpen: sharpen::build(ctx, output_format)?,
        })
    }
}

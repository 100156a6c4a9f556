//! Reconstruction of the current frame at display resolution, history rectification and
//! accumulation. WGSL `shaders/upscaler/resolve.wgsl`, CPU reference `quantsr_model::cpu::resolve`.

use quantsr_gpu::{GpuContext, GpuError};

use super::{Grid, Pass, PassSpec};

pub(crate) const SPEC: PassSpec = PassSpec { name: "resolve", wgsl: "upscaler/resolve.wgsl", grid: Grid::Display };

pub(crate) fn build(ctx: &GpuContext) -> Result<Pass, GpuError> {
    Pass::build(ctx, &SPEC, &[])
}

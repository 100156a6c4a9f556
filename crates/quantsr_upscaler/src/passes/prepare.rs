//! Dilation of depth and motion, disocclusion and the per-pixel features the later passes
//! share, and this frame's depth for the next one. WGSL `shaders/upscaler/prepare.wgsl`, CPU
//! reference `quantsr_model::cpu::prepare`.

use quantsr_gpu::{GpuContext, GpuError};

use super::{Grid, Pass, PassSpec};

pub(crate) const SPEC: PassSpec = PassSpec { name: "prepare", wgsl: "upscaler/prepare.wgsl", grid: Grid::Render };

pub(crate) fn build(ctx: &GpuContext) -> Result<Pass, GpuError> {
    Pass::build(ctx, &SPEC, &[])
}

//! The `taau` rung's reconstruction parameters, from fixed heuristics over the prepared
//! features (the neural rungs predict the same parameters). WGSL
//! `shaders/upscaler/taau_params.wgsl`, CPU reference `quantsr_model::cpu::taau_params`.

use quantsr_gpu::{GpuContext, GpuError};

use super::{Grid, Pass, PassSpec};

/// Times under the same name as the network: both fill the reconstruction parameters.
pub(crate) const SPEC: PassSpec = PassSpec { name: "params", wgsl: "upscaler/taau_params.wgsl", grid: Grid::Render };

pub(crate) fn build(ctx: &GpuContext) -> Result<Pass, GpuError> {
    Pass::build(ctx, &SPEC, &[])
}

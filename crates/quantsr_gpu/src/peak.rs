//! The device's measured arithmetic peaks, one per precision the rungs use, so throughput
//! figures become ratios that mean the same on any adapter.

use crate::{ComputeKernel, GpuContext, GpuError, PassTimer, load_shader, submit_and_time, validate_wgsl};

/// The arithmetic a peak is measured for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeakKind {
    /// f32 fused multiply-adds (`shared/fma_peak.wgsl`).
    F32Fma,
    /// f16 multiply-adds on `vec4<f16>` (`shared/fma_peak_f16.wgsl`); needs `SHADER_F16`.
    F16Fma,
    /// `dot4I8Packed` (`shared/dot4_peak.wgsl`), 8 integer operations per instruction.
    Int8Dot4,
}

impl PeakKind {
    /// Every kind, f32 first.
    pub const ALL: [PeakKind; 3] = [PeakKind::F32Fma, PeakKind::F16Fma, PeakKind::Int8Dot4];

    /// `f32`, `f16` or `int8`: the precision whose rungs this peak is the yardstick of.
    pub const fn name(self) -> &'static str {
        match self {
            PeakKind::F32Fma => "f32",
            PeakKind::F16Fma => "f16",
            PeakKind::Int8Dot4 => "int8",
        }
    }

    fn shader(self) -> &'static str {
        match self {
            PeakKind::F32Fma => "shared/fma_peak.wgsl",
            PeakKind::F16Fma => "shared/fma_peak_f16.wgsl",
            PeakKind::Int8Dot4 => "shared/dot4_peak.wgsl",
        }
    }
}

/// Operations per loop round and invocation in every peak shader: eight chains of four lanes,
/// two operations (multiply and add) per lane.
const OPS_PER_ROUND: f64 = 64.0;

/// GPU time each sizing run aims at: long enough that launching it is negligible.
const RUN_MS: f64 = 20.0;

/// Most workgroups a run launches.
const MAX_WORKGROUPS: u32 = 1 << 16;

/// Measures the device's f32 FMA throughput in GFLOP/s; see [`measure_peak`].
pub fn measure_fma_peak(ctx: &GpuContext) -> Result<Option<f64>, GpuError> {
    measure_peak(ctx, PeakKind::F32Fma)
}

/// Measures the throughput of `kind` in G operations per second (a multiply-add counts 2).
/// The launch is sized from the device: the workgroup count doubles (with the iterations
/// scaled so every run lasts about 20 ms) until doubling no longer raises the rate by 5%, so a
/// large GPU is filled as well as a CPU device. Needs `TIMESTAMP_QUERY` (and `SHADER_F16` for
/// f16); returns `None` without.
pub fn measure_peak(ctx: &GpuContext, kind: PeakKind) -> Result<Option<f64>, GpuError> {
    if !ctx.caps.timestamps || (kind == PeakKind::F16Fma && !ctx.caps.shader_f16) {
        return Ok(None);
    }
    let path = kind.shader();
    let shader = validate_wgsl(path, load_shader(path)?, ctx.device.features())?;
    let timer = PassTimer::new(ctx);
    // One run: `workgroups` × 64 invocations of `iterations` rounds; G ops per second.
    let run = |workgroups: u32, iterations: u32| -> Result<f64, GpuError> {
        let kernel = ComputeKernel::new(ctx, &shader, "main", &[("ITERATIONS", f64::from(iterations))])?;
        let out = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("peak out"),
            size: u64::from(workgroups) * 64 * 4,
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        let bind = kernel.bind_group(&ctx.device, 0, &[("out", out.as_entire_binding())]);
        let ops = f64::from(workgroups) * 64.0 * f64::from(iterations) * OPS_PER_ROUND;
        let mut best: f64 = 0.0;
        // The first run includes the driver's compile-at-first-dispatch on some devices.
        for _ in 0..3 {
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            kernel.dispatch(&mut encoder, &[&bind], [workgroups, 1, 1], timer.as_ref().map(PassTimer::writes));
            let ms = submit_and_time(ctx, timer.as_ref(), encoder)?.ms();
            if ms > 0.0 {
                best = best.max(ops / (ms * 1e6));
            }
        }
        Ok(best)
    };
    let (mut workgroups, mut iterations) = (64u32, 256u32);
    let mut rate = run(workgroups, iterations)?;
    loop {
        // Iterations for about RUN_MS at the next size, at the rate measured so far.
        let next_workgroups = workgroups * 2;
        let per_iteration_ms = f64::from(next_workgroups) * 64.0 * OPS_PER_ROUND / (rate.max(1e-3) * 1e6);
        let next_iterations = (RUN_MS / per_iteration_ms).clamp(64.0, 1e6) as u32;
        let next = run(next_workgroups, next_iterations)?;
        log::info!("{} peak: {next:.1} G ops/s with {next_workgroups} workgroups × {next_iterations}", kind.name());
        let gained = next > rate * 1.05;
        (workgroups, iterations) = (next_workgroups, next_iterations);
        rate = rate.max(next);
        if !gained || workgroups >= MAX_WORKGROUPS {
            break;
        }
    }
    log::debug!("{} peak sized at {workgroups} workgroups × {iterations} iterations", kind.name());
    Ok(Some(rate))
}

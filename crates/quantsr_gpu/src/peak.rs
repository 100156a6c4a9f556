//! The device's measured f32 FMA peak, so throughput figures become ratios that mean the same
//! on any adapter.

use crate::{ComputeKernel, GpuContext, GpuError, load_shader, read_buffer, validate_wgsl};

/// Measures f32 FMA throughput in GFLOP/s with `shaders/shared/fma_peak.wgsl` (best of a few
/// timed runs). Needs `TIMESTAMP_QUERY`; returns `None` without it.
pub fn measure_fma_peak(ctx: &GpuContext) -> Result<Option<f64>, GpuError> {
    if !ctx.caps.timestamps {
        return Ok(None);
    }
    const ITERATIONS: u32 = 4096;
    const WORKGROUPS: u32 = 512;
    let path = "shared/fma_peak.wgsl";
    let shader = validate_wgsl(path, load_shader(path)?, ctx.device.features())?;
    let kernel = ComputeKernel::new(ctx, &shader, "main", &[("ITERATIONS", f64::from(ITERATIONS))])?;
    let out = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("fma peak out"),
        size: u64::from(WORKGROUPS * 64 * 4),
        usage: wgpu::BufferUsages::STORAGE,
        mapped_at_creation: false,
    });
    let queries = ctx.device.create_query_set(&wgpu::QuerySetDescriptor {
        label: Some("fma peak"),
        ty: wgpu::QueryType::Timestamp,
        count: 2,
    });
    let resolved = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("fma peak timestamps"),
        size: 16,
        usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let bind = kernel.bind_group(&ctx.device, 0, &[out.as_entire_binding()]);
    let flop = f64::from(WORKGROUPS * 64) * f64::from(ITERATIONS) * 8.0 * 4.0 * 2.0;
    let mut best: f64 = 0.0;
    // The first run includes the driver's compile-at-first-dispatch on some devices.
    for _ in 0..4 {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        kernel.dispatch(
            &mut encoder,
            &[&bind],
            [WORKGROUPS, 1, 1],
            Some(wgpu::ComputePassTimestampWrites {
                query_set: &queries,
                beginning_of_pass_write_index: Some(0),
                end_of_pass_write_index: Some(1),
            }),
        );
        encoder.resolve_query_set(&queries, 0..2, &resolved, 0);
        let started = std::time::Instant::now();
        ctx.queue.submit([encoder.finish()]);
        ctx.wait_idle()?;
        let wall_ns = started.elapsed().as_nanos() as f64;
        let ticks: Vec<u64> = read_buffer(ctx, &resolved)?;
        let ns = ticks[1].saturating_sub(ticks[0]) as f64 * f64::from(ctx.queue.get_timestamp_period());
        log::info!("fma peak run: {:.2} ms by timestamps, {:.2} ms wall clock", ns / 1e6, wall_ns / 1e6);
        // Some drivers (lavapipe) write timestamps before queued work has run: never report
        // more than the wall clock allows.
        let ns = ns.max(wall_ns * 0.98);
        if ns > 0.0 {
            best = best.max(flop / ns);
        }
    }
    Ok(Some(best))
}

//! The GPU side of synthetic load: a compute pass whose cost follows a requested number of
//! milliseconds, recorded before the upscaler like a renderer's own passes.

use std::time::Instant;

use quantsr_gpu::{ComputeKernel, GpuContext, GpuError, wgpu};

const LOAD_WORKGROUPS: u32 = 256;

/// A calibrated synthetic-load pass.
pub struct SyntheticLoad {
    kernel: ComputeKernel,
    params: wgpu::Buffer,
    bind: wgpu::BindGroup,
    iterations_per_ms: f64,
}

impl SyntheticLoad {
    /// Builds the pass and calibrates how many loop iterations take one millisecond on this
    /// device (a blocking measurement, done once at creation).
    pub fn new(ctx: &GpuContext) -> Result<Self, GpuError> {
        let kernel = ComputeKernel::from_path(ctx, "shared/synthetic_load.wgsl", "main")?;
        let params = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("synthetic load params"),
            size: 16,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let sink = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("synthetic load sink"),
            size: u64::from(LOAD_WORKGROUPS * 64 * 4),
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        let bind = kernel.bind_group(&ctx.device, 0, &[params.as_entire_binding(), sink.as_entire_binding()]);
        let mut load = Self { kernel, params, bind, iterations_per_ms: 1.0 };
        // Time two sizes and take the slope, so fixed dispatch overhead does not skew the rate.
        let time = |load: &Self, iterations: u32| -> Result<f64, GpuError> {
            let mut best = f64::MAX;
            for _ in 0..3 {
                let mut encoder = ctx.device.create_command_encoder(&Default::default());
                load.record_iterations(&ctx.queue, &mut encoder, iterations, None);
                let start = Instant::now();
                ctx.queue.submit([encoder.finish()]);
                ctx.wait_idle()?;
                best = best.min(start.elapsed().as_secs_f64() * 1e3);
            }
            Ok(best)
        };
        time(&load, 16)?; // compile at first dispatch happens here
        let (small, large) = (256, 4096);
        let (t_small, t_large) = (time(&load, small)?, time(&load, large)?);
        load.iterations_per_ms = f64::from(large - small) / (t_large - t_small).max(1e-3);
        log::info!("synthetic load: {:.0} iterations per ms", load.iterations_per_ms);
        Ok(load)
    }

    fn record_iterations(
        &self,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        iterations: u32,
        writes: Option<wgpu::ComputePassTimestampWrites<'_>>,
    ) {
        queue.write_buffer(&self.params, 0, bytemuck::cast_slice(&[iterations, 0, 0, 0]));
        self.kernel.dispatch(encoder, &[&self.bind], [LOAD_WORKGROUPS, 1, 1], writes);
    }

    /// Records a pass costing about `ms` milliseconds of GPU time (nothing for `ms <= 0`).
    /// Uses a uniform written through the queue: one call per submitted encoder.
    pub fn record(&self, queue: &wgpu::Queue, encoder: &mut wgpu::CommandEncoder, ms: f64) {
        self.record_timed(queue, encoder, ms, None);
    }

    /// As [`SyntheticLoad::record`], with the pass timestamped (an empty pass when `ms <= 0`,
    /// so the timestamps are always written).
    pub fn record_timed(
        &self,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        ms: f64,
        writes: Option<wgpu::ComputePassTimestampWrites<'_>>,
    ) {
        let iterations =
            if ms > 0.0 && ms.is_finite() { (ms * self.iterations_per_ms).round().clamp(1.0, 1e9) } else { 0.0 };
        self.record_iterations(queue, encoder, iterations as u32, writes);
    }

    /// Calibrated loop iterations per millisecond.
    pub fn iterations_per_ms(&self) -> f64 {
        self.iterations_per_ms
    }
}

//! Blocking GPU timing of one compute pass, for start-up measurements (peaks, kernel tuning)
//! where waiting is allowed. The frame loop uses the monitor's non-blocking timestamp ring.

use std::time::Instant;

use crate::{GpuContext, GpuError, read_buffer};

/// A timestamp pair around one pass, read back after the submission finished.
pub struct PassTimer {
    queries: wgpu::QuerySet,
    resolved: wgpu::Buffer,
}

impl PassTimer {
    /// A timer for `ctx`'s device; `None` without `TIMESTAMP_QUERY` (time by wall clock then).
    pub fn new(ctx: &GpuContext) -> Option<Self> {
        ctx.caps.timestamps.then(|| Self {
            queries: ctx.device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("pass timer"),
                ty: wgpu::QueryType::Timestamp,
                count: 2,
            }),
            resolved: ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("pass timer"),
                size: 16,
                usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            }),
        })
    }

    /// The timestamp writes to give the pass being timed.
    pub fn writes(&self) -> wgpu::ComputePassTimestampWrites<'_> {
        wgpu::ComputePassTimestampWrites {
            query_set: &self.queries,
            beginning_of_pass_write_index: Some(0),
            end_of_pass_write_index: Some(1),
        }
    }

    /// Records the resolve of the timestamps; call after the pass, in the same encoder.
    pub fn resolve(&self, encoder: &mut wgpu::CommandEncoder) {
        encoder.resolve_query_set(&self.queries, 0..2, &self.resolved, 0);
    }

    /// The pass's GPU time in milliseconds, once its submission has finished.
    pub fn read_ms(&self, ctx: &GpuContext) -> Result<f64, GpuError> {
        let ticks: Vec<u64> = read_buffer(ctx, &self.resolved)?;
        Ok(ticks[1].saturating_sub(ticks[0]) as f64 * f64::from(ctx.queue.get_timestamp_period()) / 1e6)
    }
}

/// What [`submit_and_time`] measured of one submission.
#[derive(Debug, Clone, Copy)]
pub struct PassTime {
    /// The pass's GPU time by its timestamps (`None` without a timer).
    pub gpu_ms: Option<f64>,
    /// Submit to idle, on the host clock.
    pub wall_ms: f64,
}

impl PassTime {
    /// Whether the timestamps are plausible: at least half the wall clock (some drivers, such
    /// as lavapipe, write them before the work has run).
    pub fn gpu_plausible(&self) -> bool {
        self.gpu_ms.is_some_and(|g| g >= 0.5 * self.wall_ms)
    }

    /// The pass's milliseconds: GPU time where plausible, wall clock otherwise.
    pub fn ms(&self) -> f64 {
        match self.gpu_ms {
            Some(g) if self.gpu_plausible() => g,
            _ => self.wall_ms,
        }
    }
}

/// Submits `encoder` (whose pass `timer` timed, when there is one), waits, and returns what
/// was measured.
pub fn submit_and_time(
    ctx: &GpuContext,
    timer: Option<&PassTimer>,
    mut encoder: wgpu::CommandEncoder,
) -> Result<PassTime, GpuError> {
    if let Some(t) = timer {
        t.resolve(&mut encoder);
    }
    let start = Instant::now();
    ctx.queue.submit([encoder.finish()]);
    ctx.wait_idle()?;
    let wall_ms = start.elapsed().as_secs_f64() * 1e3;
    let gpu_ms = timer.map(|t| t.read_ms(ctx)).transpose()?;
    Ok(PassTime { gpu_ms, wall_ms })
}

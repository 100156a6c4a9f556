//! The GPU side of synthetic load: a compute pass whose cost follows a requested number of
//! milliseconds, recorded before the upscaler like a renderer's own passes.
//!
//! A GPU idles at low clocks and speeds up under load, so a rate measured once at creation is
//! wrong by the time frames run (on an H200 a requested 4 ms measured 23 ms). The pass is
//! therefore calibrated after a sustained warm-up, against GPU time where the device has
//! timestamps, and then corrected from every frame's own measured time (closed loop): where
//! timestamps bracket the pass's execution, a requested `ms` reads `ms` whatever the clocks do.
//! Some drivers (lavapipe) run a submission's passes lazily, so the timestamps of a pass
//! followed by others read almost nothing; the pass finds that out at creation and then stays
//! on its calibration (open loop), which on such a device (a CPU) has no clocks to follow.

use std::collections::VecDeque;
use std::time::Instant;

use quantsr_gpu::{ComputeKernel, GpuContext, GpuError, PassTime, PassTimer, submit_and_time, wgpu};

use crate::timestamps::{FrameTimings, TimestampRing};

const LOAD_WORKGROUPS: u32 = 256;

/// Wall-clock time the pass keeps the device busy before calibrating, so clocks have risen.
const WARM_UP_MS: f64 = 300.0;

/// Weight of one frame's measurement in the closed-loop correction, in log space: half the
/// error is removed per measured frame, so a factor-2 error is under 1% after 10 frames while
/// one noisy frame moves the rate by at most `sqrt` of its error.
const CORRECTION_GAIN: f64 = 0.5;

/// The largest factor one frame's correction may apply (a stalled frame is not a slow device).
const MAX_CORRECTION: f64 = 4.0;

/// A calibrated synthetic-load pass.
pub struct SyntheticLoad {
    kernel: ComputeKernel,
    params: wgpu::Buffer,
    bind: wgpu::BindGroup,
    iterations_per_ms: f64,
    /// The pass's own timestamps (devices with `TIMESTAMP_QUERY`).
    ring: Option<TimestampRing>,
    /// Frames recorded with timestamps and not yet measured: (frame, iterations, requested ms).
    pending: VecDeque<(u64, u32, f64)>,
    /// Whether measured frames correct the calibration (the timestamps bracket the pass).
    closed_loop: bool,
}

impl SyntheticLoad {
    /// Builds the pass and calibrates how many loop iterations take one millisecond on this
    /// device: after a sustained warm-up, by GPU timestamps where the device has them (wall
    /// clock otherwise). A blocking measurement of about half a second, done once.
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
        let bind = kernel.bind_group(
            &ctx.device,
            0,
            &[("params", params.as_entire_binding()), ("sink", sink.as_entire_binding())],
        );
        let ring = ctx.caps.timestamps.then(|| TimestampRing::new(&ctx.device, &ctx.queue, 8, 1));
        let mut load =
            Self { kernel, params, bind, iterations_per_ms: 1.0, ring, pending: VecDeque::new(), closed_loop: false };
        load.calibrate(ctx)?;
        Ok(load)
    }

    /// Times one submission of `iterations`.
    fn time_once(&self, ctx: &GpuContext, timer: Option<&PassTimer>, iterations: u32) -> Result<PassTime, GpuError> {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        queue_iterations(&ctx.queue, &self.params, iterations);
        self.kernel.dispatch(&mut encoder, &[&self.bind], [LOAD_WORKGROUPS, 1, 1], timer.map(PassTimer::writes));
        submit_and_time(ctx, timer, encoder)
    }

    /// Whether this pass's own timestamps measure it when other passes follow it in the same
    /// submission, as they do in a frame: records the pass (about `ms`, timed) and as much
    /// again untimed after it, and compares. Drivers that write timestamps before the work has
    /// run, or run a submission's passes lazily (lavapipe), read far less.
    fn timestamps_bracket_the_pass(&self, ctx: &GpuContext, timer: &PassTimer, ms: f64) -> Result<bool, GpuError> {
        let iterations = self.iterations_for(ms);
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        queue_iterations(&ctx.queue, &self.params, iterations);
        self.kernel.dispatch(&mut encoder, &[&self.bind], [LOAD_WORKGROUPS, 1, 1], Some(timer.writes()));
        self.kernel.dispatch(&mut encoder, &[&self.bind], [LOAD_WORKGROUPS, 1, 1], None);
        timer.resolve(&mut encoder);
        ctx.queue.submit([encoder.finish()]);
        ctx.wait_idle()?;
        let measured = timer.read_ms(ctx)?;
        Ok((0.5 * ms..2.0 * ms).contains(&measured))
    }

    fn calibrate(&mut self, ctx: &GpuContext) -> Result<(), GpuError> {
        let timer = PassTimer::new(ctx);
        let timer = timer.as_ref();
        self.time_once(ctx, timer, 16)?; // compile at first dispatch happens here
        // Keep the device busy long enough that its clocks leave idle, with submissions of
        // about 10 ms (sized from a first guess).
        let probe = 1024;
        let guess = f64::from(probe) / self.time_once(ctx, timer, probe)?.ms().max(1e-3);
        let chunk = (10.0 * guess).clamp(1.0, 1e9) as u32;
        let start = Instant::now();
        // Whether the timestamps of every timed submission long enough to judge (over 2 ms,
        // where submission overhead is small) were plausible.
        let judge = |t: &PassTime| t.wall_ms <= 2.0 || t.gpu_plausible();
        let mut plausible = true;
        while start.elapsed().as_secs_f64() * 1e3 < WARM_UP_MS {
            plausible &= judge(&self.time_once(ctx, timer, chunk)?);
        }
        // Two sizes, best of three each; the slope leaves out the fixed cost of a dispatch.
        let (small, large) = (chunk / 8 + 1, chunk);
        let mut best = |n: u32| -> Result<f64, GpuError> {
            let mut b = f64::MAX;
            for _ in 0..3 {
                let t = self.time_once(ctx, timer, n)?;
                plausible &= judge(&t);
                b = b.min(t.ms());
            }
            Ok(b)
        };
        let (t_small, t_large) = (best(small)?, best(large)?);
        // A slope far below the large run's own time means a measurement was disturbed
        // (another process had the device): the whole run's rate, overhead included, is then
        // the safer estimate.
        let slope = t_large - t_small;
        self.iterations_per_ms = if slope > 0.25 * t_large {
            f64::from(large - small) / slope
        } else {
            f64::from(large) / t_large.max(1e-3)
        };
        // Only timestamps that were plausible alone and bracket the pass in a frame may drive
        // the loop: elsewhere per-pass times read near zero in a frame and drive it wild.
        self.closed_loop = match (timer, &self.ring) {
            (Some(t), Some(_)) if plausible => self.timestamps_bracket_the_pass(ctx, t, 5.0)?,
            _ => false,
        };
        log::info!(
            "synthetic load: {:.0} iterations per ms ({})",
            self.iterations_per_ms,
            if self.closed_loop { "corrected every frame" } else { "open loop: per-pass timestamps do not bracket" }
        );
        Ok(())
    }

    fn iterations_for(&self, ms: f64) -> u32 {
        if ms > 0.0 && ms.is_finite() { (ms * self.iterations_per_ms).round().clamp(1.0, 1e9) as u32 } else { 0 }
    }

    /// Records a pass costing about `ms` milliseconds of GPU time for frame `frame_index`
    /// (nothing for `ms <= 0`). Where the device has timestamps the pass times itself, and
    /// [`SyntheticLoad::after_submit`] corrects the calibration from what it measured. Uses a
    /// uniform written through the queue: one call per submitted encoder.
    pub fn record(&mut self, queue: &wgpu::Queue, encoder: &mut wgpu::CommandEncoder, frame_index: u64, ms: f64) {
        let iterations = self.iterations_for(ms);
        if iterations == 0 {
            return;
        }
        // Timestamps only where they bracket the pass: on a lazy driver they would move the
        // load's time into the timings of the passes after it.
        let timed = self.closed_loop && self.ring.as_mut().is_some_and(|r| r.begin_frame(frame_index));
        let writes = if timed { self.ring.as_mut().and_then(TimestampRing::pass_writes) } else { None };
        queue_iterations(queue, &self.params, iterations);
        self.kernel.dispatch(encoder, &[&self.bind], [LOAD_WORKGROUPS, 1, 1], writes);
        if timed && let Some(ring) = self.ring.as_mut() {
            ring.end_frame(encoder);
            self.pending.push_back((frame_index, iterations, ms));
        }
    }

    /// Call after submitting the encoder [`SyntheticLoad::record`] recorded into: returns the
    /// GPU time measured for every earlier frame whose timings have come back (never waits),
    /// and corrects the calibration from them. Empty unless [`SyntheticLoad::is_timed`].
    pub fn after_submit(&mut self, device: &wgpu::Device) -> Vec<FrameTimings> {
        // Open loop records no timestamps: nothing to read back, every frame.
        if !self.closed_loop && self.pending.is_empty() {
            return Vec::new();
        }
        let Some(ring) = self.ring.as_mut() else { return Vec::new() };
        ring.after_submit();
        let measured = ring.harvest(device);
        for t in &measured {
            while let Some(&(frame, iterations, requested)) = self.pending.front() {
                if frame > t.frame_index {
                    break;
                }
                self.pending.pop_front();
                if frame == t.frame_index {
                    self.correct(iterations, requested, t.total_ms());
                }
            }
        }
        measured
    }

    /// Moves the rate toward the one that would have made `iterations` cost `requested` ms,
    /// given that they measured `measured` ms.
    fn correct(&mut self, iterations: u32, requested: f64, measured: f64) {
        if !self.closed_loop || iterations == 0 || !(measured > 0.0 && measured.is_finite()) {
            return;
        }
        let factor = (requested / measured).clamp(1.0 / MAX_CORRECTION, MAX_CORRECTION);
        self.iterations_per_ms *= factor.powf(CORRECTION_GAIN);
    }

    /// Whether the pass times itself, so [`SyntheticLoad::after_submit`] reports measured GPU
    /// time and the calibration follows the device's clocks: the device has timestamps and they
    /// bracket a pass that other passes follow.
    pub fn is_timed(&self) -> bool {
        self.closed_loop
    }

    /// Turns the per-frame correction on or off (on needs `TIMESTAMP_QUERY`). It is on where
    /// creation found that the pass's timestamps bracket it with other passes after it; an
    /// application that submits the load on its own, where even a lazy driver's timestamps
    /// bracket it, may turn it on.
    pub fn set_closed_loop(&mut self, on: bool) {
        self.closed_loop = on && self.ring.is_some();
    }

    /// As [`SyntheticLoad::record`] with the caller's timestamp writes on the pass (an empty
    /// pass when `ms <= 0`, so the timestamps are always written). Open loop: the calibration
    /// is not corrected from these frames.
    pub fn record_timed(
        &self,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        ms: f64,
        writes: Option<wgpu::ComputePassTimestampWrites<'_>>,
    ) {
        queue_iterations(queue, &self.params, self.iterations_for(ms));
        self.kernel.dispatch(encoder, &[&self.bind], [LOAD_WORKGROUPS, 1, 1], writes);
    }

    /// Loop iterations per millisecond, as calibrated and corrected so far.
    pub fn iterations_per_ms(&self) -> f64 {
        self.iterations_per_ms
    }

    /// Replaces the calibration, as if the device had changed speed since it was measured;
    /// the closed loop then corrects it again from measured frames.
    pub fn set_iterations_per_ms(&mut self, rate: f64) {
        if rate > 0.0 && rate.is_finite() {
            self.iterations_per_ms = rate;
        }
    }
}

fn queue_iterations(queue: &wgpu::Queue, params: &wgpu::Buffer, iterations: u32) {
    queue.write_buffer(params, 0, bytemuck::cast_slice(&[iterations, 0, 0, 0]));
}

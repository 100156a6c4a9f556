//! The monitor inside the [`Upscaler`](crate::Upscaler) (ARCHITECTURE §5): each frame's GPU time —
//! from timestamp queries, or from completion times where the device has none — matched with
//! what the renderer reports about the rest of its frame, and fed to the precision
//! controller that picks the rung of every frame. Nothing here ever waits for the GPU.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use quantsr_gpu::wgpu;
use quantsr_monitor::{
    Controller, FrameObservation, FrameTimings, JointController, JointObservation, Rung, TELEMETRY_HORIZON_FRAMES,
    TelemetryRecord,
};

/// Where the upscaler's frame timings come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimingSource {
    /// Timestamp queries around every pass: the GPU time of each upscaler pass.
    Timestamps,
    /// Completion times of submitted work (`Queue::on_submitted_work_done`): the GPU time of
    /// the whole frame, everything submitted with the upscaler included. Used where the
    /// device has no `TIMESTAMP_QUERY`; the upscaler's share is that time minus the
    /// [`FrameReport::other_gpu_ms`] the renderer reports.
    Completion,
}

impl TimingSource {
    /// `timestamps` or `completion`, as telemetry and the CLI name it.
    pub fn name(self) -> &'static str {
        match self {
            TimingSource::Timestamps => "timestamps",
            TimingSource::Completion => "completion",
        }
    }
}

/// What the renderer knows about a frame beyond the upscaler, so the controller can budget
/// the upscaler as `target frame time − everything else`. Report it with
/// [`Upscaler::report_frame`](crate::Upscaler::report_frame) whenever it is known (GPU
/// timings of the renderer's passes typically arrive a few frames late, like the upscaler's).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FrameReport {
    /// GPU time of the renderer's other passes in that frame, in milliseconds.
    pub other_gpu_ms: Option<f64>,
    /// The host's own measure of the whole frame (e.g. its frame-to-frame wall time), in
    /// milliseconds.
    pub host_frame_ms: Option<f64>,
}

/// Frames a measured frame waits for the renderer's report before it is observed without one.
const REPORT_WAIT_FRAMES: u64 = 3;

/// A dispatched frame whose observation has not been handed to the controller yet.
struct Entry {
    frame: u64,
    rung: Rung,
    /// Render scale per axis against the maximum render size (the joint controller's knob).
    scale: f64,
    recorded_at: Instant,
    report: Option<FrameReport>,
    timings: Option<FrameTimings>,
    /// Whole-frame GPU time from completion times.
    completion_ms: Option<f64>,
}

/// The controller and the book of frames in flight.
pub(crate) struct FrameMonitor {
    pub(crate) controller: Controller,
    /// The precision-and-resolution policy, when `ControllerSettings::adapt` is not
    /// `Precision`: it decides, and `controller` books its decisions into telemetry.
    pub(crate) joint: Option<JointController>,
    source: TimingSource,
    entries: VecDeque<Entry>,
    /// Completion callbacks push `(frame, when)` here.
    completions: Arc<Mutex<Vec<(u64, Instant)>>>,
    /// The newest frame whose completion callback is registered.
    registered_through: Option<u64>,
    last_completion: Option<Instant>,
    reports_unmatched: u64,
}

impl FrameMonitor {
    pub(crate) fn new(controller: Controller, joint: Option<JointController>, source: TimingSource) -> Self {
        Self {
            controller,
            joint,
            source,
            entries: VecDeque::new(),
            completions: Arc::new(Mutex::new(Vec::new())),
            registered_through: None,
            last_completion: None,
            reports_unmatched: 0,
        }
    }

    pub(crate) fn source(&self) -> TimingSource {
        self.source
    }

    /// Reports that never found their frame (too old, or not dispatched yet).
    pub(crate) fn reports_unmatched(&self) -> u64 {
        self.reports_unmatched
    }

    /// Notes a frame as dispatched with `rung` at render scale `scale`.
    pub(crate) fn dispatched(&mut self, frame: u64, rung: Rung, scale: f64) {
        self.entries.push_back(Entry {
            frame,
            rung,
            scale,
            recorded_at: Instant::now(),
            report: None,
            timings: None,
            completion_ms: None,
        });
    }

    /// Everything dispatched so far has been submitted: in completion mode, ask to be told
    /// when it finishes.
    pub(crate) fn submitted(&mut self, queue: &wgpu::Queue) {
        if self.source != TimingSource::Completion {
            return;
        }
        let Some(newest) = self.entries.back().map(|e| e.frame) else { return };
        if self.registered_through.is_some_and(|r| r >= newest) {
            return;
        }
        self.registered_through = Some(newest);
        let completions = self.completions.clone();
        queue.on_submitted_work_done(move || {
            if let Ok(mut c) = completions.lock() {
                c.push((newest, Instant::now()));
            }
        });
    }

    pub(crate) fn report(&mut self, frame: u64, report: FrameReport) {
        match self.entries.iter_mut().find(|e| e.frame == frame) {
            Some(e) => e.report = Some(report),
            None => self.reports_unmatched += 1,
        }
    }

    pub(crate) fn timings(&mut self, timings: &FrameTimings) {
        if self.source != TimingSource::Timestamps {
            return;
        }
        if let Some(e) = self.entries.iter_mut().find(|e| e.frame == timings.frame_index) {
            e.timings = Some(timings.clone());
        }
    }

    /// Turns completion times into whole-frame GPU times, then hands every frame that is
    /// ready to the controller: measured and reported, or measured and waited
    /// [`REPORT_WAIT_FRAMES`] for a report (all measured frames when `force`). Frames never
    /// measured are given up after the telemetry horizon; the controller writes their records
    /// without timings.
    pub(crate) fn flush(&mut self, now_frame: u64, force: bool) {
        // Drained in place: the completions buffer keeps its capacity from frame to frame.
        let completions = self.completions.clone();
        let mut done = completions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (frame, at) in done.drain(..) {
            // A frame's GPU work starts no earlier than it was recorded and than the previous
            // frame finished.
            let Some(e) = self.entries.iter_mut().find(|e| e.frame == frame) else { continue };
            let start = self.last_completion.map_or(e.recorded_at, |l| l.max(e.recorded_at));
            e.completion_ms = Some(at.saturating_duration_since(start).as_secs_f64() * 1e3);
            self.last_completion = Some(at);
        }
        drop(done);
        let mut i = 0;
        while i < self.entries.len() {
            let e = &self.entries[i];
            let measured = e.timings.is_some() || e.completion_ms.is_some();
            let waited = now_frame >= e.frame + REPORT_WAIT_FRAMES;
            if measured && (e.report.is_some() || waited || force) {
                let e = self.entries.remove(i).expect("index is in range");
                let (rung, scale) = (e.rung, e.scale);
                let obs = observation(e);
                if let Some(joint) = &mut self.joint
                    && let Some(upscaler_ms) = obs.upscaler_ms
                {
                    // Everything else in the frame: reported, or the host's frame less the upscaler.
                    let load_ms = obs.other_ms.or(obs.host_frame_ms.map(|h| (h - upscaler_ms).max(0.0))).unwrap_or(0.0);
                    joint.observe(JointObservation { rung, scale, upscaler_ms, load_ms });
                }
                self.controller.observe(obs);
            } else if now_frame >= e.frame + TELEMETRY_HORIZON_FRAMES || (force && !measured) {
                self.entries.remove(i);
            } else {
                i += 1;
            }
        }
    }

    pub(crate) fn drain_telemetry(&mut self) -> Vec<TelemetryRecord> {
        self.controller.drain_telemetry()
    }
}

fn observation(e: Entry) -> FrameObservation {
    let report = e.report.unwrap_or_default();
    let mut obs = match (&e.timings, e.completion_ms) {
        (Some(t), _) => {
            let mut o = FrameObservation::from_timings(t, e.rung);
            o.other_ms = report.other_gpu_ms;
            o
        }
        (None, Some(whole)) => {
            // The upscaler's share of the frame; all of it when nothing else is reported.
            let other = report.other_gpu_ms.filter(|o| o.is_finite() && *o >= 0.0);
            let mut o =
                FrameObservation::new(e.frame, e.rung).with_upscaler_ms((whole - other.unwrap_or(0.0)).max(0.0));
            o.other_ms = other;
            o
        }
        (None, None) => FrameObservation::new(e.frame, e.rung),
    };
    obs.frame_index = e.frame;
    obs.host_frame_ms = report.host_frame_ms;
    obs
}

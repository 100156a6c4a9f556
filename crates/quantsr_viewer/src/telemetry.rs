//! What the HUD plots: one sample per frame (host frame time, rung, render size), completed
//! with the upscaler's GPU times from the precision controller's telemetry records when they
//! arrive a few frames later — the same records `quantsr upscale --telemetry` writes.

use std::collections::VecDeque;

use quantsr::monitor::{TelemetryLog, TelemetryRecord};

use crate::rungs::Rung;
use crate::settings::Method;

/// Frames the HUD keeps.
pub const HISTORY_FRAMES: usize = 240;

/// One frame as the HUD sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameSample {
    /// Viewer frame index (the controller's frame index).
    pub frame: u64,
    /// Method of the main image.
    pub method: Method,
    /// Rung the upscaler ran; `None` for spatial methods.
    pub rung: Option<Rung>,
    /// Render size used.
    pub render_size: [u32; 2],
    /// Display size the frame was upscaled to.
    pub display: [u32; 2],
    /// Wall-clock time from this frame's start to the next one's, in milliseconds (known one
    /// frame later).
    pub host_ms: Option<f64>,
    /// Synthetic load requested, in GPU milliseconds.
    pub load_ms: f64,
    /// The upscaler's GPU time (all passes), when measured.
    pub upscaler_ms: Option<f64>,
    /// The upscaler's budget when its rung was chosen.
    pub budget_ms: Option<f64>,
    /// Why the rung changed at this frame.
    pub reason: Option<&'static str>,
}

/// The last [`HISTORY_FRAMES`] frames, the latest per-pass GPU times, and (optionally) every
/// telemetry record of the run for `--telemetry`.
#[derive(Debug, Default)]
pub struct History {
    samples: VecDeque<FrameSample>,
    pass_ms: Vec<f64>,
    log: Option<TelemetryLog>,
}

impl History {
    /// An empty history; `keep_log` keeps every telemetry record for writing at exit.
    pub fn new(keep_log: bool) -> Self {
        Self { samples: VecDeque::new(), pass_ms: Vec::new(), log: keep_log.then(TelemetryLog::new) }
    }

    /// Adds this frame's sample.
    pub fn push(&mut self, sample: FrameSample) {
        if self.samples.len() == HISTORY_FRAMES {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
    }

    /// Sets the wall-clock duration of `frame` once the next frame starts.
    pub fn set_host_ms(&mut self, frame: u64, ms: f64) {
        if let Some(s) = self.sample_mut(frame) {
            s.host_ms = Some(ms);
        }
    }

    fn sample_mut(&mut self, frame: u64) -> Option<&mut FrameSample> {
        self.samples.iter_mut().rev().find(|s| s.frame == frame)
    }

    /// Completes samples with the controller's telemetry records (and keeps the records).
    pub fn apply(&mut self, records: Vec<TelemetryRecord>) {
        for r in records {
            if let Some(s) = self.sample_mut(r.frame) {
                s.rung = Some(r.rung);
                s.upscaler_ms = r.upscaler_ms;
                s.budget_ms = r.budget_ms;
                s.reason = r.reason.map(|x| x.name());
            }
            if !r.pass_ms.is_empty() {
                // A little smoothing so the HUD's numbers are readable.
                if self.pass_ms.len() == r.pass_ms.len() {
                    for (avg, v) in self.pass_ms.iter_mut().zip(&r.pass_ms) {
                        *avg += 0.2 * (v - *avg);
                    }
                } else {
                    self.pass_ms = r.pass_ms.clone();
                }
            }
            if let Some(log) = &mut self.log {
                log.push(r);
            }
        }
    }

    /// Samples, oldest first.
    pub fn samples(&self) -> &VecDeque<FrameSample> {
        &self.samples
    }

    /// Smoothed GPU milliseconds per upscaler pass (`quantsr::PASS_NAMES` order).
    pub fn pass_ms(&self) -> &[f64] {
        &self.pass_ms
    }

    /// Mean wall-clock frame time over the last `n` frames that have one.
    pub fn mean_host_ms(&self, n: usize) -> Option<f64> {
        let v: Vec<f64> = self.samples.iter().rev().filter_map(|s| s.host_ms).take(n).collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    }

    /// The telemetry kept for `--telemetry`.
    pub fn log(&self) -> Option<&TelemetryLog> {
        self.log.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(frame: u64) -> FrameSample {
        FrameSample {
            frame,
            method: Method::Taau,
            rung: None,
            render_size: [8, 8],
            display: [16, 16],
            host_ms: None,
            load_ms: 0.0,
            upscaler_ms: None,
            budget_ms: None,
            reason: None,
        }
    }

    #[test]
    fn late_records_complete_the_frames_they_belong_to() {
        let mut h = History::new(true);
        for f in 0..5 {
            h.push(sample(f));
        }
        h.set_host_ms(1, 20.0);
        h.apply(vec![TelemetryRecord {
            frame: 1,
            rung: Rung::Taau,
            upscaler_ms: Some(3.0),
            load_ms: None,
            frame_ms: Some(20.0),
            predicted_ms: None,
            budget_ms: Some(16.0),
            reason: None,
            pass_ms: vec![1.0, 2.0],
            render_size: None,
        }]);
        let s = &h.samples()[1];
        assert_eq!((s.rung, s.upscaler_ms, s.host_ms), (Some(Rung::Taau), Some(3.0), Some(20.0)));
        assert_eq!(h.pass_ms(), [1.0, 2.0]);
        assert_eq!(h.log().unwrap().records().len(), 1);
        assert_eq!(h.mean_host_ms(10), Some(20.0));
    }

    #[test]
    fn only_the_last_frames_are_kept() {
        let mut h = History::new(false);
        for f in 0..(HISTORY_FRAMES as u64 + 10) {
            h.push(sample(f));
        }
        assert_eq!(h.samples().len(), HISTORY_FRAMES);
        assert_eq!(h.samples()[0].frame, 10);
    }
}

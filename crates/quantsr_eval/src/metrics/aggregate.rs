//! Per-sequence aggregation of per-frame metrics with the history warm-up rule of ARCHITECTURE §7:
//! the first frames of a sequence and of every shot after a reset measure how fast a temporal
//! method converges, not its steady-state quality, so they are averaged separately.

use serde::{Deserialize, Serialize};

use super::psnr::cap_psnr;

/// Frames that count as warm-up after the start of a sequence and after every reset (the reset
/// frame itself and the 7 after it).
pub const DEFAULT_WARMUP_FRAMES: u32 = 8;

/// One frame's metrics as `quantsr eval` computes them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrameMetrics {
    /// PSNR in dB, possibly infinite (capped when averaged).
    pub psnr: f64,
    /// SSIM, at most 1.
    pub ssim: f64,
    /// Temporal PSNR in dB; `None` for the first frame and the frame of a reset, which have no
    /// previous frame of the same shot.
    pub tpsnr: Option<f64>,
    /// Mean FLIP error in [0, 1].
    pub flip: f64,
}

/// Means of each metric over a group of frames. A mean is `None` when no frame of the group
/// had that metric (JSON `null`), never NaN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricMeans {
    /// Mean of per-frame PSNR in dB, each frame capped at [`super::PSNR_CAP_DB`].
    pub psnr: Option<f64>,
    /// Mean SSIM.
    pub ssim: Option<f64>,
    /// Mean of per-frame temporal PSNR in dB over the frames that have one, each capped at
    /// [`super::PSNR_CAP_DB`].
    pub tpsnr: Option<f64>,
    /// Mean FLIP.
    pub flip: Option<f64>,
    /// Frames in the group.
    pub frames: u32,
}

/// The summary `quantsr eval` reports for one method on one sequence: means over the scored
/// frames, and the same over the warm-up frames under `warmup`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Mean of per-frame PSNR in dB over scored frames, each capped at [`super::PSNR_CAP_DB`]
    /// (a mean of dB values, not the PSNR of the mean squared error).
    pub psnr: Option<f64>,
    /// Mean SSIM over scored frames.
    pub ssim: Option<f64>,
    /// Mean temporal PSNR in dB over scored frames, each capped at [`super::PSNR_CAP_DB`].
    pub tpsnr: Option<f64>,
    /// Mean FLIP over scored frames.
    pub flip: Option<f64>,
    /// Number of scored frames.
    pub frames: u32,
    /// The same means over the warm-up frames.
    pub warmup: MetricMeans,
}

/// Running sums of one group of frames.
#[derive(Clone, Copy, Debug, Default)]
struct Sums {
    psnr: f64,
    ssim: f64,
    tpsnr: f64,
    tpsnr_frames: u32,
    flip: f64,
    frames: u32,
}

impl Sums {
    fn add(&mut self, frame: &FrameMetrics) {
        self.psnr += cap_psnr(frame.psnr);
        self.ssim += frame.ssim;
        if let Some(t) = frame.tpsnr {
            self.tpsnr += cap_psnr(t);
            self.tpsnr_frames += 1;
        }
        self.flip += frame.flip;
        self.frames += 1;
    }

    fn means(&self) -> MetricMeans {
        let mean = |sum: f64, n: u32| (n > 0).then(|| sum / f64::from(n));
        MetricMeans {
            psnr: mean(self.psnr, self.frames),
            ssim: mean(self.ssim, self.frames),
            tpsnr: mean(self.tpsnr, self.tpsnr_frames),
            flip: mean(self.flip, self.frames),
            frames: self.frames,
        }
    }
}

/// Collects per-frame metrics in sequence order and sorts each frame into warm-up or scored.
///
/// Feed it with [`push`](Self::push) and the sequence's reset flags: the first frame and
/// every reset frame start a warm-up of `warmup_frames` frames (the reset frame included).
/// Or classify frames yourself with [`push_classified`](Self::push_classified).
#[derive(Clone, Debug)]
pub struct FrameMetricsAccumulator {
    warmup_frames: u32,
    /// Frames seen since the last reset (or the start); `None` before the first frame.
    since_reset: Option<u32>,
    scored: Sums,
    warmup: Sums,
}

impl Default for FrameMetricsAccumulator {
    fn default() -> Self {
        Self::new(DEFAULT_WARMUP_FRAMES)
    }
}

impl FrameMetricsAccumulator {
    /// An empty accumulator whose warm-up lasts `warmup_frames` frames after the start and
    /// after each reset (0 scores every frame).
    pub fn new(warmup_frames: u32) -> Self {
        Self { warmup_frames, since_reset: None, scored: Sums::default(), warmup: Sums::default() }
    }

    /// The warm-up length this accumulator applies.
    pub fn warmup_frames(&self) -> u32 {
        self.warmup_frames
    }

    /// Whether the next frame, with reset flag `reset`, falls in warm-up; lets a caller skip
    /// work it would not report. Does not record anything.
    pub fn next_is_warmup(&self, reset: bool) -> bool {
        self.next_since_reset(reset) < self.warmup_frames
    }

    fn next_since_reset(&self, reset: bool) -> u32 {
        match self.since_reset {
            Some(n) if !reset => n.saturating_add(1),
            _ => 0,
        }
    }

    /// Records the next frame of the sequence; `reset` is its reset flag (the first frame is
    /// always treated as a reset). Returns whether it counted as warm-up.
    pub fn push(&mut self, frame: FrameMetrics, reset: bool) -> bool {
        let since = self.next_since_reset(reset);
        self.since_reset = Some(since);
        let is_warmup = since < self.warmup_frames;
        self.push_classified(frame, is_warmup);
        is_warmup
    }

    /// Records a frame the caller has already classified, without advancing the reset
    /// tracking that [`push`](Self::push) does.
    pub fn push_classified(&mut self, frame: FrameMetrics, is_warmup: bool) {
        if is_warmup { self.warmup.add(&frame) } else { self.scored.add(&frame) }
    }

    /// The means so far over scored and over warm-up frames.
    pub fn summary(&self) -> Metrics {
        let scored = self.scored.means();
        Metrics {
            psnr: scored.psnr,
            ssim: scored.ssim,
            tpsnr: scored.tpsnr,
            flip: scored.flip,
            frames: scored.frames,
            warmup: self.warmup.means(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::PSNR_CAP_DB;

    fn frame(i: u32, tpsnr: Option<f64>) -> FrameMetrics {
        FrameMetrics { psnr: 30.0 + f64::from(i), ssim: 0.9, tpsnr, flip: 0.1 }
    }

    #[test]
    fn first_eight_frames_and_eight_after_each_reset_are_warmup() {
        let mut acc = FrameMetricsAccumulator::default();
        let resets = [20u32];
        let mut warm = Vec::new();
        for i in 0..40 {
            let reset = resets.contains(&i);
            assert_eq!(acc.next_is_warmup(reset), acc.clone().push(frame(i, None), reset));
            if acc.push(frame(i, None), reset) {
                warm.push(i);
            }
        }
        let want: Vec<u32> = (0..8).chain(20..28).collect();
        assert_eq!(warm, want);
        let s = acc.summary();
        assert_eq!(s.frames, 24);
        assert_eq!(s.warmup.frames, 16);
    }

    #[test]
    fn means_are_taken_separately_over_scored_and_warmup_frames() {
        let mut acc = FrameMetricsAccumulator::new(2);
        for i in 0..5 {
            acc.push(frame(i, (i > 0).then_some(40.0 + f64::from(i))), false);
        }
        let s = acc.summary();
        assert_eq!(s.frames, 3);
        assert_eq!(s.psnr, Some(33.0)); // 32, 33, 34
        assert_eq!(s.tpsnr, Some(43.0)); // 42, 43, 44
        assert!((s.ssim.unwrap() - 0.9).abs() < 1e-12);
        assert!((s.flip.unwrap() - 0.1).abs() < 1e-12);
        assert_eq!(s.warmup.frames, 2);
        assert_eq!(s.warmup.psnr, Some(30.5));
        assert_eq!(s.warmup.tpsnr, Some(41.0)); // only frame 1 has one
    }

    #[test]
    fn infinite_psnr_is_capped_per_frame_before_averaging() {
        let mut acc = FrameMetricsAccumulator::new(0);
        acc.push(FrameMetrics { psnr: f64::INFINITY, ssim: 1.0, tpsnr: None, flip: 0.0 }, false);
        acc.push(FrameMetrics { psnr: 40.0, ssim: 1.0, tpsnr: Some(f64::INFINITY), flip: 0.0 }, false);
        let s = acc.summary();
        assert_eq!(s.psnr, Some((PSNR_CAP_DB + 40.0) / 2.0));
        assert_eq!(s.tpsnr, Some(PSNR_CAP_DB));
    }

    #[test]
    fn empty_groups_serialise_as_null_and_round_trip() {
        let mut acc = FrameMetricsAccumulator::default();
        acc.push(frame(0, None), true);
        let s = acc.summary();
        assert_eq!(s.psnr, None);
        let json = serde_json::to_value(s).unwrap();
        assert_eq!(json["psnr"], serde_json::Value::Null);
        assert_eq!(json["frames"], 0);
        assert_eq!(json["warmup"]["frames"], 1);
        assert_eq!(json["warmup"]["psnr"], 30.0);
        assert_eq!(json["warmup"]["tpsnr"], serde_json::Value::Null);
        let back: Metrics = serde_json::from_value(json).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn classified_frames_bypass_reset_tracking() {
        let mut acc = FrameMetricsAccumulator::default();
        acc.push_classified(frame(0, None), false);
        acc.push_classified(frame(1, None), true);
        let s = acc.summary();
        assert_eq!((s.frames, s.warmup.frames), (1, 1));
        // Reset tracking has not started: the next pushed frame is still the first.
        assert!(acc.next_is_warmup(false));
    }
}

//! Precision, resolution or both: which knobs hold the frame time when the GPU is busy.
//!
//! quantsr's premise is that lowering the network's precision keeps a better picture than
//! lowering the render resolution (what games ship as dynamic resolution). [`JointController`]
//! turns either knob or both, so the two can be compared at the same frame-time target:
//!
//! * [`Adapt::Precision`]: the rung only, at the full render size;
//! * [`Adapt::Resolution`]: the render scale only, on one rung;
//! * [`Adapt::Both`]: the pair (rung, scale) with the best measured quality that fits.
//!
//! Quality comes from a [`QualityTable`] (PSNR of each rung at each render scale, measured on
//! validation sequences); cost from a model in which each rung's time has a share that
//! shrinks with the pixels rendered (a network runs at render resolution) and a share that
//! does not (resolve and sharpen run at display resolution whatever the render size, so a
//! cheap rung shrinks far less than an expensive one; [`JointSettings::start_fixed_share`]),
//! and the renderer's own
//! load by [`JointSettings::load_pixel_exponent`]. All rungs share one device-speed factor
//! learned from every measured frame, so a rung not run for a while is predicted from its
//! start-up timing at today's clocks. The guarantees are those of the precision controller:
//! step down at once when the current setting no longer fits, step up only after sustained
//! headroom, never compile or wait (every rung's pipelines exist before the first frame),
//! and one decision record per frame with both knobs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{MonitorError, Rung, SwitchReason};

const RUNGS: usize = Rung::ALL.len();
/// Device-speed samples whose median is the newest estimate: one slow frame (a hitch, a
/// late completion) moves nothing, as in the precision controller's cost model.
const SPEED_MEDIAN_OF: usize = 5;
/// EWMA weight of the newest device-speed estimate.
const SPEED_ALPHA: f64 = 0.3;
/// Load reports averaged for the smoothed load (about the span of an EWMA of weight 0.1).
const LOAD_WINDOW: usize = 16;
/// EWMA weight of the newest estimate of how a cost scales with the pixels rendered (its shape).
const SHAPE_ALPHA: f64 = 0.3;
/// Two measurements estimate a shape only when their pixel counts differ by this factor.
const EXPONENT_MIN_RATIO: f64 = 1.15;
/// Measurements below this (ms, or relative cost) are too small to compare.
const EXPONENT_MIN_VALUE: f64 = 0.05;

/// The shape of a cost against the pixels rendered (`p`, the fraction of the full render size).
#[derive(Debug, Clone, Copy)]
enum Law {
    /// `value ∝ p^shape`: a renderer's passes, with `shape` below 1 where part of them does not
    /// shrink.
    Power,
    /// `value ∝ shape + (1 − shape) · p`: a rung, whose display-resolution passes (`shape`,
    /// the fixed share at full size) cost the same at any render size.
    Affine,
}

/// How a cost scales with the pixels rendered, by a [`Law`] whose shape parameter in [0, 1]
/// is learned from measurements at different render sizes among the recent ones: so a belief
/// that resolution saves time is corrected as soon as the controller has tried it.
#[derive(Debug, Clone)]
struct PixelScaling {
    law: Law,
    shape: f64,
    /// The newest measurements as (pixel fraction, value), oldest first.
    recent: std::collections::VecDeque<(f64, f64)>,
}

impl PixelScaling {
    fn new(law: Law, shape: f64) -> Self {
        Self { law, shape, recent: std::collections::VecDeque::with_capacity(LOAD_WINDOW) }
    }

    /// The shape two measurements imply, if they can tell it.
    fn implied(&self, (p0, v0): (f64, f64), (p1, v1): (f64, f64)) -> Option<f64> {
        let comparable =
            (p1 / p0).max(p0 / p1) >= EXPONENT_MIN_RATIO && v0 > EXPONENT_MIN_VALUE && v1 > EXPONENT_MIN_VALUE;
        if !comparable {
            return None;
        }
        let shape = match self.law {
            Law::Power => (v1 / v0).ln() / (p1 / p0).ln(),
            Law::Affine => {
                // v1 / v0 = (f + (1 − f) p1) / (f + (1 − f) p0), solved for f.
                let r = v1 / v0;
                let denominator = (1.0 - p1) - r * (1.0 - p0);
                if denominator.abs() < 1e-9 {
                    return None;
                }
                (r * p0 - p1) / denominator
            }
        };
        shape.is_finite().then(|| shape.clamp(0.0, 1.0))
    }

    fn observe(&mut self, pixels: f64, value: f64) {
        // The mean of what each comparable earlier measurement implies; no allocation, as
        // this runs every frame.
        let (sum, n) = self
            .recent
            .iter()
            .filter_map(|&earlier| self.implied(earlier, (pixels, value)))
            .fold((0.0, 0u32), |(sum, n), e| (sum + e, n + 1));
        if n > 0 {
            self.shape += SHAPE_ALPHA * (sum / f64::from(n) - self.shape);
        }
        if self.recent.len() == LOAD_WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back((pixels, value));
    }

    /// What a full-size value is multiplied by at `pixels`.
    fn factor(&self, pixels: f64) -> f64 {
        match self.law {
            Law::Power => pixels.powf(self.shape),
            Law::Affine => self.shape + (1.0 - self.shape) * pixels,
        }
    }

    /// `value`, measured at `pixels`, brought to the full render size.
    fn to_full(&self, pixels: f64, value: f64) -> f64 {
        value / self.factor(pixels).max(f64::MIN_POSITIVE)
    }

    /// A full-size `value` at `pixels`.
    fn at(&self, pixels: f64, full: f64) -> f64 {
        full * self.factor(pixels)
    }
}

/// The share of a rung's full-size cost that does not shrink with the render size (its
/// display-resolution passes), from two timings: `full_ms` at the full render size and
/// `small_ms` at the pixel fraction `pixels`, clamped to [0, 1] (what
/// [`JointSettings::start_fixed_share`] takes). `None` when they cannot tell: a timing not
/// finite and positive, or `pixels` not in (0, 1).
pub fn fixed_share(full_ms: f64, small_ms: f64, pixels: f64) -> Option<f64> {
    let usable = |ms: f64| ms.is_finite() && ms > 0.0;
    (usable(full_ms) && usable(small_ms) && pixels > 0.0 && pixels < 1.0)
        .then(|| ((small_ms / full_ms - pixels) / (1.0 - pixels)).clamp(0.0, 1.0))
}

/// Which knobs the controller turns to hold the frame time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Adapt {
    /// The rung only, at the full render size (quantsr's controller).
    Precision,
    /// The render scale only, on one rung (dynamic resolution, as games ship it).
    Resolution,
    /// Rung and render scale jointly: the best measured quality that fits the budget.
    Both,
}

impl Adapt {
    /// Every policy, in the order reports list them.
    pub const ALL: [Adapt; 3] = [Adapt::Precision, Adapt::Resolution, Adapt::Both];

    /// The name on the command line and in JSON: `precision`, `resolution`, `both`.
    pub const fn name(self) -> &'static str {
        match self {
            Adapt::Precision => "precision",
            Adapt::Resolution => "resolution",
            Adapt::Both => "both",
        }
    }
}

impl fmt::Display for Adapt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Adapt {
    type Err = MonitorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Adapt::ALL.into_iter().find(|a| a.name() == s.trim()).ok_or_else(|| MonitorError::Setting {
            field: "adapt",
            got: s.to_owned(),
            expected: "precision, resolution or both",
        })
    }
}

/// Measured quality of each rung at each render scale: what a millisecond saved by either
/// knob costs in decibels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityTable {
    /// Render scales per axis, relative to the maximum render size, largest first; the first
    /// is 1 (the full render size).
    pub scales: Vec<f64>,
    /// PSNR in dB of each rung at each of `scales`, in the same order. A rung left out is
    /// never chosen by the joint or resolution policies.
    pub psnr: Vec<(Rung, Vec<f64>)>,
}

impl QualityTable {
    /// Checks the table's shape; the error names the field and what was wrong.
    pub fn validate(&self) -> Result<(), MonitorError> {
        let bad = |field, got: String, expected| Err(MonitorError::Setting { field, got, expected });
        let s = &self.scales;
        if s.first() != Some(&1.0) || s.windows(2).any(|w| w[1] >= w[0]) || s.iter().any(|&v| v.is_nan() || v <= 0.0) {
            return bad("table.scales", format!("{s:?}"), "scales in (0, 1], descending, starting at 1");
        }
        if self.psnr.is_empty() {
            return bad("table.psnr", "[]".into(), "at least one rung");
        }
        for (rung, row) in &self.psnr {
            if row.len() != s.len() || row.iter().any(|v| !v.is_finite()) {
                return bad("table.psnr", format!("{rung}: {row:?}"), "one finite PSNR per scale");
            }
        }
        Ok(())
    }

    /// PSNR of `rung` at the scale with index `scale`.
    pub fn psnr(&self, rung: Rung, scale: usize) -> Option<f64> {
        self.psnr.iter().find(|(r, _)| *r == rung).and_then(|(_, row)| row.get(scale).copied())
    }
}

/// How the joint controller behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct JointSettings {
    /// The knobs it may turn.
    pub adapt: Adapt,
    /// The frame time to hold, in milliseconds.
    pub target_frame_ms: f64,
    /// A setting is chosen only if its predicted upscaler cost is at most
    /// `(target − load) · (1 − margin)`; the current one is left once its prediction exceeds
    /// `(target − load) · (1 − margin / 2)` or a frame on it overran the target (the keep
    /// band of the precision controller), so noise within the band never switches.
    pub margin: f64,
    /// Consecutive frames with headroom for a better setting before stepping up.
    pub step_up_after_frames: u64,
    /// Frames after a switch before the next step-up; step-downs are never held back.
    pub min_frames_between_switches: u64,
    /// Rungs it may choose.
    pub allowed: Vec<Rung>,
    /// The rung [`Adapt::Resolution`] stays on; `None`: the allowed rung with the best PSNR
    /// at full size.
    pub resolution_rung: Option<Rung>,
    /// Quality of each (rung, scale).
    pub table: QualityTable,
    /// Milliseconds of each rung at full render size, measured before the first frame. A
    /// rung left out is predicted from [`Rung::default_relative_cost`].
    pub start_cost_ms: Vec<(Rung, f64)>,
    /// The share of each rung's full-size cost that does not shrink with the render size
    /// (its display-resolution passes; in [0, 1]), measured before the first frame from its
    /// cost at two render sizes ([`fixed_share`]). A rung left out starts at 0 (all of its
    /// work at render resolution). Either way each rung then learns its own share once it
    /// has run at two sizes: one shared belief would let `taau`, whose display-resolution
    /// passes are nearly all of its cost, teach the controller that a network saves nothing
    /// at a lower resolution.
    pub start_fixed_share: Vec<(Rung, f64)>,
    /// How the reported load is first assumed to scale with the pixels rendered: 1 for a
    /// renderer's own passes (`scene:` loads), 0 for work that costs the same at any render
    /// size. The controller then learns it from loads measured at different render sizes,
    /// so a load that does not shrink with the resolution stops drawing the resolution down.
    pub load_pixel_exponent: f64,
}

impl JointSettings {
    /// Settings holding `target_frame_ms` with `table`, the defaults of the precision
    /// controller (margin 0.1, step up after 30 frames, 15 between switches), every rung of
    /// the table allowed, and a load that scales with the pixels rendered.
    pub fn new(adapt: Adapt, target_frame_ms: f64, table: QualityTable) -> Self {
        let allowed = table.psnr.iter().map(|(r, _)| *r).collect();
        Self {
            adapt,
            target_frame_ms,
            margin: 0.1,
            step_up_after_frames: 30,
            min_frames_between_switches: 15,
            allowed,
            resolution_rung: None,
            table,
            start_cost_ms: Vec::new(),
            start_fixed_share: Vec::new(),
            load_pixel_exponent: 1.0,
        }
    }

    /// Checks every field; the error names the field, the value and the range.
    pub fn validate(&self) -> Result<(), MonitorError> {
        let bad = |field, got: String, expected| Err(MonitorError::Setting { field, got, expected });
        crate::controller::validate_hold(self.target_frame_ms, self.margin, self.step_up_after_frames)?;
        if !(0.0..=2.0).contains(&self.load_pixel_exponent) {
            return bad("load_pixel_exponent", self.load_pixel_exponent.to_string(), "an exponent in [0, 2]");
        }
        if let Some((r, c)) = self.start_cost_ms.iter().find(|(_, c)| !(c.is_finite() && *c > 0.0)) {
            return bad("start_cost_ms", format!("{r}: {c}"), "finite costs > 0");
        }
        if let Some((r, f)) = self.start_fixed_share.iter().find(|(_, f)| !(0.0..=1.0).contains(f)) {
            return bad("start_fixed_share", format!("{r}: {f}"), "a share in [0, 1]");
        }
        self.table.validate()?;
        if !self.allowed.iter().any(|r| self.table.psnr(*r, 0).is_some()) {
            return bad("allowed", format!("{:?}", self.allowed), "at least one rung the quality table lists");
        }
        Ok(())
    }
}

/// What to run for a frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct JointDecision {
    /// The rung.
    pub rung: Rung,
    /// Index of the render scale in the quality table.
    pub scale_index: usize,
    /// The render scale per axis, relative to the maximum render size.
    pub scale: f64,
    /// Predicted upscaler milliseconds at that setting.
    pub predicted_ms: f64,
    /// Predicted load at that setting (the renderer's passes scale with its pixels).
    pub load_ms: f64,
    /// Why the setting changed at this frame, if it did.
    pub reason: Option<SwitchReason>,
}

/// The measured cost of one frame, reported when its timings arrive (frames late).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JointObservation {
    /// The rung the frame ran.
    pub rung: Rung,
    /// The render scale per axis it ran at.
    pub scale: f64,
    /// The upscaler's milliseconds.
    pub upscaler_ms: f64,
    /// Everything else in the frame (the renderer's passes), milliseconds.
    pub load_ms: f64,
}

/// How the load is believed when judging a setting's fit.
#[derive(Debug, Clone, Copy)]
enum LoadView {
    /// The larger of the latest report and the recent mean (a rise at once, a fall slowly).
    Cautious,
    /// The latest report (for headroom, behind the step-up hysteresis).
    Latest,
}

/// The joint controller: a plain type, fed past frames' timings, that picks each frame's rung
/// and render scale (see the module documentation for the policy).
#[derive(Debug, Clone)]
pub struct JointController {
    settings: JointSettings,
    /// Each rung's full-size cost at the device speed its start-up timing was taken at.
    base_ms: [f64; RUNGS],
    /// Measured ms over `base_ms` (the device's speed now against at start-up): the EWMA of
    /// the median of the newest samples.
    speed: f64,
    /// The newest speed samples, oldest first.
    speed_samples: std::collections::VecDeque<f64>,
    /// The newest load reports and how loads scale with the pixels rendered (learned;
    /// starts at the setting). Reports are kept raw and brought to full size with the
    /// exponent believed now, so a belief corrected later leaves no wrongly scaled average.
    load: PixelScaling,
    /// Per rung, how its cost relative to its start-up cost scales with the pixels rendered
    /// (starts at the measured fixed share, or 0; learned from the rung's own frames).
    cost: [PixelScaling; RUNGS],
    /// The (rung, scale index) settings the policy may choose from, fixed by the settings.
    candidates: Vec<(Rung, usize)>,
    current: Option<(Rung, usize)>,
    last_switch_frame: Option<u64>,
    headroom_streak: u64,
    overrun: bool,
}

impl JointController {
    /// A controller with `settings`, checked first.
    pub fn new(settings: JointSettings) -> Result<Self, MonitorError> {
        settings.validate()?;
        // Rungs without a start-up timing: their default cost relative to those with one.
        let given: Vec<(Rung, f64)> = settings.start_cost_ms.clone();
        let per_unit = if given.is_empty() {
            1.0
        } else {
            given.iter().map(|(r, ms)| ms / r.default_relative_cost()).sum::<f64>() / given.len() as f64
        };
        let base_ms = Rung::ALL
            .map(|r| given.iter().find(|(g, _)| *g == r).map_or(r.default_relative_cost() * per_unit, |(_, ms)| *ms));
        let load = PixelScaling::new(Law::Power, settings.load_pixel_exponent);
        let cost = Rung::ALL.map(|r| {
            PixelScaling::new(
                Law::Affine,
                settings.start_fixed_share.iter().find(|(g, _)| *g == r).map_or(0.0, |(_, f)| *f),
            )
        });
        let candidates = Self::candidates(&settings, &base_ms);
        Ok(Self {
            settings,
            candidates,
            base_ms,
            speed: 1.0,
            speed_samples: std::collections::VecDeque::with_capacity(SPEED_MEDIAN_OF),
            load,
            cost,
            current: None,
            last_switch_frame: None,
            headroom_streak: 0,
            overrun: false,
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &JointSettings {
        &self.settings
    }

    /// Feeds one frame's measured timings; frames may arrive late, never out of place.
    /// Non-finite or negative timings are ignored.
    pub fn observe(&mut self, obs: JointObservation) {
        let valid = |v: f64| v.is_finite() && v >= 0.0;
        if !(valid(obs.upscaler_ms) && valid(obs.load_ms) && obs.scale > 0.0 && obs.scale <= 1.0) {
            return;
        }
        let pixels = obs.scale * obs.scale;
        let relative = obs.upscaler_ms / self.base_ms[obs.rung.index()];
        let cost = &mut self.cost[obs.rung.index()];
        cost.observe(pixels, relative);
        if self.speed_samples.len() == SPEED_MEDIAN_OF {
            self.speed_samples.pop_front();
        }
        self.speed_samples.push_back(cost.to_full(pixels, relative));
        let mut sorted = [0.0; SPEED_MEDIAN_OF];
        let n = self.speed_samples.len();
        for (slot, v) in sorted.iter_mut().zip(&self.speed_samples) {
            *slot = *v;
        }
        sorted[..n].sort_by(f64::total_cmp);
        self.speed += SPEED_ALPHA * (sorted[n / 2] - self.speed);
        self.load.observe(pixels, obs.load_ms);
        let on_current = self.current.is_some_and(|(r, i)| r == obs.rung && self.scale(i) == obs.scale);
        if on_current && obs.upscaler_ms + obs.load_ms > self.settings.target_frame_ms {
            self.overrun = true;
        }
    }

    /// How the controller now believes the load scales with the pixels rendered
    /// (`load ∝ pixels^e`).
    pub fn load_pixel_exponent(&self) -> f64 {
        self.load.shape
    }

    fn scale(&self, index: usize) -> f64 {
        self.settings.table.scales[index]
    }

    /// Predicted upscaler milliseconds of `rung` at the scale with index `scale`.
    pub fn predicted_cost(&self, rung: Rung, scale: usize) -> f64 {
        let s = self.scale(scale);
        self.cost[rung.index()].at(s * s, self.base_ms[rung.index()] * self.speed)
    }

    /// The share of `rung`'s full-size cost the controller now believes does not shrink
    /// with the render size.
    pub fn cost_fixed_share(&self, rung: Rung) -> f64 {
        self.cost[rung.index()].shape
    }

    /// Predicted load at the scale with index `scale`: the larger of the last report and the
    /// mean of the recent ones, so a rising load is believed at once and a falling one only
    /// slowly.
    pub fn predicted_load(&self, scale: usize) -> f64 {
        self.load_at(scale, LoadView::Cautious)
    }

    fn load_at(&self, scale: usize, view: LoadView) -> f64 {
        let full = |&(pixels, ms): &(f64, f64)| self.load.to_full(pixels, ms);
        let recent = &self.load.recent;
        let latest = recent.back().map_or(0.0, full);
        let believed = match view {
            LoadView::Latest => latest,
            LoadView::Cautious => latest.max(recent.iter().map(full).sum::<f64>() / recent.len().max(1) as f64),
        };
        let s = self.scale(scale);
        self.load.at(s * s, believed)
    }

    /// The settings `settings`' policy may choose from (`base_ms` breaks ties for Resolution).
    fn candidates(s: &JointSettings, base_ms: &[f64; RUNGS]) -> Vec<(Rung, usize)> {
        let listed = |r: &Rung| s.allowed.contains(r) && s.table.psnr(*r, 0).is_some();
        let rungs: Vec<Rung> = s.table.psnr.iter().map(|(r, _)| *r).filter(listed).collect();
        let scales = 0..s.table.scales.len();
        match s.adapt {
            Adapt::Precision => rungs.into_iter().map(|r| (r, 0)).collect(),
            Adapt::Resolution => {
                // The best rung at full size; the cheaper at start-up among equals.
                let best = s.resolution_rung.filter(listed).or_else(|| {
                    rungs.iter().copied().max_by(|a, b| {
                        let q = |r: &Rung| s.table.psnr(*r, 0).unwrap_or(f64::MIN);
                        q(a).total_cmp(&q(b)).then(base_ms[b.index()].total_cmp(&base_ms[a.index()]))
                    })
                });
                best.map(|r| scales.map(|i| (r, i)).collect()).unwrap_or_default()
            }
            Adapt::Both => rungs.into_iter().flat_map(|r| scales.clone().map(move |i| (r, i))).collect(),
        }
    }

    fn quality(&self, (rung, scale): (Rung, usize)) -> f64 {
        self.settings.table.psnr(rung, scale).unwrap_or(f64::MIN)
    }

    /// Whether `c`'s predicted cost is at most the budget (with the load as `view` sees it)
    /// times `slack`.
    fn fits(&self, (rung, scale): (Rung, usize), slack: f64, view: LoadView) -> bool {
        let budget = self.settings.target_frame_ms - self.load_at(scale, view);
        self.predicted_cost(rung, scale) <= budget * slack
    }

    /// The best-quality candidate that fits with the margin (larger scale first on a tie);
    /// when none does, the best-quality one among those whose predicted frame is within 2% of
    /// the shortest (or of the target, if longer) (a setting that saves nothing measurable is
    /// not worth its quality).
    fn best_fitting(&self, view: LoadView) -> (Rung, usize) {
        let slack = 1.0 - self.settings.margin;
        let all = &self.candidates;
        // Equal quality: the larger scale, then the cheaper rung (f16 is given f32's quality).
        let by_quality = |a: &(Rung, usize), b: &(Rung, usize)| {
            let cost = |c: &(Rung, usize)| self.predicted_cost(c.0, c.1);
            self.quality(*a).total_cmp(&self.quality(*b)).then(b.1.cmp(&a.1)).then(cost(b).total_cmp(&cost(a)))
        };
        let fitting = all.iter().copied().filter(|c| self.fits(*c, slack, view));
        fitting.max_by(by_quality).unwrap_or_else(|| {
            let frame = |c: &(Rung, usize)| self.frame_ms(*c, view);
            let shortest = all.iter().map(frame).fold(f64::INFINITY, f64::min);
            let near = shortest + 0.02 * shortest.max(self.settings.target_frame_ms);
            all.iter()
                .copied()
                .filter(|c| frame(c) <= near)
                .max_by(by_quality)
                .expect("validated: one candidate at least")
        })
    }

    /// The rung and render scale of frame `frame`; call once per frame, in order.
    pub fn next(&mut self, frame: u64) -> JointDecision {
        let best = self.best_fitting(LoadView::Cautious);
        let overrun = std::mem::take(&mut self.overrun);
        let (chosen, reason) = match self.current {
            None => (best, Some(SwitchReason::Start)),
            Some(cur) if !self.candidates.contains(&cur) => (best, Some(SwitchReason::Unavailable)),
            // Leave the current setting at once when it left the keep band or a frame on it
            // overran: only for one that is cheaper by the prediction, and when nothing fits,
            // only for one cheaper by more than the 2% that picks among the cheapest, so two
            // settings that cost the same within noise do not take turns.
            Some(cur)
                if (overrun || !self.fits(cur, 1.0 - 0.5 * self.settings.margin, LoadView::Cautious))
                    && self.is_cheaper(best, cur)
                    && (self.fits(best, 1.0 - self.settings.margin, LoadView::Cautious)
                        || self.saves_measurably(best, cur)) =>
            {
                (best, Some(SwitchReason::OverBudget))
            }
            Some(cur) => {
                // Headroom is judged by the latest load report, as the precision controller
                // judges it: the cautious view keeps a load spike's memory for a window, which
                // with spikes every second or so left no streak long enough to step up.
                // The hysteresis below is the filter.
                let up = self.best_fitting(LoadView::Latest);
                let better = self.quality(up) > self.quality(cur) && up != cur;
                self.headroom_streak = if better { self.headroom_streak + 1 } else { 0 };
                let s = &self.settings;
                let settled =
                    self.last_switch_frame.is_none_or(|at| frame.saturating_sub(at) >= s.min_frames_between_switches);
                if better && settled && self.headroom_streak >= s.step_up_after_frames {
                    (up, Some(SwitchReason::Headroom))
                } else {
                    (cur, None)
                }
            }
        };
        if reason.is_some() {
            self.last_switch_frame = Some(frame);
            self.headroom_streak = 0;
        }
        self.current = Some(chosen);
        let (rung, scale_index) = chosen;
        JointDecision {
            rung,
            scale_index,
            scale: self.scale(scale_index),
            predicted_ms: self.predicted_cost(rung, scale_index),
            load_ms: self.predicted_load(scale_index),
            reason,
        }
    }

    /// Whether `a`'s predicted frame is shorter than `b`'s by more than 2% (of `b`'s, or of
    /// the target if longer).
    fn saves_measurably(&self, a: (Rung, usize), b: (Rung, usize)) -> bool {
        let (a, b) = (self.frame_ms(a, LoadView::Cautious), self.frame_ms(b, LoadView::Cautious));
        a + 0.02 * b.max(self.settings.target_frame_ms) < b
    }

    /// Predicted frame time of setting `c`: its upscaler cost plus the load at its scale.
    fn frame_ms(&self, (rung, scale): (Rung, usize), view: LoadView) -> f64 {
        self.predicted_cost(rung, scale) + self.load_at(scale, view)
    }

    fn is_cheaper(&self, a: (Rung, usize), b: (Rung, usize)) -> bool {
        self.frame_ms(a, LoadView::Cautious) < self.frame_ms(b, LoadView::Cautious)
    }
}

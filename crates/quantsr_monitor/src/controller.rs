//! The precision controller (ARCHITECTURE §5): a plain type, fed the timings of past frames, that
//! picks the rung of the next frame so the frame fits its time budget at the best quality.
//! The policy is documented on [`Controller`].

use std::collections::VecDeque;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Adapt, FrameTimings, JointSettings, MonitorError, QualityTable, Rung, TelemetryRecord};

const RUNGS: usize = Rung::ALL.len();
/// Samples the per-rung median looks at.
const COST_WINDOW: usize = 5;
/// EWMA weight of the newest median.
const COST_ALPHA: f64 = 0.3;
/// EWMA weight of the newest load report.
const LOAD_ALPHA: f64 = 0.1;
/// Frames after which a telemetry record is written without the timings that never came.
pub const TELEMETRY_HORIZON_FRAMES: u64 = 16;
/// Records kept for [`Controller::drain_telemetry`] before the oldest are dropped.
const MAX_PENDING_RECORDS: usize = 8192;

/// How the controller should behave: the frame time to hold, how careful to be, and which
/// rungs it may use, in which order of quality.
#[derive(Debug, Clone, PartialEq)]
pub struct ControllerSettings {
    /// The frame time to hold, in milliseconds (16.667 for 60 fps).
    pub target_frame_ms: f64,
    /// Safety margin, a fraction of the upscaler's budget: a rung is chosen only if its
    /// predicted cost is at most `budget · (1 − margin)`. Default 0.1.
    pub margin: f64,
    /// Consecutive observations with headroom for a better rung before stepping up
    /// (the hysteresis). Default 30.
    pub step_up_after_frames: u64,
    /// Frames after a switch before the next step-up or probe; step-downs are never held
    /// back. Default 15.
    pub min_frames_between_switches: u64,
    /// Frames between two probes. Default 8 (so the climb at start is quick; in steady
    /// state probes only happen once a rung's estimate is stale).
    pub probe_interval_frames: u64,
    /// Frames after each rung switch whose timings are not trusted: they teach the cost
    /// model nothing and do not count as an overrun (telemetry still records them). A probe
    /// runs `settle_frames + 2` frames, so it measures two settled frames. Default 1: on CPU
    /// devices the first frame after a switch often runs 20–60 % slow (code and caches
    /// cold), and one slow probe sample would stand as the rung's estimate until stale.
    pub settle_frames: u64,
    /// Frames after which a rung's last measurement is too old to step up on without
    /// probing it again. Default 300.
    pub stale_after_frames: u64,
    /// Rungs the controller may choose (the upscaler removes those the device cannot run).
    pub allowed: Vec<Rung>,
    /// Always use this rung (automatic control off). Takes precedence over `allowed`.
    pub fixed: Option<Rung>,
    /// Rungs best first. Rungs left out are ranked after those listed, in the default order.
    /// Default: f32, f16, int8, lite-int8, taau; see
    /// [`quality_order_from_psnr`](Self::quality_order_from_psnr) to take it from the
    /// model's validation PSNR.
    pub quality_order: Vec<Rung>,
    /// Prior relative cost of each rung, used only to predict rungs never measured (e.g.
    /// from the model's FLOP counts). Rungs left out use [`Rung::default_relative_cost`].
    pub prior_relative_cost: Vec<(Rung, f64)>,
    /// Milliseconds per frame of each rung measured before the first frame (the `Upscaler`
    /// times every rung at creation). When set, the first frame runs the best allowed rung
    /// whose time fits the budget, instead of the last resort: on a fast GPU the climb from
    /// `taau` wasted some 30 frames of quality. Empty: start on the last resort.
    pub start_cost_ms: Vec<(Rung, f64)>,
    /// Which knobs hold the frame time: the rung only (the default), the render scale only,
    /// or both ([`Adapt`]). Other than `Precision`, the upscaler runs a
    /// [`JointController`](crate::JointController) with [`ControllerSettings::joint`] and
    /// tells the embedder the render size it wants next (its `FrameInfo::next_render_size`);
    /// this type alone only books that controller's decisions ([`Controller::follow`]).
    pub adapt: Adapt,
    /// PSNR of each rung at each render scale, which `Resolution` and `Both` choose by;
    /// `None`: the built-in table measured with the built-in model.
    pub quality_table: Option<QualityTable>,
}

impl Default for ControllerSettings {
    /// 60 fps and the defaults documented on each field.
    fn default() -> Self {
        Self::from_target_fps(60.0)
    }
}

impl ControllerSettings {
    /// Settings holding `fps` frames per second, every rung allowed, defaults elsewhere.
    pub fn from_target_fps(fps: f64) -> Self {
        Self::from_target_frame_ms(1000.0 / fps)
    }

    /// Settings holding a frame time of `ms` milliseconds, every rung allowed.
    pub fn from_target_frame_ms(ms: f64) -> Self {
        Self {
            target_frame_ms: ms,
            margin: 0.1,
            step_up_after_frames: 30,
            min_frames_between_switches: 15,
            probe_interval_frames: 8,
            settle_frames: 1,
            stale_after_frames: 300,
            allowed: Rung::ALL.to_vec(),
            fixed: None,
            quality_order: Rung::ALL.to_vec(),
            prior_relative_cost: Vec::new(),
            start_cost_ms: Vec::new(),
            adapt: Adapt::Precision,
            quality_table: None,
        }
    }

    /// A quality order from measured validation PSNR (dB, higher is better): the rungs
    /// listed, best PSNR first (NaN last), then the neural rungs not listed in the default
    /// order, then `taau` — always last, as the last resort, whatever its PSNR.
    pub fn quality_order_from_psnr(psnr: &[(Rung, f64)]) -> Vec<Rung> {
        let mut listed: Vec<(Rung, f64)> = psnr.iter().copied().filter(|(r, _)| r.is_neural()).collect();
        listed.sort_by(|a, b| match (a.1.is_nan(), b.1.is_nan()) {
            (false, false) => b.1.total_cmp(&a.1),
            (x, y) => x.cmp(&y),
        });
        let mut order: Vec<Rung> = Vec::with_capacity(RUNGS);
        for r in listed.into_iter().map(|(r, _)| r).chain(Rung::ALL) {
            if !order.contains(&r) && r.is_neural() {
                order.push(r);
            }
        }
        order.push(Rung::Taau);
        order
    }

    /// Checks every field; the error names the field, the value and the range.
    pub fn validate(&self) -> Result<(), MonitorError> {
        let bad = |field, got: String, expected| Err(MonitorError::Setting { field, got, expected });
        validate_hold(self.target_frame_ms, self.margin, self.step_up_after_frames)?;
        if self.allowed.is_empty() && self.fixed.is_none() {
            return bad("allowed", "[]".into(), "a list of at least one rung (or a fixed rung)");
        }
        if let Some((r, c)) = self.prior_relative_cost.iter().find(|(_, c)| !(c.is_finite() && *c > 0.0)) {
            return bad("prior_relative_cost", format!("{r}: {c}"), "finite costs > 0");
        }
        if let Some(table) = &self.quality_table {
            table.validate()?;
        }
        Ok(())
    }

    /// The joint controller's settings for these ([`Adapt::Resolution`] or [`Adapt::Both`]),
    /// with `table` where `quality_table` is `None`: the same target, margin, hysteresis,
    /// allowed rungs (or the fixed one) and start-up costs.
    pub fn joint(&self, table: &QualityTable) -> JointSettings {
        let table = self.quality_table.clone().unwrap_or_else(|| table.clone());
        let mut joint = JointSettings::new(self.adapt, self.target_frame_ms, table);
        joint.margin = self.margin;
        joint.step_up_after_frames = self.step_up_after_frames;
        joint.min_frames_between_switches = self.min_frames_between_switches;
        joint.allowed = match self.fixed {
            Some(r) => vec![r],
            None => self.allowed.clone(),
        };
        joint.start_cost_ms = self.start_cost_ms.clone();
        joint
    }
}

/// Checks the settings every policy shares (the precision controller's and the joint one's):
/// the target, the margin and the step-up hysteresis; the error names the field.
pub(crate) fn validate_hold(target_frame_ms: f64, margin: f64, step_up_after_frames: u64) -> Result<(), MonitorError> {
    let bad = |field, got: String, expected| Err(MonitorError::Setting { field, got, expected });
    if !(target_frame_ms.is_finite() && target_frame_ms > 0.0) {
        return bad("target_frame_ms", target_frame_ms.to_string(), "a finite time > 0 ms");
    }
    if !(0.0..1.0).contains(&margin) {
        return bad("margin", margin.to_string(), "a fraction in [0, 1)");
    }
    if step_up_after_frames == 0 {
        return bad("step_up_after_frames", "0".into(), "at least 1");
    }
    Ok(())
}

/// Why the rung changed at a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SwitchReason {
    /// The first frame.
    Start,
    /// The last measurement showed the rung in use outside its budget.
    OverBudget,
    /// A better rung has fitted for `step_up_after_frames` observations.
    Headroom,
    /// A better rung run for `settle_frames + 2` frames to measure it.
    Probe,
    /// Back from a probe.
    ProbeReturn,
    /// The rung in use was taken out of the allowed set.
    Unavailable,
    /// A fixed rung was set.
    Fixed,
}

impl SwitchReason {
    /// The name written to telemetry: `start`, `over-budget`, `headroom`, `probe`,
    /// `probe-return`, `unavailable`, `fixed`.
    pub const fn name(self) -> &'static str {
        match self {
            SwitchReason::Start => "start",
            SwitchReason::OverBudget => "over-budget",
            SwitchReason::Headroom => "headroom",
            SwitchReason::Probe => "probe",
            SwitchReason::ProbeReturn => "probe-return",
            SwitchReason::Unavailable => "unavailable",
            SwitchReason::Fixed => "fixed",
        }
    }
}

impl fmt::Display for SwitchReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The timings of one past frame, as they come back from the GPU (2–3 frames late), with the
/// rung that frame used. Every time is optional: `None` means it did not come back.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameObservation {
    /// The frame these timings belong to.
    pub frame_index: u64,
    /// The rung that frame was upscaled with.
    pub rung_used: Rung,
    /// GPU time of the upscaler (all its passes), in milliseconds.
    pub upscaler_ms: Option<f64>,
    /// Time of everything else in the frame: the renderer's other GPU passes or the
    /// synthetic load, in milliseconds.
    pub other_ms: Option<f64>,
    /// The host's own measurement of the whole frame, upscaler included, in milliseconds.
    /// Without `other_ms`, the load is taken as `host_frame_ms − upscaler_ms`; with both,
    /// the larger of the two.
    pub host_frame_ms: Option<f64>,
    /// GPU time of each upscaler pass, for telemetry only.
    pub pass_ms: Vec<f64>,
}

impl FrameObservation {
    /// An observation of `frame_index` with every time missing; fill in what arrived.
    pub fn new(frame_index: u64, rung_used: Rung) -> Self {
        Self { frame_index, rung_used, upscaler_ms: None, other_ms: None, host_frame_ms: None, pass_ms: Vec::new() }
    }

    /// The upscaler's timings from the timestamp ring: `upscaler_ms` is the sum of the passes.
    pub fn from_timings(timings: &FrameTimings, rung_used: Rung) -> Self {
        Self {
            upscaler_ms: Some(timings.total_ms()),
            pass_ms: timings.pass_ms.clone(),
            ..Self::new(timings.frame_index, rung_used)
        }
    }

    /// Sets [`upscaler_ms`](Self::upscaler_ms).
    pub fn with_upscaler_ms(mut self, ms: f64) -> Self {
        self.upscaler_ms = Some(ms);
        self
    }

    /// Sets [`other_ms`](Self::other_ms).
    pub fn with_other_ms(mut self, ms: f64) -> Self {
        self.other_ms = Some(ms);
        self
    }

    /// Sets [`host_frame_ms`](Self::host_frame_ms).
    pub fn with_host_frame_ms(mut self, ms: f64) -> Self {
        self.host_frame_ms = Some(ms);
        self
    }
}

/// The rung to use for one frame and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The rung to upscale this frame with.
    pub rung: Rung,
    /// The upscaler time predicted for that rung, in milliseconds; `None` before any rung
    /// was measured.
    pub predicted_ms: Option<f64>,
    /// The upscaler's budget: target frame time minus the predicted load, in milliseconds
    /// (negative when the load alone overruns the target).
    pub budget_ms: f64,
    /// Why the rung differs from the previous frame's; `None` when it does not.
    pub reason: Option<SwitchReason>,
}

/// Counters of what the controller was fed and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ControllerStats {
    /// Observations received.
    pub observations: u64,
    /// Timings that were NaN, infinite or negative, and ignored.
    pub invalid_timings: u64,
    /// Observations older than one already received (used for the cost model only).
    pub out_of_order: u64,
    /// Observations arriving after their telemetry record was written without them.
    pub late_for_telemetry: u64,
    /// A second observation of the same frame, ignored.
    pub duplicates: u64,
    /// Observations of frames the controller has not decided yet, ignored.
    pub unknown_frames: u64,
    /// Telemetry records dropped because nobody drained them.
    pub telemetry_dropped: u64,
    /// Rung changes, probes excluded.
    pub switches: u64,
    /// Probes.
    pub probes: u64,
}

/// A rung's running cost estimate.
#[derive(Debug, Clone, Default)]
struct CostEstimate {
    recent: VecDeque<f64>,
    smoothed: Option<f64>,
    last_frame: Option<u64>,
    /// Samples since the controller last switched to this rung: until one arrives, the old
    /// estimate says nothing about the device's speed now.
    since_switch: u64,
}

impl CostEstimate {
    fn add(&mut self, ms: f64, frame: u64, stale_after: u64) {
        // Never measured here (at most seeded), stale, or the first sample since the controller
        // came back to this rung: start over from this sample.
        if self.since_switch == 0 || self.last_frame.is_none_or(|last| frame > last.saturating_add(stale_after)) {
            self.recent.clear();
            self.smoothed = None;
        }
        self.since_switch += 1;
        self.recent.push_back(ms);
        if self.recent.len() > COST_WINDOW {
            self.recent.pop_front();
        }
        let mut sorted: Vec<f64> = self.recent.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 { sorted[n / 2] } else { 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]) };
        self.smoothed = Some(match self.smoothed {
            None => median,
            Some(s) => s + COST_ALPHA * (median - s),
        });
        self.last_frame = Some(self.last_frame.map_or(frame, |l| l.max(frame)));
    }

    fn fresh(&self, now: u64, stale_after: u64) -> bool {
        self.last_frame.is_some_and(|l| now.saturating_sub(l) <= stale_after)
    }
}

struct Pending {
    record: TelemetryRecord,
    observed: bool,
}

/// Picks the rung of each frame from the timings of past frames. Call
/// [`next_rung`](Self::next_rung) once per frame before dispatching the upscaler, and
/// [`observe`](Self::observe) whenever a past frame's timings come back. Never touches the
/// GPU.
///
/// # Policy
///
/// * **Budget.** The upscaler's budget is `target_frame_ms − load`, where the predicted
///   load ("everything else" in the frame: [`FrameObservation::other_ms`], or
///   `host_frame_ms − upscaler_ms` when the host reports its whole frame) is
///   `max(latest, EWMA)` of the load reports: a rise is believed at once, a fall only as the
///   EWMA (α = 0.1) decays. Before any report the load is taken as 0. The step-up rule
///   alone judges headroom by the latest report (its hysteresis is the filter there).
/// * **Ladder.** The allowed rungs in quality order, less those predicted to cost at least
///   as much as a better rung (dominated: never worth running); the last one, the last
///   resort, always stays.
/// * **Fits.** A rung fits when its predicted cost is at most `budget · (1 − margin)`.
///   The rung in use is *kept* while its measured cost stays within `budget · (1 − margin/2)`;
///   the half margin between the two is the dead band that stops a rung sitting on the
///   threshold from flapping.
/// * **Step down at once.** The first observation that shows the rung in use over budget —
///   its measured cost in that frame above the whole budget, or its cost estimate outside
///   the keep threshold (the cost crept up, or the load rose) — makes the very next decision
///   step down to the best lower rung that fits,
///   or, when none does, to the allowed rung cheapest by prior cost (`taau`, the last resort).
///   The `settle_frames` frames after a switch are not evidence of an overrun (nor of a
///   rung's cost): on CPU devices they run slow for reasons that pass.
/// * **Step up after sustained headroom.** Each observation in which some better rung fits
///   extends a streak; any other observation ends it. After `step_up_after_frames`
///   observations in a row (and at least `min_frames_between_switches` frames after the last
///   switch) the controller steps up to the best rung that fits *and has a fresh
///   measurement*. Observations of frames from before the last switch do not count.
/// * **Probes.** A better rung that was never measured, or whose last measurement is older
///   than `stale_after_frames`, is run for `settle_frames + 2` frames (reason `probe`, then
///   `probe-return`), so that two settled frames measure it — but only when its prediction
///   is within the keep threshold `budget · (1 − margin/2)`, at most once per
///   `probe_interval_frames`, never within `min_frames_between_switches` of a switch, and one
///   rung at a time from the bottom of the ladder up (each probe's prediction is scaled from a near, measured neighbour). A probe
///   therefore overruns the budget only when the rung costs more than predicted by more than
///   `margin/2 · budget`. (The keep threshold rather than the fit threshold, so that a prior
///   that is somewhat pessimistic about a rung never measured does not hide it for ever.)
/// * **Start.** The first frame runs the best rung whose start-up time
///   (`start_cost_ms`) fits the budget, else the last resort; probes and the step-up rule
///   climb from there (from the last resort, to the top of the ladder in about 35 frames).
/// * **Fixed and allowed rungs.** A fixed rung is returned every frame (the cost model
///   keeps learning). Taking the rung in use out of the allowed set moves off it at the next
///   decision (reason `unavailable`).
///
/// One frame that overruns the budget (a GPU hitch) is enough to step down, as asked of the
/// policy; when the rung's estimate still fits (a hitch, not a load change), the way back up
/// takes only `min_frames_between_switches` observations of headroom instead of the full
/// hysteresis. A noisy frame that stays within
/// the budget only moves the (median-filtered) estimate.
///
/// # Cost model
///
/// Per rung: the median of its last 5 valid samples, smoothed by an EWMA (α = 0.3). The
/// median makes one outlier frame (a hitch, a late timestamp) move nothing; the EWMA smooths
/// the median's steps. Each time the controller moves to a rung, its next sample starts its
/// estimate afresh (an estimate from minutes ago says nothing about now).
///
/// A rung's cost is modelled as `prior · relative · speed`: its prior (the upscaler's
/// start-up timing, or [`Rung::default_relative_cost`]), a relative cost learned for that
/// rung, and one device speed shared by all rungs. The first rung measured sets the speed.
/// The first 5 samples after a step *up* (which follows sustained headroom, so the device
/// was steady) teach the rung's relative cost while the speed is still the one the previous
/// rung showed; a probe's 2 samples do too, but move a relative cost already known only
/// halfway (geometric mean), as one probe can land in a slow phase. Afterwards the rung in
/// use tracks the speed; a step *down* may come from the device slowing, so the new rung's
/// samples go to the speed at once. A rung never measured borrows the relative cost of the measured rung nearest to
/// it in prior. The rung in use is predicted by its own estimate; every other rung by the
/// model, so when the device slows or recovers (CPU devices drift by 25–50 % within a run,
/// GPUs change clocks) every rung's prediction follows the rung in use, and a rung measured
/// during a slow phase is not kept out after it. A [`seed_cost`](Controller::seed_cost)
/// stands in for the rung's estimate, and sets its relative cost when the first real
/// sample sets the speed. Reaction never waits for the model: step-down compares the raw
/// sample.
///
/// NaN, infinite or negative timings are ignored (counted in
/// [`ControllerStats::invalid_timings`]); a missing timing teaches nothing and neither
/// extends nor breaks a streak.
///
/// # Example
///
/// ```
/// use quantsr_monitor::{Controller, ControllerSettings, FrameObservation};
///
/// let mut controller = Controller::new(ControllerSettings::from_target_fps(60.0)).unwrap();
/// for frame in 0..100u64 {
///     if frame >= 2 {
///         // Timings of frame − 2 arrive now: the upscaler took 3 ms, everything else 8 ms.
///         let used = controller.decided_rung(frame - 2).unwrap();
///         controller.observe(FrameObservation::new(frame - 2, used).with_upscaler_ms(3.0).with_other_ms(8.0));
///     }
///     let decision = controller.next_rung(frame);
///     // … dispatch the upscaler with decision.rung …
///     # let _ = decision;
/// }
/// ```
pub struct Controller {
    settings: ControllerSettings,
    rank: [usize; RUNGS],
    allowed: [bool; RUNGS],
    prior: [f64; RUNGS],
    costs: [CostEstimate; RUNGS],
    /// Each rung's cost relative to its prior, learned from the samples taken right after
    /// switching to it, while the device speed is known from the rung before.
    relative: [f64; RUNGS],
    /// Samples of each rung still to learn its relative cost from.
    learning: [u64; RUNGS],
    /// For a rung being probed: its relative cost before the probe, which the probe's few
    /// samples move only halfway (in log) from.
    probed_from: [Option<f64>; RUNGS],
    /// The device's speed now: milliseconds per unit of prior cost, from the rung in use.
    speed: Option<f64>,
    /// The rung the controller has settled on (a probe returns to it).
    home: Option<Rung>,
    /// The rung being probed and the probe's frames still to run after the last decided one.
    probe: Option<(Rung, u64)>,
    last: Option<(u64, Decision)>,
    last_switch_frame: Option<u64>,
    last_probe_frame: Option<u64>,
    newest_observed: Option<u64>,
    load_latest: Option<f64>,
    load_ewma: Option<f64>,
    overrun: bool,
    headroom_streak: u64,
    /// The pending overrun is a hitch: one frame over budget while the rung's estimate fits.
    hitch: bool,
    pending: VecDeque<Pending>,
    stats: ControllerStats,
}

impl Controller {
    /// A controller with nothing measured yet. Fails when a setting is out of range.
    pub fn new(settings: ControllerSettings) -> Result<Self, MonitorError> {
        settings.validate()?;
        let mut c = Self {
            rank: [0; RUNGS],
            allowed: [false; RUNGS],
            prior: Rung::ALL.map(Rung::default_relative_cost),
            costs: Default::default(),
            relative: [1.0; RUNGS],
            learning: [0; RUNGS],
            probed_from: [None; RUNGS],
            speed: None,
            home: None,
            probe: None,
            last: None,
            last_switch_frame: None,
            last_probe_frame: None,
            newest_observed: None,
            load_latest: None,
            load_ewma: None,
            overrun: false,
            headroom_streak: 0,
            hitch: false,
            pending: VecDeque::new(),
            stats: ControllerStats::default(),
            settings,
        };
        c.apply_settings();
        Ok(c)
    }

    fn apply_settings(&mut self) {
        let mut order: Vec<Rung> = Vec::with_capacity(RUNGS);
        for r in self.settings.quality_order.iter().copied().chain(Rung::ALL) {
            if !order.contains(&r) {
                order.push(r);
            }
        }
        for (i, r) in order.into_iter().enumerate() {
            self.rank[r.index()] = i;
        }
        self.allowed = Rung::ALL.map(|r| self.settings.allowed.contains(&r));
        for &(r, c) in &self.settings.prior_relative_cost {
            self.prior[r.index()] = c;
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &ControllerSettings {
        &self.settings
    }

    /// Changes the target frame time (milliseconds); takes effect at the next decision.
    pub fn set_target_frame_ms(&mut self, ms: f64) -> Result<(), MonitorError> {
        let settings = ControllerSettings { target_frame_ms: ms, ..self.settings.clone() };
        settings.validate()?;
        self.settings = settings;
        self.headroom_streak = 0;
        Ok(())
    }

    /// Fixes the rung (`Some`) or turns automatic control back on (`None`).
    pub fn set_fixed(&mut self, fixed: Option<Rung>) {
        self.settings.fixed = fixed;
        self.headroom_streak = 0;
    }

    /// Changes the rungs the controller may choose, e.g. when the device loses one. When the
    /// rung in use is removed, the next decision moves off it (reason `unavailable`).
    pub fn set_allowed(&mut self, allowed: Vec<Rung>) -> Result<(), MonitorError> {
        let settings = ControllerSettings { allowed, ..self.settings.clone() };
        settings.validate()?;
        self.settings = settings;
        self.apply_settings();
        Ok(())
    }

    /// What the controller was fed and did so far.
    pub fn stats(&self) -> ControllerStats {
        self.stats
    }

    /// Seeds the cost of `rung` with a measurement taken elsewhere (a timed warm-up, the
    /// output of `quantsr bench`), in milliseconds. It stands in for the rung's estimate
    /// until real samples arrive, but counts as stale: stepping up to the rung still needs a
    /// probe. Invalid values are ignored and counted.
    pub fn seed_cost(&mut self, rung: Rung, ms: f64) {
        if !(ms.is_finite() && ms >= 0.0) {
            self.stats.invalid_timings += 1;
            return;
        }
        let c = &mut self.costs[rung.index()];
        c.recent.clear();
        c.recent.push_back(ms);
        c.smoothed = Some(ms);
        c.last_frame = None;
        c.since_switch = 0;
        if let Some(speed) = self.speed {
            self.relative[rung.index()] = ms / (self.prior[rung.index()] * speed);
        }
    }

    /// The cost estimate of `rung` from its own samples (or its seed), in milliseconds;
    /// `None` if it was never measured or seeded.
    pub fn measured_cost(&self, rung: Rung) -> Option<f64> {
        self.costs[rung.index()].smoothed
    }

    /// The predicted cost of `rung` in milliseconds: for the rung in use, its own estimate;
    /// for the others, their prior times their learned relative cost times the device speed
    /// the rung in use shows now; `None` before anything was measured.
    pub fn predicted_cost(&self, rung: Rung) -> Option<f64> {
        let i = rung.index();
        let c = &self.costs[i];
        if self.home == Some(rung) && c.since_switch > 0 {
            return c.smoothed;
        }
        if let Some(speed) = self.speed {
            return Some(self.prior[i] * self.relative_cost(rung) * speed);
        }
        if let Some(s) = c.smoothed {
            return Some(s);
        }
        let p = self.prior[i];
        Rung::ALL
            .into_iter()
            .filter_map(|m| self.costs[m.index()].smoothed.map(|s| (m, s)))
            .min_by(|a, b| self.prior_distance(a.0, p).total_cmp(&self.prior_distance(b.0, p)))
            .map(|(m, s)| s * p / self.prior[m.index()])
    }

    /// The relative cost of `rung`: learned, or for a rung never measured, that of the
    /// measured rung nearest to it in prior cost (priors are off by similar factors for
    /// similar rungs: the default ones for all neural rungs on lavapipe).
    fn relative_cost(&self, rung: Rung) -> f64 {
        if self.costs[rung.index()].smoothed.is_some() {
            return self.relative[rung.index()];
        }
        let p = self.prior[rung.index()];
        Rung::ALL
            .into_iter()
            .filter(|m| self.costs[m.index()].smoothed.is_some())
            .min_by(|&a, &b| self.prior_distance(a, p).total_cmp(&self.prior_distance(b, p)))
            .map_or(1.0, |m| self.relative[m.index()])
    }

    fn prior_distance(&self, m: Rung, p: f64) -> f64 {
        (self.prior[m.index()] / p).ln().abs()
    }

    /// The predicted load (everything but the upscaler) in milliseconds: the larger of the
    /// latest report and its EWMA; 0 before any report.
    pub fn predicted_load_ms(&self) -> f64 {
        match (self.load_latest, self.load_ewma) {
            (Some(l), Some(e)) => l.max(e),
            (l, e) => l.or(e).unwrap_or(0.0),
        }
    }

    /// The upscaler's budget now: target frame time minus the predicted load, in
    /// milliseconds.
    pub fn budget_ms(&self) -> f64 {
        self.settings.target_frame_ms - self.predicted_load_ms()
    }

    /// The budget the step-up rule judges headroom by: target frame time minus the latest
    /// load report alone. The hysteresis already asks for headroom in many frames in a row;
    /// the slow EWMA on top of it would hold a falling load back twice.
    fn headroom_budget_ms(&self) -> f64 {
        self.settings.target_frame_ms - self.load_latest.or(self.load_ewma).unwrap_or(0.0)
    }

    /// The rung decided for `frame`, while its telemetry record is still held (until
    /// drained); lets the host fill [`FrameObservation::rung_used`] without its own book.
    pub fn decided_rung(&self, frame: u64) -> Option<Rung> {
        self.pending.iter().rev().find(|p| p.record.frame == frame).map(|p| p.record.rung)
    }

    /// Decides the rung for `frame`. Frame indices must increase; asking again for the
    /// last decided frame (or an earlier one) returns the last decision unchanged.
    pub fn next_rung(&mut self, frame: u64) -> Decision {
        if let Some((f, d)) = &self.last
            && frame <= *f
        {
            return d.clone();
        }
        let budget = self.budget_ms();
        let (rung, why) = self.decide(frame, budget);
        let previous = self.last.as_ref().map(|(_, d)| d.rung);
        let reason = if previous == Some(rung) { None } else { Some(why.unwrap_or(SwitchReason::Start)) };
        let decision = Decision { rung, predicted_ms: self.predicted_cost(rung), budget_ms: budget, reason };
        self.record_decision(frame, decision)
    }

    /// Books a decision another policy made for `frame` (the joint controller of
    /// [`Adapt::Both`](crate::Adapt)): the frame's telemetry record is written from it and
    /// its timings, when they are observed, as for the controller's own decisions. Frames
    /// already decided return the earlier decision.
    pub fn follow(&mut self, frame: u64, decision: Decision) -> Decision {
        if let Some((f, d)) = &self.last
            && frame <= *f
        {
            return d.clone();
        }
        self.record_decision(frame, decision)
    }

    /// Sets the render size in frame `frame`'s telemetry record, if it is still held.
    pub fn set_render_size(&mut self, frame: u64, size: [u32; 2]) {
        if let Some(p) = self.pending.iter_mut().rev().find(|p| p.record.frame == frame) {
            p.record.render_size = Some(size);
        }
    }

    fn record_decision(&mut self, frame: u64, decision: Decision) -> Decision {
        let (rung, budget, reason) = (decision.rung, decision.budget_ms, decision.reason);
        self.pending.push_back(Pending {
            record: TelemetryRecord {
                frame,
                rung,
                upscaler_ms: None,
                load_ms: None,
                frame_ms: None,
                predicted_ms: decision.predicted_ms,
                budget_ms: Some(budget),
                reason,
                pass_ms: Vec::new(),
                render_size: None,
            },
            observed: false,
        });
        if self.pending.len() > MAX_PENDING_RECORDS {
            self.pending.pop_front();
            self.stats.telemetry_dropped += 1;
        }
        self.last = Some((frame, decision.clone()));
        decision
    }

    fn decide(&mut self, frame: u64, budget: f64) -> (Rung, Option<SwitchReason>) {
        let probe = self.probe.take();
        if let Some(fixed) = self.settings.fixed {
            self.overrun = false;
            self.switch_to(fixed, frame, SwitchReason::Fixed);
            return (fixed, Some(SwitchReason::Fixed));
        }
        let Some(home) = self.home else {
            let start = self.start_rung(budget).unwrap_or_else(|| self.cheapest_allowed());
            self.home = Some(start);
            return (start, Some(SwitchReason::Start));
        };
        if !self.allowed[home.index()] {
            let to = self.best_fitting(budget, |_| true).unwrap_or_else(|| self.cheapest_allowed());
            self.switch_to(to, frame, SwitchReason::Unavailable);
            return (to, Some(SwitchReason::Unavailable));
        }
        let hitch = std::mem::take(&mut self.hitch);
        let overrun = std::mem::take(&mut self.overrun);
        if overrun && let Some(to) = self.step_down_target(home, budget) {
            self.switch_to(to, frame, SwitchReason::OverBudget);
            if hitch {
                // A hitch is not a load change: the way back needs only the settling time.
                let s = &self.settings;
                self.headroom_streak = s.step_up_after_frames.saturating_sub(s.min_frames_between_switches);
            }
            return (to, Some(SwitchReason::OverBudget));
        }
        if let Some((rung, left)) = probe {
            if left > 0 && !overrun {
                self.probe = Some((rung, left - 1));
                return (rung, None);
            }
            return (home, Some(SwitchReason::ProbeReturn));
        }
        let s = &self.settings;
        let settled = self.last_switch_frame.is_none_or(|at| frame.saturating_sub(at) >= s.min_frames_between_switches);
        let home_rank = self.rank[home.index()];
        if settled && self.headroom_streak >= s.step_up_after_frames {
            let up = self
                .best_fitting(self.headroom_budget_ms(), |r| self.rank[r.index()] < home_rank && self.fresh(r, frame));
            if let Some(to) = up {
                self.switch_to(to, frame, SwitchReason::Headroom);
                return (to, Some(SwitchReason::Headroom));
            }
        }
        let probe_due = self.last_probe_frame.is_none_or(|at| frame.saturating_sub(at) >= s.probe_interval_frames);
        if settled
            && probe_due
            && let Some(to) = self.probe_candidate(home, budget, frame)
        {
            self.probe = Some((to, s.settle_frames + 1));
            self.last_probe_frame = Some(frame);
            self.start_probe(to);
            self.stats.probes += 1;
            return (to, Some(SwitchReason::Probe));
        }
        (home, None)
    }

    fn switch_to(&mut self, to: Rung, frame: u64, why: SwitchReason) {
        if self.home != Some(to) {
            if self.home.is_some() {
                self.stats.switches += 1;
            }
            // A step up follows sustained headroom: the device was steady, so the new rung's
            // first samples measure its relative cost. Any other switch may come from the
            // device slowing down: the new rung's samples then measure the device's speed.
            self.start_measuring(to, why == SwitchReason::Headroom);
            self.home = Some(to);
            self.last_switch_frame = Some(frame);
            self.headroom_streak = 0;
        }
    }

    /// The controller moves to `r` (for good or for a probe): its next samples start its
    /// estimate afresh. With `learn` (or when `r` was never measured), while the device speed
    /// is still known from the rung before, they teach its relative cost.
    fn start_measuring(&mut self, r: Rung, learn: bool) {
        let i = r.index();
        let c = &mut self.costs[i];
        self.learning[i] = if learn || c.smoothed.is_none() { COST_WINDOW as u64 } else { 0 };
        self.probed_from[i] = None;
        c.since_switch = 0;
    }

    /// Starts a probe of `r`: like [`start_measuring`](Self::start_measuring), but two
    /// samples are little evidence against a relative cost already known (on CPU devices a
    /// probe often lands in a slow phase the rung in use did not show), so they move it
    /// halfway.
    fn start_probe(&mut self, r: Rung) {
        let measured = self.costs[r.index()].smoothed.is_some();
        self.start_measuring(r, true);
        if measured {
            self.probed_from[r.index()] = Some(self.relative[r.index()]);
        }
    }

    /// Folds the new estimate of `r` into the cost model: the first rung ever measured sets
    /// the device speed (and the scale of seeded costs); a rung being learned, or measured
    /// while not in use, updates its relative cost; the rung in use then tracks the speed.
    fn learn(&mut self, r: Rung) {
        let i = r.index();
        let Some(ms) = self.costs[i].smoothed else { return };
        let unit = self.prior[i];
        match self.speed {
            None => {
                let speed = ms / (unit * self.relative[i]);
                self.speed = Some(speed);
                for (j, c) in self.costs.iter().enumerate() {
                    if j != i
                        && let Some(seed) = c.smoothed
                    {
                        self.relative[j] = seed / (self.prior[j] * speed);
                    }
                }
            }
            Some(speed) if self.learning[i] > 0 || self.home != Some(r) => {
                let measured = ms / (unit * speed);
                self.relative[i] = match self.probed_from[i] {
                    Some(before) => (before * measured).sqrt(),
                    None => measured,
                };
                self.learning[i] = self.learning[i].saturating_sub(1);
            }
            Some(_) => self.speed = Some(ms / (unit * self.relative[i])),
        }
    }

    fn fresh(&self, r: Rung, now: u64) -> bool {
        self.costs[r.index()].fresh(now, self.settings.stale_after_frames)
    }

    /// Whether `r` may be chosen: predicted within `budget · (1 − margin)`.
    fn fits(&self, r: Rung, budget: f64) -> bool {
        self.predicted_cost(r).is_some_and(|c| c <= budget * (1.0 - self.settings.margin))
    }

    /// The keep threshold: `budget · (1 − margin/2)`.
    fn keep_limit(&self, budget: f64) -> f64 {
        budget * (1.0 - 0.5 * self.settings.margin)
    }

    /// Allowed rungs that are worth running, best first: a rung predicted to cost at least
    /// as much as a better one is dominated and left out (the built-in model measures int8 as
    /// good as f32 at half the cost, so f32 and f16 are never worth it while int8 runs).
    fn by_quality(&self) -> impl Iterator<Item = Rung> + '_ {
        // Fixed-size arrays: this runs several times per frame and allocates nothing.
        let mut order = [Rung::Taau; RUNGS];
        let mut n = 0;
        for r in Rung::ALL.into_iter().filter(|r| self.allowed[r.index()]) {
            order[n] = r;
            n += 1;
        }
        order[..n].sort_by_key(|r| self.rank[r.index()]);
        let costs = order.map(|r| self.predicted_cost(r));
        // The last rung is the last resort and always stays (at small sizes a noisy sample
        // can make taau look dearer than lite-int8).
        let last = n.saturating_sub(1);
        let dominated =
            |i: usize| i < last && costs[i].is_some_and(|c| costs[..i].iter().any(|b| b.is_some_and(|b| b <= c)));
        let mut keep = [Rung::Taau; RUNGS];
        let mut k = 0;
        for i in (0..n).filter(|&i| !dominated(i)) {
            keep[k] = order[i];
            k += 1;
        }
        keep.into_iter().take(k)
    }

    /// The best allowed rung that passes `filter` and fits the budget with the margin.
    fn best_fitting(&self, budget: f64, filter: impl Fn(Rung) -> bool) -> Option<Rung> {
        self.by_quality().find(|&r| filter(r) && self.fits(r, budget))
    }

    /// The best allowed rung whose start-up time fits the budget (`None` without start-up
    /// times).
    fn start_rung(&self, budget: f64) -> Option<Rung> {
        let limit = budget * (1.0 - self.settings.margin);
        let cost = |r: Rung| self.settings.start_cost_ms.iter().find(|(s, _)| *s == r).map(|(_, c)| *c);
        self.by_quality().find(|&r| cost(r).is_some_and(|c| c.is_finite() && c > 0.0 && c <= limit))
    }

    /// The last resort: `taau` when it is allowed (it runs no network, so it is the cheapest on
    /// any device, whatever a noisy start-up timing at a tiny size said), else the allowed rung
    /// with the lowest prior cost; on a tie, the lower quality one. Priors rather than
    /// measurements: the last resort is usually measured only at start-up, when first frames
    /// are slow, and a stale sample must not make the controller believe its fallback dearer
    /// than the rung that is overrunning.
    fn cheapest_allowed(&self) -> Rung {
        if self.allowed[Rung::Taau.index()] {
            return Rung::Taau;
        }
        let prior = |r: Rung| self.prior[r.index()];
        self.by_quality()
            .min_by(|&a, &b| prior(a).total_cmp(&prior(b)).then(self.rank[b.index()].cmp(&self.rank[a.index()])))
            .or(self.settings.fixed)
            .unwrap_or(Rung::Taau)
    }

    /// Where to go when `home` overran: the best lower rung that fits, else the cheapest
    /// allowed rung; `None` when that is `home` itself.
    fn step_down_target(&self, home: Rung, budget: f64) -> Option<Rung> {
        let home_rank = self.rank[home.index()];
        let to =
            self.best_fitting(budget, |r| self.rank[r.index()] > home_rank).unwrap_or_else(|| self.cheapest_allowed());
        (to != home).then_some(to)
    }

    /// The rung to probe: never measured or stale, better than both `home` and the best
    /// fresh rung that fits, predicted within the keep threshold; the lowest such rung in
    /// quality (the ladder is climbed one rung at a time).
    fn probe_candidate(&self, home: Rung, budget: f64, frame: u64) -> Option<Rung> {
        let home_rank = self.rank[home.index()];
        let floor = self
            .best_fitting(budget, |r| self.rank[r.index()] < home_rank && self.fresh(r, frame))
            .map_or(home_rank, |r| self.rank[r.index()]);
        self.by_quality()
            .filter(|&r| {
                self.rank[r.index()] < floor
                    && !self.fresh(r, frame)
                    && self.predicted_cost(r).is_some_and(|c| c <= self.keep_limit(budget))
            })
            .last()
    }

    /// Feeds the timings of a past frame. Call it whenever timings come back, in any order;
    /// invalid numbers (NaN, infinite, negative) are ignored and counted. An observation
    /// showing the rung in use over its budget makes the next [`next_rung`](Self::next_rung)
    /// step down.
    pub fn observe(&mut self, obs: FrameObservation) {
        self.stats.observations += 1;
        let frame = obs.frame_index;
        if self.last.as_ref().is_none_or(|(decided, _)| frame > *decided) {
            self.stats.unknown_frames += 1;
            return;
        }
        let mut clean = |x: Option<f64>| match x {
            Some(v) if v.is_finite() && v >= 0.0 => Some(v),
            Some(_) => {
                self.stats.invalid_timings += 1;
                None
            }
            None => None,
        };
        let load_reported = obs.other_ms.is_some() || obs.host_frame_ms.is_some();
        let upscaler = clean(obs.upscaler_ms);
        let other = clean(obs.other_ms);
        let host = clean(obs.host_frame_ms);
        let mut pass_ms = obs.pass_ms;
        if pass_ms.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
            self.stats.invalid_timings += 1;
            pass_ms.clear();
        }
        let from_host = host.zip(upscaler).map(|(h, u)| (h - u).max(0.0));
        let load = match (other, from_host) {
            (Some(o), Some(h)) => Some(o.max(h)),
            (o, h) => o.or(h),
        };

        let settling = self.settling(frame);
        match self.pending.iter_mut().rev().find(|p| p.record.frame == frame) {
            Some(p) if p.observed => {
                self.stats.duplicates += 1;
                return;
            }
            Some(p) => {
                p.observed = true;
                let r = &mut p.record;
                r.rung = obs.rung_used;
                r.upscaler_ms = upscaler;
                r.load_ms = load;
                // Without a report of anything else, the frame is the upscaler's alone; with an
                // invalid report, it is unknown.
                r.frame_ms = host.or(match (upscaler, load) {
                    (Some(u), Some(l)) => Some(u + l),
                    (Some(u), None) if !load_reported => Some(u),
                    _ => None,
                });
                r.pass_ms = pass_ms;
            }
            None => self.stats.late_for_telemetry += 1,
        }

        if let Some(u) = upscaler
            && !settling
        {
            self.costs[obs.rung_used.index()].add(u, frame, self.settings.stale_after_frames);
            self.learn(obs.rung_used);
        }
        if self.newest_observed.is_none_or(|n| frame > n) {
            self.newest_observed = Some(frame);
            if let Some(l) = load {
                self.load_latest = Some(l);
                self.load_ewma = Some(self.load_ewma.map_or(l, |e| e + LOAD_ALPHA * (l - e)));
            }
        } else {
            self.stats.out_of_order += 1;
        }
        if upscaler.is_none() && load.is_none() {
            return;
        }
        let Some(home) = self.home else { return };
        if self.settings.fixed.is_some() {
            return;
        }

        let budget = self.budget_ms();
        let since_switch = self.last_switch_frame.is_none_or(|at| frame >= at);
        // Over budget: this frame's rung overran the budget itself, or the estimate of the rung
        // in use left the keep band (its cost crept up, or the load rose). One noisy frame that
        // stays within the budget is not an overrun.
        let overran = upscaler.is_some_and(|u| obs.rung_used == home && since_switch && !settling && u > budget);
        let creeping = self.predicted_cost(home).is_some_and(|c| c > self.keep_limit(budget));
        if overran || creeping {
            self.overrun = true;
            self.hitch = !creeping;
            self.headroom_streak = 0;
            return;
        }
        if since_switch {
            let home_rank = self.rank[home.index()];
            if self.best_fitting(self.headroom_budget_ms(), |r| self.rank[r.index()] < home_rank).is_some() {
                self.headroom_streak += 1;
            } else {
                self.headroom_streak = 0;
            }
        }
    }

    /// Whether `frame` is one of the first `settle_frames` frames after a rung switch (known
    /// from the decisions still held; a frame whose record is gone counts as settled).
    fn settling(&self, frame: u64) -> bool {
        if self.settings.settle_frames == 0 {
            return false;
        }
        let Some(at) = self.pending.iter().rposition(|p| p.record.frame == frame) else { return false };
        let first = at.saturating_sub(self.settings.settle_frames.saturating_sub(1) as usize);
        self.pending.range(first..=at).any(|p| p.record.reason.is_some())
    }

    /// Telemetry records that are complete (their timings arrived, or did not within
    /// [`TELEMETRY_HORIZON_FRAMES`]), in frame order, removed from the controller. Call it
    /// every frame or now and then; at most 8192 records are held.
    pub fn drain_telemetry(&mut self) -> Vec<TelemetryRecord> {
        let newest = self.last.as_ref().map_or(0, |(f, _)| *f);
        let mut out = Vec::new();
        while let Some(p) = self.pending.front() {
            if !(p.observed || p.record.frame + TELEMETRY_HORIZON_FRAMES <= newest) {
                break;
            }
            out.extend(self.pending.pop_front().map(|p| p.record));
        }
        out
    }

    /// Every telemetry record still held, complete or not (for the end of a run).
    pub fn finish_telemetry(&mut self) -> Vec<TelemetryRecord> {
        self.pending.drain(..).map(|p| p.record).collect()
    }
}

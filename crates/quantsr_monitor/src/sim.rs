//! A closed-loop simulation of the [`Controller`] on scripted costs and loads, with timings
//! delivered frames late, and the figures that say how well it did. No GPU: this is how the
//! policy is tested, and how a change to it is judged before it meets a real device.
//!
//! # Figures ([`SimMetrics`])
//!
//! All are taken over the frames after the warm-up. With `D` the delivery latency and `N`
//! the step-up hysteresis (`step_up_after_frames`):
//!
//! * A rung is **feasible** at a frame when its true cost fits the controller's own
//!   criterion: `cost ≤ (target − load) · (1 − margin)`.
//! * The **best feasible** rung at a frame is the best allowed rung that has been feasible
//!   at every one of the last `H = N + D` frames (the cheapest allowed rung if none, and
//!   before `H` frames have run): a controller with hysteresis is not expected to climb
//!   before headroom has lasted `N` observations, the first of which arrives `D` frames
//!   late. The **instantaneous best** is the best rung feasible at the frame itself.
//! * A frame is **on the best feasible rung** when its rung lies between the two: no better
//!   than the instantaneous best, no worse than the sustained best. So a controller that
//!   rides out a short load spike on its rung, within the target, is not told it should
//!   have stepped down and waited out the hysteresis; one that is late to climb after the
//!   headroom has lasted `H` frames, or that steps down without need, is counted off.
//!   Unforeseeable frames (below) are left out, as for the budget.
//! * A frame is **unforeseeable** when the instantaneous best feasible rung dropped at it or
//!   at one of the `D − 1` frames before: the load jumped and the first measurement showing
//!   it has not arrived yet. Nothing can keep those frames in budget, so
//!   [`within_budget_pct`](SimMetrics::within_budget_pct) leaves them out (and frames where
//!   even the cheapest rung overruns); [`within_budget_all_pct`](SimMetrics::within_budget_all_pct)
//!   counts every frame.
//! * A frame is **near a load change** when the instantaneous best feasible rung changed
//!   (either way) at it or within the `H` frames before. Switches outside those windows are
//!   the controller's own restlessness: [`steady_switches_per_30`](SimMetrics::steady_switches_per_30).

use crate::{Controller, ControllerSettings, FrameObservation, MonitorError, Rung, SwitchReason, TelemetryRecord};

/// The conditions of a simulated run.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The load of each frame in milliseconds; its length is the number of frames.
    pub load_ms: Vec<f64>,
    /// Frames between a frame and the arrival of its timings (observation of frame `f` is fed
    /// just before the decision for frame `f + latency_frames`). At least 1.
    pub latency_frames: u64,
    /// Frames at the start left out of the figures.
    pub warmup_frames: u64,
    /// Relative noise on the upscaler's cost: each frame's cost is multiplied by a
    /// uniform factor in `[1 − noise, 1 + noise]`.
    pub noise: f64,
    /// Seed of the noise.
    pub seed: u64,
}

impl Scenario {
    /// A scenario with timings two frames late, a 60-frame warm-up and no noise.
    pub fn new(load_ms: Vec<f64>) -> Self {
        Self { load_ms, latency_frames: 2, warmup_frames: 60, noise: 0.0, seed: 1 }
    }
}

/// One simulated frame.
#[derive(Debug, Clone, PartialEq)]
pub struct SimFrame {
    /// Frame index.
    pub frame: u64,
    /// The controller's decision.
    pub rung: Rung,
    /// Why the rung changed, if it did.
    pub reason: Option<SwitchReason>,
    /// The cost the controller predicted.
    pub predicted_ms: Option<f64>,
    /// The budget the controller assumed.
    pub budget_ms: f64,
    /// The upscaler's simulated cost (noise included).
    pub upscaler_ms: f64,
    /// The frame's load.
    pub load_ms: f64,
    /// Best feasible rung sustained over the window (see the module documentation).
    pub best_feasible: Rung,
    /// Best rung feasible at this frame alone.
    pub best_now: Rung,
    /// Whether the frame is unforeseeable.
    pub unforeseeable: bool,
    /// Whether even the cheapest allowed rung overruns the target.
    pub infeasible: bool,
    /// Whether the frame is near a load change.
    pub near_change: bool,
}

impl SimFrame {
    /// Upscaler plus load, in milliseconds.
    pub fn frame_ms(&self) -> f64 {
        self.upscaler_ms + self.load_ms
    }
}

/// The figures of a run (see the module documentation for the definitions).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimMetrics {
    /// Frames after the warm-up.
    pub frames: u64,
    /// % of frames within the target frame time, unforeseeable and infeasible ones left out.
    pub within_budget_pct: f64,
    /// % of frames within the target frame time, all frames.
    pub within_budget_all_pct: f64,
    /// % of foreseeable frames on the best feasible rung: between the instantaneous and the
    /// sustained best (see the module documentation).
    pub best_feasible_pct: f64,
    /// % of frames on the best feasible rung or a better one.
    pub at_least_best_feasible_pct: f64,
    /// Rung changes (probes included) per 30 frames.
    pub switches_per_30: f64,
    /// Rung changes (probes included) per 30 frames, counting only frames not near a load
    /// change.
    pub steady_switches_per_30: f64,
    /// Frames not near a load change.
    pub steady_frames: u64,
    /// Probes.
    pub probes: u64,
    /// The largest overrun of the target by a frame of a probe, in milliseconds (0 if none
    /// overran).
    pub max_probe_overrun_ms: f64,
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct SimReport {
    /// Every frame.
    pub frames: Vec<SimFrame>,
    /// The controller's telemetry, one record per frame.
    pub telemetry: Vec<TelemetryRecord>,
    /// The figures.
    pub metrics: SimMetrics,
}

/// Runs the controller over `scenario`, with `cost(rung, frame)` the true upscaler cost in
/// milliseconds (before noise).
pub fn simulate(
    settings: &ControllerSettings,
    scenario: &Scenario,
    cost: impl Fn(Rung, u64) -> f64,
) -> Result<SimReport, MonitorError> {
    let mut controller = Controller::new(settings.clone())?;
    let n = scenario.load_ms.len() as u64;
    let latency = scenario.latency_frames.max(1);
    let mut rng = scenario.seed.max(1);
    let mut ran: Vec<(Rung, f64)> = Vec::with_capacity(n as usize);
    let mut frames = Vec::with_capacity(n as usize);
    let mut telemetry = Vec::with_capacity(n as usize);
    let observation = |j: u64, ran: &[(Rung, f64)]| {
        let (rung, ms) = ran[j as usize];
        FrameObservation::new(j, rung).with_upscaler_ms(ms).with_other_ms(scenario.load_ms[j as usize])
    };
    for f in 0..n {
        if f >= latency {
            controller.observe(observation(f - latency, &ran));
        }
        let d = controller.next_rung(f);
        let u = uniform(&mut rng);
        let ms = cost(d.rung, f) * (1.0 + scenario.noise * u);
        ran.push((d.rung, ms));
        frames.push(SimFrame {
            frame: f,
            rung: d.rung,
            reason: d.reason,
            predicted_ms: d.predicted_ms,
            budget_ms: d.budget_ms,
            upscaler_ms: ms,
            load_ms: scenario.load_ms[f as usize],
            best_feasible: d.rung,
            best_now: d.rung,
            unforeseeable: false,
            infeasible: false,
            near_change: false,
        });
        telemetry.extend(controller.drain_telemetry());
    }
    for j in n.saturating_sub(latency)..n {
        controller.observe(observation(j, &ran));
    }
    telemetry.extend(controller.finish_telemetry());

    label(settings, scenario, &cost, &mut frames);
    let metrics = measure(settings, scenario, &frames);
    Ok(SimReport { frames, telemetry, metrics })
}

/// The figures of a run recorded on a real device (its telemetry, one record per frame in
/// frame order), judged as a simulated run would be: `cost(rung, i)` is each rung's true cost
/// at the `i`-th record (e.g. the median of a run fixed on that rung, times
/// [`device_speed`]), `latency_frames` how late timings reached the controller. A record
/// whose timings never arrived counts at its rung's cost and the previous frame's load. A
/// frame that ran on the cheapest allowed rung and still overran the target is infeasible
/// by measurement: no rung could have held it.
pub fn assess(
    settings: &ControllerSettings,
    records: &[TelemetryRecord],
    cost: impl Fn(Rung, u64) -> f64,
    warmup_frames: u64,
    latency_frames: u64,
) -> SimMetrics {
    let mut load = 0.0;
    let mut frames: Vec<SimFrame> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            load = r.load_ms.unwrap_or(load);
            SimFrame {
                frame: r.frame,
                rung: r.rung,
                reason: r.reason,
                predicted_ms: r.predicted_ms,
                budget_ms: r.budget_ms.unwrap_or(f64::NAN),
                upscaler_ms: r.upscaler_ms.unwrap_or_else(|| cost(r.rung, i as u64)),
                load_ms: load,
                best_feasible: r.rung,
                best_now: r.rung,
                unforeseeable: false,
                infeasible: false,
                near_change: false,
            }
        })
        .collect();
    let scenario = Scenario {
        load_ms: frames.iter().map(|f| f.load_ms).collect(),
        latency_frames,
        warmup_frames,
        ..Scenario::new(Vec::new())
    };
    label(settings, &scenario, &cost, &mut frames);
    let target = settings.target_frame_ms;
    for (i, fr) in frames.iter_mut().enumerate() {
        if fr.rung == cheapest_rung(settings, &cost, i as u64) && fr.frame_ms() > target {
            fr.infeasible = true;
        }
    }
    measure(settings, &scenario, &frames)
}

/// Frames on each side of a record that [`device_speed`] takes its median over.
pub const SPEED_HALF_WINDOW: usize = 4;

/// How fast the device ran at each record of a real run, relative to `reference(rung)` (each
/// rung's cost in some other run, e.g. the median of a run fixed on it): the median, over
/// the records within [`SPEED_HALF_WINDOW`] on either side, of each frame's measured upscaler
/// time divided by its rung's reference. Frames at a switch and the one after it (slow on
/// CPU devices for reasons that pass) are left out; 1 where a window has no sample. On a
/// CPU device the same rung's cost drifts by 25–50 % within and between runs: judging a run
/// by constant costs would count a controller that follows the device as wrong.
pub fn device_speed(records: &[TelemetryRecord], reference: impl Fn(Rung) -> f64) -> Vec<f64> {
    let ratio: Vec<Option<f64>> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let switched = r.reason.is_some() || (i > 0 && records[i - 1].reason.is_some());
            let reference = reference(r.rung);
            r.upscaler_ms.filter(|_| !switched && reference.is_finite() && reference > 0.0).map(|ms| ms / reference)
        })
        .collect();
    (0..records.len())
        .map(|i| {
            let window = i.saturating_sub(SPEED_HALF_WINDOW)..(i + SPEED_HALF_WINDOW + 1).min(records.len());
            let mut v: Vec<f64> = ratio[window].iter().flatten().copied().filter(|x| x.is_finite()).collect();
            if v.is_empty() {
                return 1.0;
            }
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        })
        .collect()
}

/// The allowed rung that costs least at frame `f` (taau when none is allowed).
fn cheapest_rung(settings: &ControllerSettings, cost: &impl Fn(Rung, u64) -> f64, f: u64) -> Rung {
    settings.allowed.iter().copied().min_by(|&a, &b| cost(a, f).total_cmp(&cost(b, f))).unwrap_or(Rung::Taau)
}

/// Fills in the ground truth of each frame: best feasible rung, unforeseeable, near a change.
fn label(
    settings: &ControllerSettings,
    scenario: &Scenario,
    cost: &impl Fn(Rung, u64) -> f64,
    frames: &mut [SimFrame],
) {
    let allowed: Vec<Rung> = quality_order(settings).into_iter().filter(|r| settings.allowed.contains(r)).collect();
    let target = settings.target_frame_ms;
    let feasible = |r: Rung, f: u64, load: f64| cost(r, f) <= (target - load) * (1.0 - settings.margin);
    let cheapest = |f: u64| cheapest_rung(settings, cost, f);
    let rank = |r: Rung| allowed.iter().position(|&a| a == r).unwrap_or(usize::MAX);
    let loads = &scenario.load_ms;
    let best_now: Vec<Rung> = (0..frames.len() as u64)
        .map(|f| allowed.iter().copied().find(|&r| feasible(r, f, loads[f as usize])).unwrap_or_else(|| cheapest(f)))
        .collect();
    let latency = scenario.latency_frames.max(1) as usize;
    let window = (settings.step_up_after_frames + scenario.latency_frames) as usize;
    for (i, fr) in frames.iter_mut().enumerate() {
        let f = i as u64;
        let start = (i + 1).saturating_sub(window);
        fr.best_now = best_now[i];
        fr.best_feasible = if i + 1 < window {
            cheapest(f)
        } else {
            allowed
                .iter()
                .copied()
                .find(|&r| (start..=i).all(|j| feasible(r, j as u64, loads[j])))
                .unwrap_or_else(|| cheapest(f))
        };
        let dropped_at = |j: usize| j >= 1 && rank(best_now[j]) > rank(best_now[j - 1]);
        let changed_at = |j: usize| j >= 1 && best_now[j] != best_now[j - 1];
        fr.unforeseeable = ((i + 1).saturating_sub(latency)..=i).any(dropped_at);
        fr.near_change = (start..=i).any(changed_at);
        let c = cheapest(f);
        fr.infeasible = cost(c, f) + loads[i] > target;
    }
}

fn measure(settings: &ControllerSettings, scenario: &Scenario, frames: &[SimFrame]) -> SimMetrics {
    let target = settings.target_frame_ms;
    let order = quality_order(settings);
    let rank = |r: Rung| order.iter().position(|&a| a == r).unwrap_or(usize::MAX);
    let warm: Vec<&SimFrame> = frames.iter().filter(|f| f.frame >= scenario.warmup_frames).collect();
    let pct = |num: usize, den: usize| if den == 0 { 100.0 } else { 100.0 * num as f64 / den as f64 };
    let within = |f: &SimFrame| f.frame_ms() <= target;
    let foreseen: Vec<&SimFrame> = warm.iter().copied().filter(|f| !f.unforeseeable).collect();
    let foreseeable: Vec<&SimFrame> = foreseen.iter().copied().filter(|f| !f.infeasible).collect();
    let switched = |f: &SimFrame| f.frame > 0 && f.reason.is_some();
    let steady: Vec<&SimFrame> = warm.iter().copied().filter(|f| !f.near_change).collect();
    let per_30 =
        |switches: usize, frames: usize| if frames == 0 { 0.0 } else { 30.0 * switches as f64 / frames as f64 };
    // A probe's frames run from its `probe` frame to the one before its `probe-return`.
    let mut probing = false;
    let probe_frames: Vec<&SimFrame> = frames
        .iter()
        .filter(|f| {
            if f.reason.is_some() {
                probing = f.reason == Some(SwitchReason::Probe);
            }
            probing
        })
        .collect();
    SimMetrics {
        frames: warm.len() as u64,
        within_budget_pct: pct(foreseeable.iter().filter(|f| within(f)).count(), foreseeable.len()),
        within_budget_all_pct: pct(warm.iter().filter(|f| within(f)).count(), warm.len()),
        best_feasible_pct: pct(
            foreseen.iter().filter(|f| (rank(f.best_now)..=rank(f.best_feasible)).contains(&rank(f.rung))).count(),
            foreseen.len(),
        ),
        at_least_best_feasible_pct: pct(
            warm.iter().filter(|f| rank(f.rung) <= rank(f.best_feasible)).count(),
            warm.len(),
        ),
        switches_per_30: per_30(warm.iter().filter(|f| switched(f)).count(), warm.len()),
        steady_switches_per_30: per_30(steady.iter().filter(|f| switched(f)).count(), steady.len()),
        steady_frames: steady.len() as u64,
        probes: frames.iter().filter(|f| f.reason == Some(SwitchReason::Probe)).count() as u64,
        max_probe_overrun_ms: probe_frames.iter().map(|f| (f.frame_ms() - target).max(0.0)).fold(0.0, f64::max),
    }
}

/// The controller's quality order: the settings' list, then the rungs it left out.
fn quality_order(settings: &ControllerSettings) -> Vec<Rung> {
    let mut order = Vec::new();
    for r in settings.quality_order.iter().copied().chain(Rung::ALL) {
        if !order.contains(&r) {
            order.push(r);
        }
    }
    order
}

/// xorshift64*: a uniform number in [−1, 1].
fn uniform(state: &mut u64) -> f64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    let x = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
    (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
}

/// One frame of a simulated [`JointController`](crate::JointController) run.
#[derive(Debug, Clone, PartialEq)]
pub struct JointFrame {
    /// Frame index.
    pub frame: u64,
    /// The controller's decision.
    pub decision: crate::JointDecision,
    /// The upscaler's simulated cost at the chosen setting (noise included).
    pub upscaler_ms: f64,
    /// The frame's load at the chosen render scale.
    pub load_ms: f64,
    /// The quality table's PSNR of the chosen setting.
    pub psnr: f64,
    /// Whether the load rose by more than half the margin since the newest frame whose
    /// timings had arrived: no controller could have foreseen it.
    pub unforeseeable: bool,
}

impl JointFrame {
    /// Upscaler plus load.
    pub fn frame_ms(&self) -> f64 {
        self.upscaler_ms + self.load_ms
    }
}

/// Runs a [`JointController`](crate::JointController) with `settings` for `frames` frames:
/// `load(frame, pixels)` is the true load of a frame that renders the fraction `pixels` of the
/// maximum render size's pixels, `cost(rung, pixels)` the upscaler's true cost there (before
/// a relative noise `noise`), and timings arrive `latency_frames` late.
pub fn simulate_joint(
    settings: &crate::JointSettings,
    frames: u64,
    load: impl Fn(u64, f64) -> f64,
    cost: impl Fn(Rung, f64) -> f64,
    latency_frames: u64,
    noise: f64,
) -> Result<Vec<JointFrame>, MonitorError> {
    let mut controller = crate::JointController::new(settings.clone())?;
    let latency = latency_frames.max(1);
    let mut rng = 7u64;
    let mut out: Vec<JointFrame> = Vec::with_capacity(frames as usize);
    for f in 0..frames {
        if f >= latency {
            let seen = &out[(f - latency) as usize];
            controller.observe(crate::JointObservation {
                rung: seen.decision.rung,
                scale: seen.decision.scale,
                upscaler_ms: seen.upscaler_ms,
                load_ms: seen.load_ms,
            });
        }
        let decision = controller.next(f);
        let pixels = decision.scale * decision.scale;
        let upscaler_ms = cost(decision.rung, pixels) * (1.0 + noise * uniform(&mut rng));
        let known = if f >= latency { load(f - latency, 1.0) } else { 0.0 };
        out.push(JointFrame {
            frame: f,
            decision,
            upscaler_ms,
            load_ms: load(f, pixels),
            psnr: settings.table.psnr(decision.rung, decision.scale_index).unwrap_or(f64::NAN),
            unforeseeable: load(f, 1.0) > known + 0.5 * settings.margin * settings.target_frame_ms,
        });
    }
    Ok(out)
}

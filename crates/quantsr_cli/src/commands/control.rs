//! The precision controller's options shared by `quantsr upscale` and `quantsr eval`
//! (`--target-fps`, `--load`, `--timing`), and the figures a controlled run is judged by.

use std::collections::BTreeMap;

use anyhow::bail;
use quantsr_eval::{Method, SequenceRunner};
use quantsr_monitor::sim::{SimMetrics, assess, device_speed};
use quantsr_monitor::{Adapt, ControllerSettings, LoadProfile, Rung, TelemetryRecord};
use quantsr_upscaler::{Precision, TimingSource};
use serde::Serialize;

/// Target used by `--precision auto` when no `--target-fps` is given.
pub const DEFAULT_TARGET_FPS: f64 = 60.0;

/// Frames at the start of a run left out of its figures (the controller's climb from the
/// cheapest rung takes about 35 frames).
pub const WARMUP_FRAMES: u64 = 60;

/// Frames between a frame and its timings reaching the controller in a sequence run: the
/// runner waits for each frame's output, so they arrive at the next frame; one more is
/// allowed for the report of the load.
pub const LATENCY_FRAMES: u64 = 2;

/// How frames are timed for the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TimingArg {
    /// Timestamp queries where the device has them, completion times otherwise.
    Auto,
    /// Timestamp queries around every pass.
    Timestamps,
    /// Completion times of submitted work (works on every device).
    Completion,
}

/// The controller's options.
#[derive(Debug, Clone, clap::Args)]
pub struct ControlArgs {
    /// Frame rate the precision controller holds (with --precision auto; default 60). With a
    /// fixed precision it sets the budget the telemetry measures against.
    #[arg(long, value_parser = parse_fps)]
    pub target_fps: Option<f64>,
    /// Synthetic GPU load run before the upscaler each frame, as a renderer's own passes:
    /// steady:MS, ramp:A-B, spikes[:BASE-PEAK], trace:FILE, or a sum of them joined by `+`
    /// (e.g. ramp:10-60+spikes:0-30).
    #[arg(long, value_parser = parse_load)]
    pub load: Option<LoadArg>,
    /// Safety margin of the controller, a fraction of the budget: a rung is chosen only if
    /// its predicted cost fits within budget × (1 − margin). Raise it on devices whose frame
    /// times are noisy (lavapipe: 0.25).
    #[arg(long, default_value_t = 0.1, value_parser = parse_margin)]
    pub margin: f64,
    /// Frames of sustained headroom before the controller steps up to a better rung.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub hysteresis: u64,
    /// How frames are timed for the controller.
    #[arg(long, value_enum, default_value = "auto")]
    pub timing: TimingArg,
}

fn parse_margin(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..0.9).contains(&v) { Ok(v) } else { Err(format!("{v} is outside [0, 0.9)")) }
}

fn parse_fps(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if v.is_finite() && v > 0.0 { Ok(v) } else { Err(format!("{v} is not a frame rate > 0")) }
}

/// A `--load` profile, parsed once (a trace file is read once), with its text for titles.
#[derive(Debug, Clone)]
pub struct LoadArg {
    /// As written on the command line.
    pub spec: String,
    /// The parsed profile.
    pub profile: LoadProfile,
}

fn parse_load(s: &str) -> Result<LoadArg, String> {
    let profile = LoadProfile::parse(s).map_err(|e| e.to_string())?;
    Ok(LoadArg { spec: s.to_owned(), profile })
}

impl ControlArgs {
    /// Whether the run needs the controller: automatic precision, a target, or a load.
    pub fn wanted(&self, precision: Option<Precision>) -> bool {
        precision == Some(Precision::Auto) || self.target_fps.is_some() || self.load.is_some()
    }

    /// The load as given on the command line, or `none`.
    pub fn load_name(&self) -> String {
        self.load.as_ref().map_or_else(|| "none".into(), |l| l.spec.clone())
    }

    /// The target frame rate in force.
    pub fn target_fps(&self) -> f64 {
        self.target_fps.unwrap_or(DEFAULT_TARGET_FPS)
    }

    /// Turns the controller (and the load) on for `runner`, a run of `frames` frames of
    /// `method`; rejects them for spatial methods.
    pub fn apply(&self, runner: &mut SequenceRunner, method: Method, frames: u64) -> anyhow::Result<()> {
        self.apply_with(runner, method, frames, Adapt::Precision)
    }

    /// As [`ControlArgs::apply`], with the controller turning the knobs `adapt` names.
    pub fn apply_with(
        &self,
        runner: &mut SequenceRunner,
        method: Method,
        frames: u64,
        adapt: Adapt,
    ) -> anyhow::Result<()> {
        if !matches!(method, Method::Taau | Method::Neural(_)) {
            bail!(
                "--precision auto, --target-fps and --load need a temporal method (taau or neural), not {}",
                method.name()
            );
        }
        let timing = match self.timing {
            TimingArg::Auto => None,
            TimingArg::Timestamps => Some(TimingSource::Timestamps),
            TimingArg::Completion => Some(TimingSource::Completion),
        };
        runner.enable_controller(self.target_fps(), self.margin, self.hysteresis, timing, adapt)?;
        if let Some(load) = &self.load {
            runner.set_load(load.profile.clone(), frames)?;
        }
        Ok(())
    }
}

/// How a controlled run went.
#[derive(Debug, Clone, Serialize)]
pub struct ControlSummary {
    /// Target frame time, ms.
    pub target_ms: f64,
    /// Where the timings came from.
    pub timing: &'static str,
    /// Frames with a telemetry record.
    pub records: u64,
    /// Frames whose timings never arrived.
    pub unmeasured: u64,
    /// Frames (after the warm-up) whose measured frame time was within the target, %.
    pub within_target_pct: f64,
    /// Rung changes, probes included.
    pub switches: u64,
    /// Frames per rung.
    pub rung_frames: BTreeMap<String, u64>,
    /// Median measured upscaler time per rung, ms.
    pub median_upscaler_ms: BTreeMap<String, f64>,
}

impl ControlSummary {
    /// Summarises `records` of a run held to `target_ms`.
    pub fn new(records: &[TelemetryRecord], target_ms: f64, timing: &'static str) -> Self {
        let warm: Vec<&TelemetryRecord> = records.iter().filter(|r| r.frame >= WARMUP_FRAMES).collect();
        let measured: Vec<f64> = warm.iter().filter_map(|r| r.frame_ms).collect();
        let within = measured.iter().filter(|&&ms| ms <= target_ms).count();
        let mut rung_frames = BTreeMap::new();
        for r in records {
            *rung_frames.entry(r.rung.name().to_owned()).or_insert(0) += 1;
        }
        let median_upscaler_ms = Rung::ALL
            .into_iter()
            .filter_map(|g| {
                median(records.iter().filter(|r| r.rung == g).filter_map(|r| r.upscaler_ms))
                    .map(|m| (g.name().to_owned(), m))
            })
            .collect();
        Self {
            target_ms,
            timing,
            records: records.len() as u64,
            unmeasured: records.iter().filter(|r| r.upscaler_ms.is_none()).count() as u64,
            within_target_pct: if measured.is_empty() { 0.0 } else { 100.0 * within as f64 / measured.len() as f64 },
            switches: records.iter().filter(|r| r.frame > 0 && r.reason.is_some()).count() as u64,
            rung_frames,
            median_upscaler_ms,
        }
    }

    /// One line for the terminal.
    pub fn line(&self) -> String {
        let rungs: Vec<String> = self.rung_frames.iter().map(|(r, n)| format!("{r} {n}")).collect();
        format!(
            "controller ({} timings): {:.1}% of frames after warm-up within {:.2} ms; {} rung changes; frames per rung: {}{}",
            self.timing,
            self.within_target_pct,
            self.target_ms,
            self.switches,
            rungs.join(", "),
            if self.unmeasured > 0 { format!("; {} frames without timings", self.unmeasured) } else { String::new() }
        )
    }
}

/// The median of `values`, `None` when there are none.
pub fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

/// The controller figures of an automatic run (ARCHITECTURE §5, issue bar), judged with each
/// rung's cost taken as `costs` (e.g. the median of a run fixed on that rung): `.0` with those
/// costs scaled at each frame by the speed the device showed around it in this run
/// ([`device_speed`]), `.1` with the costs as they are.
pub fn assess_run(
    settings: &ControllerSettings,
    records: &[TelemetryRecord],
    costs: &BTreeMap<String, f64>,
) -> (SimMetrics, SimMetrics) {
    let cost = |r: Rung| costs.get(r.name()).copied().unwrap_or(f64::INFINITY);
    let speed = device_speed(records, cost);
    let at_speed = |r: Rung, i: u64| cost(r) * speed.get(i as usize).copied().unwrap_or(1.0);
    (
        assess(settings, records, at_speed, WARMUP_FRAMES, LATENCY_FRAMES),
        assess(settings, records, |r, _| cost(r), WARMUP_FRAMES, LATENCY_FRAMES),
    )
}

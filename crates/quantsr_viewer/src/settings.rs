//! What the viewer's controls set: method, precision, quality mode, comparison, load, debug
//! view. Plain data, shared by the command line, the panel and the scripted runs.

use std::str::FromStr;

use quantsr::monitor::LoadProfile;
use quantsr::{DebugView, QualityMode};

pub use quantsr::monitor::Precision;

/// How the display-resolution image is made: `quantsr upscale --method`'s methods. The viewer
/// offers the neural method as one entry, `Method::Neural(None)`, whose rung the precision
/// setting chooses.
pub use quantsr::eval::Method;

/// The methods the viewer offers, spatial baselines first.
pub const METHODS: [Method; 5] = [Method::Bilinear, Method::Bicubic, Method::Easu, Method::Taau, Method::NEURAL];

/// How two methods are shown together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareMode {
    /// The primary method left of a movable line, the other one right of it.
    Wipe,
    /// The centre half of each image, next to each other.
    SideBySide,
}

impl CompareMode {
    /// Both modes.
    pub const ALL: [CompareMode; 2] = [CompareMode::Wipe, CompareMode::SideBySide];

    /// The name used on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            CompareMode::Wipe => "wipe",
            CompareMode::SideBySide => "side-by-side",
        }
    }
}

impl FromStr for CompareMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        CompareMode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown comparison {s:?} (use wipe or side-by-side)"))
    }
}

/// The shapes of synthetic GPU load the panel offers (the viewer adds the load to each frame,
/// standing in for the rest of a game's frame, so the controller has something to react to).
/// `--load` takes any of the monitor's profiles, a trace file included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoadKind {
    /// No synthetic load.
    Off,
    /// The same load every frame.
    Steady,
    /// From nothing up to the peak and back down, over [`LOAD_CYCLE_FRAMES`] frames.
    Ramp,
    /// A quarter of the peak, with 3-frame spikes to the peak every 60 frames.
    Spikes,
    /// Recorded per-frame loads (`--load trace:FILE`).
    Trace,
}

/// Frames of one ramp cycle (the viewer runs forever, so the ramp repeats).
pub const LOAD_CYCLE_FRAMES: u64 = 600;

impl LoadKind {
    /// The kinds the panel can choose (a trace only comes from the command line).
    pub const CHOICES: [LoadKind; 4] = [LoadKind::Off, LoadKind::Steady, LoadKind::Ramp, LoadKind::Spikes];

    /// Name shown in the panel.
    pub const fn name(self) -> &'static str {
        match self {
            LoadKind::Off => "off",
            LoadKind::Steady => "steady",
            LoadKind::Ramp => "ramp",
            LoadKind::Spikes => "spikes",
            LoadKind::Trace => "trace",
        }
    }

    /// The shape of `profile`.
    pub fn of(profile: Option<&LoadProfile>) -> Self {
        match profile {
            None => LoadKind::Off,
            Some(LoadProfile::Steady { .. }) => LoadKind::Steady,
            Some(LoadProfile::Ramp { .. }) => LoadKind::Ramp,
            Some(LoadProfile::Spikes { .. }) => LoadKind::Spikes,
            // A sum or a scene keeps its own shape, as a trace does: the panel only scales it.
            Some(LoadProfile::Trace { .. } | LoadProfile::Sum(_) | LoadProfile::Scene { .. }) => LoadKind::Trace,
        }
    }

    /// The monitor's profile of this shape peaking at `peak_ms`; `None` when off. A trace
    /// cannot be made from a peak: it stays `existing`.
    pub fn profile(self, peak_ms: f64, existing: Option<&LoadProfile>) -> Option<LoadProfile> {
        match self {
            LoadKind::Off => None,
            LoadKind::Steady => Some(LoadProfile::Steady { ms: peak_ms }),
            LoadKind::Ramp => Some(LoadProfile::Ramp { from_ms: 0.0, to_ms: peak_ms }),
            LoadKind::Spikes => Some(LoadProfile::Spikes {
                base_ms: 0.25 * peak_ms,
                peak_ms,
                period_frames: LoadProfile::SPIKES_PERIOD_FRAMES,
                length_frames: LoadProfile::SPIKES_LENGTH_FRAMES,
                first_frame: LoadProfile::SPIKES_FIRST_FRAME,
            }),
            LoadKind::Trace => existing.cloned(),
        }
    }
}

/// The largest load of `profile` in milliseconds (what the panel edits).
pub fn load_peak_ms(profile: &LoadProfile) -> f64 {
    match profile {
        LoadProfile::Steady { ms } | LoadProfile::Scene { ms } => *ms,
        LoadProfile::Ramp { from_ms, to_ms } => from_ms.max(*to_ms),
        LoadProfile::Spikes { base_ms, peak_ms, .. } => base_ms.max(*peak_ms),
        LoadProfile::Trace { ms } => ms.iter().copied().fold(0.0, f64::max),
        LoadProfile::Sum(parts) => parts.iter().map(load_peak_ms).sum(),
    }
}

/// Load of viewer frame `frame` in milliseconds (ramps repeat every [`LOAD_CYCLE_FRAMES`]).
pub fn load_ms_at(profile: Option<&LoadProfile>, frame: u64) -> f64 {
    match profile {
        None => 0.0,
        Some(p @ LoadProfile::Ramp { .. }) => p.ms_at(frame % LOAD_CYCLE_FRAMES, LOAD_CYCLE_FRAMES),
        Some(p) => p.ms_at(frame, LOAD_CYCLE_FRAMES),
    }
}

/// Where the magnifier looks and how much it enlarges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Magnifier {
    /// Shown or not.
    pub enabled: bool,
    /// Enlargement (display pixels → magnifier pixels), nearest-neighbour.
    pub zoom: u32,
    /// Centre in display pixels; follows the pointer unless pinned.
    pub centre: [f32; 2],
    /// Keep the centre where it is (M toggles).
    pub pinned: bool,
}

/// Every setting the panel shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Method of the main image.
    pub method: Method,
    /// Precision of the neural method.
    pub precision: Precision,
    /// Frame-rate target (the budget is `1000 / target_fps` ms).
    pub target_fps: f32,
    /// Quality mode the ratio came from; `None` for a custom ratio.
    pub mode: Option<QualityMode>,
    /// Display / render size per axis, in [1, 4].
    pub ratio: f32,
    /// Vary the render size every frame to hold the target.
    pub dynamic_resolution: bool,
    /// Which knobs the neural method's controller turns (with automatic precision).
    pub adapt: quantsr::Adapt,
    /// Sharpening strength in [0, 1].
    pub sharpness: f32,
    /// Synthetic GPU load per frame; `None` for none.
    pub load: Option<LoadProfile>,
    /// Upscaler debug visualisation.
    pub debug_view: DebugView,
    /// Second method to compare with, if any.
    pub compare: Option<Method>,
    /// How the comparison is shown.
    pub compare_mode: CompareMode,
    /// Wipe position as a fraction of the width.
    pub wipe: f32,
    /// Magnifier.
    pub magnifier: Magnifier,
    /// Controls and HUD shown (Tab).
    pub show_ui: bool,
}

impl Settings {
    /// The budget of one frame in milliseconds.
    pub fn budget_ms(&self) -> f64 {
        1000.0 / f64::from(self.target_fps.max(1.0))
    }
}

/// Debug views the upscaler offers, with their panel names.
pub const DEBUG_VIEWS: [(DebugView, &str); 7] = [
    (DebugView::None, "none"),
    (DebugView::Motion, "motion vectors"),
    (DebugView::Disocclusion, "disocclusion"),
    (DebugView::HistoryRejection, "history rejection"),
    (DebugView::Kernel, "kernel width"),
    (DebugView::HistoryLength, "history length"),
    (DebugView::Reactive, "reactive mask"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rungs::Rung;

    #[test]
    fn methods_and_precisions_parse_by_their_command_line_names() {
        for m in METHODS {
            assert_eq!(m.name().parse::<Method>().unwrap(), m);
        }
        let names: Vec<_> = Precision::all().iter().map(|p| p.name()).collect();
        assert_eq!(names, ["auto", "f32", "f16", "int8", "lite-int8"]);
        assert_eq!("lite-int8".parse::<Precision>().unwrap(), Precision::Fixed(Rung::LiteInt8));
        assert!("taau".parse::<Precision>().unwrap_err().contains("auto, f32"));
        assert!("fsr".parse::<Method>().unwrap_err().contains("easu"));
    }

    #[test]
    fn only_the_upscaler_methods_are_temporal() {
        let temporal: Vec<_> = METHODS.into_iter().filter(|m| m.is_temporal()).collect();
        assert_eq!(temporal, [Method::Taau, Method::NEURAL]);
    }

    #[test]
    fn load_shapes_peak_at_the_requested_load_and_ramps_repeat() {
        let at = |k: LoadKind, f| load_ms_at(k.profile(8.0, None).as_ref(), f);
        assert_eq!(at(LoadKind::Off, 10), 0.0);
        assert_eq!(at(LoadKind::Steady, 10), 8.0);
        let ramp: Vec<f64> = (0..LOAD_CYCLE_FRAMES).map(|f| at(LoadKind::Ramp, f)).collect();
        let peak = ramp.iter().cloned().fold(0.0, f64::max);
        assert!((peak - 8.0).abs() < 0.05 && ramp[0] == 0.0, "{peak}");
        assert_eq!(at(LoadKind::Ramp, LOAD_CYCLE_FRAMES + 5), ramp[5]);
        assert_eq!(at(LoadKind::Spikes, 30), 8.0);
        assert_eq!(at(LoadKind::Spikes, 40), 2.0);
        for k in LoadKind::CHOICES {
            let p = k.profile(8.0, None);
            assert_eq!(LoadKind::of(p.as_ref()), k);
            assert!(p.is_none_or(|p| load_peak_ms(&p) == 8.0));
        }
        let trace = LoadProfile::Trace { ms: vec![1.0, 3.0] };
        assert_eq!(LoadKind::Trace.profile(5.0, Some(&trace)), Some(trace.clone()));
        assert_eq!(load_ms_at(Some(&trace), 3), 3.0);
    }
}

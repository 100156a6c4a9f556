//! Synthetic GPU load profiles: how many milliseconds of "everything else" a frame carries,
//! so the controller can be exercised (in simulation here, on the GPU by a load pass) under
//! steady, changing and spiky conditions.

use std::path::Path;
use std::str::FromStr;

use crate::MonitorError;

/// The load of each frame, in GPU milliseconds. Parsed from the `--load` syntax:
///
/// | spec            | load at frame `f` of `n`                                                      |
/// |-----------------|-------------------------------------------------------------------------------|
/// | `steady:MS`     | `MS` every frame                                                              |
/// | `ramp:A-B`      | a triangle: linear from `A` up to `B` over the first half of the run, back down to `A` over the second half (`A` at frames 0 and `n-1`) |
/// | `spikes`        | 2 ms, and 8 ms for 3 frames every 60 frames starting at frame 30              |
/// | `spikes:B-P`    | the same timing with base `B` and peak `P` ms                                |
/// | `scene:MS`      | a renderer's own passes: `MS` at the maximum render size, scaled by the pixels rendered (`MS · f` when a frame renders the fraction `f` of them; see [`LoadProfile::ms_at_pixels`]) |
/// | `trace:FILE`    | one value per line of `FILE` (blank lines and `#` comments skipped), repeated from the start when the run is longer |
/// | `P+Q+…`         | the sum of the profiles, e.g. `ramp:10-60+spikes:0-30`                         |
#[derive(Debug, Clone, PartialEq)]
pub enum LoadProfile {
    /// The same load every frame.
    Steady {
        /// Milliseconds per frame.
        ms: f64,
    },
    /// Up from `from_ms` to `to_ms` over the first half of the run, back down over the second.
    Ramp {
        /// Load at the first and last frame.
        from_ms: f64,
        /// Load in the middle of the run.
        to_ms: f64,
    },
    /// A base load with short periodic spikes.
    Spikes {
        /// Load between spikes.
        base_ms: f64,
        /// Load during a spike.
        peak_ms: f64,
        /// Frames from the start of one spike to the start of the next.
        period_frames: u64,
        /// Frames each spike lasts.
        length_frames: u64,
        /// Frame of the first spike.
        first_frame: u64,
    },
    /// A renderer whose passes cost `ms` at the maximum render size and scale with the number
    /// of pixels rendered: lowering the render size makes them cheaper, as it does in a game.
    Scene {
        /// Milliseconds per frame at the maximum render size.
        ms: f64,
    },
    /// Recorded per-frame loads, repeated.
    Trace {
        /// Milliseconds for frames 0, 1, …; never empty.
        ms: Vec<f64>,
    },
    /// Several profiles added up (a ramp with spikes on top).
    Sum(Vec<LoadProfile>),
}

impl LoadProfile {
    /// Base load of `spikes`, in milliseconds.
    pub const SPIKES_BASE_MS: f64 = 2.0;
    /// Peak load of `spikes`, in milliseconds.
    pub const SPIKES_PEAK_MS: f64 = 8.0;
    /// Frames between the starts of two spikes.
    pub const SPIKES_PERIOD_FRAMES: u64 = 60;
    /// Frames each spike lasts.
    pub const SPIKES_LENGTH_FRAMES: u64 = 3;
    /// Frame of the first spike.
    pub const SPIKES_FIRST_FRAME: u64 = 30;

    /// Parses a profile specification (see the table on [`LoadProfile`]); `trace:FILE` reads
    /// the file. Errors name the specification and what the form should be.
    pub fn parse(spec: &str) -> Result<Self, MonitorError> {
        let bad = |problem: &str| MonitorError::LoadProfile { spec: spec.to_owned(), problem: problem.to_owned() };
        if spec.contains('+') {
            let parts: Vec<&str> = spec.split('+').map(str::trim).collect();
            if parts.iter().any(|p| p.is_empty()) {
                return Err(bad("expected profiles joined by `+`, e.g. ramp:10-60+spikes:0-30"));
            }
            return parts.into_iter().map(Self::parse).collect::<Result<Vec<_>, _>>().map(LoadProfile::Sum);
        }
        let (kind, arg) = match spec.split_once(':') {
            Some((k, a)) => (k.trim(), Some(a.trim())),
            None => (spec.trim(), None),
        };
        match (kind, arg) {
            ("steady", Some(a)) => {
                let ms = ms_value(a).ok_or_else(|| bad("expected steady:MS with MS a load in milliseconds (>= 0)"))?;
                Ok(LoadProfile::Steady { ms })
            }
            ("ramp", Some(a)) => {
                let (from_ms, to_ms) = ms_pair(a)
                    .ok_or_else(|| bad("expected ramp:A-B with A and B loads in milliseconds (>= 0), e.g. ramp:2-8"))?;
                Ok(LoadProfile::Ramp { from_ms, to_ms })
            }
            ("spikes", a) => {
                let (base_ms, peak_ms) = match a {
                    None => (Self::SPIKES_BASE_MS, Self::SPIKES_PEAK_MS),
                    Some(a) => ms_pair(a).ok_or_else(|| {
                        bad("expected spikes or spikes:BASE-PEAK with loads in milliseconds (>= 0), e.g. spikes:2-8")
                    })?,
                };
                Ok(LoadProfile::Spikes {
                    base_ms,
                    peak_ms,
                    period_frames: Self::SPIKES_PERIOD_FRAMES,
                    length_frames: Self::SPIKES_LENGTH_FRAMES,
                    first_frame: Self::SPIKES_FIRST_FRAME,
                })
            }
            ("scene", Some(a)) => {
                let ms = ms_value(a).ok_or_else(|| {
                    bad("expected scene:MS with MS the renderer's milliseconds at the maximum render size (>= 0)")
                })?;
                Ok(LoadProfile::Scene { ms })
            }
            ("trace", Some(a)) if !a.is_empty() => Self::from_trace_file(a),
            ("steady" | "ramp" | "scene" | "trace", None) => {
                Err(bad(&format!("`{kind}` needs an argument after `{kind}:`")))
            }
            ("trace", Some(_)) => Err(bad("expected trace:FILE with FILE a path")),
            _ => Err(bad("unknown profile: expected steady:MS, ramp:A-B, spikes, scene:MS or trace:FILE")),
        }
    }

    /// Reads a trace: one load in milliseconds per line; blank lines and lines starting with
    /// `#` are skipped.
    pub fn from_trace_file(path: impl AsRef<Path>) -> Result<Self, MonitorError> {
        let path = path.as_ref();
        let text =
            std::fs::read_to_string(path).map_err(|source| MonitorError::TraceIo { path: path.to_owned(), source })?;
        let mut ms = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let v = ms_value(line).ok_or_else(|| MonitorError::TraceValue {
                path: path.to_owned(),
                line: i + 1,
                got: line.to_owned(),
            })?;
            ms.push(v);
        }
        if ms.is_empty() {
            return Err(MonitorError::LoadProfile {
                spec: format!("trace:{}", path.display()),
                problem: "the file holds no values (expected one load in milliseconds per line)".to_owned(),
            });
        }
        Ok(LoadProfile::Trace { ms })
    }

    /// The load of frame `frame` in a run of `total_frames` frames, in milliseconds, at the
    /// maximum render size. Only `ramp` depends on `total_frames`; frames past the end of a
    /// ramp get its start value.
    pub fn ms_at(&self, frame: u64, total_frames: u64) -> f64 {
        self.ms_at_pixels(frame, total_frames, 1.0)
    }

    /// As [`LoadProfile::ms_at`] for a frame that renders the fraction `pixel_fraction` of the
    /// maximum render size's pixels (in (0, 1]): the `scene` parts scale with it, the others
    /// are what they are at any size.
    pub fn ms_at_pixels(&self, frame: u64, total_frames: u64, pixel_fraction: f64) -> f64 {
        match self {
            LoadProfile::Steady { ms } => *ms,
            LoadProfile::Scene { ms } => ms * pixel_fraction.clamp(0.0, 1.0),
            LoadProfile::Ramp { from_ms, to_ms } => {
                if total_frames < 2 || frame >= total_frames {
                    return *from_ms;
                }
                let u = frame as f64 / (total_frames - 1) as f64;
                let triangle = 1.0 - (2.0 * u - 1.0).abs();
                from_ms + (to_ms - from_ms) * triangle
            }
            LoadProfile::Spikes { base_ms, peak_ms, period_frames, length_frames, first_frame } => {
                let in_spike =
                    frame >= *first_frame && (frame - first_frame) % (*period_frames).max(1) < *length_frames;
                if in_spike { *peak_ms } else { *base_ms }
            }
            LoadProfile::Trace { ms } => ms[(frame % ms.len() as u64) as usize],
            LoadProfile::Sum(parts) => parts.iter().map(|p| p.ms_at_pixels(frame, total_frames, pixel_fraction)).sum(),
        }
    }
}

impl FromStr for LoadProfile {
    type Err = MonitorError;

    /// Same as [`LoadProfile::parse`] (so `trace:FILE` reads the file).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn ms_value(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0)
}

fn ms_pair(s: &str) -> Option<(f64, f64)> {
    let (a, b) = s.split_once('-')?;
    Some((ms_value(a)?, ms_value(b)?))
}

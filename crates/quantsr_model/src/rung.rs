//! The rungs of the precision ladder (ARCHITECTURE §4).

use std::fmt;
use std::str::FromStr;

use crate::{NetworkKind, NetworkPrecision};
use serde::{Deserialize, Serialize};

use crate::ModelError;

/// One way of producing a frame, from the best quality to the last resort. The neural rungs
/// run the same network at different precisions (`lite-int8` is a narrower network);
/// `taau` uses fixed heuristics instead of the network and is the cheapest.
///
/// Serialised (serde, telemetry, command line) as its lowercase [`name`](Rung::name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rung {
    /// The network in f32.
    F32,
    /// The network in f16 (needs `SHADER_F16`).
    F16,
    /// The network with int8 weights and activations, i32 accumulation.
    Int8,
    /// The narrower, distilled network in int8.
    LiteInt8,
    /// Temporal AA upscaling with fixed heuristics, no network.
    Taau,
}

impl Rung {
    /// Every rung, in the default quality order (best first).
    pub const ALL: [Rung; 5] = [Rung::F32, Rung::F16, Rung::Int8, Rung::LiteInt8, Rung::Taau];

    /// The name used on the command line, in telemetry and in JSON: `f32`, `f16`, `int8`,
    /// `lite-int8`, `taau`.
    pub const fn name(self) -> &'static str {
        match self {
            Rung::F32 => "f32",
            Rung::F16 => "f16",
            Rung::Int8 => "int8",
            Rung::LiteInt8 => "lite-int8",
            Rung::Taau => "taau",
        }
    }

    /// Whether the rung runs the network (every rung but `taau`).
    pub const fn is_neural(self) -> bool {
        !matches!(self, Rung::Taau)
    }

    /// The network a neural rung runs and the precision it runs it in (`None` for `taau`):
    /// the one place the ladder maps onto the model, used by the GPU kernels, the CPU
    /// reference, the bench and the tests.
    pub const fn network(self) -> Option<(NetworkKind, NetworkPrecision)> {
        match self {
            Rung::F32 => Some((NetworkKind::Full, NetworkPrecision::F32)),
            Rung::F16 => Some((NetworkKind::Full, NetworkPrecision::F16)),
            Rung::Int8 => Some((NetworkKind::Full, NetworkPrecision::Int8)),
            Rung::LiteInt8 => Some((NetworkKind::Lite, NetworkPrecision::Int8)),
            Rung::Taau => None,
        }
    }

    /// Position in [`Rung::ALL`]; used to index per-rung tables.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The cost the controller assumes for a rung it has never measured, relative to f32,
    /// before any override from the model's metadata: f32 1, f16 0.75, int8 0.5,
    /// lite-int8 0.25, taau 0.1. Only ratios matter: an unmeasured rung is predicted by
    /// scaling the measured cost of the rung nearest to it in this table.
    pub const fn default_relative_cost(self) -> f64 {
        match self {
            Rung::F32 => 1.0,
            Rung::F16 => 0.75,
            Rung::Int8 => 0.5,
            Rung::LiteInt8 => 0.25,
            Rung::Taau => 0.1,
        }
    }
}

impl fmt::Display for Rung {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Rung {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rung::ALL.into_iter().find(|r| r.name() == s).ok_or_else(|| ModelError::UnknownRung { got: s.to_owned() })
    }
}

/// The precision of the neural method: chosen each frame by the precision controller, or one
/// fixed rung.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    /// The controller picks the rung that fits the frame-time budget.
    Auto,
    /// Always this rung (a neural one).
    Fixed(Rung),
}

impl Precision {
    /// `auto`, then every neural rung, best first.
    pub fn all() -> Vec<Precision> {
        std::iter::once(Precision::Auto)
            .chain(Rung::ALL.into_iter().filter(|r| r.is_neural()).map(Precision::Fixed))
            .collect()
    }

    /// The fixed rung, `None` for `auto`.
    pub fn fixed(self) -> Option<Rung> {
        match self {
            Precision::Auto => None,
            Precision::Fixed(r) => Some(r),
        }
    }

    /// The name used on the command line (`quantsr upscale --precision`, the viewer's
    /// `--precision`), in telemetry and in the UI.
    pub fn name(self) -> &'static str {
        match self {
            Precision::Auto => "auto",
            Precision::Fixed(r) => r.name(),
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Precision::all().into_iter().find(|p| p.name() == s).ok_or_else(|| {
            let names: Vec<_> = Precision::all().iter().map(|p| p.name()).collect();
            format!("unknown precision {s:?} (use {})", names.join(", "))
        })
    }
}

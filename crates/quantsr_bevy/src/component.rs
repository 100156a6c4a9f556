//! The camera component that turns quantsr on for a view, shaped like Bevy's own `Dlss`.

use bevy::camera::Hdr;
use bevy::core_pipeline::prepass::{DepthPrepass, MotionVectorPrepass};
use bevy::prelude::*;
use bevy::render::camera::{MipBias, TemporalJitter};
use quantsr_upscaler::{NEURAL_SHARPNESS, Precision, QualityMode, Rung};

/// How much smaller than the display the 3D main pass renders.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum QuantsrScale {
    /// One of the standard ratios (`Performance` is 2× per axis).
    Mode(QualityMode),
    /// Any per-axis ratio in [1, 4].
    Ratio(f32),
}

impl QuantsrScale {
    /// Display size divided by render size, per axis.
    pub fn ratio(self) -> f32 {
        match self {
            Self::Mode(m) => m.ratio(),
            Self::Ratio(r) => r.clamp(1.0, 4.0),
        }
    }
}

/// Which reconstruction quantsr runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantsrMethod {
    /// The neural network (its rung chosen by [`Quantsr::precision`]).
    Neural,
    /// Temporal AA upscaling with fixed heuristics: no network, starts fastest.
    Taau,
}

/// Put this on a `Camera3d` to render its main pass at a lower resolution and upscale it
/// with quantsr, in the slot where Bevy's TAA and DLSS run (early post-processing).
///
/// Like Bevy's `Dlss`, it requires the jitter, mip bias, depth and motion-vector prepasses
/// and an HDR main texture. Bevy's camera also needs `Msaa::Off` (quantsr reads single-sample
/// textures; with MSAA on, the view is left as rendered and a warning is logged), and it
/// should not carry `TemporalAntiAliasing` at the same time.
///
/// While the upscaler for a new display size or rung set is being built (seconds on a CPU
/// device), the camera renders at native resolution without jitter, so nothing stalls.
#[derive(Component, Debug, Clone, PartialEq)]
#[require(TemporalJitter, MipBias, DepthPrepass, MotionVectorPrepass, Hdr)]
pub struct Quantsr {
    /// Render size relative to the display size.
    pub scale: QuantsrScale,
    /// Neural network or heuristic TAAU.
    pub method: QuantsrMethod,
    /// For [`QuantsrMethod::Neural`]: `Auto` lets quantsr's controller pick the rung that
    /// holds [`Quantsr::target_fps`]; `Fixed` pins one. Ignored for `Taau`.
    pub precision: Precision,
    /// The frame rate the precision controller holds under `Precision::Auto`.
    pub target_fps: f64,
    /// Sharpening strength in [0, 1]; 0 disables it.
    pub sharpness: f32,
    /// Set for one frame on a camera cut: history is discarded. Cleared by the plugin after
    /// the frame is extracted, like `Dlss::reset`.
    pub reset: bool,
}

impl Default for Quantsr {
    fn default() -> Self {
        Self {
            scale: QuantsrScale::Mode(QualityMode::Performance),
            method: QuantsrMethod::Neural,
            precision: Precision::Auto,
            target_fps: 60.0,
            sharpness: NEURAL_SHARPNESS,
            reset: false,
        }
    }
}

impl Quantsr {
    /// The rungs an upscaler for these settings must have built: every rung for automatic
    /// precision (the controller needs the ladder), the pinned one otherwise (`taau` is
    /// always built).
    pub fn required_rungs(&self) -> Vec<Rung> {
        match (self.method, self.precision) {
            (QuantsrMethod::Taau, _) => vec![Rung::Taau],
            (QuantsrMethod::Neural, Precision::Auto) => Rung::ALL.to_vec(),
            (QuantsrMethod::Neural, Precision::Fixed(r)) => {
                if r == Rung::Taau {
                    vec![Rung::Taau]
                } else {
                    vec![r, Rung::Taau]
                }
            }
        }
    }

    /// The rung this component pins, if it pins one (`None` under automatic precision).
    pub fn fixed_rung(&self) -> Option<Rung> {
        match (self.method, self.precision) {
            (QuantsrMethod::Taau, _) => Some(Rung::Taau),
            (QuantsrMethod::Neural, Precision::Auto) => None,
            (QuantsrMethod::Neural, Precision::Fixed(r)) => Some(r),
        }
    }
}

//! `quantsr-viewer`: renders a scene live at a low, jittered resolution and upscales it through
//! quantsr's public API, in a window with controls for the method, precision, quality mode,
//! comparison and debugging (ARCHITECTURE §1).
//!
//! It is the reference integration: everything it does to the upscaler is what a renderer
//! embedding quantsr would do (see `integration.rs`). The rest is the window (`app.rs`), the
//! present pass (`present.rs`), the controls and HUD (`ui.rs`), the camera (`camera.rs`) and
//! the scripted runs used by the tests and for screenshots (`script.rs`).

mod app;
mod camera;
mod dynres;
mod integration;
mod present;
mod rungs;
mod screenshot;
mod script;
mod settings;
mod telemetry;
mod ui;

use std::path::PathBuf;

use clap::Parser;

use crate::settings::{CompareMode, Method, Precision};
use quantsr::sequence::{Size, parse_ratio};

/// Watch quantsr upscale a live scene: methods side by side, the rung it runs, GPU time per pass.
#[derive(Debug, Clone, Parser)]
#[command(name = "quantsr-viewer", version, about, long_about = None)]
pub struct Args {
    /// Built-in scene to render (`quantsr render --list` lists them).
    #[arg(long, default_value = "level", conflicts_with = "gltf")]
    pub scene: String,
    /// Layout of the randomised `yard` scene, as `quantsr render --seed` (the hand-authored
    /// scenes have one layout and ignore it).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Render a glTF 2.0 file (.gltf/.glb) instead of a built-in scene.
    #[arg(long)]
    pub gltf: Option<PathBuf>,
    /// Window size in physical pixels, WxH (the display resolution the upscaler outputs).
    #[arg(long, default_value = "960x540")]
    pub size: Size,
    /// Upscaling method: bilinear, bicubic, easu, taau or neural (`neural-int8` and the other
    /// `quantsr upscale` names set the precision too).
    #[arg(long, default_value = "taau")]
    pub method: Method,
    /// Precision of the neural method: auto, f32, f16, int8 or lite-int8.
    #[arg(long, default_value = "auto")]
    pub precision: Precision,
    /// Quality mode: native_aa, quality, balanced, performance, ultra_performance.
    #[arg(long, conflicts_with = "scale")]
    pub mode: Option<quantsr::QualityMode>,
    /// Display/render ratio per axis, in [1, 4] (instead of a quality mode).
    #[arg(long, value_parser = parse_ratio)]
    pub scale: Option<f32>,
    /// Frame-rate target: the budget line of the HUD and dynamic resolution's goal.
    #[arg(long, default_value_t = 60.0)]
    pub target_fps: f32,
    /// Synthetic GPU load per frame, as `quantsr upscale --load`: steady:MS, ramp:A-B (repeats
    /// every 600 frames), spikes[:BASE-PEAK] or trace:FILE.
    #[arg(long, value_parser = parse_load)]
    pub load: Option<quantsr::monitor::LoadProfile>,
    /// Change the render size every frame to hold the target frame rate.
    #[arg(long)]
    pub dynamic_resolution: bool,
    /// Which knobs the neural method's controller turns to hold the target: precision (its
    /// rung), resolution (the render size, on its best rung) or both (the pair with the best
    /// measured quality that fits).
    #[arg(long, default_value = "precision", value_parser = parse_adapt)]
    pub adapt: quantsr::Adapt,
    /// Compare with a second method: `--compare bicubic` (wipe) or with `--compare-mode`.
    #[arg(long)]
    pub compare: Option<Method>,
    /// How the comparison is shown: wipe or side-by-side.
    #[arg(long, default_value = "wipe")]
    pub compare_mode: CompareMode,
    /// Show the magnifier, pinned at this display pixel: `--magnify 480,270`.
    #[arg(long, value_parser = parse_point)]
    pub magnify: Option<[f32; 2]>,
    /// Start with the scene's camera path paused.
    #[arg(long)]
    pub paused: bool,
    /// Present without waiting for vertical sync (measures the frame rate the work allows).
    #[arg(long)]
    pub no_vsync: bool,
    /// Run this many frames, save `--screenshot` and exit (for CI and documentation). Frames
    /// advance the scene by a fixed 1/60 s so runs are reproducible.
    #[arg(long)]
    pub headless_frames: Option<u32>,
    /// Where `--headless-frames` (or `--script`) saves the final frame, UI included, as PNG.
    #[arg(long)]
    pub screenshot: Option<PathBuf>,
    /// Run a scripted session before `--headless-frames`: `cycle-methods` runs 30 frames per
    /// method, switches rung and resizes the window, then exits.
    #[arg(long)]
    pub script: Option<script::ScriptName>,
    /// Folder for the screenshots a script takes along the way (one per method).
    #[arg(long)]
    pub shots: Option<PathBuf>,
    /// Write one telemetry record per frame as CSV when the viewer exits (ARCHITECTURE §5 columns).
    #[arg(long)]
    pub telemetry: Option<PathBuf>,
    /// Hide the controls and HUD at start (Tab toggles them).
    #[arg(long)]
    pub hide_ui: bool,
}

fn parse_load(spec: &str) -> Result<quantsr::monitor::LoadProfile, String> {
    quantsr::monitor::LoadProfile::parse(spec).map_err(|e| e.to_string())
}

fn parse_adapt(s: &str) -> Result<quantsr::Adapt, String> {
    s.parse().map_err(|e: quantsr::monitor::MonitorError| e.to_string())
}

fn parse_point(s: &str) -> Result<[f32; 2], String> {
    match s.split_once(',').map(|(x, y)| (x.trim().parse::<f32>(), y.trim().parse::<f32>())) {
        Some((Ok(x), Ok(y))) if x.is_finite() && y.is_finite() => Ok([x, y]),
        _ => Err(format!("{s:?} is not a position: use X,Y in display pixels, e.g. 480,270")),
    }
}

impl Args {
    /// `--method neural-<rung>` is the neural method at that fixed precision: the viewer keeps
    /// one neural method and chooses its rung with the precision setting.
    fn with_neural_rung_as_precision(mut self) -> Self {
        if let Method::Neural(Some(rung)) = self.method {
            self.method = Method::NEURAL;
            self.precision = Precision::Fixed(rung);
        }
        if let Some(Method::Neural(Some(_))) = self.compare {
            self.compare = Some(Method::NEURAL);
        }
        self
    }
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args = Args::parse().with_neural_rung_as_precision();
    if let Err(err) = app::run(args) {
        // One line a user can act on: the chain of contexts, outermost first.
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_flag_picks_the_yard_layout_and_defaults_to_the_authored_one() {
        let args = Args::try_parse_from(["quantsr-viewer", "--scene", "yard", "--seed", "7"]).unwrap();
        assert_eq!((args.scene.as_str(), args.seed), ("yard", 7));
        assert_eq!(Args::try_parse_from(["quantsr-viewer"]).unwrap().seed, 0);
        assert!(Args::try_parse_from(["quantsr-viewer", "--seed", "-1"]).is_err());
    }

    #[test]
    fn a_neural_method_with_a_rung_sets_the_precision() {
        let args = Args::try_parse_from(["quantsr-viewer", "--method", "neural-int8"]).unwrap();
        let args = args.with_neural_rung_as_precision();
        assert_eq!(args.method, Method::NEURAL);
        assert_eq!(args.precision, Precision::Fixed(quantsr::Rung::Int8));
    }
}

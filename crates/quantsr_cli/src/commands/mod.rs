//! One module per subcommand, and the argument types they share.

pub mod bench;
pub mod control;
pub mod eval;
pub mod info;
pub mod live;
pub mod plot;
pub mod render;
pub mod upscale;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use quantsr_upscaler::ModelFile;

pub use quantsr_sequence::{Size, parse_ratio};

/// The weight file the neural method runs, shared by `quantsr upscale` and `quantsr eval`.
#[derive(Debug, Clone, clap::Args)]
pub struct WeightsArg {
    /// Weight file to run instead of the built-in networks (a `quantsr.safetensors` written by
    /// `python -m training export`).
    #[arg(long)]
    pub weights: Option<PathBuf>,
}

impl WeightsArg {
    /// The model to run: the file given, validated, or the built-in one.
    pub fn model(&self) -> anyhow::Result<Arc<ModelFile>> {
        match &self.weights {
            Some(path) => Ok(Arc::new(ModelFile::load(path).with_context(|| format!("--weights {}", path.display()))?)),
            None => Ok(ModelFile::embedded()),
        }
    }
}

/// Parses a value in [0, 1].
pub fn parse_unit(s: &str) -> Result<f32, String> {
    let v: f32 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..=1.0).contains(&v) { Ok(v) } else { Err(format!("{v} is outside [0, 1]")) }
}

/// The progress bar every long command shows: position, rate and ETA.
pub fn progress_bar(total: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} frames  {per_sec}  ETA {eta}")
            .expect("valid progress template")
            .progress_chars("=> "),
    );
    bar.set_prefix(what.to_string());
    bar
}

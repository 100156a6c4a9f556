//! One module per subcommand, and the argument types they share.

pub mod bench;
pub mod control;
pub mod eval;
pub mod info;
pub mod plot;
pub mod render;
pub mod upscale;

pub use quantsr_sequence::{Size, parse_ratio};

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

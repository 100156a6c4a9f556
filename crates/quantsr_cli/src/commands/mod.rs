//! One module per subcommand, and the argument types they share.

pub mod bench;
pub mod control;
pub mod eval;
pub mod info;
pub mod plot;
pub mod render;
pub mod upscale;

use std::str::FromStr;

/// A `WxH` size argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub [u32; 2]);

impl FromStr for Size {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let parse = |v: &str| v.trim().parse::<u32>().ok().filter(|&n| n > 0);
        match s.split_once(['x', 'X']) {
            Some((w, h)) => match (parse(w), parse(h)) {
                (Some(w), Some(h)) => Ok(Size([w, h])),
                _ => Err(format!("{s:?} is not a size: use WxH with positive integers, e.g. 960x540")),
            },
            None => Err(format!("{s:?} is not a size: use WxH, e.g. 960x540")),
        }
    }
}

/// Parses a display/render ratio and checks it is in [1, 4].
pub fn parse_ratio(s: &str) -> Result<f32, String> {
    let r: f32 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (1.0..=4.0).contains(&r) { Ok(r) } else { Err(format!("scale {r} is outside [1, 4]")) }
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

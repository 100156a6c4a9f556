//! The size and ratio arguments every front end takes (`quantsr render --display 960x540
//! --scale 2`, the viewer's `--size` and `--scale`), parsed one way with one set of messages.

use std::str::FromStr;

/// A `WxH` size in pixels, both sides positive (`960x540`; `X` works too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub [u32; 2]);

impl FromStr for Size {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let parse = |v: &str| v.trim().parse::<u32>().ok().filter(|&n| n > 0);
        match s.split_once(['x', 'X']).map(|(w, h)| (parse(w), parse(h))) {
            Some((Some(w), Some(h))) => Ok(Size([w, h])),
            Some(_) => Err(format!("{s:?} is not a size: use WxH with positive integers, e.g. 960x540")),
            None => Err(format!("{s:?} is not a size: use WxH, e.g. 960x540")),
        }
    }
}

/// Parses a display/render ratio and checks it is in [1, 4], the range the upscaler accepts.
pub fn parse_ratio(s: &str) -> Result<f32, String> {
    let r: f32 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (1.0..=4.0).contains(&r) { Ok(r) } else { Err(format!("scale {r} is outside [1, 4]")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ratios_parse_or_say_why_not() {
        assert_eq!("960x540".parse::<Size>(), Ok(Size([960, 540])));
        assert_eq!(" 64 X 32".parse::<Size>(), Ok(Size([64, 32])));
        assert!("960".parse::<Size>().unwrap_err().contains("use WxH"));
        assert!("0x5".parse::<Size>().unwrap_err().contains("positive"));
        assert_eq!(parse_ratio("1.5"), Ok(1.5));
        assert!(parse_ratio("5").unwrap_err().contains("outside [1, 4]"));
        assert!(parse_ratio("two").unwrap_err().contains("not a number"));
    }
}

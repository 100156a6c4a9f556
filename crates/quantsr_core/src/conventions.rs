//! Sub-pixel jitter, render sizes and mip bias, with FSR 2's conventions (ARCHITECTURE §3), so a
//! renderer that already integrates FSR 2 needs no changes to feed quantsr.

use std::fmt;
use std::str::FromStr;

/// The standard per-axis scale ratios between display and render resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityMode {
    /// 1.0: anti-aliasing only, render at display resolution.
    NativeAa,
    /// 1.5× per axis.
    Quality,
    /// 1.7× per axis.
    Balanced,
    /// 2.0× per axis.
    Performance,
    /// 3.0× per axis.
    UltraPerformance,
}

impl QualityMode {
    /// Every mode, from the highest render resolution to the lowest.
    pub const ALL: [QualityMode; 5] =
        [Self::NativeAa, Self::Quality, Self::Balanced, Self::Performance, Self::UltraPerformance];

    /// Display size divided by render size, per axis.
    pub fn ratio(self) -> f32 {
        match self {
            Self::NativeAa => 1.0,
            Self::Quality => 1.5,
            Self::Balanced => 1.7,
            Self::Performance => 2.0,
            Self::UltraPerformance => 3.0,
        }
    }

    /// The name used on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            Self::NativeAa => "native_aa",
            Self::Quality => "quality",
            Self::Balanced => "balanced",
            Self::Performance => "performance",
            Self::UltraPerformance => "ultra_performance",
        }
    }
}

impl fmt::Display for QualityMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for QualityMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|m| m.name() == s.replace('-', "_")).ok_or_else(|| {
            format!("unknown quality mode {s:?} (use native_aa, quality, balanced, performance or ultra_performance)")
        })
    }
}

/// Render size for a display size and a per-axis ratio: `floor(display / ratio)` per axis, as
/// FSR 2 computes it, and never below one pixel.
pub fn render_size(display: [u32; 2], ratio: f32) -> [u32; 2] {
    display.map(|d| ((d as f32 / ratio).floor() as u32).max(1))
}

/// Number of jitter phases before the sequence repeats: `ceil(8 · (display_w / render_w)²)`.
///
/// quantsr rounds up where FSR 2's code truncates (1.7× gives 24 phases here, 23 in FSR 2), so
/// that every display pixel is covered by at least 8 samples per cycle at any ratio.
pub fn jitter_phase_count(render_width: u32, display_width: u32) -> u32 {
    let ratio = display_width as f64 / render_width.max(1) as f64;
    ((8.0 * ratio * ratio) - 1e-9).ceil().max(1.0) as u32
}

/// The radical inverse of `index` in `base`: element `index` of the Halton sequence.
fn halton(mut index: u32, base: u32) -> f32 {
    let (mut f, mut r) = (1.0f64, 0.0f64);
    while index > 0 {
        f /= base as f64;
        r += f * (index % base) as f64;
        index /= base;
    }
    r as f32
}

/// Jitter of frame `frame_index` in render pixels, each axis in [-0.5, 0.5]:
/// Halton(2, 3) of `(frame_index mod phase_count) + 1`, minus 0.5.
pub fn jitter_offset(frame_index: u32, phase_count: u32) -> [f32; 2] {
    let i = frame_index % phase_count.max(1) + 1;
    [halton(i, 2) - 0.5, halton(i, 3) - 0.5]
}

/// Clip-space offset `(2·jx / render_w, −2·jy / render_h)` that moves the image by `+jitter`
/// pixels when applied as a translation after the projection (`translate(x, y, 0) ·
/// projection`, so `clip.xy += offset · clip.w`), as quantsr's own renderer does. Added to a
/// perspective matrix's third column (`[2][0]`, `[2][1]`) it has that effect only where
/// `w = +z` (left-handed); with right-handed matrices (`w = −z`: glam's `perspective_rh`,
/// Bevy) subtract it there instead (`crates/quantsr_bevy/src/conventions.rs`).
pub fn projection_jitter(jitter: [f32; 2], render_size: [u32; 2]) -> [f32; 2] {
    [2.0 * jitter[0] / render_size[0] as f32, -2.0 * jitter[1] / render_size[1] as f32]
}

/// Texture LOD bias for the renderer's material sampling: `log2(render_w / display_w) − 1`,
/// so textures keep display-resolution detail that the upscaler can accumulate.
pub fn mip_bias(render_width: u32, display_width: u32) -> f32 {
    (render_width as f32 / display_width as f32).log2() - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_counts_follow_the_ceiling_formula_for_standard_modes() {
        let display = [1920, 1080];
        let counts: Vec<u32> =
            [1.5, 1.7, 2.0, 3.0].iter().map(|&r| jitter_phase_count(render_size(display, r)[0], display[0])).collect();
        // 1920/1280 = 1.5 → 18; 1920/1129 = 1.7006 → 23.14 → 24; 2× → 32; 3× → 72.
        assert_eq!(counts, vec![18, 24, 32, 72]);
    }

    #[test]
    fn first_offsets_are_halton_2_3_minus_half() {
        let expected = [[0.0, -1.0 / 6.0], [-0.25, 1.0 / 6.0], [0.25, -0.5 + 1.0 / 9.0], [-0.375, -0.5 + 4.0 / 9.0]];
        for (i, e) in expected.iter().enumerate() {
            let j = jitter_offset(i as u32, 32);
            assert!((j[0] - e[0]).abs() < 1e-6 && (j[1] - e[1]).abs() < 1e-6, "frame {i}: {j:?} vs {e:?}");
        }
        // The sequence repeats after the phase count and stays inside half a pixel.
        assert_eq!(jitter_offset(32, 32), jitter_offset(0, 32));
        for i in 0..72 {
            let j = jitter_offset(i, 72);
            assert!(j.iter().all(|v| (-0.5..=0.5).contains(v)));
        }
    }

    #[test]
    fn render_size_floors_per_axis() {
        assert_eq!(render_size([1920, 1080], 1.7), [1129, 635]);
        assert_eq!(render_size([960, 540], 2.0), [480, 270]);
        assert_eq!(render_size([1, 1], 3.0), [1, 1]);
    }

    #[test]
    fn projection_jitter_and_mip_bias_follow_fsr2() {
        assert_eq!(projection_jitter([0.25, -0.5], [480, 270]), [0.5 / 480.0, 1.0 / 270.0]);
        assert!((mip_bias(480, 960) - -2.0).abs() < 1e-6);
        assert!((mip_bias(960, 960) - -1.0).abs() < 1e-6);
    }

    #[test]
    fn quality_modes_parse_by_name() {
        assert_eq!("balanced".parse::<QualityMode>().unwrap().ratio(), 1.7);
        assert_eq!("ultra-performance".parse::<QualityMode>().unwrap(), QualityMode::UltraPerformance);
        assert!("fast".parse::<QualityMode>().unwrap_err().contains("performance"));
    }
}

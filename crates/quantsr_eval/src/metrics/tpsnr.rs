//! Temporal PSNR: how faithfully a method reproduces ground truth's frame-to-frame change, so
//! flicker and ghosting that a per-frame metric averages away show up as error.

use super::image::{DisplayImage, ImageView, assert_same_size};
use super::psnr::{mean_squared_difference, psnr_from_mse};

/// Temporal PSNR (dB) of a method's frame pair (`prev_b`, `b`) against ground truth's pair
/// (`prev_a`, `a`): the PSNR, with peak signal 1, between the frame differences `a - prev_a`
/// and `b - prev_b` of the display-transformed RGB, i.e. `10 log10(1 / mse)` where `mse` is
/// the mean over all RGB values of `((a - prev_a) - (b - prev_b))^2`.
///
/// Undefined for the first frame of a shot (there is no previous frame); a sequence whose
/// changes match ground truth exactly gives `f64::INFINITY` (capped by [`super::cap_psnr`]).
///
/// # Panics
/// If the four frames are invalid or differ in size.
pub fn temporal_psnr(prev_a: &ImageView<'_>, a: &ImageView<'_>, prev_b: &ImageView<'_>, b: &ImageView<'_>) -> f64 {
    temporal_psnr_display(
        &DisplayImage::from_linear(prev_a),
        &DisplayImage::from_linear(a),
        &DisplayImage::from_linear(prev_b),
        &DisplayImage::from_linear(b),
    )
}

/// [`temporal_psnr`] on frames already display-transformed (keep the previous frame's
/// [`DisplayImage`] to convert each frame once).
///
/// # Panics
/// If the images differ in size.
pub fn temporal_psnr_display(prev_a: &DisplayImage, a: &DisplayImage, prev_b: &DisplayImage, b: &DisplayImage) -> f64 {
    assert_same_size(prev_a, a);
    assert_same_size(a, prev_b);
    assert_same_size(prev_b, b);
    let diffs = prev_a.rgb.iter().zip(&a.rgb).zip(prev_b.rgb.iter().zip(&b.rgb));
    psnr_from_mse(mean_squared_difference(diffs.map(|((pa, a), (pb, b))| (a - pa) - (b - pb))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::psnr::{PSNR_CAP_DB, cap_psnr};

    fn frame(w: u32, h: u32, f: impl Fn(usize) -> f32) -> DisplayImage {
        DisplayImage { width: w, height: h, rgb: (0..(w * h * 3) as usize).map(f).collect() }
    }

    #[test]
    fn identical_sequences_have_infinite_tpsnr() {
        let l0: Vec<f32> = (0..75).map(|i| (i % 7) as f32 / 7.0).collect();
        let l1: Vec<f32> = (0..75).map(|i| (i % 5) as f32 / 3.0).collect();
        let f0 = ImageView::new(5, 5, 3, &l0).unwrap();
        let f1 = ImageView::new(5, 5, 3, &l1).unwrap();
        let t = temporal_psnr(&f0, &f1, &f0, &f1);
        assert_eq!(t, f64::INFINITY);
        assert_eq!(cap_psnr(t), PSNR_CAP_DB);
    }

    #[test]
    fn a_constant_error_that_does_not_change_is_not_flicker() {
        // The method is off by 0.1 everywhere but stably so: per-frame PSNR is 20 dB, tPSNR infinite.
        let a0 = frame(4, 4, |i| (i % 3) as f32 * 0.2);
        let a1 = frame(4, 4, |i| (i % 4) as f32 * 0.2);
        let b0 = frame(4, 4, |i| a0.rgb[i] + 0.1);
        let b1 = frame(4, 4, |i| a1.rgb[i] + 0.1);
        assert!(temporal_psnr_display(&a0, &a1, &b0, &b1) > 120.0);
    }

    #[test]
    fn flicker_against_a_static_ground_truth_is_measured_with_peak_1() {
        let a = frame(4, 4, |_| 0.5);
        let b0 = frame(4, 4, |_| 0.45);
        let b1 = frame(4, 4, |_| 0.55);
        // Ground truth does not change; the method changes by 0.1: mse 0.01, 20 dB.
        assert!((temporal_psnr_display(&a, &a, &b0, &b1) - 20.0).abs() < 1e-5);
    }
}

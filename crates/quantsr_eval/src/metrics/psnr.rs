//! Peak signal-to-noise ratio on display-space RGB: the first number every upscaler paper
//! reports, kept for comparison with them.

use super::image::{DisplayImage, ImageView, assert_same_size};

/// The per-frame PSNR ceiling (dB) used when averaging: identical frames have infinite PSNR,
/// which would make any mean over them infinite too. `quantsr eval` caps each frame at this
/// value before averaging.
pub const PSNR_CAP_DB: f64 = 100.0;

/// Caps a per-frame PSNR at [`PSNR_CAP_DB`] so it can be averaged (infinity becomes 100 dB).
/// NaN stays NaN so a broken computation is not hidden.
pub fn cap_psnr(db: f64) -> f64 {
    if db.is_nan() { db } else { db.min(PSNR_CAP_DB) }
}

/// PSNR in dB for a mean squared error of signals with peak 1: `10 log10(1 / mse)`;
/// infinite when `mse` is 0.
pub fn psnr_from_mse(mse: f64) -> f64 {
    if mse <= 0.0 { f64::INFINITY } else { -10.0 * mse.log10() }
}

/// PSNR (dB) between two linear HDR frames after the display transform, over all RGB channels
/// with peak 1. Identical frames give `f64::INFINITY`; see [`cap_psnr`] for averaging.
///
/// # Panics
/// If the frames are invalid or differ in size (see [`super::check_comparable`]).
pub fn psnr(a: &ImageView<'_>, b: &ImageView<'_>) -> f64 {
    psnr_display(&DisplayImage::from_linear(a), &DisplayImage::from_linear(b))
}

/// [`psnr`] on frames already display-transformed.
///
/// # Panics
/// If the images differ in size.
pub fn psnr_display(a: &DisplayImage, b: &DisplayImage) -> f64 {
    assert_same_size(a, b);
    psnr_from_mse(mean_squared_difference(a.rgb.iter().zip(&b.rgb).map(|(x, y)| x - y)))
}

/// Mean of the squares of `diffs`, accumulated in `f64`; 0 for no values.
pub(crate) fn mean_squared_difference(diffs: impl Iterator<Item = f32>) -> f64 {
    let (mut sum, mut n) = (0.0f64, 0usize);
    for d in diffs {
        let d = f64::from(d);
        sum += d * d;
        n += 1;
    }
    if n == 0 { 0.0 } else { sum / n as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::image::srgb_eotf;

    fn flat_display(w: u32, h: u32, v: f32) -> DisplayImage {
        DisplayImage { width: w, height: h, rgb: vec![v; (w * h * 3) as usize] }
    }

    #[test]
    fn identical_frames_have_infinite_psnr_capped_at_100_db() {
        let data: Vec<f32> = (0..48).map(|i| i as f32 / 47.0).collect();
        let v = ImageView::new(4, 4, 3, &data).unwrap();
        assert_eq!(psnr(&v, &v), f64::INFINITY);
        assert_eq!(cap_psnr(psnr(&v, &v)), PSNR_CAP_DB);
        assert_eq!(cap_psnr(35.0), 35.0);
    }

    #[test]
    fn display_offset_of_a_tenth_is_20_db() {
        let a = flat_display(8, 8, 0.5);
        let b = flat_display(8, 8, 0.6);
        assert!((psnr_display(&a, &b) - 20.0).abs() < 1e-5);

        // The same through the display transform: linear values that encode to 0.5 and 0.6.
        let la = vec![srgb_eotf(0.5); 8 * 8 * 4];
        let lb = vec![srgb_eotf(0.6); 8 * 8 * 4];
        let va = ImageView::new(8, 8, 4, &la).unwrap();
        let vb = ImageView::new(8, 8, 4, &lb).unwrap();
        assert!((psnr(&va, &vb) - 20.0).abs() < 1e-4, "{}", psnr(&va, &vb));
    }

    #[test]
    fn psnr_is_measured_after_clamping_hdr_values() {
        // 1.0 and 50.0 both display as white: no error.
        let a = vec![1.0f32; 27];
        let b = vec![50.0f32; 27];
        let va = ImageView::new(3, 3, 3, &a).unwrap();
        let vb = ImageView::new(3, 3, 3, &b).unwrap();
        assert_eq!(psnr(&va, &vb), f64::INFINITY);
    }

    #[test]
    fn nan_pixels_count_as_black() {
        // White vs NaN (black): error 1 on every channel of one pixel out of four.
        let a = vec![1.0f32; 12];
        let mut b = vec![1.0f32; 12];
        b[..3].fill(f32::NAN);
        let va = ImageView::new(2, 2, 3, &a).unwrap();
        let vb = ImageView::new(2, 2, 3, &b).unwrap();
        let want = 10.0 * 4.0f64.log10();
        assert!((psnr(&va, &vb) - want).abs() < 1e-9);
    }

    #[test]
    fn black_vs_white_is_0_db() {
        assert_eq!(psnr_display(&flat_display(2, 2, 0.0), &flat_display(2, 2, 1.0)), 0.0);
    }
}

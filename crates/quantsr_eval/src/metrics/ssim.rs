//! Structural similarity (Wang, Bovik, Sheikh and Simoncelli 2004) on display-space luma: the
//! standard perceptual companion to PSNR, sensitive to lost structure (blur, ringing) rather
//! than to small uniform shifts.

use super::filter::par_rows;
use super::image::{DisplayImage, ImageView, assert_same_size};

/// Side of the Gaussian window in pixels; frames must be at least this large in both
/// dimensions because SSIM is averaged over the "valid" region (no padding).
pub const SSIM_WINDOW: u32 = 11;

/// Standard deviation of the Gaussian window, in pixels.
const SIGMA: f64 = 1.5;
/// Stabilises the luminance term: `(K1 L)^2` with `K1 = 0.01`, dynamic range `L = 1`.
const C1: f64 = 0.01 * 0.01;
/// Stabilises the contrast-structure term: `(K2 L)^2` with `K2 = 0.03`, `L = 1`.
const C2: f64 = 0.03 * 0.03;

/// Number of local moments filtered per pixel: mean a, mean b, E[a^2], E[b^2], E[ab].
const MOMENTS: usize = 5;

/// The normalised 1D Gaussian; the 2D window is its outer product (MATLAB's
/// `fspecial('gaussian', 11, 1.5)`).
fn window() -> [f32; SSIM_WINDOW as usize] {
    let r = (SSIM_WINDOW / 2) as f64;
    let mut w = [0.0f64; SSIM_WINDOW as usize];
    for (i, v) in w.iter_mut().enumerate() {
        let x = i as f64 - r;
        *v = (-x * x / (2.0 * SIGMA * SIGMA)).exp();
    }
    let sum: f64 = w.iter().sum();
    w.map(|v| (v / sum) as f32)
}

/// SSIM between two linear HDR frames: mean SSIM over the valid region of the Rec.709 luma of
/// the display-transformed RGB, with an 11x11 Gaussian window (sigma 1.5), K1 = 0.01,
/// K2 = 0.03 and L = 1. 1 for identical frames, lower for less similar ones.
///
/// # Panics
/// If the frames are invalid, differ in size, or are smaller than [`SSIM_WINDOW`] in either
/// dimension (see [`super::check_comparable`]).
pub fn ssim(a: &ImageView<'_>, b: &ImageView<'_>) -> f64 {
    ssim_display(&DisplayImage::from_linear(a), &DisplayImage::from_linear(b))
}

/// [`ssim`] on frames already display-transformed.
///
/// # Panics
/// If the images differ in size or are smaller than [`SSIM_WINDOW`] in either dimension.
pub fn ssim_display(a: &DisplayImage, b: &DisplayImage) -> f64 {
    assert_same_size(a, b);
    assert!(
        a.width >= SSIM_WINDOW && a.height >= SSIM_WINDOW,
        "SSIM needs frames of at least {SSIM_WINDOW}x{SSIM_WINDOW} pixels, got {}x{}",
        a.width,
        a.height
    );
    ssim_luma(&a.luma(), &b.luma(), a.width as usize, a.height as usize)
}

/// Mean SSIM of two single-channel planes over the valid region, with separable filtering:
/// a horizontal pass computes the five local moments for every input row, a vertical pass
/// finishes them and evaluates SSIM per output pixel.
fn ssim_luma(la: &[f32], lb: &[f32], width: usize, height: usize) -> f64 {
    let win = window();
    let n = win.len();
    let (ow, oh) = (width + 1 - n, height + 1 - n);
    let row_len = MOMENTS * ow;

    // Horizontal pass: each row holds the five moment rows one after another (planar, so the
    // inner loops run over contiguous memory).
    let mut horizontal = vec![0.0f32; height * row_len];
    par_rows(&mut horizontal, row_len, row_len * n, |first_row, rows| {
        for (i, out) in rows.chunks_exact_mut(row_len).enumerate() {
            let y = first_row + i;
            let (ra, rb) = (&la[y * width..][..width], &lb[y * width..][..width]);
            let (ma, rest) = out.split_at_mut(ow);
            let (mb, rest) = rest.split_at_mut(ow);
            let (aa, rest) = rest.split_at_mut(ow);
            let (bb, ab) = rest.split_at_mut(ow);
            for (k, &g) in win.iter().enumerate() {
                let (wa, wb) = (&ra[k..k + ow], &rb[k..k + ow]);
                for x in 0..ow {
                    let (a, b) = (wa[x], wb[x]);
                    ma[x] += g * a;
                    mb[x] += g * b;
                    aa[x] += g * a * a;
                    bb[x] += g * b * b;
                    ab[x] += g * a * b;
                }
            }
        }
    });

    // Vertical pass and SSIM, one sum per output row so the mean does not depend on threading.
    let mut row_sums = vec![0.0f64; oh];
    par_rows(&mut row_sums, 1, row_len * n, |first_row, sums| {
        let mut acc = vec![0.0f32; row_len];
        for (i, sum) in sums.iter_mut().enumerate() {
            let y = first_row + i;
            acc.fill(0.0);
            for (k, &g) in win.iter().enumerate() {
                for (o, &h) in acc.iter_mut().zip(&horizontal[(y + k) * row_len..][..row_len]) {
                    *o += g * h;
                }
            }
            *sum = (0..ow)
                .map(|x| ssim_from_moments(acc[x], acc[ow + x], acc[2 * ow + x], acc[3 * ow + x], acc[4 * ow + x]))
                .sum();
        }
    });
    row_sums.iter().sum::<f64>() / (ow * oh) as f64
}

/// SSIM of one window from its Gaussian-weighted moments; exactly 1 when `a == b`
/// (the same operations produce the numerator and the denominator).
fn ssim_from_moments(ma: f32, mb: f32, aa: f32, bb: f32, ab: f32) -> f64 {
    let (ma, mb) = (f64::from(ma), f64::from(mb));
    let var_a = f64::from(aa) - ma * ma;
    let var_b = f64::from(bb) - mb * mb;
    let cov = f64::from(ab) - ma * mb;
    ((2.0 * ma * mb + C1) * (2.0 * cov + C2)) / ((ma * ma + mb * mb + C1) * (var_a + var_b + C2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::filter::tests::hash01;

    /// The textbook definition: an explicit 11x11 window at every valid position, in f64.
    fn ssim_direct(la: &[f32], lb: &[f32], w: usize, h: usize) -> f64 {
        let g: Vec<f64> = (0..11).map(|i| (-((i as f64 - 5.0).powi(2)) / (2.0 * 1.5 * 1.5)).exp()).collect();
        let gs: f64 = g.iter().sum();
        let mut total = 0.0;
        for y in 0..=h - 11 {
            for x in 0..=w - 11 {
                let (mut ma, mut mb, mut aa, mut bb, mut ab) = (0.0, 0.0, 0.0, 0.0, 0.0);
                for j in 0..11 {
                    for i in 0..11 {
                        let wgt = g[j] * g[i] / (gs * gs);
                        let a = f64::from(la[(y + j) * w + x + i]);
                        let b = f64::from(lb[(y + j) * w + x + i]);
                        ma += wgt * a;
                        mb += wgt * b;
                        aa += wgt * a * a;
                        bb += wgt * b * b;
                        ab += wgt * a * b;
                    }
                }
                let (va, vb, cov) = (aa - ma * ma, bb - mb * mb, ab - ma * mb);
                total += ((2.0 * ma * mb + C1) * (2.0 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
            }
        }
        total / ((w - 10) * (h - 10)) as f64
    }

    fn textured(w: u32, h: u32) -> DisplayImage {
        let rgb = (0..(w * h) as usize)
            .flat_map(|i| {
                let (x, y) = ((i % w as usize) as f32, (i / w as usize) as f32);
                let base = 0.5 + 0.3 * (x * 0.7).sin() * (y * 0.4).cos();
                [base, 0.8 * base + 0.1, 1.0 - base]
            })
            .collect();
        DisplayImage { width: w, height: h, rgb }
    }

    fn with_noise(img: &DisplayImage, amplitude: f32, seed: u64) -> DisplayImage {
        let rgb = img
            .rgb
            .iter()
            .enumerate()
            .map(|(i, &v)| (v + amplitude * (2.0 * hash01(seed ^ i as u64) - 1.0)).clamp(0.0, 1.0))
            .collect();
        DisplayImage { rgb, ..img.clone() }
    }

    #[test]
    fn window_is_normalised_and_symmetric() {
        let w = window();
        assert!((w.iter().map(|&v| f64::from(v)).sum::<f64>() - 1.0).abs() < 1e-6);
        for i in 0..5 {
            assert_eq!(w[i], w[10 - i]);
        }
    }

    #[test]
    fn identical_images_have_ssim_exactly_1() {
        let img = textured(40, 23);
        assert_eq!(ssim_display(&img, &img), 1.0);
        let data: Vec<f32> = (0..16 * 12 * 4).map(|i| hash01(i) * 3.0 - 1.0).collect();
        let v = ImageView::new(16, 12, 4, &data).unwrap();
        assert_eq!(ssim(&v, &v), 1.0);
    }

    #[test]
    fn separable_ssim_matches_direct_window_definition() {
        let a = textured(31, 19);
        let b = with_noise(&a, 0.1, 7);
        let want = ssim_direct(&a.luma(), &b.luma(), 31, 19);
        let got = ssim_display(&a, &b);
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }

    #[test]
    fn ssim_decreases_as_noise_grows() {
        let a = textured(48, 32);
        let mut last = 1.0;
        for amplitude in [0.01, 0.03, 0.1, 0.3] {
            let s = ssim_display(&a, &with_noise(&a, amplitude, 3));
            assert!(s < last, "noise {amplitude}: ssim {s} not below {last}");
            last = s;
        }
        assert!(last < 0.7, "ssim at the largest noise: {last}");
    }

    #[test]
    fn large_frames_split_across_threads_match_the_direct_definition() {
        // Big enough for the passes to run on several threads.
        let a = textured(300, 200);
        let b = with_noise(&a, 0.05, 11);
        let want = ssim_direct(&a.luma(), &b.luma(), 300, 200);
        assert!((ssim_display(&a, &b) - want).abs() < 1e-5);
    }

    #[test]
    #[should_panic(expected = "at least 11x11")]
    fn frames_smaller_than_the_window_are_rejected() {
        let img = textured(10, 30);
        ssim_display(&img, &img);
    }
}

//! LDR-FLIP (Andersson, Nilsson, Akenine-Möller, Oskarsson, Åström and Fairchild 2020, "FLIP: A
//! Difference Evaluator for Alternating Images"): a per-pixel estimate, in [0, 1], of how
//! visible the difference between a reference and a test image is when a viewer flips between
//! them. It models the eye's contrast sensitivity at a given viewing distance, so errors too
//! fine to see count for little while shifted edges and lost points count for a lot — the kind
//! of error temporal upscalers make.
//!
//! This is an implementation of the published algorithm:
//! - Colour pipeline: sRGB → linear RGB → YCxCz (a linearised CIELAB opponent space); each
//!   channel is filtered with the spatial contrast sensitivity function, a mixture of Gaussians
//!   per channel; back to linear RGB clamped to [0, 1], then to CIELAB with the Hunt adjustment
//!   (`a*`, `b*` scaled by `0.01 L*`); HyAB distance raised to `qc = 0.7`, then redistributed
//!   so that `pc = 0.4` of the largest distance (green vs blue) maps to `pt = 0.95`.
//! - Feature pipeline: edges (first Gaussian derivative) and points (second derivative) of the
//!   achromatic channel, filter width 0.082 degrees; the larger difference in edge or point
//!   magnitude, over `sqrt 2`, raised to `qf = 0.5`.
//! - Per pixel: `error = colour_difference ^ (1 - feature_difference)`.
//!
//! All filters are separable; borders are clamped to the edge.

use std::f64::consts::PI;

use super::filter::{convolve_cols, convolve_rows, convolve_separable, par_map};
use super::image::{DisplayImage, ImageView, assert_same_size, srgb_eotf};

/// The viewer FLIP models, from which it derives pixels per degree of visual angle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlipViewing {
    /// Distance from the eye to the monitor, in metres.
    pub distance_m: f64,
    /// Physical width of the monitor, in metres.
    pub monitor_width_m: f64,
    /// Horizontal resolution of the monitor, in pixels.
    pub monitor_width_px: f64,
}

impl FlipViewing {
    /// FLIP's default viewer: a 0.7 m wide 3840-pixel monitor seen from 0.7 m.
    pub const DEFAULT: Self = Self { distance_m: 0.7, monitor_width_m: 0.7, monitor_width_px: 3840.0 };

    /// Pixels per degree of visual angle: `distance * (px / width) * pi / 180`.
    pub fn pixels_per_degree(&self) -> f64 {
        self.distance_m * (self.monitor_width_px / self.monitor_width_m) * PI / 180.0
    }
}

impl Default for FlipViewing {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Pixels per degree for [`FlipViewing::DEFAULT`] (about 67.02).
pub const DEFAULT_PPD: f64 = 0.7 * (3840.0 / 0.7) * PI / 180.0;

/// A per-pixel FLIP error map, for heat-map output and for its mean.
#[derive(Clone, Debug, PartialEq)]
pub struct FlipMap {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height` errors in [0, 1], row-major.
    pub error: Vec<f32>,
}

impl FlipMap {
    /// The mean error: the single-number FLIP score of the image pair.
    pub fn mean(&self) -> f64 {
        if self.error.is_empty() {
            return 0.0;
        }
        self.error.iter().map(|&e| f64::from(e)).sum::<f64>() / self.error.len() as f64
    }
}

/// Mean LDR-FLIP of `test` against `reference` (both linear HDR frames, display-transformed
/// first) for the default viewer: 0 for identical frames, near 1 for black against white.
///
/// # Panics
/// If the frames are invalid or differ in size.
pub fn flip(reference: &ImageView<'_>, test: &ImageView<'_>) -> f64 {
    flip_map(reference, test).mean()
}

/// Per-pixel LDR-FLIP of `test` against `reference` for the default viewer.
///
/// # Panics
/// If the frames are invalid or differ in size.
pub fn flip_map(reference: &ImageView<'_>, test: &ImageView<'_>) -> FlipMap {
    flip_map_display(&DisplayImage::from_linear(reference), &DisplayImage::from_linear(test), DEFAULT_PPD)
}

/// Mean LDR-FLIP on frames already display-transformed (sRGB-encoded), default viewer.
///
/// # Panics
/// If the images differ in size.
pub fn flip_display(reference: &DisplayImage, test: &DisplayImage) -> f64 {
    flip_map_display(reference, test, DEFAULT_PPD).mean()
}

/// Per-pixel LDR-FLIP on sRGB-encoded images in [0, 1] for a viewer at `ppd` pixels per degree
/// (see [`FlipViewing::pixels_per_degree`]).
///
/// # Panics
/// If the images differ in size or `ppd` is not positive.
pub fn flip_map_display(reference: &DisplayImage, test: &DisplayImage, ppd: f64) -> FlipMap {
    assert_same_size(reference, test);
    assert!(ppd > 0.0 && ppd.is_finite(), "FLIP needs a positive pixels-per-degree, got {ppd}");
    let filters = Filters::new(ppd);
    let r = prepare(reference, &filters);
    let t = prepare(test, &filters);
    let cmax = max_colour_difference();
    let width = reference.width as usize;
    let mut error = vec![0.0f32; reference.pixel_count()];
    par_map(&mut error, width.max(1), 64, |p| {
        let colour = redistribute(hyab(r.lab[p], t.lab[p]).powf(QC), cmax);
        let edge = (r.edge[p] - t.edge[p]).abs();
        let point = (r.point[p] - t.point[p]).abs();
        let feature = (edge.max(point) * std::f32::consts::FRAC_1_SQRT_2).min(1.0).powf(QF);
        colour.powf(1.0 - feature)
    });
    FlipMap { width: reference.width, height: reference.height, error }
}

/// Exponent applied to the HyAB colour distance.
const QC: f32 = 0.7;
/// Fraction of the largest colour distance where the redistribution's knee sits.
const PC: f32 = 0.4;
/// Error value the knee maps to.
const PT: f32 = 0.95;
/// Exponent applied to the feature difference.
const QF: f32 = 0.5;
/// Width of the edge and point detectors, in degrees of visual angle.
const FEATURE_WIDTH_DEG: f64 = 0.082;

/// One Gaussian of a contrast sensitivity function in the frequency domain,
/// `a exp(-b f^2)`; its spatial counterpart is `a sqrt(pi / b) exp(-pi^2 x^2 / b)`, `x` in
/// degrees.
#[derive(Clone, Copy)]
struct CsfGaussian {
    a: f64,
    b: f64,
}

/// The published CSF of each opponent channel: achromatic, red-green, blue-yellow. The
/// achromatic and red-green second Gaussians have `a = 0` and drop out.
const CSF: [[CsfGaussian; 2]; 3] = [
    [CsfGaussian { a: 1.0, b: 0.0047 }, CsfGaussian { a: 0.0, b: 1e-5 }],
    [CsfGaussian { a: 1.0, b: 0.0053 }, CsfGaussian { a: 0.0, b: 1e-5 }],
    [CsfGaussian { a: 34.1, b: 0.04 }, CsfGaussian { a: 13.5, b: 0.025 }],
];

/// Radius in pixels of the CSF filters: three standard deviations of the widest Gaussian.
fn csf_radius(ppd: f64) -> usize {
    let b_max = CSF.iter().flatten().map(|g| g.b).fold(0.0, f64::max);
    (3.0 * (b_max / (2.0 * PI * PI)).sqrt() * ppd).ceil() as usize
}

/// One separable term of a filter: rows with `horizontal`, then columns with `vertical`.
struct SeparableTerm {
    horizontal: Vec<f32>,
    vertical: Vec<f32>,
}

/// A 2D filter written as a sum of separable terms (the CSF of the blue-yellow channel is a
/// sum of two Gaussians, each separable).
struct SeparableSum {
    terms: Vec<SeparableTerm>,
}

impl SeparableSum {
    /// The CSF filter of one channel: the 2D spatial kernel sampled at whole pixels within
    /// `radius`, normalised to sum to 1, split into one separable term per Gaussian.
    fn csf(gaussians: &[CsfGaussian; 2], ppd: f64, radius: usize) -> Self {
        let profile = |b: f64| -> Vec<f64> {
            (0..=2 * radius)
                .map(|i| {
                    let x = (i as f64 - radius as f64) / ppd;
                    (-PI * PI * x * x / b).exp()
                })
                .collect()
        };
        let used: Vec<(f64, Vec<f64>)> =
            gaussians.iter().filter(|g| g.a != 0.0).map(|g| (g.a * (PI / g.b).sqrt(), profile(g.b))).collect();
        // Sum of the 2D kernel: each term is coefficient * p(x) * p(y).
        let total: f64 = used.iter().map(|(c, p)| c * p.iter().sum::<f64>().powi(2)).sum();
        let terms = used
            .into_iter()
            .map(|(c, p)| SeparableTerm {
                horizontal: p.iter().map(|&v| v as f32).collect(),
                vertical: p.iter().map(|&v| (v * c / total) as f32).collect(),
            })
            .collect();
        Self { terms }
    }

    /// Filters `src` into `dst` (clamp-to-edge); `scratch` and `tmp` are work planes of the
    /// same size.
    fn apply(&self, src: &[f32], width: usize, scratch: &mut [f32], tmp: &mut [f32], dst: &mut [f32]) {
        for (i, term) in self.terms.iter().enumerate() {
            if i == 0 {
                convolve_separable(src, width, &term.horizontal, &term.vertical, scratch, dst);
            } else {
                convolve_separable(src, width, &term.horizontal, &term.vertical, scratch, tmp);
                for (d, t) in dst.iter_mut().zip(tmp.iter()) {
                    *d += t;
                }
            }
        }
    }
}

/// The 1D kernels of the feature detectors. The 2D detectors are `d(x) s(y)` and `s(x) d(y)`,
/// where `s` is a normalised Gaussian and `d` its first (edges) or second (points) derivative
/// with positive weights summing to 1 and negative weights to -1 — which is exactly the 2D
/// kernel normalised that way.
struct FeatureKernels {
    smooth: Vec<f32>,
    edge: Vec<f32>,
    point: Vec<f32>,
}

impl FeatureKernels {
    fn new(ppd: f64) -> Self {
        let sigma = 0.5 * FEATURE_WIDTH_DEG * ppd;
        let radius = (3.0 * sigma).ceil() as isize;
        let xs: Vec<f64> = (-radius..=radius).map(|x| x as f64).collect();
        let g: Vec<f64> = xs.iter().map(|x| (-x * x / (2.0 * sigma * sigma)).exp()).collect();
        let g_sum: f64 = g.iter().sum();
        let edge: Vec<f64> = xs.iter().zip(&g).map(|(x, g)| -x * g).collect();
        let point: Vec<f64> = xs.iter().zip(&g).map(|(x, g)| (x * x / (sigma * sigma) - 1.0) * g).collect();
        Self {
            smooth: g.iter().map(|v| (v / g_sum) as f32).collect(),
            edge: normalise_signed(&edge),
            point: normalise_signed(&point),
        }
    }
}

/// Scales positive weights to sum to 1 and negative weights to sum to -1.
fn normalise_signed(k: &[f64]) -> Vec<f32> {
    let pos: f64 = k.iter().filter(|&&v| v > 0.0).sum();
    let neg: f64 = -k.iter().filter(|&&v| v < 0.0).sum::<f64>();
    k.iter()
        .map(|&v| {
            if v > 0.0 {
                (v / pos) as f32
            } else if v < 0.0 {
                (v / neg) as f32
            } else {
                0.0
            }
        })
        .collect()
}

/// Every filter FLIP needs for one viewing distance.
struct Filters {
    csf: [SeparableSum; 3],
    features: FeatureKernels,
}

impl Filters {
    fn new(ppd: f64) -> Self {
        let radius = csf_radius(ppd);
        Self { csf: CSF.each_ref().map(|g| SeparableSum::csf(g, ppd, radius)), features: FeatureKernels::new(ppd) }
    }
}

/// linear sRGB → CIE XYZ (D65).
const RGB_TO_XYZ: [[f32; 3]; 3] = [
    [0.412_456_4, 0.357_576_1, 0.180_437_5],
    [0.212_672_9, 0.715_152_2, 0.072_175],
    [0.019_333_9, 0.119_192, 0.950_304_1],
];
/// CIE XYZ (D65) → linear sRGB: the inverse of [`RGB_TO_XYZ`].
const XYZ_TO_RGB: [[f32; 3]; 3] = [
    [3.240_454_2, -1.537_138_5, -0.498_531_4],
    [-0.969_266, 1.876_010_8, 0.041_556],
    [0.055_643_4, -0.204_025_9, 1.057_225_2],
];
/// The reference white: XYZ of linear RGB (1, 1, 1), so white has `L* = 100`, `a* = b* = 0`.
const WHITE: [f32; 3] = [
    RGB_TO_XYZ[0][0] + RGB_TO_XYZ[0][1] + RGB_TO_XYZ[0][2],
    RGB_TO_XYZ[1][0] + RGB_TO_XYZ[1][1] + RGB_TO_XYZ[1][2],
    RGB_TO_XYZ[2][0] + RGB_TO_XYZ[2][1] + RGB_TO_XYZ[2][2],
];

fn mul(m: &[[f32; 3]; 3], v: [f32; 3]) -> [f32; 3] {
    m.map(|row| row[0] * v[0] + row[1] * v[1] + row[2] * v[2])
}

/// XYZ relative to the white point.
fn relative_xyz(rgb: [f32; 3]) -> [f32; 3] {
    let xyz = mul(&RGB_TO_XYZ, rgb);
    [xyz[0] / WHITE[0], xyz[1] / WHITE[1], xyz[2] / WHITE[2]]
}

/// linear RGB → YCxCz: `Y = 116 y - 16`, `Cx = 500 (x - y)`, `Cz = 200 (y - z)` with x, y, z
/// relative to white (CIELAB without its cube root, so it can be filtered linearly).
fn ycxcz_from_linear(rgb: [f32; 3]) -> [f32; 3] {
    let [x, y, z] = relative_xyz(rgb);
    [116.0 * y - 16.0, 500.0 * (x - y), 200.0 * (y - z)]
}

/// YCxCz → linear RGB, the inverse of [`ycxcz_from_linear`].
fn linear_from_ycxcz(c: [f32; 3]) -> [f32; 3] {
    let y = (c[0] + 16.0) / 116.0;
    let x = c[1] / 500.0 + y;
    let z = y - c[2] / 200.0;
    mul(&XYZ_TO_RGB, [x * WHITE[0], y * WHITE[1], z * WHITE[2]])
}

/// CIELAB with the Hunt adjustment (`a*`, `b*` scaled by `0.01 L*`, as chroma looks weaker in
/// the dark) of a linear RGB colour.
fn hunt_lab_from_linear(rgb: [f32; 3]) -> [f32; 3] {
    const DELTA: f32 = 6.0 / 29.0;
    let f = |t: f32| {
        if t > DELTA * DELTA * DELTA { t.cbrt() } else { t / (3.0 * DELTA * DELTA) + 4.0 / 29.0 }
    };
    let [x, y, z] = relative_xyz(rgb).map(f);
    let l = 116.0 * y - 16.0;
    let (a, b) = (500.0 * (x - y), 200.0 * (y - z));
    [l, 0.01 * l * a, 0.01 * l * b]
}

/// The HyAB distance: city-block in lightness plus Euclidean in chroma.
fn hyab(p: [f32; 3], q: [f32; 3]) -> f32 {
    (p[0] - q[0]).abs() + ((p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt()
}

/// The largest colour difference FLIP expects, between pure green and pure blue, after `qc`.
fn max_colour_difference() -> f32 {
    hyab(hunt_lab_from_linear([0.0, 1.0, 0.0]), hunt_lab_from_linear([0.0, 0.0, 1.0])).powf(QC)
}

/// Maps a colour difference to [0, 1]: linearly up to `pc cmax` → `pt`, then the remaining
/// range compressed into `pt..1`.
fn redistribute(e: f32, cmax: f32) -> f32 {
    let knee = PC * cmax;
    let v = if e < knee { PT / knee * e } else { PT + (e - knee) / (cmax - knee) * (1.0 - PT) };
    v.min(1.0)
}

/// What FLIP needs of one image: its CSF-filtered Hunt-adjusted CIELAB colour and the edge and
/// point magnitudes of its achromatic channel.
struct Prepared {
    lab: Vec<[f32; 3]>,
    edge: Vec<f32>,
    point: Vec<f32>,
}

fn prepare(image: &DisplayImage, filters: &Filters) -> Prepared {
    let width = (image.width as usize).max(1);
    let n = image.pixel_count();
    let mut linear = vec![[0.0f32; 3]; n];
    par_map(&mut linear, width, 40, |p| {
        let px = &image.rgb[3 * p..3 * p + 3];
        [px[0], px[1], px[2]].map(srgb_eotf)
    });

    // Colour: filter each YCxCz channel with its CSF, back to linear RGB clamped to the gamut,
    // then Hunt-adjusted CIELAB.
    let mut scratch = vec![0.0f32; n];
    let mut tmp = vec![0.0f32; n];
    let mut opponent = vec![0.0f32; n];
    let mut filtered: [Vec<f32>; 3] = std::array::from_fn(|_| vec![0.0f32; n]);
    for (channel, out) in filtered.iter_mut().enumerate() {
        par_map(&mut opponent, width, 12, |p| ycxcz_from_linear(linear[p])[channel]);
        filters.csf[channel].apply(&opponent, width, &mut scratch, &mut tmp, out);
    }
    let mut lab = vec![[0.0f32; 3]; n];
    par_map(&mut lab, width, 48, |p| {
        let rgb = linear_from_ycxcz([filtered[0][p], filtered[1][p], filtered[2][p]]);
        hunt_lab_from_linear(rgb.map(|v| v.clamp(0.0, 1.0)))
    });

    // Features: the achromatic channel is luminance relative to white, in [0, 1]. Each
    // detector's magnitude is that of its responses d(x) s(y) and s(x) d(y).
    let gray = &mut opponent;
    par_map(gray, width, 4, |p| relative_xyz(linear[p])[1]);
    let k = &filters.features;
    let mut smooth_rows = vec![0.0f32; n];
    convolve_rows(gray, width, &k.smooth, &mut smooth_rows);
    let mut magnitude = |derivative: &[f32]| -> Vec<f32> {
        let (derivative_rows, response_x) = (&mut scratch, &mut tmp);
        convolve_rows(gray, width, derivative, derivative_rows);
        convolve_cols(derivative_rows, width, &k.smooth, response_x);
        let mut out = vec![0.0f32; n];
        convolve_cols(&smooth_rows, width, derivative, &mut out);
        for (o, &x) in out.iter_mut().zip(response_x.iter()) {
            *o = (*o * *o + x * x).sqrt();
        }
        out
    };
    let edge = magnitude(&k.edge);
    let point = magnitude(&k.point);
    Prepared { lab, edge, point }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::filter::tests::{convolve_2d_direct, hash01};

    fn image(w: u32, h: u32, f: impl Fn(usize, usize) -> [f32; 3]) -> DisplayImage {
        let rgb = (0..(w * h) as usize).flat_map(|i| f(i % w as usize, i / w as usize)).collect();
        DisplayImage { width: w, height: h, rgb }
    }

    fn flat(w: u32, h: u32, v: f32) -> DisplayImage {
        image(w, h, |_, _| [v; 3])
    }

    /// Coloured 6-pixel checks with a smooth gradient: structure at the scales FLIP cares about.
    fn checks(w: u32, h: u32) -> DisplayImage {
        image(w, h, |x, y| {
            let on = ((x / 6) + (y / 6)) % 2 == 0;
            let g = x as f32 / w as f32;
            if on { [0.9, 0.7 * g + 0.2, 0.3] } else { [0.1, 0.2, 0.8 * (1.0 - g) + 0.1] }
        })
    }

    fn with_noise(img: &DisplayImage, amplitude: f32, seed: u64) -> DisplayImage {
        let rgb = img
            .rgb
            .iter()
            .enumerate()
            .map(|(i, &v)| (v + amplitude * (2.0 * hash01(seed ^ ((i as u64) << 1)) - 1.0)).clamp(0.0, 1.0))
            .collect();
        DisplayImage { rgb, ..img.clone() }
    }

    fn box_blur(img: &DisplayImage, radius: usize) -> DisplayImage {
        let (w, h) = (img.width as usize, img.height as usize);
        let mut rgb = vec![0.0; img.rgb.len()];
        for y in 0..h {
            for x in 0..w {
                for c in 0..3 {
                    let mut sum = 0.0;
                    for dy in -(radius as isize)..=radius as isize {
                        for dx in -(radius as isize)..=radius as isize {
                            let sx = (x as isize + dx).clamp(0, w as isize - 1) as usize;
                            let sy = (y as isize + dy).clamp(0, h as isize - 1) as usize;
                            sum += img.rgb[(sy * w + sx) * 3 + c];
                        }
                    }
                    rgb[(y * w + x) * 3 + c] = sum / ((2 * radius + 1) * (2 * radius + 1)) as f32;
                }
            }
        }
        DisplayImage { rgb, ..img.clone() }
    }

    #[test]
    fn default_viewer_sees_about_67_pixels_per_degree() {
        assert!((FlipViewing::default().pixels_per_degree() - 67.0206).abs() < 1e-3);
        assert!((DEFAULT_PPD - FlipViewing::DEFAULT.pixels_per_degree()).abs() < 1e-12);
        assert_eq!(csf_radius(DEFAULT_PPD), 10);
    }

    #[test]
    fn identical_images_have_zero_error_everywhere() {
        let img = with_noise(&checks(40, 30), 0.2, 5);
        let map = flip_map_display(&img, &img, DEFAULT_PPD);
        assert!(map.error.iter().all(|&e| e == 0.0));
        assert_eq!(map.mean(), 0.0);
        let data: Vec<f32> = (0..20 * 10 * 3).map(|i| hash01(i) * 4.0 - 1.0).collect();
        let v = ImageView::new(20, 10, 3, &data).unwrap();
        assert_eq!(flip(&v, &v), 0.0);
    }

    #[test]
    fn black_against_white_is_close_to_1() {
        let e = flip_display(&flat(16, 16, 0.0), &flat(16, 16, 1.0));
        assert!(e > 0.95 && e <= 1.0, "{e}");
        // Symmetric in this case.
        assert_eq!(e, flip_display(&flat(16, 16, 1.0), &flat(16, 16, 0.0)));
    }

    #[test]
    fn errors_stay_in_unit_range_for_any_input() {
        let w = 24;
        for seed in 0..4u64 {
            let data: Vec<f32> = (0..w * w * 4)
                .map(|i| {
                    let v = hash01(seed * 1_000_003 + i as u64);
                    if v < 0.02 { f32::NAN } else { v * 6.0 - 2.0 }
                })
                .collect();
            let a = ImageView::new(w as u32, w as u32, 4, &data).unwrap();
            let inverted: Vec<f32> = data.iter().map(|v| 1.0 - v).collect();
            let b = ImageView::new(w as u32, w as u32, 4, &inverted).unwrap();
            let map = flip_map(&a, &b);
            assert!(map.error.iter().all(|e| (0.0..=1.0).contains(e)), "seed {seed}");
        }
        // Saturated primaries against each other, the extremes of the colour pipeline.
        let primaries = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [1.0, 0.0, 1.0]];
        for p in primaries {
            for q in primaries {
                let e = flip_display(&image(12, 12, |_, _| p), &image(12, 12, |_, _| q));
                assert!((0.0..=1.0).contains(&e));
            }
        }
    }

    #[test]
    fn error_grows_with_noise_amplitude() {
        let reference = checks(64, 48);
        let mut last = 0.0;
        for amplitude in [0.01, 0.03, 0.1, 0.3] {
            let e = flip_display(&reference, &with_noise(&reference, amplitude, 9));
            assert!(e > last, "noise {amplitude}: FLIP {e} not above {last}");
            last = e;
        }
    }

    #[test]
    fn error_grows_with_blur() {
        let reference = checks(64, 48);
        let mut last = 0.0;
        for radius in [1, 2, 3, 5] {
            let e = flip_display(&reference, &box_blur(&reference, radius));
            assert!(e > last, "blur radius {radius}: FLIP {e} not above {last}");
            last = e;
        }
    }

    #[test]
    fn matches_the_published_implementation_on_fixtures() {
        // Means from NVIDIA's reference implementation (the `flip-evaluator` Python package,
        // LDR mode, ppd 67) on these exact images; the per-pixel maps agreed within 1.2e-4.
        let (w, h) = (96, 64);
        let shifted = image(w, h, |x, y| {
            let on = (((x + 1) / 6) + (y / 6)) % 2 == 0;
            let g = (x + 1) as f32 / w as f32;
            if on { [0.9, 0.7 * g + 0.2, 0.3] } else { [0.1, 0.2, 0.8 * (1.0 - g) + 0.1] }
        });
        let smooth = image(w, h, |x, y| {
            [0.0f32, 1.0, 2.0].map(|c| 0.5 + 0.4 * ((x as f32 * 0.1 + c).sin() * (y as f32 * 0.07).cos()))
        });
        let shift_error = flip_map_display(&checks(w, h), &shifted, 67.0).mean();
        assert!((shift_error - 0.282_283).abs() < 5e-5, "{shift_error}");
        let content_error = flip_map_display(&smooth, &checks(w, h), 67.0).mean();
        assert!((content_error - 0.813_817).abs() < 5e-5, "{content_error}");
    }

    #[test]
    fn csf_filters_match_their_2d_kernels() {
        let ppd = DEFAULT_PPD;
        let r = csf_radius(ppd);
        let n = 2 * r + 1;
        let (w, h) = (27, 23);
        let src: Vec<f32> = (0..w * h).map(|i| hash01(i as u64 + 99) * 100.0 - 50.0).collect();
        for (channel, gaussians) in CSF.iter().enumerate() {
            // The spatial CSF as the paper writes it, sampled on the 2D pixel grid, normalised.
            let mut k2 = vec![0.0f64; n * n];
            for y in 0..n {
                for x in 0..n {
                    let (dx, dy) = ((x as f64 - r as f64) / ppd, (y as f64 - r as f64) / ppd);
                    let d2 = dx * dx + dy * dy;
                    k2[y * n + x] =
                        gaussians.iter().map(|g| g.a * (PI / g.b).sqrt() * (-PI * PI * d2 / g.b).exp()).sum();
                }
            }
            let total: f64 = k2.iter().sum();
            k2.iter_mut().for_each(|v| *v /= total);
            let want = convolve_2d_direct(&src, w, &k2, r);

            let filter = SeparableSum::csf(gaussians, ppd, r);
            let (mut s, mut t, mut got) = (vec![0.0; w * h], vec![0.0; w * h], vec![0.0; w * h]);
            filter.apply(&src, w, &mut s, &mut t, &mut got);
            for (g, want) in got.iter().zip(&want) {
                assert!((f64::from(*g) - want).abs() < 1e-3, "channel {channel}: {g} vs {want}");
            }
        }
    }

    #[test]
    fn feature_detectors_are_normalised_derivatives() {
        let k = FeatureKernels::new(DEFAULT_PPD);
        assert_eq!(k.smooth.len(), 2 * 9 + 1);
        let sum = |v: &[f32], pred: fn(f32) -> bool| v.iter().copied().filter(|&x| pred(x)).sum::<f32>();
        assert!((sum(&k.smooth, |_| true) - 1.0).abs() < 1e-6);
        for d in [&k.edge, &k.point] {
            assert!((sum(d, |x| x > 0.0) - 1.0).abs() < 1e-6);
            assert!((sum(d, |x| x < 0.0) + 1.0).abs() < 1e-6);
        }
        // An ideal step of height 1 gives the largest edge response, 1.
        let w = 41;
        let step: Vec<f32> = (0..w * 5).map(|i| if i % w > w / 2 { 1.0 } else { 0.0 }).collect();
        let mut out = vec![0.0; w * 5];
        convolve_rows(&step, w, &k.edge, &mut out);
        let peak = out.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!((peak - 1.0).abs() < 1e-5, "{peak}");
    }

    #[test]
    fn colour_conversions_round_trip_and_anchor_white() {
        let white = hunt_lab_from_linear([1.0; 3]);
        assert!((white[0] - 100.0).abs() < 1e-3 && white[1].abs() < 1e-3 && white[2].abs() < 1e-3);
        for rgb in [[0.2, 0.5, 0.9], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]] {
            let back = linear_from_ycxcz(ycxcz_from_linear(rgb));
            for c in 0..3 {
                assert!((back[c] - rgb[c]).abs() < 1e-4, "{rgb:?} -> {back:?}");
            }
        }
        let m = redistribute(max_colour_difference(), max_colour_difference());
        assert!((m - 1.0).abs() < 1e-6);
        assert!((redistribute(PC * max_colour_difference(), max_colour_difference()) - PT).abs() < 1e-6);
    }

    #[test]
    fn frames_split_across_threads_have_no_seams() {
        // A frame large enough for the passes to run on several threads has no seams:
        // a flat region far from the edges of the content reads the same error everywhere.
        let reference = flat(320, 240, 0.25);
        let test = flat(320, 240, 0.5);
        let map = flip_map_display(&reference, &test, DEFAULT_PPD);
        let first = map.error[0];
        assert!(first > 0.0);
        assert!(map.error.iter().all(|&e| (e - first).abs() < 1e-6));
    }
}

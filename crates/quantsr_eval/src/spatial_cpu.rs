//! CPU references for the spatial baselines of `shaders/baselines/` (`spatial.wgsl`,
//! `easu.wgsl`): the same math as the kernels, one output pixel at a time, written to be read.
//! `tests/spatial_parity.rs` checks the GPU against these.

use quantsr_sequence::Image;

use crate::spatial::SpatialFilter;

/// Upscales `color` (render resolution, at least 3 channels, RGB used) to `display_size` with
/// `filter`, as [`SpatialUpscaler`](crate::spatial::SpatialUpscaler) does on the GPU. `jitter`
/// is in render pixels: render pixel k holds the scene at k + 0.5 − jitter. Returns an RGBA
/// image with alpha 1.
pub fn upscale(filter: SpatialFilter, color: &Image, display_size: [u32; 2], jitter: [f32; 2]) -> Image {
    let source = Source { image: color };
    let [w, h] = display_size;
    let mut data = Vec::with_capacity(w as usize * h as usize * 4);
    for y in 0..h {
        for x in 0..w {
            let pos = sample_pos([x, y], color.size(), display_size, jitter);
            let rgb = match filter {
                SpatialFilter::Bilinear => bilinear(&source, pos),
                SpatialFilter::Bicubic => bicubic(&source, pos),
                SpatialFilter::Easu => easu(&source, pos),
            };
            data.extend_from_slice(&[rgb[0], rgb[1], rgb[2], 1.0]);
        }
    }
    Image::new(w, h, 4, data)
}

/// Position of display pixel `p` in render-sample space, where render sample k sits at k.
pub fn sample_pos(p: [u32; 2], render_size: [u32; 2], display_size: [u32; 2], jitter: [f32; 2]) -> [f32; 2] {
    std::array::from_fn(|i| {
        let uv = (p[i] as f32 + 0.5) / display_size[i] as f32;
        uv * render_size[i] as f32 + jitter[i] - 0.5
    })
}

type Rgb = [f32; 3];

/// The render image as the shaders read it: clamped to the edge; NaN, ±Inf (and anything of
/// magnitude ≥ 3·10³⁸) read as 0.
struct Source<'a> {
    image: &'a Image,
}

impl Source<'_> {
    fn load(&self, k: [i32; 2]) -> Rgb {
        let x = k[0].clamp(0, self.image.width() as i32 - 1) as u32;
        let y = k[1].clamp(0, self.image.height() as i32 - 1) as u32;
        let p = self.image.pixel(x, y);
        std::array::from_fn(|c| if p[c].abs() < 3.0e38 { p[c] } else { 0.0 })
    }
}

fn add(a: Rgb, b: Rgb) -> Rgb {
    std::array::from_fn(|c| a[c] + b[c])
}

fn scale(a: Rgb, s: f32) -> Rgb {
    a.map(|v| v * s)
}

fn lerp(a: Rgb, b: Rgb, t: f32) -> Rgb {
    std::array::from_fn(|c| a[c] + (b[c] - a[c]) * t)
}

/// Splits a sample position into the integer sample at or left/above it and the fraction.
fn split(pos: [f32; 2]) -> ([i32; 2], [f32; 2]) {
    let base = pos.map(f32::floor);
    ([base[0] as i32, base[1] as i32], [pos[0] - base[0], pos[1] - base[1]])
}

/// Linear interpolation of the 2×2 samples around `pos`.
fn bilinear(s: &Source<'_>, pos: [f32; 2]) -> Rgb {
    let (b, f) = split(pos);
    let top = lerp(s.load(b), s.load([b[0] + 1, b[1]]), f[0]);
    let bottom = lerp(s.load([b[0], b[1] + 1]), s.load([b[0] + 1, b[1] + 1]), f[0]);
    lerp(top, bottom, f[1])
}

/// Catmull-Rom weights of the four samples at −1, 0, 1, 2 for fraction `t`.
fn catmull_rom(t: f32) -> [f32; 4] {
    let (t2, t3) = (t * t, t * t * t);
    [-t3 + 2.0 * t2 - t, 3.0 * t3 - 5.0 * t2 + 2.0, -3.0 * t3 + 4.0 * t2 + t, t3 - t2].map(|w| 0.5 * w)
}

/// Separable Catmull-Rom over the 4×4 samples around `pos`; negative results clamp to 0.
fn bicubic(s: &Source<'_>, pos: [f32; 2]) -> Rgb {
    let (b, f) = split(pos);
    let (wx, wy) = (catmull_rom(f[0]), catmull_rom(f[1]));
    let mut c = [0.0; 3];
    for (j, wy) in (-1..3).zip(wy) {
        for (i, wx) in (-1..3).zip(wx) {
            c = add(c, scale(s.load([b[0] + i, b[1] + j]), wx * wy));
        }
    }
    c.map(|v| v.max(0.0))
}

/// The edge-adaptive filter's constants; `easu.wgsl` has the same values.
pub mod easu_params {
    /// Luma weights of the tonemapped colour used to find edges.
    pub const LUMA: [f32; 3] = [0.25, 0.5, 0.25];
    /// Added to (λ1 + λ2)² before dividing, so that faint structure (central differences of
    /// tonemapped luma below about 0.03: noise, banding) counts as a weak edge at most.
    pub const COHERENCE_EPS: f32 = 1.0e-6;
    /// How much longer than wide the kernel gets along a perfectly coherent edge, minus 1.
    pub const STRETCH: f32 = 1.0;
    /// Relative depth of the kernel's negative lobe where there is no dominant direction: none,
    /// so texture, noise and aliasing are not sharpened (on the demo level a lobe there cost
    /// about 0.3 dB PSNR against ground truth).
    pub const LOBE_FLAT: f32 = 0.0;
    /// Relative depth of the kernel's negative lobe on a perfectly coherent edge.
    pub const LOBE_EDGE: f32 = 0.4;
    /// Smallest 1 − max(t) the inverse tonemap divides by (caps outputs near 10⁶).
    pub const INVERSE_EPS: f32 = 1.0 / 1_048_576.0;
}

/// The 12 taps around the 2×2 quad at offsets (0, 0)–(1, 1): the 4×4 block without corners.
pub const EASU_TAPS: [[i32; 2]; 12] =
    [[0, -1], [1, -1], [-1, 0], [0, 0], [1, 0], [2, 0], [-1, 1], [0, 1], [1, 1], [2, 1], [0, 2], [1, 2]];

fn max3(c: Rgb) -> f32 {
    c[0].max(c[1]).max(c[2])
}

/// c / (1 + max(c)) for c ≥ 0: maps HDR into [0, 1) so a bright highlight cannot dominate
/// the weighted sum (and ring).
fn tonemap(c: Rgb) -> Rgb {
    scale(c, 1.0 / (1.0 + max3(c)))
}

/// The inverse of [`tonemap`]: t / (1 − max(t)).
fn inverse_tonemap(t: Rgb) -> Rgb {
    scale(t, 1.0 / (1.0 - max3(t)).max(easu_params::INVERSE_EPS))
}

/// The kernel as a function of the squared (anisotropic) distance `d2` in render pixels:
/// a smooth window (1 − d²/4)² times (1 − d²), positive inside radius 1, a negative lobe
/// scaled by `lobe` out to radius 2 and zero beyond — a cheap Lanczos-2 look-alike.
fn easu_kernel(d2: f32, lobe: f32) -> f32 {
    let window = (1.0 - 0.25 * d2).max(0.0);
    let core = 1.0 - d2;
    window * window * core * if d2 < 1.0 { 1.0 } else { lobe }
}

/// The kernel weights of the 12 [`EASU_TAPS`] for a sample at fraction `f` inside the quad,
/// given the luma structure tensor `[a, b, c]` (= [[a, b], [b, c]]).
///
/// (a − c, 2b) points at twice the gradient's angle (cos 2θ, sin 2θ) and its length is
/// λ1 − λ2, while a + c = λ1 + λ2: no eigen-decomposition, square root of the tensor or sign
/// choice is needed. The weights sum to more than 0.8 for every `f`, direction and coherence
/// (`easu_weights_sum_well_above_zero`), so normalising by the sum is safe.
fn easu_weights(f: [f32; 2], tensor: [f32; 3]) -> [f32; 12] {
    use easu_params::*;
    let [ta, tb, tc] = tensor;
    let d = [ta - tc, 2.0 * tb];
    let dd = d[0] * d[0] + d[1] * d[1];
    let sum = ta + tc;
    let coherence = dd / (sum * sum + COHERENCE_EPS);
    let inv_len = 1.0 / dd.max(1.0e-30).sqrt();
    let dir2 = [d[0] * inv_len, d[1] * inv_len];
    let stretch = 1.0 + STRETCH * coherence;
    let along = 1.0 - 1.0 / (stretch * stretch);
    let lobe = LOBE_FLAT + (LOBE_EDGE - LOBE_FLAT) * coherence;
    EASU_TAPS.map(|o| {
        let v = [o[0] as f32 - f[0], o[1] as f32 - f[1]];
        let r2 = v[0] * v[0] + v[1] * v[1];
        // Squared component of v along the edge: (v·e)² = ½(|v|² − cos2θ(vx² − vy²) − 2 sin2θ vx vy).
        let e2 = 0.5 * (r2 - dir2[0] * (v[0] * v[0] - v[1] * v[1]) - 2.0 * dir2[1] * v[0] * v[1]);
        easu_kernel(r2 - along * e2, lobe)
    })
}

/// Edge-adaptive upscale at `pos`:
/// 1. read the 12 taps around the 2×2 quad containing `pos`, tonemapped (negatives read as 0);
/// 2. build the structure tensor (Σ w·∇l∇lᵀ) of luma from central differences at the four
///    quad samples, weighted bilinearly by how close `pos` is to each;
/// 3. its eigen-structure gives the gradient direction (as the doubled angle 2θ, which needs no
///    square root or sign choice) and the coherence ((λ1 − λ2)/(λ1 + λ2))² in [0, 1): 0 for flat
///    or isotropic detail, → 1 on a clean edge;
/// 4. filter with [`easu_kernel`] over an elliptic distance stretched along the edge by up to
///    1 + `STRETCH`, with a deeper negative lobe the more coherent the edge;
/// 5. clamp to the per-channel min/max of the 2×2 quad (no ringing), then invert the tonemap.
fn easu(s: &Source<'_>, pos: [f32; 2]) -> Rgb {
    use easu_params::*;
    let (b, f) = split(pos);
    let taps = EASU_TAPS.map(|o| tonemap(s.load([b[0] + o[0], b[1] + o[1]]).map(|v| v.max(0.0))));
    let luma = |o: [i32; 2]| {
        let i = EASU_TAPS.iter().position(|&t| t == o).expect("offset is one of the 12 taps");
        taps[i][0] * LUMA[0] + taps[i][1] * LUMA[1] + taps[i][2] * LUMA[2]
    };

    // Structure tensor [[a, b], [b, c]] over the quad.
    let (mut ta, mut tb, mut tc) = (0.0f32, 0.0f32, 0.0f32);
    for q in [[0, 0], [1, 0], [0, 1], [1, 1]] {
        let wx = if q[0] == 0 { 1.0 - f[0] } else { f[0] };
        let wy = if q[1] == 0 { 1.0 - f[1] } else { f[1] };
        let w = wx * wy;
        let gx = luma([q[0] + 1, q[1]]) - luma([q[0] - 1, q[1]]);
        let gy = luma([q[0], q[1] + 1]) - luma([q[0], q[1] - 1]);
        ta += w * gx * gx;
        tb += w * gx * gy;
        tc += w * gy * gy;
    }
    let weights = easu_weights(f, [ta, tb, tc]);
    let mut acc = [0.0f32; 3];
    let mut weight = 0.0f32;
    for (w, tap) in weights.iter().zip(&taps) {
        acc = add(acc, scale(*tap, *w));
        weight += w;
    }
    let filtered = scale(acc, 1.0 / weight);

    // Quad taps are 3, 4, 7, 8 in EASU_TAPS.
    let quad = [taps[3], taps[4], taps[7], taps[8]];
    let clamped: Rgb = std::array::from_fn(|c| {
        let lo = quad.iter().map(|t| t[c]).fold(f32::INFINITY, f32::min);
        let hi = quad.iter().map(|t| t[c]).fold(f32::NEG_INFINITY, f32::max);
        filtered[c].clamp(lo, hi)
    });
    inverse_tonemap(clamped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easu_taps_cover_the_central_differences_of_the_quad() {
        for q in [[0, 0], [1, 0], [0, 1], [1, 1]] {
            for o in [[1, 0], [-1, 0], [0, 1], [0, -1]] {
                assert!(EASU_TAPS.contains(&[q[0] + o[0], q[1] + o[1]]));
            }
        }
        assert_eq!([EASU_TAPS[3], EASU_TAPS[4], EASU_TAPS[7], EASU_TAPS[8]], [[0, 0], [1, 0], [0, 1], [1, 1]]);
    }

    #[test]
    fn easu_weights_sum_well_above_zero() {
        let mut lowest = f32::INFINITY;
        for fy in 0..=20 {
            for fx in 0..=20 {
                let f = [fx as f32 * 0.049_99, fy as f32 * 0.049_99];
                for angle in 0..36 {
                    let theta = angle as f32 * std::f32::consts::PI / 36.0;
                    let g = [theta.cos(), theta.sin()];
                    // Rank-one tensors (clean edges) plus isotropic parts of several sizes.
                    for iso in [0.0, 0.1, 0.5, 2.0] {
                        let tensor = [g[0] * g[0] + iso, g[0] * g[1], g[1] * g[1] + iso];
                        lowest = lowest.min(easu_weights(f, tensor).iter().sum());
                    }
                }
            }
        }
        assert!(lowest > 0.8, "weights sum to {lowest}");
    }

    #[test]
    fn flat_input_stays_flat() {
        let img = Image::filled(5, 4, 4, 3.5);
        for filter in [SpatialFilter::Bilinear, SpatialFilter::Bicubic, SpatialFilter::Easu] {
            let out = upscale(filter, &img, [11, 9], [0.3, -0.2]);
            for p in out.data().chunks_exact(4) {
                for &v in &p[..3] {
                    assert!((v - 3.5).abs() < 1e-5, "{filter:?}: {v}");
                }
            }
        }
    }
}

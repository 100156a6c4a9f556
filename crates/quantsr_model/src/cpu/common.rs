//! What every pass shares: the per-frame constants and the colour-space helpers.
//!
//! The oracle for `shaders/upscaler/common.wgsl`. The helpers are written as WGSL writes them
//! (vector operations component by component, `clamp(x, lo, hi)` as `min(max(x, lo), hi)`,
//! `select(f, t, c)` as `if c { t } else { f }`), so a pass reads line for line like its kernel.

use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub};

pub use crate::frame::FrameConstants;

/// Luma weights (Rec. 709).
pub const LUMA: Vec3 = Vec3::new(0.2126, 0.7152, 0.0722);
/// Largest finite f16: history and features are stored as f16.
pub const HALF_MAX: f32 = 65504.0;

/// A WGSL `vec2<f32>`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Vec2 {
    /// First component.
    pub x: f32,
    /// Second component.
    pub y: f32,
}

/// A WGSL `vec3<f32>` (an RGB or YCoCg colour).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Vec3 {
    /// First component (red, or Y).
    pub x: f32,
    /// Second component (green, or Co).
    pub y: f32,
    /// Third component (blue, or Cg).
    pub z: f32,
}

impl Vec2 {
    /// `vec2<f32>(x, y)`.
    pub const fn new(x: f32, y: f32) -> Self {
        Self { x, y }
    }

    /// `vec2<f32>(v)`.
    pub const fn splat(v: f32) -> Self {
        Self { x: v, y: v }
    }

    /// `vec2<f32>(p)` of an integer vector.
    pub fn from_i32(p: [i32; 2]) -> Self {
        Self::new(p[0] as f32, p[1] as f32)
    }

    /// `vec2<f32>(size)` of an unsigned vector.
    pub fn from_u32(p: [u32; 2]) -> Self {
        Self::new(p[0] as f32, p[1] as f32)
    }

    /// Applies `f` to each component.
    pub fn map(self, f: impl Fn(f32) -> f32) -> Self {
        Self::new(f(self.x), f(self.y))
    }

    /// `floor(v)`.
    pub fn floor(self) -> Self {
        self.map(f32::floor)
    }

    /// `vec2<i32>(v)`: WGSL converts f32 to i32 rounding towards zero, saturating.
    pub fn to_i32(self) -> [i32; 2] {
        [self.x as i32, self.y as i32]
    }

    /// `dot(a, b)`.
    pub fn dot(self, b: Self) -> f32 {
        self.x * b.x + self.y * b.y
    }

    /// `length(v)`.
    pub fn length(self) -> f32 {
        self.dot(self).sqrt()
    }

    /// `all(v >= lo) && all(v <= hi)`.
    pub fn inside(self, lo: f32, hi: f32) -> bool {
        self.x >= lo && self.y >= lo && self.x <= hi && self.y <= hi
    }
}

impl Vec3 {
    /// `vec3<f32>(x, y, z)`.
    pub const fn new(x: f32, y: f32, z: f32) -> Self {
        Self { x, y, z }
    }

    /// `vec3<f32>(v)`.
    pub const fn splat(v: f32) -> Self {
        Self { x: v, y: v, z: v }
    }

    /// The first three channels of a texel.
    pub fn from_rgb(t: [f32; 4]) -> Self {
        Self::new(t[0], t[1], t[2])
    }

    /// `vec4<f32>(v, w)`.
    pub fn extend(self, w: f32) -> [f32; 4] {
        [self.x, self.y, self.z, w]
    }

    /// Applies `f` to each component.
    pub fn map(self, f: impl Fn(f32) -> f32) -> Self {
        Self::new(f(self.x), f(self.y), f(self.z))
    }

    /// Applies `f` to each pair of components.
    pub fn zip(self, b: Self, f: impl Fn(f32, f32) -> f32) -> Self {
        Self::new(f(self.x, b.x), f(self.y, b.y), f(self.z, b.z))
    }

    /// `min(a, b)` per component.
    pub fn min(self, b: Self) -> Self {
        self.zip(b, f32::min)
    }

    /// `max(a, b)` per component.
    pub fn max(self, b: Self) -> Self {
        self.zip(b, f32::max)
    }

    /// `clamp(v, lo, hi)` per component: `min(max(v, lo), hi)`.
    pub fn clamp(self, lo: Self, hi: Self) -> Self {
        self.max(lo).min(hi)
    }

    /// `abs(v)`.
    pub fn abs(self) -> Self {
        self.map(f32::abs)
    }

    /// `max(max(v.x, v.y), v.z)`.
    pub fn max_element(self) -> f32 {
        self.x.max(self.y).max(self.z)
    }

    /// `dot(a, b)`.
    pub fn dot(self, b: Self) -> f32 {
        self.x * b.x + self.y * b.y + self.z * b.z
    }
}

macro_rules! elementwise {
    ($t:ident { $($c:ident),+ }) => {
        impl Add for $t {
            type Output = Self;
            fn add(self, b: Self) -> Self { Self { $($c: self.$c + b.$c),+ } }
        }
        impl Sub for $t {
            type Output = Self;
            fn sub(self, b: Self) -> Self { Self { $($c: self.$c - b.$c),+ } }
        }
        impl Mul for $t {
            type Output = Self;
            fn mul(self, b: Self) -> Self { Self { $($c: self.$c * b.$c),+ } }
        }
        impl Div for $t {
            type Output = Self;
            fn div(self, b: Self) -> Self { Self { $($c: self.$c / b.$c),+ } }
        }
        impl Add<f32> for $t {
            type Output = Self;
            fn add(self, s: f32) -> Self { Self { $($c: self.$c + s),+ } }
        }
        impl Sub<f32> for $t {
            type Output = Self;
            fn sub(self, s: f32) -> Self { Self { $($c: self.$c - s),+ } }
        }
        impl Mul<f32> for $t {
            type Output = Self;
            fn mul(self, s: f32) -> Self { Self { $($c: self.$c * s),+ } }
        }
        impl Mul<$t> for f32 {
            type Output = $t;
            fn mul(self, v: $t) -> $t { $t { $($c: self * v.$c),+ } }
        }
        impl Sub<$t> for f32 {
            type Output = $t;
            fn sub(self, v: $t) -> $t { $t { $($c: self - v.$c),+ } }
        }
        impl Div<f32> for $t {
            type Output = Self;
            fn div(self, s: f32) -> Self { Self { $($c: self.$c / s),+ } }
        }
        impl Neg for $t {
            type Output = Self;
            fn neg(self) -> Self { Self { $($c: -self.$c),+ } }
        }
        impl AddAssign for $t {
            fn add_assign(&mut self, b: Self) { $(self.$c += b.$c;)+ }
        }
    };
}
elementwise!(Vec2 { x, y });
elementwise!(Vec3 { x, y, z });

/// WGSL's `select(f, t, cond)`.
pub fn select<T>(f: T, t: T, cond: bool) -> T {
    if cond { t } else { f }
}

/// WGSL's scalar `clamp(x, lo, hi)`: `min(max(x, lo), hi)`.
pub fn clamp(x: f32, lo: f32, hi: f32) -> f32 {
    x.max(lo).min(hi)
}

/// WGSL's `mix(a, b, t)`: `a·(1 − t) + b·t`.
pub fn mix(a: f32, b: f32, t: f32) -> f32 {
    a * (1.0 - t) + b * t
}

/// WGSL's `mix(a, b, t)` of vectors with a scalar `t`.
pub fn mix3(a: Vec3, b: Vec3, t: f32) -> Vec3 {
    a * (1.0 - t) + b * t
}

/// WGSL's `smoothstep(e0, e1, x)`: 0 below `e0`, 1 above `e1`, a cubic in between.
pub fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = clamp((x - e0) / (e1 - e0), 0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Replaces NaN and ±Inf (anything beyond ±3e38) by 0 so one bad pixel never reaches history,
/// and clamps the rest to [0, 65504]: negatives become 0, HDR values beyond f16's range
/// saturate at its largest finite value.
pub fn sanitize(c: Vec3) -> Vec3 {
    let keep = |v: f32| select(0.0, v, !v.is_nan() && v.abs() <= 3.0e38);
    c.map(keep).clamp(Vec3::splat(0.0), Vec3::splat(HALF_MAX))
}

/// All three components are finite (and at most 3e38 in magnitude).
pub fn is_finite3(c: Vec3) -> bool {
    [c.x, c.y, c.z].iter().all(|v| !v.is_nan() && v.abs() <= 3.0e38)
}

/// The reversible tonemap into [0, 1) in which history is blended and clipped: `c / (1 + max(c))`.
pub fn tonemap(c: Vec3) -> Vec3 {
    c / (1.0 + c.max_element())
}

/// Inverse of [`tonemap`]: `c / max(1 − max(c), 1/65504)`.
pub fn inverse_tonemap(c: Vec3) -> Vec3 {
    c / (1.0 - c.max_element()).max(1.0 / HALF_MAX)
}

/// RGB → YCoCg.
pub fn rgb_to_ycocg(c: Vec3) -> Vec3 {
    Vec3::new(0.25 * c.x + 0.5 * c.y + 0.25 * c.z, 0.5 * c.x - 0.5 * c.z, -0.25 * c.x + 0.5 * c.y - 0.25 * c.z)
}

/// YCoCg → RGB.
pub fn ycocg_to_rgb(c: Vec3) -> Vec3 {
    Vec3::new(c.x + c.y - c.z, c.x + c.z, c.x - c.y - c.z)
}

/// 1/z up to a constant for either depth convention (larger is nearer), at least 1e-7.
pub fn inverse_depth(d: f32, inverted: bool) -> f32 {
    let v = select(1.0 - d, d, inverted);
    v.max(1e-7)
}

/// Clamps a pixel coordinate into the rectangle `[0, size)`.
pub fn clamp_to(p: [i32; 2], size: [u32; 2]) -> [i32; 2] {
    [p[0].clamp(0, size[0] as i32 - 1), p[1].clamp(0, size[1] as i32 - 1)]
}

/// `clamp_render` in WGSL: clamps a pixel coordinate into the current render rectangle.
pub fn clamp_render(p: [i32; 2], frame: &FrameConstants) -> [i32; 2] {
    clamp_to(p, frame.render_size)
}

/// The exposure the kernels use: the given value when it is a number in (1e-8, 1e8), else 1.
pub fn exposure(frame: &FrameConstants) -> f32 {
    let e = frame.exposure;
    select(1.0, e, !e.is_nan() && e > 1e-8 && e < 1e8)
}

/// `a + b` of integer pixel coordinates.
pub fn offset(p: [i32; 2], dx: i32, dy: i32) -> [i32; 2] {
    [p[0] + dx, p[1] + dy]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tonemap_round_trips_and_stays_below_one() {
        let c = Vec3::new(0.25, 3.0, 40.0);
        let t = tonemap(c);
        assert!(t.max_element() < 1.0);
        let back = inverse_tonemap(t);
        for (a, b) in [(back.x, c.x), (back.y, c.y), (back.z, c.z)] {
            assert!((a - b).abs() <= 1e-5 * b.max(1.0), "{a} vs {b}");
        }
    }

    #[test]
    fn ycocg_round_trips() {
        let c = Vec3::new(0.1, 0.6, 0.3);
        let back = ycocg_to_rgb(rgb_to_ycocg(c));
        assert!((back - c).abs().max_element() < 1e-7);
    }

    #[test]
    fn sanitize_zeroes_non_finite_and_negative_values() {
        let c = sanitize(Vec3::new(f32::NAN, f32::INFINITY, -2.0));
        assert_eq!(c, Vec3::splat(0.0));
        assert_eq!(sanitize(Vec3::new(1e5, 0.5, 3.3e38)), Vec3::new(65504.0, 0.5, 0.0));
    }

    #[test]
    fn smoothstep_matches_wgsl_at_the_ends_and_middle() {
        assert_eq!(smoothstep(0.06, 0.14, 0.0), 0.0);
        assert_eq!(smoothstep(0.06, 0.14, 1.0), 1.0);
        assert!((smoothstep(0.06, 0.14, 0.10) - 0.5).abs() < 1e-6);
    }
}

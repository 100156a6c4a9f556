//! prepare (render resolution): per render pixel, dilates the motion vectors to the nearest
//! depth in the 3×3 neighbourhood, detects disocclusion by comparing that depth with the
//! previous frame's depth at the reprojected position, and computes the features the
//! parameter step reads (disocclusion, reactive, tonemapped luma).
//!
//! The oracle for `shaders/upscaler/prepare.wgsl`.

use super::common::{
    FrameConstants, LUMA, Vec2, Vec3, clamp, clamp_render, clamp_to, exposure, inverse_depth, offset, sanitize, select,
    smoothstep, tonemap,
};
use super::image::{F16Rounding, Image, StorageFormat, TextureStore};

/// What prepare reads. Inputs are at least `render_size`; only their top-left `render_size`
/// texels are read.
#[derive(Debug, Clone, Copy)]
pub struct PrepareInputs<'a> {
    /// Linear colour (rgb used).
    pub color: &'a Image,
    /// Device depth (first channel).
    pub depth: &'a Image,
    /// Motion vectors before `motion_scale` (first two channels).
    pub motion_vectors: &'a Image,
    /// Reactive mask (first channel); read only when `frame.has_reactive`.
    pub reactive: Option<&'a Image>,
    /// The previous frame's [`PrepareOutputs::depth`], at least `prev_render_size`; read only
    /// when history is kept.
    pub prev_depth: &'a Image,
}

/// What prepare writes, each `render_size`.
#[derive(Debug, Clone, PartialEq)]
pub struct PrepareOutputs {
    /// `rg32float`: `uv_previous − uv_current` of the nearest pixel in 3×3, in UV units.
    pub dilated_motion: Image,
    /// `rgba16float`: x disocclusion in [0, 1], y reactive in [0, 1], z luma of the tonemapped
    /// exposed colour, w 0.
    pub features: Image,
    /// `r32float`: inverse depth of the nearest pixel in 3×3, for the next frame.
    pub depth: Image,
}

/// Runs prepare for every render pixel; `f16_rounding` is how the device stores the features.
pub fn prepare(frame: &FrameConstants, inputs: &PrepareInputs<'_>, f16_rounding: F16Rounding) -> PrepareOutputs {
    let [w, h] = frame.render_size;
    let mut out = PrepareOutputs {
        dilated_motion: Image::zeros(w, h, 2),
        features: Image::zeros(w, h, 4),
        depth: Image::zeros(w, h, 1),
    };
    for y in 0..h as i32 {
        for x in 0..w as i32 {
            prepare_pixel(frame, inputs, [x, y], f16_rounding, &mut out);
        }
    }
    out
}

/// Device depth clamped to [0, 1], NaN read as 0 (far plane of reverse-Z).
fn load_depth(frame: &FrameConstants, depth: &Image, p: [i32; 2]) -> f32 {
    let d = depth.load(clamp_render(p, frame))[0];
    select(0.0, clamp(d, 0.0, 1.0), !d.is_nan())
}

fn prepare_pixel(
    frame: &FrameConstants,
    inputs: &PrepareInputs<'_>,
    p: [i32; 2],
    f16_rounding: F16Rounding,
    out: &mut PrepareOutputs,
) {
    // Closest depth in 3×3 (largest inverse depth; the first one found wins ties, starting
    // with the pixel itself): its motion represents the pixel.
    let mut best = p;
    let mut best_w = inverse_depth(load_depth(frame, inputs.depth, p), frame.depth_inverted);
    for dy in -1..=1 {
        for dx in -1..=1 {
            let q = clamp_render(offset(p, dx, dy), frame);
            let w = inverse_depth(load_depth(frame, inputs.depth, q), frame.depth_inverted);
            if w > best_w {
                best_w = w;
                best = q;
            }
        }
    }
    let m = inputs.motion_vectors.load(best);
    let mut mv = Vec2::new(m[0], m[1]) * Vec2::new(frame.motion_scale[0], frame.motion_scale[1]);
    if mv.x.is_nan() || mv.y.is_nan() || mv.x.abs() > 4.0 || mv.y.abs() > 4.0 {
        mv = Vec2::splat(0.0);
    }
    let size = Vec2::from_u32(frame.render_size);
    let uv = (Vec2::from_i32(p) + 0.5) / size;
    let prev_uv = uv + mv;

    // Disocclusion: the reprojected position is off-screen, or every one of the four previous
    // pixels around it held a surface at a clearly different distance (relative difference of
    // inverse depth, ramping from 0.06 to 0.14).
    let mut disocclusion = 1.0;
    if !frame.reset && prev_uv.inside(0.0, 1.0) {
        let prev_size = Vec2::from_u32(frame.prev_render_size);
        let pp = prev_uv * prev_size - 0.5;
        let base = pp.floor().to_i32();
        let mut nearest_diff = 1.0f32;
        for j in 0..4 {
            let q = clamp_to(offset(base, j & 1, j >> 1), frame.prev_render_size);
            let w_prev = inputs.prev_depth.load(q)[0];
            let diff = (w_prev - best_w).abs() / w_prev.max(best_w).max(1e-7);
            nearest_diff = nearest_diff.min(select(1.0, diff, !w_prev.is_nan()));
        }
        disocclusion = smoothstep(0.06, 0.14, nearest_diff);
    }

    let mut reactive = 0.0;
    if frame.has_reactive {
        let mask = inputs.reactive.expect("has_reactive is set but no reactive mask was given");
        let r = mask.load(p)[0];
        reactive = select(0.0, clamp(r, 0.0, 1.0), !r.is_nan());
    }
    let c = sanitize(Vec3::from_rgb(inputs.color.load(p)) * exposure(frame));
    out.dilated_motion.store(p, StorageFormat::Rg32Float, [mv.x, mv.y, 0.0, 0.0]);
    out.features.store(
        p,
        StorageFormat::Rgba16Float(f16_rounding),
        [disocclusion, reactive, tonemap(c).dot(LUMA), 0.0],
    );
    out.depth.store(p, StorageFormat::R32Float, [best_w, 0.0, 0.0, 0.0]);
}

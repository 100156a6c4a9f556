//! sharpen + output (display resolution): optional contrast-adaptive sharpening of the
//! resolved history in tonemapped space (RCAS-style: the strongest negative lobe that keeps the
//! 4-neighbourhood free of clipping), then back to linear with the exposure removed. Debug
//! views replace the colour with a visualisation of an internal texture.
//!
//! The oracle for `shaders/upscaler/sharpen.wgsl`.

use super::common::{
    FrameConstants, Vec2, Vec3, clamp, clamp_render, clamp_to, exposure, inverse_tonemap, offset, sanitize,
};
use super::image::{Image, StorageFormat, TextureStore};
pub use crate::DebugView;

/// What the output pass reads.
#[derive(Debug, Clone, Copy)]
pub struct SharpenInputs<'a> {
    /// This frame's history (`display_size`, tonemapped rgb + weight).
    pub history: &'a Image,
    /// prepare's dilated motion (`render_size`), for the motion view.
    pub dilated_motion: &'a Image,
    /// prepare's features (`render_size`), for the disocclusion and reactive views.
    pub features: &'a Image,
    /// The reconstruction parameters (`render_size`), for the rejection and kernel views.
    pub params: &'a Image,
}

/// Computes the output (`display_size`, rgba, alpha 1) in linear colour without exposure, or
/// the debug view `frame.debug_view`, stored as `format` (the caller's output format).
pub fn sharpen(frame: &FrameConstants, inputs: &SharpenInputs<'_>, format: StorageFormat) -> Image {
    let [w, h] = frame.display_size;
    let mut output = Image::zeros(w, h, 4);
    for y in 0..h as i32 {
        for x in 0..w as i32 {
            let p = [x, y];
            let value = if frame.debug_view != 0 {
                debug_color(frame, inputs, p).extend(1.0)
            } else {
                sanitize(sharpened(frame, inputs.history, p)).extend(1.0)
            };
            output.store(p, format, value);
        }
    }
    output
}

fn load(frame: &FrameConstants, history: &Image, p: [i32; 2]) -> Vec3 {
    Vec3::from_rgb(history.load(clamp_to(p, frame.display_size)))
}

/// The pixel's linear colour: history, sharpened when `frame.sharpness > 0`, inverse-tonemapped
/// and divided by the exposure.
fn sharpened(frame: &FrameConstants, history: &Image, p: [i32; 2]) -> Vec3 {
    let mut c = load(frame, history, p);
    if frame.sharpness > 0.0 {
        let n = load(frame, history, offset(p, 0, -1));
        let s = load(frame, history, offset(p, 0, 1));
        let w = load(frame, history, offset(p, -1, 0));
        let e = load(frame, history, offset(p, 1, 0));
        let lo = n.min(s).min(w.min(e));
        let hi = n.max(s).max(w.max(e));
        // Largest lobe that keeps c + lobe·(n + s + w + e − 4c) within [0, 1] given the local
        // range. `-4.0 + 1e-5` is an abstract-float constant in WGSL, folded before rounding.
        let limit_lo = lo / (4.0 * hi).max(Vec3::splat(1e-5));
        let limit_hi = (1.0 - hi) / (4.0 * lo - 4.0).max(Vec3::splat((-4.0f64 + 1e-5) as f32));
        let lobe_rgb = (-limit_lo).max(limit_hi);
        let lobe = clamp(lobe_rgb.x.max(lobe_rgb.y.max(lobe_rgb.z)), -0.1875, 0.0) * frame.sharpness;
        c = (lobe * (n + s + w + e) + c) / (4.0 * lobe + 1.0);
        c = c.clamp(Vec3::splat(0.0), Vec3::splat(0.9995));
    }
    inverse_tonemap(c) / exposure(frame)
}

fn debug_color(frame: &FrameConstants, inputs: &SharpenInputs<'_>, p: [i32; 2]) -> Vec3 {
    let uv = (Vec2::from_i32(p) + 0.5) / Vec2::from_u32(frame.display_size);
    let k = clamp_render((uv * Vec2::from_u32(frame.render_size)).to_i32(), frame);
    match frame.debug_view {
        1 => {
            let m = inputs.dilated_motion.load(k);
            let mv = Vec2::new(m[0], m[1]) * Vec2::from_u32(frame.render_size);
            Vec3::new(0.5 + 0.25 * mv.x, 0.5 + 0.25 * mv.y, 0.5) * (mv.length() * 0.5 + 0.2).min(1.0)
        }
        2 => Vec3::splat(inputs.features.load(k)[0]),
        3 => Vec3::splat(1.0 - inputs.params.load(k)[1]),
        4 => Vec3::splat(inputs.params.load(k)[0] / 2.0),
        5 => Vec3::splat(inputs.history.load(p)[3] / 16.0),
        6 => Vec3::splat(inputs.features.load(k)[1]),
        _ => Vec3::new(1.0, 0.0, 1.0),
    }
}

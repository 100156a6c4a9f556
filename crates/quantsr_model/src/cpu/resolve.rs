//! resolve (display resolution): per display pixel, reconstructs the current frame from the
//! 3×3 jittered render samples around it with a Gaussian of the predicted σ, reprojects the
//! previous history with Catmull-Rom (clamped to the 2×2 footprint), rectifies it by a
//! variance clip in YCoCg of tonemapped colour (box mean ± γσ), and blends by accumulated
//! weight. History is tonemapped rgb with its accumulated weight in frames in alpha.
//!
//! The oracle for `shaders/upscaler/resolve.wgsl`.

use super::common::{
    FrameConstants, Vec2, Vec3, clamp, clamp_render, clamp_to, exposure, is_finite3, mix3, offset, rgb_to_ycocg,
    sanitize, select, tonemap, ycocg_to_rgb,
};
use super::image::{F16Rounding, Image, StorageFormat, TextureStore};

/// What resolve reads.
#[derive(Debug, Clone, Copy)]
pub struct ResolveInputs<'a> {
    /// Linear colour, at least `render_size` (rgb used).
    pub color: &'a Image,
    /// prepare's dilated motion (`render_size`, UV units).
    pub dilated_motion: &'a Image,
    /// The reconstruction parameters (`render_size`): σ, trust, γ, max frames, and when the
    /// image has 13 or more channels the kernel logits β0–8 in channels 4–12 (the network's
    /// activated outputs, training/NETWORK.md); β = 0 otherwise, as for the taau rung.
    pub params: &'a Image,
    /// The previous frame's history (`display_size`, tonemapped rgb + weight).
    pub history: &'a Image,
}

/// Computes the new `rgba16float` history (`display_size`), rounded to f16 as the device does
/// (`f16_rounding`).
pub fn resolve(frame: &FrameConstants, inputs: &ResolveInputs<'_>, f16_rounding: F16Rounding) -> Image {
    let [w, h] = frame.display_size;
    let mut history = Image::zeros(w, h, 4);
    for y in 0..h as i32 {
        for x in 0..w as i32 {
            let value = resolve_pixel(frame, inputs, [x, y]);
            history.store([x, y], StorageFormat::Rgba16Float(f16_rounding), value);
        }
    }
    history
}

/// Catmull-Rom weights of the four taps around a sample at fraction `t`.
pub fn catmull_rom_weights(t: f32) -> [f32; 4] {
    let t2 = t * t;
    let t3 = t2 * t;
    [0.5 * (-t3 + 2.0 * t2 - t), 0.5 * (3.0 * t3 - 5.0 * t2 + 2.0), 0.5 * (-3.0 * t3 + 4.0 * t2 + t), 0.5 * (t3 - t2)]
}

fn load_history(frame: &FrameConstants, history: &Image, p: [i32; 2]) -> [f32; 4] {
    history.load(clamp_to(p, frame.display_size))
}

/// History at display-pixel position `pos` (pixel centres at +0.5): colour by 4×4
/// Catmull-Rom clamped to the range of the inner 2×2 taps, weight from the nearest texel.
pub fn sample_history(frame: &FrameConstants, history: &Image, pos: Vec2) -> [f32; 4] {
    let x = pos - 0.5;
    let base = x.floor().to_i32();
    let f = x - x.floor();
    let wx = catmull_rom_weights(f.x);
    let wy = catmull_rom_weights(f.y);
    let mut color = Vec3::splat(0.0);
    let mut lo = Vec3::splat(1.0);
    let mut hi = Vec3::splat(0.0);
    for (j, wy_j) in wy.into_iter().enumerate() {
        for (i, wx_i) in wx.into_iter().enumerate() {
            let h = Vec3::from_rgb(load_history(frame, history, offset(base, i as i32 - 1, j as i32 - 1)));
            color += wx_i * wy_j * h;
            if (1..=2).contains(&i) && (1..=2).contains(&j) {
                lo = lo.min(h);
                hi = hi.max(h);
            }
        }
    }
    color = color.clamp(lo, hi);
    let weight = load_history(frame, history, pos.floor().to_i32())[3];
    color.extend(weight)
}

fn resolve_pixel(frame: &FrameConstants, inputs: &ResolveInputs<'_>, p: [i32; 2]) -> [f32; 4] {
    let uv = (Vec2::from_i32(p) + 0.5) / Vec2::from_u32(frame.display_size);
    let rsize = Vec2::from_u32(frame.render_size);
    let jitter = Vec2::new(frame.jitter[0], frame.jitter[1]);
    // This display pixel's centre in unjittered render-pixel coordinates; render pixel k
    // sampled the scene at k + 0.5 − jitter, so the nearest sample is floor(r + jitter).
    let r = uv * rsize;
    let k0 = clamp_render((r + jitter).floor().to_i32(), frame);
    let prm = inputs.params.load(k0);
    let sigma = clamp(prm[0], 0.2, 2.0);
    let trust = clamp(prm[1], 0.0, 1.0);
    let gamma = clamp(prm[2], 0.25, 4.0);
    let max_frames = clamp(prm[3], 1.0, 64.0);
    let e = exposure(frame);
    let texel = inputs.params.pixel(k0[0] as u32, k0[1] as u32);
    let gain = |tap: usize| {
        let b = if texel.len() >= 13 { texel[4 + tap] } else { 0.0 };
        clamp(if b.is_nan() { 0.0 } else { b }, -4.0, 4.0).exp()
    };

    // Gaussian reconstruction over the valid, finite samples of the 3×3 around k0, and the
    // first two moments of their YCoCg for the variance clip.
    let mut sum = Vec3::splat(0.0);
    let mut wsum = 0.0f32;
    let mut wmax = 0.0f32;
    let mut m1 = Vec3::splat(0.0);
    let mut m2 = Vec3::splat(0.0);
    let mut n = 0.0f32;
    for dy in -1..=1 {
        for dx in -1..=1 {
            let k = offset(k0, dx, dy);
            if k[0] < 0 || k[1] < 0 || k[0] >= frame.render_size[0] as i32 || k[1] >= frame.render_size[1] as i32 {
                continue;
            }
            let raw = Vec3::from_rgb(inputs.color.load(k)) * e;
            if !is_finite3(raw) {
                continue;
            }
            let c = tonemap(sanitize(raw));
            let d = Vec2::from_i32(k) + 0.5 - jitter - r;
            // wmax (the sample's weight in the accumulation) stays the Gaussian's: exp(β)
            // could reach e⁴ and push the blend factor past 1.
            let g = (-d.dot(d) / (2.0 * sigma * sigma)).exp();
            let w = g * gain(((dy + 1) * 3 + dx + 1) as usize);
            sum += w * c;
            wsum += w;
            wmax = wmax.max(g);
            let y = rgb_to_ycocg(c);
            m1 += y;
            m2 += y * y;
            n += 1.0;
        }
    }

    let m = inputs.dilated_motion.load(clamp_render(r.floor().to_i32(), frame));
    let prev_uv = uv + Vec2::new(m[0], m[1]);
    let mut history = [0.0f32; 4];
    let on_screen = prev_uv.inside(0.0, 1.0);
    if !frame.reset && on_screen && trust > 0.0 {
        history = sample_history(frame, inputs.history, prev_uv * Vec2::from_u32(frame.display_size));
        if !is_finite3(Vec3::from_rgb(history)) || history[3].is_nan() {
            history = [0.0; 4];
        }
    }
    let history_rgb = Vec3::from_rgb(history);

    let mut result;
    let weight;
    if wsum <= 0.0 || n == 0.0 {
        // No usable sample (all non-finite): keep history as it is.
        result = history_rgb;
        weight = history[3];
    } else {
        let current = sum / wsum;
        // Variance clip: pull history towards the neighbourhood mean until it lies in the box
        // mean ± γσ.
        let mean = m1 / n;
        let sd = (m2 / n - mean * mean).max(Vec3::splat(0.0)).map(f32::sqrt);
        let extent = gamma * sd + Vec3::splat(1.0 / 1024.0);
        let hd = rgb_to_ycocg(history_rgb) - mean;
        let ratio = hd.abs() / extent;
        let scale = 1.0f32.max(ratio.x.max(ratio.y.max(ratio.z)));
        let rectified = ycocg_to_rgb(mean + hd / scale);
        // Accumulate by weight: a sample landing on the pixel centre counts as one frame.
        let history_weight = (history[3] * trust).min(max_frames);
        let sample_weight = wmax.max(0.05);
        weight = (history_weight + sample_weight).min(max_frames);
        let alpha = select(sample_weight / weight, 1.0, history_weight <= 0.0);
        result = mix3(rectified, current, alpha);
    }
    // NaN components become 0 one by one (`select` of vectors is per component).
    result = result.map(|v| select(0.0, v, !v.is_nan())).clamp(Vec3::splat(0.0), Vec3::splat(0.9995));
    result.extend(select(0.0, weight, !weight.is_nan()))
}

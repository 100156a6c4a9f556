// resolve (display resolution): reconstructs the current frame at each display pixel from
// the jittered render samples with the predicted kernel, reprojects history with
// Catmull-Rom, rectifies it against the current neighbourhood (variance clip in YCoCg of
// tonemapped colour, box size from params), and blends by accumulated weight.
// History is stored tonemapped (rgb) with its accumulated weight in frames (a).
// The kernel weights sample k of the 3×3 around the nearest sample by
// exp(−|d|²/2σ²)·exp(β_k) (training/NETWORK.md; β = 0 for the taau rung).
// Bindings: frame uniforms; input colour, exposure; dilated motion, params (σ, trust, γ, max
// frames), kernel logits β0–3, β4–7, and β8 (+ feedback) (render res); previous history
// (display res); new history (output). Grid: display size in 8×8 groups.
#include "upscaler/common.wgsl"
#include "upscaler/history.wgsl"

@group(0) @binding(0) var<uniform> frame: FrameUniforms;
@group(0) @binding(1) var color_in: texture_2d<f32>;
@group(0) @binding(2) var exposure_in: texture_2d<f32>;
@group(0) @binding(3) var dilated_motion: texture_2d<f32>;
@group(0) @binding(4) var params: texture_2d<f32>;
@group(0) @binding(5) var history_in: texture_2d<f32>;
@group(0) @binding(6) var history_out: texture_storage_2d<rgba16float, write>;
@group(0) @binding(7) var beta_lo: texture_2d<f32>;
@group(0) @binding(8) var beta_hi: texture_2d<f32>;
@group(0) @binding(9) var params_extra: texture_2d<f32>;

// exp(β) of the 9 taps, row-major from (−1, −1); a non-finite logit counts as 0.
fn kernel_gains(k0: vec2<i32>) -> array<f32, 9> {
    let lo = textureLoad(beta_lo, k0, 0);
    let hi = textureLoad(beta_hi, k0, 0);
    let b8 = textureLoad(params_extra, k0, 0).x;
    let b = array<f32, 9>(lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w, b8);
    var g: array<f32, 9>;
    for (var i = 0; i < 9; i++) {
        g[i] = exp(clamp(select(0.0, b[i], b[i] == b[i]), -4.0, 4.0));
    }
    return g;
}

fn exposure() -> f32 {
    return frame_exposure(frame.exposure, frame.use_exposure_texture, textureLoad(exposure_in, vec2<i32>(0), 0).r);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if any(id.xy >= frame.display_size) {
        return;
    }
    let p = vec2<i32>(id.xy);
    let uv = (vec2<f32>(p) + 0.5) / vec2<f32>(frame.display_size);
    let rsize = vec2<f32>(frame.render_size);
    // Position of this display pixel's centre in (unjittered) render-pixel coordinates.
    let r = uv * rsize;
    // Render pixel k sampled the scene at k + 0.5 − jitter: the nearest sample to r.
    let k0 = clamp_render(vec2<i32>(floor(r + frame.jitter)), frame.render_size);
    let prm = textureLoad(params, k0, 0);
    let sigma = clamp(prm.x, 0.2, 2.0);
    let trust = clamp(prm.y, 0.0, 1.0);
    let gamma = clamp(prm.z, 0.25, 4.0);
    let max_frames = clamp(prm.w, 1.0, 64.0);
    let e = exposure();
    let gains = kernel_gains(k0);

    var sum = vec3<f32>(0.0);
    var wsum = 0.0;
    var wmax = 0.0;
    var m1 = vec3<f32>(0.0);
    var m2 = vec3<f32>(0.0);
    var n = 0.0;
    for (var dy = -1; dy <= 1; dy++) {
        for (var dx = -1; dx <= 1; dx++) {
            let k = k0 + vec2<i32>(dx, dy);
            if any(k < vec2<i32>(0)) || any(k >= vec2<i32>(frame.render_size)) {
                continue;
            }
            let raw = textureLoad(color_in, k, 0).rgb * e;
            if !is_finite3(raw) {
                continue;
            }
            let c = tonemap(sanitize(raw));
            let d = vec2<f32>(k) + 0.5 - frame.jitter - r;
            // wmax, the sample's weight in the history accumulation, stays the Gaussian's:
            // with exp(β) it could reach e⁴ and push the blend factor past 1.
            let g = exp(-dot(d, d) / (2.0 * sigma * sigma));
            let w = g * gains[(dy + 1) * 3 + dx + 1];
            sum += w * c;
            wsum += w;
            wmax = max(wmax, g);
            let y = rgb_to_ycocg(c);
            m1 += y;
            m2 += y * y;
            n += 1.0;
        }
    }

    let prev_uv = uv + textureLoad(dilated_motion, clamp_render(vec2<i32>(floor(r)), frame.render_size), 0).xy;
    var history = vec4<f32>(0.0);
    let on_screen = all(prev_uv >= vec2<f32>(0.0)) && all(prev_uv <= vec2<f32>(1.0));
    if frame.reset == 0u && on_screen && trust > 0.0 {
        history = sample_history(prev_uv * vec2<f32>(frame.display_size));
        if !(is_finite3(history.rgb) && history.a == history.a) {
            history = vec4<f32>(0.0);
        }
    }

    var result: vec3<f32>;
    var weight: f32;
    if wsum <= 0.0 || n == 0.0 {
        // No usable sample (all non-finite): keep history as it is.
        result = history.rgb;
        weight = history.a;
    } else {
        let current = sum / wsum;
        // Variance clip: pull history towards the neighbourhood mean until it lies in the
        // box mean ± γσ (in YCoCg of tonemapped colour).
        let mean = m1 / n;
        let sd = sqrt(max(m2 / n - mean * mean, vec3<f32>(0.0)));
        let extent = gamma * sd + vec3<f32>(1.0 / 1024.0);
        let h = rgb_to_ycocg(history.rgb) - mean;
        let ratio = abs(h) / extent;
        let scale = max(1.0, max(ratio.x, max(ratio.y, ratio.z)));
        let rectified = ycocg_to_rgb(mean + h / scale);
        // Accumulate by weight: a sample landing on the pixel centre counts as one frame.
        let history_weight = min(history.a * trust, max_frames);
        let sample_weight = max(wmax, 0.05);
        weight = min(history_weight + sample_weight, max_frames);
        let alpha = select(sample_weight / weight, 1.0, history_weight <= 0.0);
        result = mix(rectified, current, alpha);
    }
    result = clamp(select(vec3<f32>(0.0), result, result == result), vec3<f32>(0.0), vec3<f32>(0.9995));
    textureStore(history_out, p, vec4<f32>(result, select(0.0, weight, weight == weight)));
}

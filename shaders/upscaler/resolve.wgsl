// resolve (display resolution): reconstructs the current frame at each display pixel from
// the jittered render samples with the predicted kernel, reprojects history with
// Catmull-Rom, rectifies it against the current neighbourhood (variance clip in YCoCg of
// tonemapped colour, box size from params), and blends by accumulated weight.
// History is stored tonemapped (rgb) with its accumulated weight in frames (a).
// Bindings: frame uniforms; input colour, exposure; dilated motion, params (render res);
// previous history (display res); new history (output). Grid: display size in 8×8 groups.
#include "upscaler/common.wgsl"

@group(0) @binding(0) var<uniform> frame: FrameUniforms;
@group(0) @binding(1) var color_in: texture_2d<f32>;
@group(0) @binding(2) var exposure_in: texture_2d<f32>;
@group(0) @binding(3) var dilated_motion: texture_2d<f32>;
@group(0) @binding(4) var params: texture_2d<f32>;
@group(0) @binding(5) var history_in: texture_2d<f32>;
@group(0) @binding(6) var history_out: texture_storage_2d<rgba16float, write>;

fn exposure() -> f32 {
    return frame_exposure(frame.exposure, frame.use_exposure_texture, textureLoad(exposure_in, vec2<i32>(0), 0).r);
}

fn load_history(p: vec2<i32>) -> vec4<f32> {
    let q = clamp(p, vec2<i32>(0), vec2<i32>(frame.display_size) - 1);
    return textureLoad(history_in, q, 0);
}

// Catmull-Rom weights for the four taps around a sample at fraction t.
fn catmull_rom_weights(t: f32) -> vec4<f32> {
    let t2 = t * t;
    let t3 = t2 * t;
    return vec4<f32>(
        0.5 * (-t3 + 2.0 * t2 - t),
        0.5 * (3.0 * t3 - 5.0 * t2 + 2.0),
        0.5 * (-3.0 * t3 + 4.0 * t2 + t),
        0.5 * (t3 - t2),
    );
}

// History at display-pixel position `pos` (pixel centres at +0.5): colour by Catmull-Rom
// (sharp under sub-pixel motion), weight by the nearest texel.
fn sample_history(pos: vec2<f32>) -> vec4<f32> {
    let x = pos - 0.5;
    let base = vec2<i32>(floor(x));
    let f = x - floor(x);
    let wx = catmull_rom_weights(f.x);
    let wy = catmull_rom_weights(f.y);
    var color = vec3<f32>(0.0);
    var lo = vec3<f32>(1.0);
    var hi = vec3<f32>(0.0);
    for (var j = 0; j < 4; j++) {
        for (var i = 0; i < 4; i++) {
            let h = load_history(base + vec2<i32>(i - 1, j - 1)).rgb;
            color += wx[i] * wy[j] * h;
            if i >= 1 && i <= 2 && j >= 1 && j <= 2 {
                lo = min(lo, h);
                hi = max(hi, h);
            }
        }
    }
    // Catmull-Rom overshoots at edges: keep it inside the 2×2 footprint's range.
    color = clamp(color, lo, hi);
    let weight = load_history(vec2<i32>(floor(pos))).a;
    return vec4<f32>(color, weight);
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
            let w = exp(-dot(d, d) / (2.0 * sigma * sigma));
            sum += w * c;
            wsum += w;
            wmax = max(wmax, w);
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

// sharpen + output (display resolution): optional contrast-adaptive sharpening of the
// resolved history in tonemapped space (RCAS-style: the strongest negative lobe that keeps
// the 4-neighbourhood free of clipping), then back to linear, exposure removed, written to
// the caller's output texture. Debug views replace the colour with a visualisation.
// Bindings: frame uniforms; exposure; resolved (this frame's history, tonemapped); dilated
// motion, features, params (render res); output (OUTPUT_FORMAT, the caller's format, a define).
// Grid: display size in 8×8 workgroups.
#define OUTPUT_FORMAT rgba16float
#include "upscaler/common.wgsl"

@group(0) @binding(0) var<uniform> frame: FrameUniforms;
@group(0) @binding(1) var exposure_in: texture_2d<f32>;
@group(0) @binding(2) var resolved: texture_2d<f32>;
@group(0) @binding(3) var dilated_motion: texture_2d<f32>;
@group(0) @binding(4) var features: texture_2d<f32>;
@group(0) @binding(5) var params: texture_2d<f32>;
@group(0) @binding(6) var output: texture_storage_2d<OUTPUT_FORMAT, write>;

fn exposure() -> f32 {
    return frame_exposure(frame.exposure, frame.use_exposure_texture, textureLoad(exposure_in, vec2<i32>(0), 0).r);
}

fn load(p: vec2<i32>) -> vec3<f32> {
    return textureLoad(resolved, clamp(p, vec2<i32>(0), vec2<i32>(frame.display_size) - 1), 0).rgb;
}

fn debug_color(p: vec2<i32>) -> vec3<f32> {
    let uv = (vec2<f32>(p) + 0.5) / vec2<f32>(frame.display_size);
    let k = clamp_render(vec2<i32>(uv * vec2<f32>(frame.render_size)), frame.render_size);
    switch frame.debug_view {
        case 1u: { // motion: hue by direction, brightness by length in render pixels
            let mv = textureLoad(dilated_motion, k, 0).xy * vec2<f32>(frame.render_size);
            return vec3<f32>(0.5 + 0.25 * mv.x, 0.5 + 0.25 * mv.y, 0.5) * min(length(mv) * 0.5 + 0.2, 1.0);
        }
        case 2u: { return vec3<f32>(textureLoad(features, k, 0).x); }       // disocclusion
        case 3u: { return vec3<f32>(1.0 - textureLoad(params, k, 0).y); }   // history rejection
        case 4u: { return vec3<f32>(textureLoad(params, k, 0).x / 2.0); }   // kernel width
        case 5u: { return vec3<f32>(textureLoad(resolved, p, 0).a / 16.0); } // accumulated frames
        case 6u: { return vec3<f32>(textureLoad(features, k, 0).y); }       // reactive mask
        default: { return vec3<f32>(1.0, 0.0, 1.0); }
    }
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if any(id.xy >= frame.display_size) {
        return;
    }
    let p = vec2<i32>(id.xy);
    if frame.debug_view != 0u {
        textureStore(output, p, vec4<f32>(debug_color(p), 1.0));
        return;
    }
    var c = load(p);
    if frame.sharpness > 0.0 {
        let n = load(p + vec2<i32>(0, -1));
        let s = load(p + vec2<i32>(0, 1));
        let w = load(p + vec2<i32>(-1, 0));
        let e = load(p + vec2<i32>(1, 0));
        let lo = min(min(n, s), min(w, e));
        let hi = max(max(n, s), max(w, e));
        // Largest lobe that keeps c + lobe·(n+s+w+e − 4c) within [0, 1] given the local range.
        let limit_lo = lo / max(4.0 * hi, vec3<f32>(1e-5));
        let limit_hi = (1.0 - hi) / max(4.0 * lo - 4.0, vec3<f32>(-4.0 + 1e-5));
        let lobe_rgb = max(-limit_lo, limit_hi);
        let lobe = clamp(max(lobe_rgb.r, max(lobe_rgb.g, lobe_rgb.b)), -0.1875, 0.0) * frame.sharpness;
        c = (lobe * (n + s + w + e) + c) / (4.0 * lobe + 1.0);
        c = clamp(c, vec3<f32>(0.0), vec3<f32>(0.9995));
    }
    let linear = inverse_tonemap(c) / exposure();
    textureStore(output, p, vec4<f32>(sanitize(linear), 1.0));
}

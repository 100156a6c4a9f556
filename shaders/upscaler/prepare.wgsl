// prepare (render resolution): dilates motion vectors to the closest depth in 3×3, detects
// disocclusion by comparing with the previous frame's depth at the reprojected position,
// and stores this frame's dilated depth for the next frame.
// Bindings: frame uniforms; input colour, depth, motion, reactive, exposure; previous depth;
// outputs: dilated motion (UV units), features (x disocclusion, y reactive, z tonemapped luma),
// depth for the next frame. Grid: render size in 8×8 workgroups.
#include "upscaler/common.wgsl"

@group(0) @binding(0) var<uniform> frame: FrameUniforms;
@group(0) @binding(1) var color_in: texture_2d<f32>;
@group(0) @binding(2) var depth_in: texture_2d<f32>;
@group(0) @binding(3) var motion_in: texture_2d<f32>;
@group(0) @binding(4) var reactive_in: texture_2d<f32>;
@group(0) @binding(5) var exposure_in: texture_2d<f32>;
@group(0) @binding(6) var prev_depth: texture_2d<f32>;
@group(0) @binding(7) var dilated_motion: texture_storage_2d<rg32float, write>;
@group(0) @binding(8) var features: texture_storage_2d<rgba16float, write>;
@group(0) @binding(9) var depth_out: texture_storage_2d<r32float, write>;

fn exposure() -> f32 {
    return frame_exposure(frame.exposure, frame.use_exposure_texture, textureLoad(exposure_in, vec2<i32>(0), 0).r);
}

fn load_depth(p: vec2<i32>) -> f32 {
    let d = textureLoad(depth_in, clamp_render(p, frame.render_size), 0).r;
    return select(0.0, clamp(d, 0.0, 1.0), d == d);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if any(id.xy >= frame.render_size) {
        return;
    }
    let p = vec2<i32>(id.xy);
    // Closest depth in 3×3: its motion represents the pixel, so edges of moving foreground
    // objects drag their own motion rather than the background's.
    var best = p;
    var best_w = inverse_depth(load_depth(p), frame.depth_inverted);
    for (var dy = -1; dy <= 1; dy++) {
        for (var dx = -1; dx <= 1; dx++) {
            let q = clamp_render(p + vec2<i32>(dx, dy), frame.render_size);
            let w = inverse_depth(load_depth(q), frame.depth_inverted);
            if w > best_w {
                best_w = w;
                best = q;
            }
        }
    }
    var mv = textureLoad(motion_in, best, 0).xy * frame.motion_scale;
    if !all(mv == mv) || any(abs(mv) > vec2<f32>(4.0)) {
        mv = vec2<f32>(0.0);
    }
    let size = vec2<f32>(frame.render_size);
    let uv = (vec2<f32>(p) + 0.5) / size;
    let prev_uv = uv + mv;

    // Disocclusion: the reprojected position is off-screen, or held a surface at a clearly
    // different distance. Relative inverse depth needs no near/far planes.
    var disocclusion = 1.0;
    if frame.reset == 0u && all(prev_uv >= vec2<f32>(0.0)) && all(prev_uv <= vec2<f32>(1.0)) {
        let prev_size = vec2<f32>(frame.prev_render_size);
        let pp = prev_uv * prev_size - 0.5;
        let base = vec2<i32>(floor(pp));
        var nearest_diff = 1.0;
        for (var j = 0; j < 4; j++) {
            let q = clamp(base + vec2<i32>(j & 1, j >> 1u), vec2<i32>(0), vec2<i32>(frame.prev_render_size) - 1);
            let w_prev = textureLoad(prev_depth, q, 0).r;
            let diff = abs(w_prev - best_w) / max(max(w_prev, best_w), 1e-7);
            nearest_diff = min(nearest_diff, select(1.0, diff, w_prev == w_prev));
        }
        disocclusion = smoothstep(0.06, 0.14, nearest_diff);
    }

    var reactive = 0.0;
    if frame.has_reactive == 1u {
        let r = textureLoad(reactive_in, p, 0).r;
        reactive = select(0.0, clamp(r, 0.0, 1.0), r == r);
    }
    let c = sanitize(textureLoad(color_in, p, 0).rgb * exposure());
    textureStore(dilated_motion, p, vec4<f32>(mv, 0.0, 0.0));
    textureStore(features, p, vec4<f32>(disocclusion, reactive, dot(tonemap(c), LUMA), 0.0));
    textureStore(depth_out, p, vec4<f32>(best_w, 0.0, 0.0, 0.0));
}

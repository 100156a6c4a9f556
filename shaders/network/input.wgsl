// network input (render resolution): the 16-channel tensor the neural rungs read, built per
// render pixel as training/NETWORK.md lays it out (CPU reference:
// quantsr_model::cpu::network_input), stored at the rung's precision (`input_pack`: int8 rungs
// quantise by the network's input scale here).
// Bindings: frame uniforms; input colour, exposure, depth; dilated motion, features (prepare);
// previous history (display res); previous β8+feedback (previous render res, feedback in .yz);
// the tensor (output). Grid: render size in 8×8 workgroups.
// ACT_STORAGE: the rung's activation storage (network/act_{f32,f16,int8}.wgsl), set by the host.
#define ACT_STORAGE "network/act_f32.wgsl"
#include ACT_STORAGE
#include "network/common.wgsl"
#include "upscaler/history.wgsl"

@group(0) @binding(0) var<uniform> frame: FrameUniforms;
@group(0) @binding(1) var color_in: texture_2d<f32>;
@group(0) @binding(2) var exposure_in: texture_2d<f32>;
@group(0) @binding(3) var depth_in: texture_2d<f32>;
@group(0) @binding(4) var dilated_motion: texture_2d<f32>;
@group(0) @binding(5) var features: texture_2d<f32>;
@group(0) @binding(6) var history_in: texture_2d<f32>;
@group(0) @binding(7) var feedback_in: texture_2d<f32>;
@group(0) @binding(8) var<storage, read_write> tensor: array<Act>;

fn exposure() -> f32 {
    return frame_exposure(frame.exposure, frame.use_exposure_texture, textureLoad(exposure_in, vec2<i32>(0), 0).r);
}

fn inverse_depth_at(q: vec2<i32>) -> f32 {
    let d = textureLoad(depth_in, clamp_render(q, frame.render_size), 0).r;
    return inverse_depth(select(0.0, clamp(d, 0.0, 1.0), d == d), frame.depth_inverted);
}

fn load_feedback(q: vec2<i32>) -> vec2<f32> {
    let size = vec2<i32>(frame.prev_render_size);
    return textureLoad(feedback_in, clamp(q, vec2<i32>(0), size - 1), 0).yz;
}

// Bilinear feedback at pixel position `pos` of the previous frame (centres at +0.5).
fn sample_feedback(pos: vec2<f32>) -> vec2<f32> {
    let x = pos - 0.5;
    let base = vec2<i32>(floor(x));
    let f = x - floor(x);
    let top = load_feedback(base) * (1.0 - f.x) + load_feedback(base + vec2<i32>(1, 0)) * f.x;
    let bottom = load_feedback(base + vec2<i32>(0, 1)) * (1.0 - f.x) + load_feedback(base + vec2<i32>(1, 1)) * f.x;
    return top * (1.0 - f.y) + bottom * f.y;
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if any(id.xy >= frame.render_size) {
        return;
    }
    let p = vec2<i32>(id.xy);
    let rsize = vec2<f32>(frame.render_size);
    let c = tonemap(sanitize(textureLoad(color_in, p, 0).rgb * exposure()));
    let f = textureLoad(features, p, 0);
    let mv = textureLoad(dilated_motion, p, 0).xy;
    let uv = (vec2<f32>(p) + 0.5) / rsize;
    let prev_uv = uv + mv;
    var history = vec4<f32>(0.0);
    var feedback = vec2<f32>(0.0);
    if frame.reset == 0u && all(prev_uv >= vec2<f32>(0.0)) && all(prev_uv <= vec2<f32>(1.0)) {
        history = sample_history(prev_uv * vec2<f32>(frame.display_size));
        feedback = sample_feedback(prev_uv * vec2<f32>(frame.prev_render_size));
    }
    let motion = clamp(length(mv * rsize) / 8.0, 0.0, 1.0);
    let centre = inverse_depth_at(p);
    var edge = 0.0;
    for (var dy = -1; dy <= 1; dy++) {
        for (var dx = -1; dx <= 1; dx++) {
            let q = inverse_depth_at(p + vec2<i32>(dx, dy));
            edge = max(edge, abs(q - centre) / max(q, centre));
        }
    }
    let base = (id.y * frame.render_size.x + id.x) * 4u;
    tensor[base] = input_pack(finite4(vec4<f32>(c, f.x)));
    tensor[base + 1u] = input_pack(finite4(vec4<f32>(f.y, dot(c, LUMA), history.r, history.g)));
    tensor[base + 2u] = input_pack(finite4(vec4<f32>(history.b, history.a / 16.0, frame.jitter)));
    tensor[base + 3u] = input_pack(finite4(vec4<f32>(motion, clamp(edge, 0.0, 1.0), feedback)));
}

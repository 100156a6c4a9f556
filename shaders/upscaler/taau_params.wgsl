// The `taau` rung's "network": fixed heuristics that fill the same reconstruction-parameter
// texture the neural rungs predict, so resolve is shared by every rung.
// params.x: reconstruction kernel σ in render pixels; .y: history trust in [0, 1];
// .z: rectification box size in standard deviations; .w: longest history in frames.
// The kernel logits β are 0 (a plain Gaussian) and so is the recurrent feedback, which the
// next frame's network input reads whichever rung wrote it.
// Bindings: frame uniforms, features (from prepare); outputs params, β0–3, β4–7, β8+feedback.
// Grid: render size in 8×8 workgroups.
#include "upscaler/common.wgsl"

@group(0) @binding(0) var<uniform> frame: FrameUniforms;
@group(0) @binding(1) var features: texture_2d<f32>;
@group(0) @binding(2) var params: texture_storage_2d<rgba16float, write>;
@group(0) @binding(3) var beta_lo: texture_storage_2d<rgba16float, write>;
@group(0) @binding(4) var beta_hi: texture_storage_2d<rgba16float, write>;
@group(0) @binding(5) var params_extra: texture_storage_2d<rgba16float, write>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if any(id.xy >= frame.render_size) {
        return;
    }
    let f = textureLoad(features, vec2<i32>(id.xy), 0);
    let disocclusion = f.x;
    let reactive = f.y;
    let trust = (1.0 - disocclusion) * (1.0 - reactive);
    // Freshly revealed or reactive pixels get a wider kernel (less aliasing from a single
    // sample) and a looser box (history is about to be replaced anyway).
    let ratio = f32(frame.display_size.x) / f32(frame.render_size.x);
    let sigma = mix(clamp(0.6 / ratio, 0.2, 0.5), 0.75, max(disocclusion, reactive));
    let gamma = 2.0;
    let max_frames = mix(16.0, 2.0, reactive);
    let p = vec2<i32>(id.xy);
    textureStore(params, p, vec4<f32>(sigma, trust, gamma, max_frames));
    textureStore(beta_lo, p, vec4<f32>(0.0));
    textureStore(beta_hi, p, vec4<f32>(0.0));
    textureStore(params_extra, p, vec4<f32>(0.0));
}

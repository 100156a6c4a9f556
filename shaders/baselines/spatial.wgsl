// Spatial baselines (no history): upscale the current render-resolution colour to display
// resolution. `bilinear` interpolates the 2×2 nearest samples; `bicubic` uses Catmull-Rom
// over 4×4. Jitter is accounted for: render pixel k holds the scene at k + 0.5 − jitter.
// Bindings: params (render size, display size, jitter), colour (render res, top-left
// render_size), output (display res). Grid: display size in 8×8 workgroups.

#include "baselines/common.wgsl"

@compute @workgroup_size(8, 8)
fn bilinear(@builtin(global_invocation_id) id: vec3<u32>) {
    if any(id.xy >= params.display_size) {
        return;
    }
    let x = sample_pos(id.xy);
    let b = vec2<i32>(floor(x));
    let f = x - floor(x);
    let top = mix(load_finite(b), load_finite(b + vec2<i32>(1, 0)), f.x);
    let bottom = mix(load_finite(b + vec2<i32>(0, 1)), load_finite(b + vec2<i32>(1, 1)), f.x);
    textureStore(output, id.xy, vec4<f32>(mix(top, bottom, f.y), 1.0));
}

fn catmull_rom(t: f32) -> vec4<f32> {
    let t2 = t * t;
    let t3 = t2 * t;
    return 0.5 * vec4<f32>(-t3 + 2.0 * t2 - t, 3.0 * t3 - 5.0 * t2 + 2.0, -3.0 * t3 + 4.0 * t2 + t, t3 - t2);
}

@compute @workgroup_size(8, 8)
fn bicubic(@builtin(global_invocation_id) id: vec3<u32>) {
    if any(id.xy >= params.display_size) {
        return;
    }
    let x = sample_pos(id.xy);
    let b = vec2<i32>(floor(x));
    let f = x - floor(x);
    let wx = catmull_rom(f.x);
    let wy = catmull_rom(f.y);
    var c = vec3<f32>(0.0);
    for (var j = 0; j < 4; j++) {
        for (var i = 0; i < 4; i++) {
            c += wx[i] * wy[j] * load_finite(b + vec2<i32>(i - 1, j - 1));
        }
    }
    textureStore(output, id.xy, vec4<f32>(max(c, vec3<f32>(0.0)), 1.0));
}

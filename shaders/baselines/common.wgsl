// Shared by the spatial baselines (spatial.wgsl, easu.wgsl): their parameters, bindings, the
// finite-only colour load and the jitter-aware sample position.
// Bindings: params (render size, display size, jitter), colour (render res, top-left
// render_size), output (display res).

struct Params {
    render_size: vec2<u32>,
    display_size: vec2<u32>,
    jitter: vec2<f32>,
    _pad: vec2<f32>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var color: texture_2d<f32>;
@group(0) @binding(2) var output: texture_storage_2d<rgba32float, write>;

// Render sample k (clamped into the render rectangle); NaN and ±Inf read as 0.
fn load_finite(k: vec2<i32>) -> vec3<f32> {
    let c = textureLoad(color, clamp(k, vec2<i32>(0), vec2<i32>(params.render_size) - 1), 0).rgb;
    return select(vec3<f32>(0.0), c, (c == c) & (abs(c) < vec3<f32>(3.0e38)));
}

// Position of display pixel p in render-sample space, where sample k sits at k (integer):
// render pixel k holds the scene at k + 0.5 − jitter.
fn sample_pos(p: vec2<u32>) -> vec2<f32> {
    let uv = (vec2<f32>(p) + 0.5) / vec2<f32>(params.display_size);
    return uv * vec2<f32>(params.render_size) + params.jitter - 0.5;
}

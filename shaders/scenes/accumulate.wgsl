// Ground-truth reconstruction: each supersample pass renders the whole display image with a
// sub-pixel offset; `accumulate` splats that pass into a running weighted sum with a Gaussian
// reconstruction filter (σ = 0.5 display pixels, 3×3 support), and `finish` divides by the
// weights. Non-finite samples are skipped so one bad sample cannot poison the reference.
// Bindings: params (uniform), the pass's sample image, the f32 accumulator (rgb·w, w), the
// output texture. Grid: display size in 8×8 workgroups.

struct Params {
    size: vec2<u32>,
    // Where the pass sampled inside each pixel, relative to the centre, in pixels (= −jitter).
    offset: vec2<f32>,
    // 1 for the first pass of a frame: overwrite instead of add.
    first: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var samples: texture_2d<f32>;
@group(0) @binding(2) var<storage, read_write> accum: array<vec4<f32>>;
@group(0) @binding(3) var output: texture_storage_2d<rgba32float, write>;

const INV_TWO_SIGMA2: f32 = 2.0; // 1 / (2 · 0.5²)

@compute @workgroup_size(8, 8)
fn accumulate(@builtin(global_invocation_id) id: vec3<u32>) {
    if any(id.xy >= params.size) {
        return;
    }
    var sum = vec4<f32>(0.0);
    for (var dy = -1; dy <= 1; dy++) {
        for (var dx = -1; dx <= 1; dx++) {
            let q = vec2<i32>(id.xy) + vec2<i32>(dx, dy);
            if any(q < vec2<i32>(0)) || any(q >= vec2<i32>(params.size)) {
                continue;
            }
            let c = textureLoad(samples, q, 0).rgb;
            // `c != c` compiles to an ordered comparison (false for NaN): test equality instead.
            if !all(c == c) || any(abs(c) > vec3<f32>(3.0e38)) {
                continue;
            }
            let d = vec2<f32>(f32(dx), f32(dy)) + params.offset;
            let w = exp(-dot(d, d) * INV_TWO_SIGMA2);
            sum += vec4<f32>(c * w, w);
        }
    }
    let i = id.y * params.size.x + id.x;
    if params.first == 1u {
        accum[i] = sum;
    } else {
        accum[i] += sum;
    }
}

@compute @workgroup_size(8, 8)
fn finish(@builtin(global_invocation_id) id: vec3<u32>) {
    if any(id.xy >= params.size) {
        return;
    }
    let a = accum[id.y * params.size.x + id.x];
    textureStore(output, id.xy, vec4<f32>(a.rgb / max(a.w, 1e-12), 1.0));
}

// Edge-adaptive spatial upscale (no history), in the spirit of FSR 1's EASU. Per display pixel:
// read the 12 render samples around the 2×2 quad containing it (the 4×4 block without corners),
// tonemapped with c / (1 + max(c)) so HDR highlights cannot dominate; build the luma structure
// tensor from central differences at the quad's four samples, weighted bilinearly; from it take
// the gradient direction and a coherence in [0, 1) (0 flat or isotropic, → 1 on a clean edge);
// filter with a Lanczos-2-like kernel whose footprint is stretched along the edge and whose
// negative lobe deepens with coherence; clamp to the quad's min/max (no ringing) and undo the
// tonemap. Negative, NaN and ±Inf inputs read as 0. Jitter as in spatial.wgsl: render pixel k
// holds the scene at k + 0.5 − jitter. CPU reference: quantsr_eval::spatial_cpu.
// Bindings: params (render size, display size, jitter), colour (render res, top-left
// render_size), output (display res). Grid: display size in 8×8 workgroups.

#include "baselines/common.wgsl"

// Constants shared with spatial_cpu::easu_params.
const LUMA = vec3<f32>(0.25, 0.5, 0.25);
const COHERENCE_EPS: f32 = 1.0e-6;
const STRETCH: f32 = 1.0;
const LOBE_FLAT: f32 = 0.0;
const LOBE_EDGE: f32 = 0.4;
const INVERSE_EPS: f32 = 1.0 / 1048576.0;

// Tap offsets from the quad's top-left sample; the quad itself is taps 3, 4, 7, 8.
const TAPS = array<vec2<i32>, 12>(
    vec2<i32>(0, -1), vec2<i32>(1, -1),
    vec2<i32>(-1, 0), vec2<i32>(0, 0), vec2<i32>(1, 0), vec2<i32>(2, 0),
    vec2<i32>(-1, 1), vec2<i32>(0, 1), vec2<i32>(1, 1), vec2<i32>(2, 1),
    vec2<i32>(0, 2), vec2<i32>(1, 2),
);

fn load(k: vec2<i32>) -> vec3<f32> {
    return max(load_finite(k), vec3<f32>(0.0));
}

fn max3(c: vec3<f32>) -> f32 {
    return max(max(c.r, c.g), c.b);
}

fn tonemap(c: vec3<f32>) -> vec3<f32> {
    return c * (1.0 / (1.0 + max3(c)));
}

fn inverse_tonemap(t: vec3<f32>) -> vec3<f32> {
    return t * (1.0 / max(1.0 - max3(t), INVERSE_EPS));
}

// Window (1 − d²/4)² times (1 − d²): positive inside radius 1, a negative lobe scaled by `lobe`
// out to radius 2, zero beyond. `d2` is the squared anisotropic distance in render pixels.
fn kernel(d2: f32, lobe: f32) -> f32 {
    let window = max(1.0 - 0.25 * d2, 0.0);
    return window * window * (1.0 - d2) * select(lobe, 1.0, d2 < 1.0);
}

@compute @workgroup_size(8, 8)
fn easu(@builtin(global_invocation_id) id: vec3<u32>) {
    if any(id.xy >= params.display_size) {
        return;
    }
    let x = sample_pos(id.xy);
    let b = vec2<i32>(floor(x));
    let f = x - floor(x);

    var offsets = TAPS;
    var taps: array<vec3<f32>, 12>;
    var l: array<f32, 12>;
    for (var i = 0; i < 12; i++) {
        taps[i] = tonemap(load(b + offsets[i]));
        l[i] = dot(taps[i], LUMA);
    }

    // Structure tensor [[a, b], [b, c]] of luma over the quad, central differences per sample.
    let g00 = vec2<f32>(l[4] - l[2], l[7] - l[0]);
    let g10 = vec2<f32>(l[5] - l[3], l[8] - l[1]);
    let g01 = vec2<f32>(l[8] - l[6], l[10] - l[3]);
    let g11 = vec2<f32>(l[9] - l[7], l[11] - l[4]);
    let w = vec4<f32>((1.0 - f.x) * (1.0 - f.y), f.x * (1.0 - f.y), (1.0 - f.x) * f.y, f.x * f.y);
    var ta = w.x * g00.x * g00.x;
    var tb = w.x * g00.x * g00.y;
    var tc = w.x * g00.y * g00.y;
    ta += w.y * g10.x * g10.x;
    tb += w.y * g10.x * g10.y;
    tc += w.y * g10.y * g10.y;
    ta += w.z * g01.x * g01.x;
    tb += w.z * g01.x * g01.y;
    tc += w.z * g01.y * g01.y;
    ta += w.w * g11.x * g11.x;
    tb += w.w * g11.x * g11.y;
    tc += w.w * g11.y * g11.y;

    // (a − c, 2b) points at twice the gradient's angle; its length is λ1 − λ2; a + c = λ1 + λ2.
    let d = vec2<f32>(ta - tc, 2.0 * tb);
    let dd = dot(d, d);
    let sum = ta + tc;
    let coherence = dd / (sum * sum + COHERENCE_EPS);
    let dir2 = d * inverseSqrt(max(dd, 1.0e-30));
    let stretch = 1.0 + STRETCH * coherence;
    let along = 1.0 - 1.0 / (stretch * stretch);
    let lobe = LOBE_FLAT + (LOBE_EDGE - LOBE_FLAT) * coherence;

    // The weights sum to more than 0.8 (spatial_cpu::easu_weights), so the division is safe.
    var acc = vec3<f32>(0.0);
    var weight = 0.0;
    for (var i = 0; i < 12; i++) {
        let v = vec2<f32>(offsets[i]) - f;
        let r2 = dot(v, v);
        // Squared component of v along the edge: ½(|v|² − cos2θ(vx² − vy²) − 2 sin2θ vx vy).
        let e2 = 0.5 * (r2 - dir2.x * (v.x * v.x - v.y * v.y) - 2.0 * dir2.y * v.x * v.y);
        let k = kernel(r2 - along * e2, lobe);
        acc += k * taps[i];
        weight += k;
    }
    let filtered = acc * (1.0 / weight);

    let lo = min(min(taps[3], taps[4]), min(taps[7], taps[8]));
    let hi = max(max(taps[3], taps[4]), max(taps[7], taps[8]));
    let c = inverse_tonemap(clamp(filtered, lo, hi));
    textureStore(output, id.xy, vec4<f32>(c, 1.0));
}

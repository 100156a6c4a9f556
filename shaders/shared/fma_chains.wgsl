// The body of the FMA peak probes (fma_peak.wgsl, fma_peak_f16.wgsl): eight independent chains
// of `ITERATIONS` fused multiply-adds on `V`, a four-lane vector type the includer declares
// (`alias V = vec4<f32>;` or `vec4<f16>`): 64 operations per round and invocation.

override ITERATIONS: u32 = 4096u;

// Runs the chains from a seed `s` and returns their sum, so the work cannot be optimised away.
// The chains converge to c / (1 − m) = 1, far from denormals and overflow in f16 too.
fn fma_chains(s: f32) -> vec4<f32> {
    var a0 = V(vec4<f32>(s, s + 0.1, s + 0.2, s + 0.3));
    var a1 = a0 + V(vec4<f32>(0.01));
    var a2 = a0 + V(vec4<f32>(0.02));
    var a3 = a0 + V(vec4<f32>(0.03));
    var a4 = a0 + V(vec4<f32>(0.04));
    var a5 = a0 + V(vec4<f32>(0.05));
    var a6 = a0 + V(vec4<f32>(0.06));
    var a7 = a0 + V(vec4<f32>(0.07));
    let m = V(vec4<f32>(0.999));
    let c = V(vec4<f32>(0.001));
    for (var i = 0u; i < ITERATIONS; i++) {
        a0 = fma(a0, m, c);
        a1 = fma(a1, m, c);
        a2 = fma(a2, m, c);
        a3 = fma(a3, m, c);
        a4 = fma(a4, m, c);
        a5 = fma(a5, m, c);
        a6 = fma(a6, m, c);
        a7 = fma(a7, m, c);
    }
    return vec4<f32>(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
}

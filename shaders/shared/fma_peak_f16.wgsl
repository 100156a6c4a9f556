// Packed f16 FMA throughput microbenchmark: as fma_peak.wgsl with vec4<f16> chains, so a GPU
// with packed half math shows its 2x rate. `quantsr bench` divides the FLOP count by the
// pass's GPU time to get the f16 peak, the yardstick of the f16 rung.
// Bindings: out (write, one f32 per invocation). Grid: any number of 64-wide workgroups.
enable f16;

override ITERATIONS: u32 = 4096u;

@group(0) @binding(0) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let s = f16(f32(id.x & 255u) * 1e-3);
    var a0 = vec4<f16>(s, s + 0.1h, s + 0.2h, s + 0.3h);
    var a1 = a0 + 0.01h;
    var a2 = a0 + 0.02h;
    var a3 = a0 + 0.03h;
    var a4 = a0 + 0.04h;
    var a5 = a0 + 0.05h;
    var a6 = a0 + 0.06h;
    var a7 = a0 + 0.07h;
    let m = vec4<f16>(0.999h);
    let c = vec4<f16>(0.001h);
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
    let r = vec4<f32>(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
    out[id.x] = r.x + r.y + r.z + r.w;
}

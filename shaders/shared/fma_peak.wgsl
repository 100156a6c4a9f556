// FMA throughput microbenchmark: every invocation runs `ITERATIONS` rounds of eight
// independent vec4 fused multiply-adds (64 FLOP per round) and stores one value so the work
// cannot be optimised away. `quantsr bench` divides the FLOP count by the pass's GPU time to
// get the device's measured f32 peak, the yardstick for the network's GFLOP/s.
// Bindings: out (write, one f32 per invocation). Grid: any number of 64-wide workgroups.

override ITERATIONS: u32 = 4096u;

@group(0) @binding(0) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let s = f32(id.x) * 1e-7;
    var a0 = vec4<f32>(s, s + 0.1, s + 0.2, s + 0.3);
    var a1 = a0 + 0.01;
    var a2 = a0 + 0.02;
    var a3 = a0 + 0.03;
    var a4 = a0 + 0.04;
    var a5 = a0 + 0.05;
    var a6 = a0 + 0.06;
    var a7 = a0 + 0.07;
    let m = vec4<f32>(0.999999);
    let c = vec4<f32>(1e-6);
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
    let r = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    out[id.x] = r.x + r.y + r.z + r.w;
}

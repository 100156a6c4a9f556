// int8 dot-product throughput microbenchmark: every invocation runs `ITERATIONS` rounds of
// eight independent `dot4I8Packed` accumulations (4 multiply-adds each: 64 integer operations
// per round, counted like FLOPs). `quantsr bench` divides the count by the pass's GPU time to
// get the device's int8 peak (DP4a where the GPU has it), the yardstick of the int8 rungs.
// Bindings: out (write, one f32 per invocation). Grid: any number of 64-wide workgroups.

override ITERATIONS: u32 = 4096u;

@group(0) @binding(0) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    // Operands that change every round, so no dot product can be hoisted out of the loop.
    var w = id.x * 2654435761u;
    var a0 = 0;
    var a1 = 1;
    var a2 = 2;
    var a3 = 3;
    var a4 = 4;
    var a5 = 5;
    var a6 = 6;
    var a7 = 7;
    for (var i = 0u; i < ITERATIONS; i++) {
        w = w + 0x01010101u;
        a0 += dot4I8Packed(w, 0x01020304u);
        a1 += dot4I8Packed(w, 0x05060708u);
        a2 += dot4I8Packed(w, 0x090a0b0cu);
        a3 += dot4I8Packed(w, 0x0d0e0f10u);
        a4 += dot4I8Packed(w, 0x11121314u);
        a5 += dot4I8Packed(w, 0x15161718u);
        a6 += dot4I8Packed(w, 0x191a1b1cu);
        a7 += dot4I8Packed(w, 0x1d1e1f20u);
    }
    out[id.x] = f32(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
}

// f32 FMA throughput microbenchmark: `fma_chains` on vec4<f32>, one value stored per
// invocation. `quantsr bench` divides the operation count by the pass's GPU time to get the
// device's measured f32 peak, the yardstick of the f32 rung.
// Bindings: out (write, one f32 per invocation). Grid: any number of 64-wide workgroups.

alias V = vec4<f32>;

#include "shared/fma_chains.wgsl"

@group(0) @binding(0) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let r = fma_chains(f32(id.x & 255u) * 1e-3);
    out[id.x] = r.x + r.y + r.z + r.w;
}

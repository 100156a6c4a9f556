// Synthetic GPU load: stands in for a renderer's own passes in demonstrations and tests of
// the precision controller. Every invocation runs `params.iterations` rounds of dependent
// FMAs, so the pass's cost is proportional to the iteration count (calibrated on the host).
// Bindings: params (iterations), sink (write, one f32 per invocation, keeps the work alive).
// Grid: `LOAD_WORKGROUPS` workgroups of 64 (the host's constant).

struct Params { iterations: u32, _pad0: u32, _pad1: u32, _pad2: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> sink: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    var a = vec4<f32>(f32(id.x) * 1e-6, 0.25, 0.5, 0.75);
    var b = a + 0.125;
    let m = vec4<f32>(0.9999);
    let c = vec4<f32>(1e-5);
    for (var i = 0u; i < params.iterations; i++) {
        a = fma(a, m, c);
        b = fma(b, m, c);
    }
    let r = a + b;
    sink[id.x] = r.x + r.y + r.z + r.w;
}

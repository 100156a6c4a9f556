// y = a·x + b over a flat f32 buffer: the smallest end-to-end check that a device computes
// what the CPU computes (used by `quantsr info`'s self-test and the foundation tests).
// Bindings: params (a, b, n), x (read), y (write). Grid: ceil(n / 256) workgroups of 256.

struct Params { a: f32, b: f32, n: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if i < params.n {
        y[i] = params.a * x[i] + params.b;
    }
}

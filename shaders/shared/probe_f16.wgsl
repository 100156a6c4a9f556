// f16 arithmetic probe: y = x·s + t computed in f16 (rounded per operation), two values per
// u32 word. Proves `enable f16;` really runs in half precision on this device.
// Bindings: params (s, t as f32, n words), x (read, packed f16 pairs), y (write, packed pairs).
// Grid: ceil(n / 64) workgroups of 64.
enable f16;

struct Params { s: f32, t: f32, n: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if i >= params.n {
        return;
    }
    // naga 30 rejects bitcast<vec2<f16>>(u32): go through unpack2x16float.
    let v = vec2<f16>(unpack2x16float(x[i]));
    let product = v * f16(params.s);
    let r = product + f16(params.t);
    y[i] = pack2x16float(vec2<f32>(r));
}

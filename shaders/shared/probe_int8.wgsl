// int8 arithmetic probe: the operations the int8 rungs are built on. For each word pair,
// dot = dot4I8Packed(a, b) (four int8 products summed in i32) and
// packed = pack4xI8Clamp(unpack4xI8(a) * 3 - unpack4xI8(b)) (saturating requantisation).
// Bindings: a, b (read, four int8 per u32), dot (write, i32), packed (write, u32).
// Grid: ceil(n / 64) workgroups of 64, n = arrayLength(a).

@group(0) @binding(0) var<storage, read> a: array<u32>;
@group(0) @binding(1) var<storage, read> b: array<u32>;
@group(0) @binding(2) var<storage, read_write> dot: array<i32>;
@group(0) @binding(3) var<storage, read_write> packed: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if i >= arrayLength(&a) {
        return;
    }
    dot[i] = dot4I8Packed(a[i], b[i]);
    packed[i] = pack4xI8Clamp(unpack4xI8(a[i]) * 3 - unpack4xI8(b[i]));
}

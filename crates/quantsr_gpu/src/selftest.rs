//! Device self-tests: tiny kernels whose results have exact CPU equivalents. `quantsr info`
//! runs them to prove the device computes correctly at each precision the rungs use, and the
//! foundation tests compare them with the CPU functions below.

use wgpu::util::DeviceExt;

use crate::{ComputeKernel, GpuContext, GpuError, NamedResource, read_buffer, workgroups};

fn storage_init(ctx: &GpuContext, label: &str, data: &[u8]) -> wgpu::Buffer {
    ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: data,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
    })
}

fn storage_out(ctx: &GpuContext, label: &str, bytes: u64) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: bytes,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    })
}

fn uniform(ctx: &GpuContext, data: &[u8]) -> wgpu::Buffer {
    ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("selftest params"),
        contents: data,
        usage: wgpu::BufferUsages::UNIFORM,
    })
}

fn run(ctx: &GpuContext, kernel: &ComputeKernel, resources: &[NamedResource<'_>], groups: u32) {
    let bind = kernel.bind_group(&ctx.device, 0, resources);
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    kernel.dispatch(&mut encoder, &[&bind], [groups, 1, 1], None);
    ctx.queue.submit([encoder.finish()]);
}

/// Runs `shared/axpy.wgsl`: `a·x + b` per element, in f32 on the device.
pub fn axpy_gpu(ctx: &GpuContext, a: f32, b: f32, x: &[f32]) -> Result<Vec<f32>, GpuError> {
    let kernel = ComputeKernel::from_path(ctx, "shared/axpy.wgsl", "main")?;
    let n = x.len() as u32;
    let params = uniform(ctx, bytemuck::cast_slice(&[a.to_bits(), b.to_bits(), n, 0]));
    let xb = storage_init(ctx, "x", bytemuck::cast_slice(x));
    let yb = storage_out(ctx, "y", 4 * u64::from(n));
    run(
        ctx,
        &kernel,
        &[("params", params.as_entire_binding()), ("x", xb.as_entire_binding()), ("y", yb.as_entire_binding())],
        workgroups(n, 256),
    );
    read_buffer(ctx, &yb)
}

/// CPU reference of [`axpy_gpu`].
pub fn axpy_cpu(a: f32, b: f32, x: &[f32]) -> Vec<f32> {
    x.iter().map(|&v| a * v + b).collect()
}

/// Runs `shared/probe_f16.wgsl`: `x·s + t` in f16 (the device may round after the multiply
/// and after the add, or fuse them into one rounding).
/// Needs `SHADER_F16`; `x.len()` must be even.
pub fn f16_probe_gpu(ctx: &GpuContext, s: f32, t: f32, x: &[half::f16]) -> Result<Vec<half::f16>, GpuError> {
    let kernel = ComputeKernel::from_path(ctx, "shared/probe_f16.wgsl", "main")?;
    let words = (x.len() / 2) as u32;
    let params = uniform(ctx, bytemuck::cast_slice(&[s.to_bits(), t.to_bits(), words, 0]));
    let xb = storage_init(ctx, "x", bytemuck::cast_slice(x));
    let yb = storage_out(ctx, "y", 4 * u64::from(words));
    run(
        ctx,
        &kernel,
        &[("params", params.as_entire_binding()), ("x", xb.as_entire_binding()), ("y", yb.as_entire_binding())],
        workgroups(words, 64),
    );
    read_buffer(ctx, &yb)
}

/// CPU reference of [`f16_probe_gpu`]: the same operations, each rounded to f16.
pub fn f16_probe_cpu(s: f32, t: f32, x: &[half::f16]) -> Vec<half::f16> {
    let (s, t) = (half::f16::from_f32(s), half::f16::from_f32(t));
    x.iter()
        .map(|&v| {
            let product = half::f16::from_f32(v.to_f32() * s.to_f32());
            half::f16::from_f32(product.to_f32() + t.to_f32())
        })
        .collect()
}

/// The same operations as [`f16_probe_gpu`] fused: the exact `x·s + t` rounded to f16 once, as
/// a GPU that contracts them into one multiply-add (NVIDIA's) computes it.
pub fn f16_probe_cpu_fused(s: f32, t: f32, x: &[half::f16]) -> Vec<half::f16> {
    let (s, t) = (half::f16::from_f32(s), half::f16::from_f32(t));
    // f16 products and sums are exact in f64 (11-bit significands, exponents within range).
    x.iter().map(|&v| half::f16::from_f64(v.to_f64() * s.to_f64() + t.to_f64())).collect()
}

/// Distance in units in the last place between two finite f16 values (their positions in the
/// ordered sequence of f16 values).
fn ulp_distance(a: half::f16, b: half::f16) -> u32 {
    let ordered = |v: half::f16| {
        let bits = i32::from(v.to_bits());
        if bits & 0x8000 != 0 { -(bits & 0x7fff) } else { bits }
    };
    ordered(a).abs_diff(ordered(b))
}

/// How many of the device's f16 probe results `gpu` are wrong: each must equal the result
/// rounded after every operation, or lie within 1 ulp of the fused result (one rounding; a
/// device may contract the multiply and add, and either is a correct f16 device).
pub fn f16_probe_mismatches(s: f32, t: f32, x: &[half::f16], gpu: &[half::f16]) -> usize {
    let separate = f16_probe_cpu(s, t, x);
    let fused = f16_probe_cpu_fused(s, t, x);
    if gpu.len() != x.len() {
        return x.len();
    }
    (0..x.len())
        .filter(|&i| {
            let g = gpu[i];
            let ok = g == separate[i] || (g.is_finite() && fused[i].is_finite() && ulp_distance(g, fused[i]) <= 1);
            !ok
        })
        .count()
}

/// Runs `shared/probe_int8.wgsl` on words of four int8 each: returns the packed dot products
/// and the saturated `a·3 − b` lanes.
pub fn int8_probe_gpu(ctx: &GpuContext, a: &[u32], b: &[u32]) -> Result<(Vec<i32>, Vec<u32>), GpuError> {
    assert_eq!(a.len(), b.len(), "int8 probe operands differ in length");
    let kernel = ComputeKernel::from_path(ctx, "shared/probe_int8.wgsl", "main")?;
    let n = a.len() as u32;
    let ab = storage_init(ctx, "a", bytemuck::cast_slice(a));
    let bb = storage_init(ctx, "b", bytemuck::cast_slice(b));
    let dot = storage_out(ctx, "dot", 4 * u64::from(n));
    let packed = storage_out(ctx, "packed", 4 * u64::from(n));
    run(
        ctx,
        &kernel,
        &[
            ("a", ab.as_entire_binding()),
            ("b", bb.as_entire_binding()),
            ("dot", dot.as_entire_binding()),
            ("packed", packed.as_entire_binding()),
        ],
        workgroups(n, 64),
    );
    Ok((read_buffer(ctx, &dot)?, read_buffer(ctx, &packed)?))
}

/// The four signed bytes of a packed word, lowest byte first (WGSL's `unpack4xI8` order).
pub fn unpack_i8x4(word: u32) -> [i32; 4] {
    word.to_le_bytes().map(|b| i32::from(b as i8))
}

/// Packs four values into signed bytes with saturation (WGSL's `pack4xI8Clamp`).
pub fn pack_i8x4_clamp(v: [i32; 4]) -> u32 {
    u32::from_le_bytes(v.map(|x| x.clamp(-128, 127) as i8 as u8))
}

/// CPU reference of [`int8_probe_gpu`].
pub fn int8_probe_cpu(a: &[u32], b: &[u32]) -> (Vec<i32>, Vec<u32>) {
    a.iter()
        .zip(b)
        .map(|(&a, &b)| {
            let (va, vb) = (unpack_i8x4(a), unpack_i8x4(b));
            let dot: i32 = (0..4).map(|k| va[k] * vb[k]).sum();
            let lanes = [0, 1, 2, 3].map(|k| va[k] * 3 - vb[k]);
            (dot, pack_i8x4_clamp(lanes))
        })
        .unzip()
}

/// Outcome of [`run_selftests`], one flag per precision the rungs rely on.
#[derive(Debug, Clone, Copy)]
pub struct SelfTestReport {
    /// f32 compute matches the CPU exactly.
    pub f32_ok: bool,
    /// f16 compute matches the CPU, rounded per operation or fused (None when the device has
    /// no `SHADER_F16`).
    pub f16_ok: Option<bool>,
    /// int8 packed dot products and saturation match the CPU exactly.
    pub int8_ok: bool,
}

/// Runs the three probes on small deterministic inputs.
pub fn run_selftests(ctx: &GpuContext) -> Result<SelfTestReport, GpuError> {
    let x: Vec<f32> = (0..4096).map(|i| i as f32 - 2048.0).collect();
    let f32_ok = axpy_gpu(ctx, 0.5, 3.0, &x)? == axpy_cpu(0.5, 3.0, &x);
    let f16_ok = if ctx.caps.shader_f16 {
        let xh: Vec<half::f16> = (0..512).map(|i| half::f16::from_f32(i as f32 * 0.37 - 90.0)).collect();
        Some(f16_probe_mismatches(1.7, 0.3, &xh, &f16_probe_gpu(ctx, 1.7, 0.3, &xh)?) == 0)
    } else {
        None
    };
    let a: Vec<u32> = (0..1024u32).map(|i| i.wrapping_mul(2_654_435_761)).collect();
    let b: Vec<u32> = (0..1024u32).map(|i| i.wrapping_mul(40_503).rotate_left(13)).collect();
    let int8_ok = int8_probe_gpu(ctx, &a, &b)? == int8_probe_cpu(&a, &b);
    Ok(SelfTestReport { f32_ok, f16_ok, int8_ok })
}

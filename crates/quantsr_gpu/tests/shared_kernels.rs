//! The kernels of `shaders/shared/` against their CPU references. The ones that only measure
//! speed (the arithmetic peaks, the synthetic load) still compute something definite; their
//! references catch a kernel that stopped doing the work it is timed for (a loop the compiler
//! dropped, a wrong operand). The self-test probes compare themselves (`run_selftests`).

use quantsr_gpu::{ComputeKernel, GpuContext, load_shader, read_buffer, test_gpu, validate_wgsl, wgpu};
use quantsr_model::cpu::F16Rounding;
use wgpu::util::DeviceExt;

const WORKGROUPS: u32 = 4;
const INVOCATIONS: u32 = WORKGROUPS * 64;

/// Runs `shared/<name>` over `INVOCATIONS` invocations with `ITERATIONS` overridden (when the
/// shader has it) and optional `params` in binding `params`, and reads `out`/`sink` back.
fn run(ctx: &GpuContext, path: &str, iterations: u32, params: Option<&[u32; 4]>) -> Vec<f32> {
    let shader = validate_wgsl(path, load_shader(path).unwrap(), ctx.device.features()).unwrap();
    let constants: &[(&str, f64)] = if params.is_none() { &[("ITERATIONS", f64::from(iterations))] } else { &[] };
    let kernel = ComputeKernel::new(ctx, &shader, "main", constants).unwrap();
    let out = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("timing kernel out"),
        size: u64::from(INVOCATIONS) * 4,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let uniform = params.map(|p| {
        ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("timing kernel params"),
            contents: bytemuck::cast_slice(p),
            usage: wgpu::BufferUsages::UNIFORM,
        })
    });
    let mut resources = vec![("out", out.as_entire_binding()), ("sink", out.as_entire_binding())];
    if let Some(u) = &uniform {
        resources.push(("params", u.as_entire_binding()));
    }
    let bind = kernel.bind_group(&ctx.device, 0, &resources);
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    kernel.dispatch(&mut encoder, &[&bind], [WORKGROUPS, 1, 1], None);
    ctx.queue.submit([encoder.finish()]);
    read_buffer(ctx, &out).unwrap()
}

/// `shared/fma_chains.wgsl` for invocation `id`, each multiply-add rounded by `round`.
fn fma_chains_cpu(id: u32, iterations: u32, round: impl Fn(f32) -> f32) -> f32 {
    let s = (id & 255) as f32 * 1e-3;
    let base = [s, s + 0.1, s + 0.2, s + 0.3].map(&round);
    let (m, c) = (round(0.999), round(0.001));
    let mut sum = [0.0f32; 4];
    for k in 0..8 {
        for (lane, total) in sum.iter_mut().enumerate() {
            let mut a = round(base[lane] + round(0.01 * k as f32));
            for _ in 0..iterations {
                a = round(a.mul_add(m, c));
            }
            *total += a;
        }
    }
    sum.iter().sum()
}

/// `shared/dot4_peak.wgsl` for invocation `id`: exact, as the GPU's `dot4I8Packed` is.
fn dot4_peak_cpu(id: u32, iterations: u32) -> f32 {
    let dot4 = |a: u32, b: u32| -> i32 {
        (0..4).map(|i| i32::from((a >> (8 * i)) as u8 as i8) * i32::from((b >> (8 * i)) as u8 as i8)).sum()
    };
    const B: [u32; 8] =
        [0x01020304, 0x05060708, 0x090a0b0c, 0x0d0e0f10, 0x11121314, 0x15161718, 0x191a1b1c, 0x1d1e1f20];
    let mut w = id.wrapping_mul(2_654_435_761);
    let mut acc: [i32; 8] = [0, 1, 2, 3, 4, 5, 6, 7];
    for _ in 0..iterations {
        w = w.wrapping_add(0x0101_0101);
        for (a, b) in acc.iter_mut().zip(B) {
            *a = a.wrapping_add(dot4(w, b));
        }
    }
    acc.iter().fold(0i32, |s, a| s.wrapping_add(*a)) as f32
}

/// `shared/synthetic_load.wgsl` for invocation `id`.
fn synthetic_load_cpu(id: u32, iterations: u32) -> f32 {
    let a0 = [id as f32 * 1e-6, 0.25, 0.5, 0.75];
    let mut total = 0.0;
    for start in [a0, a0.map(|v| v + 0.125)] {
        for mut v in start {
            for _ in 0..iterations {
                v = v.mul_add(0.9999, 1e-5);
            }
            total += v;
        }
    }
    total
}

fn assert_close(gpu: &[f32], cpu: impl Fn(u32) -> f32, rel: f32, what: &str) {
    for (id, g) in gpu.iter().enumerate() {
        let c = cpu(id as u32);
        assert!((g - c).abs() <= rel * c.abs().max(1.0), "{what}: invocation {id}: GPU {g}, CPU {c}");
    }
}

#[test]
fn the_f32_peak_kernel_computes_its_multiply_add_chains() {
    let ctx = test_gpu();
    let gpu = run(&ctx, "shared/fma_peak.wgsl", 300, None);
    assert_close(&gpu, |id| fma_chains_cpu(id, 300, |x| x), 1e-5, "fma_peak");
}

#[test]
fn the_f16_peak_kernel_computes_its_multiply_add_chains_in_f16() {
    let ctx = test_gpu();
    assert!(ctx.caps.shader_f16, "the test device must support SHADER_F16 (lavapipe does)");
    let gpu = run(&ctx, "shared/fma_peak_f16.wgsl", 300, None);
    // Vulkan lets a device round f16 results to nearest even or toward zero, and fuse the
    // multiply-add or not (lavapipe mixes them): the chains climb towards their fixed point
    // from below, so every device's result lies between the chains rounded toward zero at every
    // step (the slowest climb) and rounded to nearest.
    let nearest = |x: f32| F16Rounding::NearestEven.round(x);
    let toward_zero = |x: f32| F16Rounding::TowardZero.round(x);
    for (id, g) in gpu.iter().enumerate() {
        let (lo, hi) = (fma_chains_cpu(id as u32, 300, toward_zero), fma_chains_cpu(id as u32, 300, nearest));
        assert!(
            lo * 0.995 <= *g && *g <= hi * 1.005,
            "fma_peak_f16: invocation {id} gives {g}, outside the f16 chains' {lo} (toward zero) to {hi} (nearest)"
        );
    }
    // And they are not f32 chains: f16 rounding moves the fixed point away from 1.
    let f32_chains = fma_chains_cpu(0, 300, |x| x);
    assert!((gpu[0] - f32_chains).abs() > 1e-3, "fma_peak_f16 matches the f32 chains: it is not computing in f16");
}

#[test]
fn the_int8_peak_kernel_computes_its_dot_products_exactly() {
    let ctx = test_gpu();
    let gpu = run(&ctx, "shared/dot4_peak.wgsl", 300, None);
    assert_close(&gpu, |id| dot4_peak_cpu(id, 300), 0.0, "dot4_peak");
}

#[test]
fn the_synthetic_load_kernel_runs_the_iterations_it_is_given() {
    let ctx = test_gpu();
    let gpu = run(&ctx, "shared/synthetic_load.wgsl", 0, Some(&[500, 0, 0, 0]));
    assert_close(&gpu, |id| synthetic_load_cpu(id, 500), 1e-5, "synthetic_load");
}

#[test]
fn the_selftest_probes_match_their_cpu_references() {
    let report = quantsr_gpu::selftest::run_selftests(&test_gpu()).unwrap();
    assert!(report.f32_ok, "shared/axpy.wgsl differs from axpy_cpu");
    assert_eq!(report.f16_ok, Some(true), "shared/probe_f16.wgsl differs from f16_probe_cpu (either rounding)");
    assert!(report.int8_ok, "shared/probe_int8.wgsl differs from int8_probe_cpu");
}

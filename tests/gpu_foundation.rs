//! The device does what the CPU does: f32, f16 and int8 arithmetic, timestamps, and every
//! shader under `shaders/` validates.

use quantsr::gpu::{self, selftest, test_gpu, wgpu};

#[test]
fn axpy_over_a_million_elements_matches_cpu_exactly() {
    let ctx = test_gpu();
    // Integers and a power-of-two scale keep every result exactly representable, so fused
    // or unfused multiply-add on the device gives the same bits as the CPU.
    let x: Vec<f32> = (0..1_000_000).map(|i| (i % 65_536) as f32 - 30_000.0).collect();
    let gpu = selftest::axpy_gpu(&ctx, 0.5, 3.0, &x).unwrap();
    assert_eq!(gpu, selftest::axpy_cpu(0.5, 3.0, &x));
}

#[test]
fn f16_arithmetic_rounds_like_the_cpu_per_operation_or_fused() {
    let ctx = test_gpu();
    assert!(ctx.caps.shader_f16, "lavapipe and every recent GPU grant SHADER_F16; this device did not");
    let x: Vec<half::f16> = (0..8192).map(|i| half::f16::from_f32((i as f32 - 4096.0) * 0.0173)).collect();
    let gpu = selftest::f16_probe_gpu(&ctx, 1.7, 0.3, &x).unwrap();
    // f16 rounding of s·x then +t, or one rounding of the fused result: never f32 intermediates.
    let mismatches = selftest::f16_probe_mismatches(1.7, 0.3, &x, &gpu);
    assert_eq!(mismatches, 0, "{mismatches} of {} f16 results are neither per-operation nor fused f16", x.len());
    // And the result really is f16, not f32 rounded at the end: some inputs must differ.
    let f32_path = x.iter().map(|v| half::f16::from_f32(v.to_f32() * 1.7 + 0.3));
    assert!(f32_path.zip(&gpu).any(|(a, b)| a != *b), "f16 math was indistinguishable from f32 math");
}

#[test]
fn the_f16_self_test_accepts_a_fused_multiply_add_and_refuses_a_wrong_result() {
    let x: Vec<half::f16> = (0..8192).map(|i| half::f16::from_f32((i as f32 - 4096.0) * 0.0173)).collect();
    let separate = selftest::f16_probe_cpu(1.7, 0.3, &x);
    let fused = selftest::f16_probe_cpu_fused(1.7, 0.3, &x);
    let differ = separate.iter().zip(&fused).filter(|(a, b)| a != b).count();
    assert!(differ > 0, "the inputs must tell fused from separate rounding");
    assert_eq!(selftest::f16_probe_mismatches(1.7, 0.3, &x, &separate), 0);
    assert_eq!(selftest::f16_probe_mismatches(1.7, 0.3, &x, &fused), 0, "a fused result ({differ} differ) is correct");
    // Two ulps off on one value, or NaNs, are not.
    let mut wrong = fused.clone();
    wrong[100] = half::f16::from_bits(wrong[100].to_bits() + 2);
    assert_eq!(selftest::f16_probe_mismatches(1.7, 0.3, &x, &wrong), 1);
    let nan = vec![half::f16::NAN; x.len()];
    assert_eq!(selftest::f16_probe_mismatches(1.7, 0.3, &x, &nan), x.len());
}

#[test]
fn int8_dot_products_and_saturation_match_cpu_exactly() {
    let ctx = test_gpu();
    let a: Vec<u32> = (0..65_536u32).map(|i| i.wrapping_mul(2_654_435_761)).collect();
    let b: Vec<u32> = (0..65_536u32).map(|i| (i ^ 0x5a5a_5a5a).wrapping_mul(40_503)).collect();
    let (dot, packed) = selftest::int8_probe_gpu(&ctx, &a, &b).unwrap();
    let (dot_cpu, packed_cpu) = selftest::int8_probe_cpu(&a, &b);
    assert_eq!(dot, dot_cpu);
    assert_eq!(packed, packed_cpu);
    // The extremes are exercised: -128·-128 lanes and saturated lanes both occur.
    assert!(packed_cpu.iter().any(|&w| selftest::unpack_i8x4(w).contains(&127)));
    assert!(packed_cpu.iter().any(|&w| selftest::unpack_i8x4(w).contains(&-128)));
}

#[test]
fn timestamp_queries_measure_a_positive_duration() {
    let ctx = test_gpu();
    assert!(ctx.caps.timestamps, "the device did not grant TIMESTAMP_QUERY");
    let kernel = gpu::ComputeKernel::from_path(&ctx, "shared/axpy.wgsl", "main").unwrap();
    use wgpu::util::DeviceExt as _;
    let n = 1u32 << 20;
    let params = ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: None,
        contents: bytemuck::cast_slice(&[2f32.to_bits(), 1f32.to_bits(), n, 0]),
        usage: wgpu::BufferUsages::UNIFORM,
    });
    let storage = |label| {
        ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: 4 * u64::from(n),
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        })
    };
    let (x, y) = (storage("x"), storage("y"));
    let bind = kernel.bind_group(
        &ctx.device,
        0,
        &[("params", params.as_entire_binding()), ("x", x.as_entire_binding()), ("y", y.as_entire_binding())],
    );
    let queries = ctx.device.create_query_set(&wgpu::QuerySetDescriptor {
        label: None,
        ty: wgpu::QueryType::Timestamp,
        count: 2,
    });
    let resolved = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: 16,
        usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    kernel.dispatch(
        &mut encoder,
        &[&bind],
        [gpu::workgroups(n, 256), 1, 1],
        Some(wgpu::ComputePassTimestampWrites {
            query_set: &queries,
            beginning_of_pass_write_index: Some(0),
            end_of_pass_write_index: Some(1),
        }),
    );
    encoder.resolve_query_set(&queries, 0..2, &resolved, 0);
    ctx.queue.submit([encoder.finish()]);
    let ticks: Vec<u64> = gpu::read_buffer(&ctx, &resolved).unwrap();
    let ns = (ticks[1].saturating_sub(ticks[0])) as f64 * f64::from(ctx.queue.get_timestamp_period());
    assert!(ns > 0.0, "timestamps {ticks:?} give no positive duration");
    assert!(ns < 10e9, "a 1M-element axpy took {ns} ns: the timestamps are not in nanoseconds");
}

#[test]
fn every_shader_in_the_tree_validates_with_naga() {
    assert!(!gpu::SHADER_FILES.is_empty(), "no shaders were embedded from shaders/");
    let mut failures = Vec::new();
    for (path, text) in gpu::SHADER_FILES {
        // Include-only fragments (no entry point) need their includer's bindings; they are
        // validated as part of every shader that includes them (the network's precision
        // fragments by the kernels generated at run time, in the network tests).
        if !["@compute", "@vertex", "@fragment"].iter().any(|stage| text.contains(stage)) {
            continue;
        }
        let result = gpu::load_shader(path).and_then(|src| gpu::validate_wgsl(path, src, gpu::all_shader_features()));
        if let Err(e) = result {
            failures.push(e.to_string());
        }
    }
    assert!(failures.is_empty(), "invalid shaders:\n{}", failures.join("\n"));
}

#[test]
fn a_broken_shader_is_reported_with_its_name_and_line() {
    let err = gpu::validate_wgsl("broken.wgsl", "fn main( { }".into(), gpu::all_shader_features()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("broken.wgsl"), "{text}");
}

#[test]
fn withholding_f16_reports_it_unavailable() {
    let ctx = gpu::GpuContext::new_blocking(&gpu::GpuOptions {
        withheld_features: wgpu::Features::SHADER_F16,
        ..Default::default()
    })
    .unwrap();
    assert!(!ctx.caps.shader_f16);
    let err = gpu::ComputeKernel::from_path(&ctx, "shared/probe_f16.wgsl", "main").unwrap_err();
    assert!(err.to_string().contains("probe_f16.wgsl"), "{err}");
    let report = selftest::run_selftests(&ctx).unwrap();
    assert_eq!(report.f16_ok, None);
    assert!(report.f32_ok && report.int8_ok);
}

#[test]
fn shader_defines_select_a_variant_and_refuse_an_unknown_name() {
    // The default: the output pass is written for rgba16float.
    let default = gpu::load_shader("upscaler/sharpen.wgsl").unwrap();
    assert!(default.contains("texture_storage_2d<rgba16float, write>"), "{default}");
    assert!(!default.contains("#define"), "define lines are consumed");
    let wide = gpu::load_shader_with("upscaler/sharpen.wgsl", &[("OUTPUT_FORMAT", "rgba32float")]).unwrap();
    assert!(wide.contains("texture_storage_2d<rgba32float, write>"));
    gpu::validate_wgsl("sharpen (rgba32float)", wide, gpu::all_shader_features()).unwrap();
    // A define reaches `#include` lines too: the int8 storage replaces the f32 one.
    let int8 = gpu::load_shader_with("network/input.wgsl", &[("ACT_STORAGE", "\"network/act_int8.wgsl\"")]).unwrap();
    assert!(int8.contains("pack4xI8") && !int8.contains("alias Act = vec4<f32>"));
    // A variant that names a define the shader lacks fails, naming it and the shader.
    let err = gpu::load_shader_with("upscaler/sharpen.wgsl", &[("OUTPUT_FROMAT", "rgba32float")]).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("OUTPUT_FROMAT") && text.contains("sharpen.wgsl"), "{text}");
}

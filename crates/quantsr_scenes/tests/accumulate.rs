//! The ground-truth accumulation kernel against its CPU reference.

use quantsr_gpu::{create_texture, read_texture, test_gpu, upload_texture, wgpu};
use quantsr_scenes::{COLOR_FORMAT, GroundTruthAccumulator, accumulate_cpu, texture::hash2};

#[test]
fn gpu_accumulation_matches_the_cpu_reference() {
    let ctx = test_gpu();
    let size = [21u32, 13];
    let jitters = [[0.0, -1.0 / 6.0], [-0.25, 1.0 / 6.0], [0.25, -0.39], [-0.375, 0.44]];
    // HDR values exactly representable in f16 (the sample target's format), plus bad samples.
    let images: Vec<Vec<f32>> = (0..jitters.len() as i32)
        .map(|k| {
            (0..(size[0] * size[1]) as i32)
                .flat_map(|i| {
                    let v = |c| half::f16::from_f32(hash2(i, c, k as u32) * 40.0).to_f32();
                    match (i + k) % 37 {
                        0 => [f32::NAN, 1.0, 1.0, 1.0],
                        1 => [f32::INFINITY, 0.0, 2.0, 1.0],
                        _ => [v(0), v(1), v(2), 1.0],
                    }
                })
                .collect()
        })
        .collect();
    let sample = create_texture(
        &ctx.device,
        "sample",
        size,
        COLOR_FORMAT,
        wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
    );
    let acc = GroundTruthAccumulator::new(&ctx, &sample.create_view(&Default::default()), size, jitters.len() as u32)
        .unwrap();
    for (k, (image, jitter)) in images.iter().zip(jitters).enumerate() {
        let halves: Vec<half::f16> = image.iter().map(|&v| half::f16::from_f32(v)).collect();
        upload_texture(&ctx.queue, &sample, bytemuck::cast_slice(&halves));
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        acc.record_pass(&ctx.queue, &mut encoder, k as u32, jitter);
        if k + 1 == jitters.len() {
            acc.record_finish(&mut encoder);
        }
        ctx.queue.submit([encoder.finish()]);
    }
    let gpu = read_texture(&ctx, acc.output()).unwrap().to_f32();
    let passes: Vec<(&[f32], [f32; 2])> = images.iter().map(|i| i.as_slice()).zip(jitters).collect();
    let cpu = accumulate_cpu(&passes, size);
    // exp() may differ by an ulp or two between the JIT and Rust: relative 1e-5.
    for (i, (g, c)) in gpu.iter().zip(&cpu).enumerate() {
        assert!((g - c).abs() <= 1e-5 * c.abs().max(1.0), "value {i}: GPU {g} vs CPU {c}");
    }
}

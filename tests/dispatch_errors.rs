//! The upscaler refuses bad sizes, formats, usages and values with an error that names the
//! texture or field, records nothing, and leaves history as it was: a run with refused
//! dispatches in between gives bit-identical output to a clean run.

use quantsr::gpu::{GpuContext, create_texture, read_texture, test_gpu, wgpu};
use quantsr::{DispatchInputs, Rung, Upscaler, UpscalerDescriptor};

const DISPLAY: [u32; 2] = [64, 48];

struct Views {
    color: wgpu::TextureView,
    depth: wgpu::TextureView,
    motion: wgpu::TextureView,
    output_texture: wgpu::Texture,
    output: wgpu::TextureView,
}

fn view(
    ctx: &GpuContext,
    size: [u32; 2],
    format: wgpu::TextureFormat,
    usage: wgpu::TextureUsages,
) -> wgpu::TextureView {
    create_texture(&ctx.device, "test input", size, format, usage).create_view(&Default::default())
}

fn views(ctx: &GpuContext, upscaler: &Upscaler) -> Views {
    let rs = upscaler.descriptor().max_render_size;
    let read = wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST;
    let color = create_texture(&ctx.device, "colour", rs, wgpu::TextureFormat::Rgba32Float, read);
    // A gradient, so history matters to the output.
    let texels: Vec<f32> =
        (0..rs[0] * rs[1]).flat_map(|i| [(i % 7) as f32 / 7.0, (i % 5) as f32 / 5.0, 0.5, 1.0]).collect();
    ctx.queue.write_texture(
        color.as_image_copy(),
        bytemuck::cast_slice(&texels),
        wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(rs[0] * 16), rows_per_image: None },
        wgpu::Extent3d { width: rs[0], height: rs[1], depth_or_array_layers: 1 },
    );
    let output_texture = create_texture(
        &ctx.device,
        "output",
        DISPLAY,
        wgpu::TextureFormat::Rgba16Float,
        wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::COPY_SRC,
    );
    Views {
        color: color.create_view(&Default::default()),
        depth: view(ctx, rs, wgpu::TextureFormat::R32Float, read),
        motion: view(ctx, rs, wgpu::TextureFormat::Rg16Float, read),
        output: output_texture.create_view(&Default::default()),
        output_texture,
    }
}

fn inputs<'a>(v: &'a Views, frame: u32, render_size: [u32; 2]) -> DispatchInputs<'a> {
    DispatchInputs {
        color: &v.color,
        depth: &v.depth,
        motion_vectors: &v.motion,
        exposure: None,
        reactive: None,
        output: &v.output,
        jitter: quantsr::jitter_offset(frame, 8),
        motion_vector_scale: [1.0, 1.0],
        render_size,
        reset: false,
        frame_time_delta_ms: 16.7,
        sharpness: None,
        camera: None,
        debug_view: Default::default(),
    }
}

/// Runs 6 frames; with `spoil`, a refused dispatch of each kind comes before every frame.
/// Returns the last frame's output bytes.
fn run(ctx: &GpuContext, spoil: bool) -> Vec<u8> {
    let desc = UpscalerDescriptor::for_ratio(DISPLAY, 2.0).with_rungs(&[Rung::Taau]);
    let mut upscaler = Upscaler::new(ctx, desc).unwrap();
    let v = views(ctx, &upscaler);
    let rs = upscaler.descriptor().max_render_size;
    let wrong_format = view(ctx, rs, wgpu::TextureFormat::Rgba8Unorm, wgpu::TextureUsages::TEXTURE_BINDING);
    let small_depth = view(ctx, [4, 4], wgpu::TextureFormat::R32Float, wgpu::TextureUsages::TEXTURE_BINDING);
    let no_storage = view(ctx, DISPLAY, wgpu::TextureFormat::Rgba16Float, wgpu::TextureUsages::TEXTURE_BINDING);
    let big_output = view(ctx, [65, 48], wgpu::TextureFormat::Rgba16Float, wgpu::TextureUsages::STORAGE_BINDING);
    for f in 0..6 {
        if spoil {
            let cases: Vec<(DispatchInputs, &str)> = vec![
                (DispatchInputs { render_size: [rs[0] + 1, rs[1]], ..inputs(&v, f, rs) }, "render_size"),
                (DispatchInputs { render_size: [0, rs[1]], ..inputs(&v, f, rs) }, "render_size"),
                (DispatchInputs { color: &wrong_format, ..inputs(&v, f, rs) }, "color"),
                (DispatchInputs { depth: &small_depth, ..inputs(&v, f, rs) }, "depth"),
                (DispatchInputs { output: &no_storage, ..inputs(&v, f, rs) }, "output"),
                (DispatchInputs { output: &big_output, ..inputs(&v, f, rs) }, "output"),
                (DispatchInputs { jitter: [0.0, 1.5], ..inputs(&v, f, rs) }, "jitter.y"),
                (DispatchInputs { motion_vector_scale: [f32::NAN, 1.0], ..inputs(&v, f, rs) }, "motion_vector_scale.x"),
            ];
            for (bad, named) in cases {
                let mut encoder = ctx.device.create_command_encoder(&Default::default());
                let err = upscaler.dispatch(&mut encoder, &bad).expect_err(named).to_string();
                assert!(err.contains(named), "the error does not name {named}: {err}");
                ctx.queue.submit([encoder.finish()]);
            }
        }
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        upscaler.dispatch(&mut encoder, &inputs(&v, f, rs)).unwrap();
        ctx.queue.submit([encoder.finish()]);
    }
    read_texture(ctx, &v.output_texture).unwrap().bytes
}

#[test]
fn refused_dispatches_name_the_problem_and_leave_history_untouched() {
    let ctx = test_gpu();
    let clean = run(&ctx, false);
    let spoiled = run(&ctx, true);
    assert!(clean == spoiled, "refused dispatches changed the output");
}

#[test]
fn sizes_over_the_device_limits_are_refused_at_creation() {
    let ctx = test_gpu();
    let max = ctx.device.limits().max_texture_dimension_2d;
    let over = |desc: UpscalerDescriptor| Upscaler::new(&ctx, desc).err().expect("refused").to_string();
    let err = over(UpscalerDescriptor::for_ratio([max + 1, 64], 2.0));
    assert!(err.contains("display_size") && err.contains(&max.to_string()), "{err}");
    let err = over(UpscalerDescriptor { max_render_size: [128, 64], ..UpscalerDescriptor::for_ratio(DISPLAY, 2.0) });
    assert!(err.contains("max_render_size"), "{err}");
    let err = over(UpscalerDescriptor::for_ratio([0, 64], 2.0));
    assert!(err.contains("display_size"), "{err}");
}

#[test]
fn unavailable_rungs_and_bad_controller_settings_are_refused_by_name() {
    let ctx = test_gpu();
    let mut upscaler =
        Upscaler::new(&ctx, UpscalerDescriptor::for_ratio(DISPLAY, 2.0).with_rungs(&[Rung::Taau])).unwrap();
    let err = upscaler.set_rung(Rung::Int8).unwrap_err().to_string();
    assert!(err.contains("int8"), "{err}");
    let mut settings = upscaler.controller_settings(60.0);
    settings.margin = 1.5;
    let err = upscaler.enable_controller(settings).unwrap_err().to_string();
    assert!(err.contains("margin"), "{err}");
    let err = upscaler.enable_controller(upscaler.controller_settings(f64::NAN)).unwrap_err().to_string();
    assert!(err.contains("target_frame_ms"), "{err}");
    assert!(upscaler.controller().is_none(), "a refused controller must not be half-enabled");
}

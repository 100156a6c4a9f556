//! Embedding quantsr in a wgpu renderer, in one file.
//!
//! Each frame the "renderer" (here quantsr's own test-scene rasterizer, standing in for yours)
//! draws colour, depth and motion vectors at render resolution with a jittered projection, and
//! the upscaler turns them into a display-resolution image in the same command encoder.
//!
//! ```sh
//! cargo run --release --example embed -- [OUT.png]
//! ```

use quantsr::gpu::{GpuContext, GpuOptions, create_texture, read_texture, wgpu};
use quantsr::scenes::{FrameRequest, SceneRenderer, builtin_scene};
use quantsr::sequence::{Image, write_png};
use quantsr::{
    DispatchInputs, NEURAL_SHARPNESS, QualityMode, Rung, Upscaler, UpscalerDescriptor, jitter_offset,
    jitter_phase_count, mip_bias,
};

/// Renders and upscales `frames` frames of a built-in scene at `display` size and writes the
/// last upscaled frame to `out` as PNG.
pub fn run(frames: u32, display: [u32; 2], out: &std::path::Path) -> anyhow::Result<()> {
    let gpu = GpuContext::new_blocking(&GpuOptions::default())?;

    // 1. Create the upscaler once per view: sizes and input conventions. The built-in model's
    //    rungs are built and warmed up here; pick one (or let the controller pick per frame).
    let desc = UpscalerDescriptor::for_mode(display, QualityMode::Performance).with_rungs(&[
        Rung::Int8,
        Rung::LiteInt8,
        Rung::Taau,
    ]);
    let render = desc.max_render_size;
    let mut upscaler = Upscaler::new(&gpu, desc)?;
    upscaler.set_rung(Rung::Int8)?;

    // Your renderer and the texture the upscaled image lands in (it needs STORAGE_BINDING).
    let scene = builtin_scene("interior")?;
    let renderer = SceneRenderer::new(&gpu, &scene, render, display, 1)?;
    let output = create_texture(
        &gpu.device,
        "upscaled",
        display,
        wgpu::TextureFormat::Rgba16Float,
        wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::COPY_SRC,
    );
    let view = |t: &wgpu::Texture| t.create_view(&Default::default());
    let (color, depth, motion, upscaled) = (
        view(&renderer.inputs().color),
        view(&renderer.inputs().depth),
        view(&renderer.inputs().motion),
        view(&output),
    );

    let phases = jitter_phase_count(render[0], display[0]);
    for i in 0..frames {
        // 2. Jitter the projection with quantsr's helpers and render at render resolution,
        //    sampling textures with the upscaler's mip bias.
        let t = i as f32 / 60.0;
        let jitter = jitter_offset(i, phases);
        let frame = FrameRequest {
            time: t,
            prev_time: t - 1.0 / 60.0,
            camera: scene.camera.sample(t),
            prev_camera: scene.camera.sample(t - 1.0 / 60.0),
            fov_y: scene.camera.fov_y,
            render_size: render,
            jitter,
            mip_bias: mip_bias(render[0], display[0]),
        };
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        renderer.record(&mut encoder, &scene, &frame, false)?;

        // 3. Upscale into the same encoder: no extra submit, no wait. Under load, step down a
        //    rung: it takes effect this frame, with no reset and no compile.
        if i == frames / 2 {
            upscaler.set_rung(Rung::LiteInt8)?;
        }
        upscaler.dispatch(
            &mut encoder,
            &DispatchInputs {
                color: &color,
                depth: &depth,
                motion_vectors: &motion,
                exposure: None,
                reactive: None,
                output: &upscaled,
                jitter,
                motion_vector_scale: [1.0, 1.0],
                render_size: render,
                reset: i == 0,
                frame_time_delta_ms: 1000.0 / 60.0,
                sharpness: Some(NEURAL_SHARPNESS),
                camera: None,
                debug_view: Default::default(),
            },
        )?;
        gpu.queue.submit([encoder.finish()]);
    }

    // 4. Read the last frame back and save it (a real renderer would present it instead).
    let pixels = read_texture(&gpu, &output)?.to_f32();
    write_png(out, &Image::new(display[0], display[1], 4, pixels))?;
    Ok(())
}

#[allow(dead_code)]
fn main() -> anyhow::Result<()> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "embed.png".into());
    run(60, [960, 540], out.as_ref())?;
    println!("wrote {out}");
    Ok(())
}

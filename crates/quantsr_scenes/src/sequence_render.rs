//! Rendering a scene's timeline into a sequence on disk (format v1): the engine behind
//! `quantsr render`.

use std::path::Path;

use glam::Vec3;
use quantsr_gpu::{GpuContext, read_texture_rect, wgpu};
use quantsr_sequence::{DepthInfo, Frame, FrameMeta, Image, SequenceHeader, SequenceWriter, WriteOptions};
use quantsr_upscaler::{jitter_offset, jitter_phase_count, mip_bias, render_size};

use crate::{CameraPath, CameraPose, FrameRequest, Scene, SceneError, SceneRenderer};

/// How to render a sequence.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Output (ground-truth) size in pixels.
    pub display_size: [u32; 2],
    /// Display / render ratio per axis (1 to 4).
    pub ratio: f32,
    /// Number of frames.
    pub frames: u32,
    /// Ground-truth samples per display pixel.
    pub spp: u32,
    /// Frames per second of the timeline.
    pub fps: f32,
    /// Varies the camera slightly and the start of the jitter sequence, for training data;
    /// 0 renders the scene exactly as authored.
    pub seed: u64,
    /// Vary the render size every frame (between the ratio's size and 30 % smaller), to
    /// exercise dynamic resolution.
    pub dynamic_resolution: bool,
    /// Store colour as f16 (half the disk space) instead of f32.
    pub half_float: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            display_size: [960, 540],
            ratio: 2.0,
            frames: 120,
            spp: 16,
            fps: 60.0,
            seed: 0,
            dynamic_resolution: false,
            half_float: false,
        }
    }
}

fn seeded_offset(seed: u64, salt: i32) -> Vec3 {
    if seed == 0 {
        return Vec3::ZERO;
    }
    let s = seed as u32 ^ (seed >> 32) as u32;
    let h = |k| crate::texture::hash2(salt, k, s) - 0.5;
    Vec3::new(h(1), h(2) * 0.4, h(3)) * 0.6
}

/// Renders `frames` frames of `scene` along `camera` into the sequence folder `out`, calling
/// `progress(done, total)` after each frame. The manifest is written last, so an interrupted
/// run never leaves a folder that reads as a complete sequence.
pub fn render_sequence(
    ctx: &GpuContext,
    scene: &Scene,
    camera: &CameraPath,
    options: &RenderOptions,
    out: &Path,
    mut progress: impl FnMut(u32, u32),
) -> Result<quantsr_sequence::Manifest, SceneError> {
    if !(1.0..=4.0).contains(&options.ratio) {
        return Err(SceneError::Options(format!("scale ratio {} is outside [1, 4]", options.ratio)));
    }
    if options.frames == 0 || options.fps.is_nan() || options.fps <= 0.0 {
        return Err(SceneError::Options(format!(
            "need at least one frame and a positive fps (got {} frames at {} fps)",
            options.frames, options.fps
        )));
    }
    let display = options.display_size;
    let max_render = render_size(display, options.ratio);
    let renderer = SceneRenderer::new(ctx, scene, max_render, display, options.spp)?;
    let header = SequenceHeader {
        render_size: max_render,
        display_size: display,
        depth: DepthInfo { inverted: true, infinite: false, near: Some(scene.near), far: Some(scene.far) },
        fov_y: Some(camera.fov_y),
        fps: f64::from(options.fps),
    };
    let write_options = WriteOptions {
        color_precision: if options.half_float {
            quantsr_sequence::SamplePrecision::F16
        } else {
            quantsr_sequence::SamplePrecision::F32
        },
    };
    let mut writer = SequenceWriter::create_with_options(out, header, write_options)?;
    let cam_offset = seeded_offset(options.seed, 1);
    let target_offset = seeded_offset(options.seed, 2);
    let pose = |t: f32| {
        let p = camera.sample(t);
        CameraPose { position: p.position + cam_offset, target: p.target + target_offset }
    };
    let jitter_start = (options.seed % 1024) as u32;
    let dt = 1.0 / options.fps;
    for i in 0..options.frames {
        let t = i as f32 * dt;
        let rs = if options.dynamic_resolution {
            // A smooth swing between the nominal size and 30 % fewer pixels per axis.
            let f = 1.0 + 0.15 * (1.0 - (i as f32 * 0.37).cos());
            render_size(display, (options.ratio * f).min(4.0)).map(|v| v.max(1))
        } else {
            max_render
        };
        let rs = [rs[0].min(max_render[0]), rs[1].min(max_render[1])];
        let phases = jitter_phase_count(rs[0], display[0]);
        let jitter = jitter_offset(i + jitter_start, phases);
        let reset = i == 0 || camera.cut_in(t - dt, t);
        let request = FrameRequest {
            time: t,
            prev_time: t - dt,
            camera: pose(t),
            prev_camera: pose(t - dt),
            fov_y: camera.fov_y,
            render_size: rs,
            jitter,
            mip_bias: mip_bias(rs[0], display[0]),
        };
        let mut encoder =
            ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("render frame") });
        renderer.record(&mut encoder, scene, &request, true)?;
        ctx.queue.submit([encoder.finish()]);
        let targets = renderer.inputs();
        let read = |tex: &wgpu::Texture, size: [u32; 2], channels: usize| -> Result<Image, SceneError> {
            let data = read_texture_rect(ctx, tex, size)?;
            let all = data.to_f32();
            let src = data.channels();
            let pixels =
                all.chunks_exact(src).flat_map(|p| (0..channels).map(move |c| if c < src { p[c] } else { 1.0 }));
            Ok(Image::new(size[0], size[1], channels, pixels.collect()))
        };
        let frame = Frame {
            index: i as usize,
            meta: FrameMeta {
                jitter,
                reset,
                render_size: (rs != max_render).then_some(rs),
                exposure: 1.0,
                frame_time_ms: Some(dt * 1000.0),
            },
            color: read(&targets.color, rs, 4)?,
            depth: read(&targets.depth, rs, 1)?,
            motion: read(&targets.motion, rs, 2)?,
            gt: Some(read(renderer.ground_truth(), display, 4)?),
            reactive: if scene.has_reactive() { Some(read(&targets.reactive, rs, 1)?) } else { None },
        };
        writer.write_frame(&frame)?;
        progress(i + 1, options.frames);
    }
    Ok(writer.finish()?)
}

//! Rendering a scene's timeline into a sequence on disk (format v1): the engine behind
//! `quantsr render`.

use std::path::Path;

use glam::Vec3;
use quantsr_core::{jitter_offset, jitter_phase_count, mip_bias, render_size};
use quantsr_gpu::{GpuContext, read_texture_rect, wgpu};
use quantsr_sequence::{DepthInfo, Frame, FrameMeta, Image, SequenceHeader, SequenceWriter, WriteOptions};

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

/// The frames of a render: each frame's camera, jitter and cut along a camera path, with the
/// perturbation of `options.seed`. Shared by `quantsr render` (frames to disk) and live
/// evaluation (frames in memory, at the render size a controller picks).
pub struct Timeline<'a> {
    camera: &'a CameraPath,
    options: &'a RenderOptions,
    cam_offset: Vec3,
    target_offset: Vec3,
}

impl<'a> Timeline<'a> {
    /// The timeline of `options` along `camera`; checks the ratio, frame count and rate.
    pub fn new(camera: &'a CameraPath, options: &'a RenderOptions) -> Result<Self, SceneError> {
        if !(1.0..=4.0).contains(&options.ratio) {
            return Err(SceneError::Options(format!("scale ratio {} is outside [1, 4]", options.ratio)));
        }
        if options.frames == 0 || options.fps.is_nan() || options.fps <= 0.0 {
            return Err(SceneError::Options(format!(
                "need at least one frame and a positive fps (got {} frames at {} fps)",
                options.frames, options.fps
            )));
        }
        Ok(Self {
            camera,
            options,
            cam_offset: seeded_offset(options.seed, 1),
            target_offset: seeded_offset(options.seed, 2),
        })
    }

    /// The largest render size of the timeline (the ratio's).
    pub fn max_render_size(&self) -> [u32; 2] {
        render_size(self.options.display_size, self.options.ratio)
    }

    /// The render size frame `i` uses when nothing else picks it: the ratio's, or with
    /// `dynamic_resolution` a smooth swing down to 30% fewer pixels per axis.
    pub fn planned_render_size(&self, i: u32) -> [u32; 2] {
        let (display, max) = (self.options.display_size, self.max_render_size());
        let rs = if self.options.dynamic_resolution {
            let f = 1.0 + 0.15 * (1.0 - (i as f32 * 0.37).cos());
            render_size(display, (self.options.ratio * f).min(4.0)).map(|v| v.max(1))
        } else {
            max
        };
        [rs[0].min(max[0]), rs[1].min(max[1])]
    }

    /// What to draw for frame `i` at render size `rs`, and the frame's metadata.
    pub fn frame(&self, i: u32, rs: [u32; 2]) -> (FrameRequest, FrameMeta) {
        let display = self.options.display_size;
        let pose = |t: f32| {
            let p = self.camera.sample(t);
            CameraPose { position: p.position + self.cam_offset, target: p.target + self.target_offset }
        };
        let jitter_start = (self.options.seed % 1024) as u32;
        let dt = 1.0 / self.options.fps;
        let t = i as f32 * dt;
        let jitter = jitter_offset(i + jitter_start, jitter_phase_count(rs[0], display[0]));
        let request = FrameRequest {
            time: t,
            prev_time: t - dt,
            camera: pose(t),
            prev_camera: pose(t - dt),
            fov_y: self.camera.fov_y,
            render_size: rs,
            jitter,
            mip_bias: mip_bias(rs[0], display[0]),
        };
        let meta = FrameMeta {
            jitter,
            reset: i == 0 || self.camera.cut_in(t - dt, t),
            render_size: (rs != self.max_render_size()).then_some(rs),
            exposure: 1.0,
            frame_time_ms: Some(dt * 1000.0),
        };
        (request, meta)
    }
}

/// Draws `request` with `renderer` and reads the frame back: its inputs at the request's render
/// size, and with `ground_truth` the supersampled display-resolution image.
pub fn render_frame(
    ctx: &GpuContext,
    renderer: &SceneRenderer,
    scene: &Scene,
    index: usize,
    request: &FrameRequest,
    meta: FrameMeta,
    ground_truth: bool,
) -> Result<Frame, SceneError> {
    let mut encoder =
        ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("render frame") });
    renderer.record(&mut encoder, scene, request, ground_truth)?;
    ctx.queue.submit([encoder.finish()]);
    let targets = renderer.inputs();
    let read = |tex: &wgpu::Texture, size: [u32; 2], channels: usize| -> Result<Image, SceneError> {
        let data = read_texture_rect(ctx, tex, size)?;
        let all = data.to_f32();
        let src = data.channels();
        let pixels = all.chunks_exact(src).flat_map(|p| (0..channels).map(move |c| if c < src { p[c] } else { 1.0 }));
        Ok(Image::new(size[0], size[1], channels, pixels.collect()))
    };
    let rs = request.render_size;
    Ok(Frame {
        index,
        meta,
        color: read(&targets.color, rs, 4)?,
        depth: read(&targets.depth, rs, 1)?,
        motion: read(&targets.motion, rs, 2)?,
        gt: if ground_truth { Some(read(renderer.ground_truth(), renderer.display_size(), 4)?) } else { None },
        reactive: if scene.has_reactive() { Some(read(&targets.reactive, rs, 1)?) } else { None },
    })
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
    let timeline = Timeline::new(camera, options)?;
    let display = options.display_size;
    let max_render = timeline.max_render_size();
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
    for i in 0..options.frames {
        let (request, meta) = timeline.frame(i, timeline.planned_render_size(i));
        let frame = render_frame(ctx, &renderer, scene, i as usize, &request, meta, true)?;
        writer.write_frame(&frame)?;
        progress(i + 1, options.frames);
    }
    Ok(writer.finish()?)
}

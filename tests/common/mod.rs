//! A renderer's frame loop for the tests that drive the `Upscaler` directly: input textures,
//! a synthetic load recorded before the upscaler in the same encoder (the renderer's own
//! passes), and at most `FRAMES_IN_FLIGHT` frames unfinished on the GPU, as a swapchain allows.

use std::collections::VecDeque;

use quantsr::gpu::{GpuContext, create_texture, wgpu};
use quantsr::{DispatchInputs, FrameInfo, FrameReport, SyntheticLoad, TelemetryRecord, Upscaler};

/// Frames the GPU may be behind the host.
pub const FRAMES_IN_FLIGHT: usize = 2;

/// Textures and load of a test renderer.
pub struct FrameLoop {
    ctx: GpuContext,
    color: wgpu::TextureView,
    depth: wgpu::TextureView,
    motion: wgpu::TextureView,
    output: wgpu::TextureView,
    load: SyntheticLoad,
    in_flight: VecDeque<wgpu::SubmissionIndex>,
    frame: u32,
}

impl FrameLoop {
    /// Inputs at the upscaler's largest render size (contents do not matter for timing).
    pub fn new(ctx: &GpuContext, upscaler: &Upscaler) -> Self {
        let d = upscaler.descriptor();
        let read = wgpu::TextureUsages::TEXTURE_BINDING;
        let view = |t: wgpu::Texture| t.create_view(&Default::default());
        let rs = d.max_render_size;
        let storage = wgpu::TextureUsages::STORAGE_BINDING;
        Self {
            ctx: ctx.clone(),
            color: view(create_texture(&ctx.device, "colour", rs, wgpu::TextureFormat::Rgba16Float, read)),
            depth: view(create_texture(&ctx.device, "depth", rs, wgpu::TextureFormat::R32Float, read)),
            motion: view(create_texture(&ctx.device, "motion", rs, wgpu::TextureFormat::Rg16Float, read)),
            output: view(create_texture(&ctx.device, "output", d.display_size, d.output_format, storage)),
            load: SyntheticLoad::new(ctx).unwrap(),
            in_flight: VecDeque::new(),
            frame: 0,
        }
    }

    /// One frame: `load_ms` of load, the upscaler, submit, the load reported as the frame's
    /// other GPU time; waits only for the frame `FRAMES_IN_FLIGHT` back.
    pub fn frame(&mut self, upscaler: &mut Upscaler, load_ms: f64) -> FrameInfo {
        let ctx = &self.ctx;
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        self.load.record(&ctx.queue, &mut encoder, u64::from(self.frame), load_ms);
        let info = upscaler
            .dispatch(
                &mut encoder,
                &DispatchInputs {
                    color: &self.color,
                    depth: &self.depth,
                    motion_vectors: &self.motion,
                    exposure: None,
                    reactive: None,
                    output: &self.output,
                    jitter: quantsr::jitter_offset(self.frame, 8),
                    motion_vector_scale: [1.0, 1.0],
                    render_size: upscaler.descriptor().max_render_size,
                    reset: false,
                    frame_time_delta_ms: 16.7,
                    sharpness: None,
                    camera: None,
                    debug_view: Default::default(),
                },
            )
            .unwrap();
        self.frame += 1;
        self.in_flight.push_back(ctx.queue.submit([encoder.finish()]));
        upscaler.after_submit();
        self.load.after_submit(&ctx.device);
        upscaler.report_frame(info.frame_index, FrameReport { other_gpu_ms: Some(load_ms), host_frame_ms: None });
        if self.in_flight.len() > FRAMES_IN_FLIGHT {
            let oldest = self.in_flight.pop_front().unwrap();
            ctx.device.poll(wgpu::PollType::Wait { submission_index: Some(oldest), timeout: None }).unwrap();
        }
        info
    }

    /// Runs one frame per entry of `loads` and returns the telemetry, every record included.
    #[allow(dead_code)] // Each test file compiles this module; not all of them run whole traces.
    pub fn run(&mut self, upscaler: &mut Upscaler, loads: &[f64]) -> Vec<TelemetryRecord> {
        let mut telemetry = Vec::new();
        for &ms in loads {
            let info = self.frame(upscaler, ms);
            assert!(info.budget_ms.is_some(), "frame {}: the controller gave no budget", info.frame_index);
            telemetry.extend(upscaler.drain_telemetry());
        }
        telemetry.extend(upscaler.finish_telemetry().unwrap());
        telemetry
    }
}

//! Runs an upscaling method over a sequence on disk, frame by frame: uploads each frame's
//! inputs, dispatches the method through the public [`quantsr_upscaler`] API, and reads the
//! display-resolution result back. The engine behind `quantsr upscale` and `quantsr eval`.

use quantsr_gpu::{GpuContext, create_texture, read_texture, wgpu};
use quantsr_sequence::{Frame, Image, SequenceHeader, SequenceReader};
use quantsr_upscaler::{
    Adapt, Autotune, DispatchInputs, Exposure, FrameReport, LoadProfile, ModelFile, NEURAL_SHARPNESS, Rung,
    SyntheticLoad, TAAU_SHARPNESS, TelemetryRecord, TimingSource, Upscaler, UpscalerDescriptor, UpscalerFlags,
};

use crate::spatial::{SpatialFilter, SpatialUpscaler};

/// An upscaling method `quantsr upscale --method` can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Single-frame bilinear interpolation.
    Bilinear,
    /// Single-frame Catmull-Rom bicubic interpolation.
    Bicubic,
    /// Single-frame edge-adaptive upscaling (FSR 1 EASU-style).
    Easu,
    /// The temporal upscaler with fixed heuristics (the fallback rung and the baseline).
    Taau,
    /// The temporal upscaler with the network at one precision (a neural rung), or `None` for
    /// the best rung the device runs.
    Neural(Option<Rung>),
}

impl Method {
    /// The neural method without a fixed rung: the best one, or the one a controller picks.
    pub const NEURAL: Method = Method::Neural(None);

    /// Every method, in the order tables list them.
    pub const ALL: [Method; 8] = [
        Method::Bilinear,
        Method::Bicubic,
        Method::Easu,
        Method::Taau,
        Method::Neural(Some(Rung::F32)),
        Method::Neural(Some(Rung::F16)),
        Method::Neural(Some(Rung::Int8)),
        Method::Neural(Some(Rung::LiteInt8)),
    ];

    /// The command-line name: `neural` is the best rung, `neural-<precision>` one rung.
    pub fn name(self) -> &'static str {
        match self {
            Method::Bilinear => "bilinear",
            Method::Bicubic => "bicubic",
            Method::Easu => "easu",
            Method::Taau => "taau",
            Method::Neural(None) => "neural",
            Method::Neural(Some(Rung::F32)) => "neural-f32",
            Method::Neural(Some(Rung::F16)) => "neural-f16",
            Method::Neural(Some(Rung::Int8)) => "neural-int8",
            Method::Neural(Some(Rung::LiteInt8)) => "neural-lite-int8",
            Method::Neural(Some(Rung::Taau)) => "taau",
        }
    }

    /// The spatial filter behind a baseline method; `None` for the upscaler's methods.
    pub const fn spatial_filter(self) -> Option<SpatialFilter> {
        match self {
            Method::Bilinear => Some(SpatialFilter::Bilinear),
            Method::Bicubic => Some(SpatialFilter::Bicubic),
            Method::Easu => Some(SpatialFilter::Easu),
            Method::Taau | Method::Neural(_) => None,
        }
    }

    /// Whether the method runs quantsr's `Upscaler` (jittered input, history, rungs).
    pub const fn is_temporal(self) -> bool {
        self.spatial_filter().is_none()
    }

    /// The sharpening this method uses unless told otherwise.
    pub fn default_sharpness(self) -> f32 {
        if matches!(self, Method::Neural(_)) { NEURAL_SHARPNESS } else { TAAU_SHARPNESS }
    }

    /// This method at another precision (`None`: the best rung); non-neural methods are
    /// unchanged, and `taau` as a precision is the taau method.
    pub fn with_precision(self, precision: Option<Rung>) -> Self {
        match (self, precision) {
            (Method::Neural(_), Some(Rung::Taau)) => Method::Taau,
            (Method::Neural(_), p) => Method::Neural(p),
            (m, _) => m,
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        std::iter::once(Method::Neural(None)).chain(Method::ALL).find(|m| m.name() == s).ok_or_else(|| {
            let names: Vec<_> = std::iter::once("neural").chain(Method::ALL.iter().map(|m| m.name())).collect();
            format!("unknown method {s:?}; available: {}", names.join(", "))
        })
    }
}

/// Errors of running a method over a sequence.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// Reading the sequence failed.
    #[error(transparent)]
    Sequence(#[from] quantsr_sequence::SequenceError),
    /// The upscaler refused the inputs.
    #[error(transparent)]
    Upscaler(#[from] quantsr_upscaler::UpscalerError),
    /// The GPU layer failed.
    #[error(transparent)]
    Gpu(#[from] quantsr_gpu::GpuError),
    /// Something only the temporal methods do was asked of a spatial one.
    #[error("method {method} {why}")]
    NotTemporal {
        /// The method.
        method: &'static str,
        /// What it cannot do.
        why: &'static str,
    },
}

/// GPU textures holding one frame's inputs, at the sequence's largest render size.
struct InputTextures {
    color: wgpu::Texture,
    depth: wgpu::Texture,
    motion: wgpu::Texture,
    reactive: wgpu::Texture,
}

/// Views made once, so the upscaler sees the same views every frame and reuses its bind groups.
struct Views {
    color: wgpu::TextureView,
    depth: wgpu::TextureView,
    motion: wgpu::TextureView,
    reactive: wgpu::TextureView,
    output: wgpu::TextureView,
}

fn upload_rect(queue: &wgpu::Queue, texture: &wgpu::Texture, image: &Image) {
    let bpp = 4 * image.channels() as u32;
    queue.write_texture(
        texture.as_image_copy(),
        bytemuck::cast_slice(image.data()),
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(image.width() * bpp),
            rows_per_image: Some(image.height()),
        },
        quantsr_gpu::extent(image.size()),
    );
}

enum Engine {
    Temporal(Box<Upscaler>),
    Spatial(SpatialUpscaler),
}

/// The "renderer's" other work: a synthetic GPU load recorded before the upscaler each frame
/// (it times itself where the device has timestamps).
struct Load {
    pass: SyntheticLoad,
    profile: LoadProfile,
    total_frames: u64,
    /// The load's measured GPU time goes to the controller (the upscaler times by timestamps
    /// too); otherwise the controller gets the load as asked for.
    report_measured: bool,
}

/// A method bound to one sequence's sizes, ready to run frames in order.
pub struct SequenceRunner {
    method: Method,
    frames_run: u64,
    load: Option<Load>,
    sharpness: f32,
    ctx: GpuContext,
    engine: Engine,
    inputs: InputTextures,
    output: wgpu::Texture,
    views: Views,
    display_size: [u32; 2],
    /// The sequence's largest render size (a `scene` load costs its full time there).
    max_render_size: [u32; 2],
    /// The render size the controller asked for after the last frame.
    next_render_size: Option<[u32; 2]>,
}

impl SequenceRunner {
    /// Creates the method's upscaler for the sequence `reader` opened, with the built-in
    /// networks.
    pub fn new(ctx: &GpuContext, reader: &SequenceReader, method: Method) -> Result<Self, RunError> {
        Self::for_header(ctx, &reader.manifest().header, method, ModelFile::embedded())
    }

    /// A runner for frames of the sizes and conventions `header` describes, wherever they come
    /// from (a sequence on disk, or frames rendered live), whose neural method runs `model`
    /// (the built-in networks, or a weight file the user trained).
    pub fn for_header(
        ctx: &GpuContext,
        header: &SequenceHeader,
        method: Method,
        model: std::sync::Arc<ModelFile>,
    ) -> Result<Self, RunError> {
        let spatial = |filter| SpatialUpscaler::new(ctx, filter, header.display_size).map(Engine::Spatial);
        let engine = match method {
            Method::Bilinear => spatial(SpatialFilter::Bilinear)?,
            Method::Bicubic => spatial(SpatialFilter::Bicubic)?,
            Method::Easu => spatial(SpatialFilter::Easu)?,
            Method::Taau | Method::Neural(_) => {
                // Build only the rung the method runs: every rung costs start-up time.
                let rungs = match method {
                    Method::Neural(Some(rung)) => vec![rung],
                    Method::Neural(None) => Rung::ALL.to_vec(),
                    _ => vec![Rung::Taau],
                };
                let desc = UpscalerDescriptor {
                    max_render_size: header.render_size,
                    display_size: header.display_size,
                    flags: UpscalerFlags {
                        hdr: true,
                        depth_inverted: header.depth.inverted,
                        depth_infinite: header.depth.infinite,
                    },
                    output_format: wgpu::TextureFormat::Rgba32Float,
                    model: matches!(method, Method::Neural(_)).then_some(model),
                    rungs: Some(rungs),
                    autotune: Autotune::from_env(),
                    autotune_cache: None,
                };
                let mut upscaler = Upscaler::new(ctx, desc)?;
                if let Method::Neural(Some(rung)) = method {
                    upscaler.set_rung(rung)?;
                }
                // The best rung unsharpened, but TAAU at its own best when the controller
                // falls back to it.
                upscaler.set_taau_sharpness(Some(TAAU_SHARPNESS));
                Engine::Temporal(Box::new(upscaler))
            }
        };
        let usage = wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST;
        let rs = header.render_size;
        let device = &ctx.device;
        let inputs = InputTextures {
            color: create_texture(device, "sequence colour", rs, wgpu::TextureFormat::Rgba32Float, usage),
            depth: create_texture(device, "sequence depth", rs, wgpu::TextureFormat::R32Float, usage),
            motion: create_texture(device, "sequence motion", rs, wgpu::TextureFormat::Rg32Float, usage),
            reactive: create_texture(device, "sequence reactive", rs, wgpu::TextureFormat::R32Float, usage),
        };
        let output = create_texture(
            device,
            "upscaled",
            header.display_size,
            wgpu::TextureFormat::Rgba32Float,
            wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::COPY_SRC,
        );
        let view = |t: &wgpu::Texture| t.create_view(&Default::default());
        let views = Views {
            color: view(&inputs.color),
            depth: view(&inputs.depth),
            motion: view(&inputs.motion),
            reactive: view(&inputs.reactive),
            output: view(&output),
        };
        Ok(Self {
            method,
            frames_run: 0,
            load: None,
            sharpness: method.default_sharpness(),
            ctx: ctx.clone(),
            engine,
            inputs,
            output,
            views,
            display_size: header.display_size,
            max_render_size: header.render_size,
            next_render_size: None,
        })
    }

    /// Sets the sharpening strength of the temporal method, on every rung (0 disables it).
    /// Without it each method uses its [`default_sharpness`](Method::default_sharpness), and
    /// the neural method's `taau` rung the `taau` method's.
    pub fn with_sharpness(mut self, sharpness: f32) -> Self {
        self.sharpness = sharpness;
        if let Engine::Temporal(u) = &mut self.engine {
            u.set_taau_sharpness(None);
        }
        self
    }

    /// The rungs the temporal method can switch between (empty for spatial methods).
    pub fn available_rungs(&self) -> Vec<Rung> {
        match &self.engine {
            Engine::Temporal(u) => u.available_rungs(),
            Engine::Spatial(_) => Vec::new(),
        }
    }

    fn upscaler(&mut self, why: &'static str) -> Result<&mut Upscaler, RunError> {
        match &mut self.engine {
            Engine::Temporal(u) => Ok(u),
            Engine::Spatial(_) => Err(RunError::NotTemporal { method: self.method.name(), why }),
        }
    }

    /// Turns the precision controller on, holding `target_fps` with a safety `margin` (a
    /// fraction of the budget) and stepping up after `step_up_after_frames` frames of headroom: `neural` chooses its rung every frame; a single rung
    /// (`neural-int8`, `taau`, …) stays fixed while its timings and budget are still measured
    /// and logged. `timing` forces the timing source.
    pub fn enable_controller(
        &mut self,
        target_fps: f64,
        margin: f64,
        step_up_after_frames: u64,
        timing: Option<TimingSource>,
        adapt: Adapt,
    ) -> Result<(), RunError> {
        let method = self.method;
        let upscaler = self.upscaler("has no precision controller (use taau or neural)")?;
        if let Some(source) = timing {
            upscaler.set_timing_source(source)?;
        }
        let mut settings = upscaler.controller_settings(target_fps);
        settings.margin = margin;
        settings.step_up_after_frames = step_up_after_frames;
        settings.adapt = adapt;
        settings.fixed = match method {
            Method::Neural(rung) => rung,
            _ => Some(Rung::Taau),
        };
        upscaler.enable_controller(settings)?;
        Ok(())
    }

    /// Adds a synthetic GPU load before the upscaler in every frame, following `profile` over
    /// a run of `total_frames` frames, and reports its GPU time to the controller.
    pub fn set_load(&mut self, profile: LoadProfile, total_frames: u64) -> Result<(), RunError> {
        let ctx = self.ctx.clone();
        let upscaler = self.upscaler("cannot carry a synthetic load (use taau or neural)")?;
        let timed = upscaler.timing_source() == Some(TimingSource::Timestamps);
        let pass = SyntheticLoad::new(&ctx)?;
        let report_measured = timed && pass.is_timed();
        self.load = Some(Load { pass, profile, total_frames, report_measured });
        Ok(())
    }

    /// The controller's complete telemetry records so far (empty without a controller).
    pub fn drain_telemetry(&mut self) -> Vec<TelemetryRecord> {
        match &mut self.engine {
            Engine::Temporal(u) => u.drain_telemetry(),
            Engine::Spatial(_) => Vec::new(),
        }
    }

    /// Ends the run: waits for the GPU and returns the telemetry records still held.
    pub fn finish_telemetry(&mut self) -> Result<Vec<TelemetryRecord>, RunError> {
        if matches!(self.engine, Engine::Spatial(_)) {
            return Ok(Vec::new());
        }
        self.ctx.wait_idle()?;
        self.harvest_load();
        let Engine::Temporal(u) = &mut self.engine else { return Ok(Vec::new()) };
        Ok(u.finish_telemetry()?)
    }

    /// The render size the controller wants for the next frame (`None` before the first
    /// frame and for spatial methods): with `Adapt::Resolution` or `Both`, a live renderer
    /// draws the next frame at this size.
    pub fn next_render_size(&self) -> Option<[u32; 2]> {
        self.next_render_size
    }

    /// The upscaler, for what the runner does not wrap (timing source, controller state).
    pub fn temporal(&self) -> Option<&Upscaler> {
        match &self.engine {
            Engine::Temporal(u) => Some(u),
            Engine::Spatial(_) => None,
        }
    }

    /// Reports the load's GPU times that came back to the controller.
    fn harvest_load(&mut self) {
        let (Some(load), Engine::Temporal(u)) = (&mut self.load, &mut self.engine) else { return };
        for t in load.pass.after_submit(&self.ctx.device) {
            if !load.report_measured {
                continue;
            }
            u.report_frame(t.frame_index, FrameReport { other_gpu_ms: Some(t.total_ms()), host_frame_ms: None });
        }
    }

    /// Switches the rung of the temporal method from the next frame on (no reset).
    pub fn set_rung(&mut self, rung: Rung) -> Result<(), RunError> {
        match &mut self.engine {
            Engine::Temporal(u) => Ok(u.set_rung(rung)?),
            Engine::Spatial(_) => Err(quantsr_upscaler::UpscalerError::RungUnavailable {
                rung,
                why: "a spatial method has no rungs".into(),
            }
            .into()),
        }
    }

    /// Upscales one frame (frames must come in order) and returns the RGBA result.
    pub fn run_frame(&mut self, frame: &Frame) -> Result<Image, RunError> {
        let q = &self.ctx.queue;
        let i = &self.inputs;
        upload_rect(q, &i.color, &frame.color);
        upload_rect(q, &i.depth, &frame.depth);
        upload_rect(q, &i.motion, &frame.motion);
        if let Some(r) = &frame.reactive {
            upload_rect(q, &i.reactive, r);
        }
        let Views { color, depth, motion, reactive, output } = &self.views;
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        let upscaler = match &mut self.engine {
            Engine::Spatial(s) => {
                s.dispatch(&self.ctx, &mut encoder, color, output, frame.render_size(), frame.meta.jitter);
                q.submit([encoder.finish()]);
                let data = read_texture(&self.ctx, &self.output)?;
                return Ok(Image::new(self.display_size[0], self.display_size[1], 4, data.to_f32()));
            }
            Engine::Temporal(u) => u,
        };
        let frame_index = self.frames_run;
        let mut nominal_load = None;
        if let Some(load) = &mut self.load {
            // A `scene` load scales with the pixels this frame renders (dynamic resolution).
            let [w, h] = frame.render_size();
            let [mw, mh] = self.max_render_size;
            let fraction = f64::from(w) * f64::from(h) / (f64::from(mw) * f64::from(mh)).max(1.0);
            let ms = load.profile.ms_at_pixels(frame_index, load.total_frames, fraction);
            load.pass.record(q, &mut encoder, frame_index, ms);
            // A load that does not time itself is known only as asked for; a frame without load
            // has none to time.
            if !load.report_measured || ms <= 0.0 {
                nominal_load = Some(ms);
            }
        }
        let info = upscaler.dispatch(
            &mut encoder,
            &DispatchInputs {
                color,
                depth,
                motion_vectors: motion,
                exposure: Some(Exposure::Value(frame.meta.exposure)),
                reactive: frame.reactive.as_ref().map(|_| reactive),
                output,
                jitter: frame.meta.jitter,
                motion_vector_scale: [1.0, 1.0],
                render_size: frame.render_size(),
                reset: frame.meta.reset,
                frame_time_delta_ms: frame.meta.frame_time_ms.unwrap_or(0.0),
                sharpness: Some(self.sharpness),
                camera: None,
                debug_view: Default::default(),
            },
        )?;
        q.submit([encoder.finish()]);
        upscaler.after_submit();
        if let Some(ms) = nominal_load {
            // Without timestamps the load's own cost is known only as asked for.
            upscaler.report_frame(info.frame_index, FrameReport { other_gpu_ms: Some(ms), host_frame_ms: None });
        }
        self.frames_run += 1;
        self.next_render_size = Some(info.next_render_size);
        let data = read_texture(&self.ctx, &self.output)?;
        self.harvest_load();
        Ok(Image::new(self.display_size[0], self.display_size[1], 4, data.to_f32()))
    }
}

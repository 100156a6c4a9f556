//! The `Upscaler`: what a renderer creates once per view and dispatches every frame.

use std::collections::VecDeque;

use quantsr_gpu::{GpuContext, create_texture, wgpu};
use quantsr_model::{DebugView, FrameConstants, FrameInputs, ModelFile};
use quantsr_monitor::{
    Adapt, Controller, ControllerSettings, Decision, FrameTimings, JointController, JointSettings,
    Precision as RungChoice, Rung, TelemetryRecord, TimestampRing, fixed_share,
};

use crate::UpscalerError;
use crate::descriptor::{DispatchInputs, Exposure, FrameInfo, TAAU_SHARPNESS, UpscalerDescriptor};
use crate::frame_monitor::{FrameMonitor, FrameReport, TimingSource};
use crate::network::autotune::{self, TuneCache};
use crate::network::{KernelVariant, LayerBindings, NetworkRung, NetworkTensors, ParamTargets};
use crate::passes::{self, OUTPUT_FORMATS, Passes};
use crate::textures::{CallerViews, Textures};
use crate::uniforms::FrameUniforms;

/// The bind groups of one frame parity for one set of caller textures.
struct FrameBindings {
    /// The caller's views these were made for ([`CallerViews::key`]).
    key: [wgpu::TextureView; 6],
    parity: usize,
    prepare: wgpu::BindGroup,
    taau_params: wgpu::BindGroup,
    resolve: wgpu::BindGroup,
    sharpen: wgpu::BindGroup,
    /// The network input pass's bind group per neural rung (same order as `Upscaler::networks`).
    network_input: Vec<wgpu::BindGroup>,
}

/// How many sets of caller textures keep their bind groups (renderers rotate 2–3 sets).
const BIND_CACHE: usize = 8;

/// A temporal upscaler for one view. Create it once (every pipeline is built and warmed up
/// here), then call [`Upscaler::dispatch`] each frame with that frame's textures.
pub struct Upscaler {
    ctx: GpuContext,
    desc: UpscalerDescriptor,
    passes: Passes,
    textures: Textures,
    uniforms: wgpu::Buffer,
    bind_cache: Vec<FrameBindings>,
    frame_index: u64,
    prev_render_size: [u32; 2],
    timer: Option<TimestampRing>,
    timings: VecDeque<FrameTimings>,
    tensors: NetworkTensors,
    networks: Vec<NetworkRung>,
    unavailable: Vec<(Rung, String)>,
    rung: Rung,
    /// The precision controller and its book of frames in flight, when automatic control is on.
    monitor: Option<FrameMonitor>,
    taau_sharpness: Option<f32>,
    /// Forced timing source (completion times even where timestamps exist).
    timing_override: Option<TimingSource>,
}

/// Names of the passes, in the order [`FrameTimings::pass_ms`] lists them.
pub const PASS_NAMES: [&str; 4] = [
    passes::prepare::SPEC.name,
    passes::taau_params::SPEC.name,
    passes::resolve::SPEC.name,
    passes::sharpen::SPEC.name,
];

/// Harvested timings kept for the caller; older ones are dropped if nobody reads them.
const TIMINGS_KEPT: usize = 256;

const COLOR_FORMATS: &[wgpu::TextureFormat] =
    &[wgpu::TextureFormat::Rgba16Float, wgpu::TextureFormat::Rgba32Float, wgpu::TextureFormat::Rg11b10Ufloat];
const DEPTH_FORMATS: &[wgpu::TextureFormat] =
    &[wgpu::TextureFormat::R32Float, wgpu::TextureFormat::R16Float, wgpu::TextureFormat::Depth32Float];
const MOTION_FORMATS: &[wgpu::TextureFormat] = &[wgpu::TextureFormat::Rg16Float, wgpu::TextureFormat::Rg32Float];
const REACTIVE_FORMATS: &[wgpu::TextureFormat] =
    &[wgpu::TextureFormat::R8Unorm, wgpu::TextureFormat::R16Float, wgpu::TextureFormat::R32Float];

fn check_size(what: &'static str, size: [u32; 2], max: u32) -> Result<(), UpscalerError> {
    if size[0] == 0 || size[1] == 0 {
        return Err(UpscalerError::Size { what, size, why: "both sides must be at least 1".into() });
    }
    if size[0] > max || size[1] > max {
        return Err(UpscalerError::Size { what, size, why: format!("the device allows at most {max} per side") });
    }
    Ok(())
}

fn check_texture(
    what: &'static str,
    view: &wgpu::TextureView,
    formats: &[wgpu::TextureFormat],
    min_size: [u32; 2],
    usage: wgpu::TextureUsages,
) -> Result<(), UpscalerError> {
    let t = view.texture();
    if !formats.contains(&t.format()) {
        return Err(UpscalerError::Format { what, got: t.format(), expected: format!("{formats:?}") });
    }
    if t.width() < min_size[0] || t.height() < min_size[1] {
        return Err(UpscalerError::Size {
            what,
            size: [t.width(), t.height()],
            why: format!("it must cover the render size {}x{}", min_size[0], min_size[1]),
        });
    }
    if !t.usage().contains(usage) {
        return Err(UpscalerError::Usage { what, needed: usage, has: t.usage() });
    }
    Ok(())
}

impl Upscaler {
    /// Creates the upscaler: validates the sizes against the device, builds every pipeline and
    /// internal texture, and warms every pipeline up with one small dispatch so no frame ever
    /// waits for a shader compile (lavapipe compiles at first dispatch).
    pub fn new(ctx: &GpuContext, desc: UpscalerDescriptor) -> Result<Self, UpscalerError> {
        let max = ctx.device.limits().max_texture_dimension_2d;
        check_size("display_size", desc.display_size, max)?;
        check_size("max_render_size", desc.max_render_size, max)?;
        if desc.max_render_size[0] > desc.display_size[0] || desc.max_render_size[1] > desc.display_size[1] {
            return Err(UpscalerError::Size {
                what: "max_render_size",
                size: desc.max_render_size,
                why: format!("it exceeds the display size {}x{}", desc.display_size[0], desc.display_size[1]),
            });
        }
        if !OUTPUT_FORMATS.contains(&desc.output_format) {
            return Err(UpscalerError::Format {
                what: "output_format",
                got: desc.output_format,
                expected: format!("{OUTPUT_FORMATS:?}"),
            });
        }
        let passes = Passes::new(ctx, desc.output_format)?;
        let wanted = desc.rungs.clone().unwrap_or_else(|| Rung::ALL.to_vec());
        let device = &ctx.device;
        let textures = Textures::new(ctx, desc.max_render_size, desc.display_size);
        let uniforms = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("upscaler frame uniforms"),
            size: size_of::<FrameUniforms>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let (tensors, networks, unavailable) = build_networks(ctx, &desc, &wanted, &uniforms, &textures)?;
        // Start on the best rung built (taau is always there).
        let rung = quality_order(desc.model.as_deref())
            .into_iter()
            .find(|r| !r.is_neural() || networks.iter().any(|n| n.rung == *r))
            .unwrap_or(Rung::Taau);
        let mut upscaler = Self {
            ctx: ctx.clone(),
            desc,
            passes,
            textures,
            uniforms,
            bind_cache: Vec::new(),
            frame_index: 0,
            prev_render_size: [1, 1],
            timer: ctx.caps.timestamps.then(|| TimestampRing::new(&ctx.device, &ctx.queue, 4, PASS_NAMES.len() as u32)),
            timings: VecDeque::new(),
            tensors,
            networks,
            unavailable,
            rung,
            monitor: None,
            taau_sharpness: None,
            timing_override: None,
        };
        upscaler.warm_up()?;
        Ok(upscaler)
    }

    /// GPU time per pass ([`PASS_NAMES`]) of the frames measured since the last call, oldest
    /// first. Timings arrive 2-3 frames after their dispatch; frames whose timing could not be
    /// taken without waiting are skipped (see [`Upscaler::dropped_timings`]). Empty when the
    /// device has no `TIMESTAMP_QUERY`.
    pub fn take_timings(&mut self) -> Vec<FrameTimings> {
        self.timings.drain(..).collect()
    }

    /// Collects timings of frames already submitted without waiting (dispatch does this too);
    /// call it after submitting the last dispatch's encoder, e.g. at the end of a run.
    pub fn poll_timings(&mut self) {
        if let Some(m) = &mut self.monitor {
            m.submitted(&self.ctx.queue);
        }
        if let Some(timer) = &mut self.timer {
            timer.after_submit();
            for t in timer.harvest(&self.ctx.device) {
                if let Some(m) = &mut self.monitor {
                    m.timings(&t);
                }
                if self.timings.len() == TIMINGS_KEPT {
                    self.timings.pop_front();
                }
                self.timings.push_back(t);
            }
        } else if self.monitor.is_some() {
            // Completion callbacks run when the device is polled.
            let _ = self.ctx.device.poll(wgpu::PollType::Poll);
        }
        if let Some(m) = &mut self.monitor {
            m.flush(self.frame_index, false);
        }
    }

    /// Tells the upscaler that the encoder of the last `dispatch` has just been submitted.
    /// Optional: without it, the next `dispatch` assumes so. Calling it right after
    /// `queue.submit` lets timings be read back sooner and, where the device has no
    /// timestamp queries, dates the frame's completion accurately.
    pub fn after_submit(&mut self) {
        self.poll_timings();
    }

    /// Frames that were not timed because every timestamp slot was still in flight.
    pub fn dropped_timings(&self) -> u64 {
        self.timer.as_ref().map_or(0, TimestampRing::dropped)
    }

    /// Whether per-pass GPU timings are available on this device.
    pub fn has_timings(&self) -> bool {
        self.timer.is_some()
    }

    /// Controller settings suited to this upscaler: holding `target_fps`, every rung it built
    /// allowed, in the quality order its model measured; adjust fields before
    /// [`enable_controller`](Self::enable_controller).
    pub fn controller_settings(&self, target_fps: f64) -> ControllerSettings {
        let order = self.available_rungs();
        ControllerSettings {
            allowed: order.clone(),
            quality_order: order,
            ..ControllerSettings::from_target_fps(target_fps)
        }
    }

    /// Turns automatic precision on: from the next `dispatch`, the controller picks each
    /// frame's rung from the timings of past frames and what [`report_frame`](Self::report_frame)
    /// tells it. Called before the first frame, it first times each allowed rung on
    /// placeholder frames at full size (blocking, about four frame times per rung) for the rungs' relative
    /// costs. Rungs in `settings.allowed` this upscaler cannot run are left out (an error
    /// when none is left, or when `settings.fixed` cannot run). Replaces a controller already on.
    pub fn enable_controller(&mut self, mut settings: ControllerSettings) -> Result<(), UpscalerError> {
        let available = self.available_rungs();
        if let Some(fixed) = settings.fixed {
            self.check_rung(fixed)?;
        }
        settings.allowed.retain(|r| available.contains(r));
        settings.validate()?;
        // Before the first frame, time each rung at full size and use the times as the
        // rungs' relative costs: they depend on the device (on lavapipe taau costs 75% of
        // lite-int8, not the 40% of the default priors), and a wrong prior can keep a rung from
        // ever being probed. Only the ratios are used — a rung never measured in the frame loop
        // is predicted from a measured one — since a lone placeholder frame is not timed the
        // way the frame loop is.
        let first_frame = self.frame_index == 0;
        if first_frame {
            let timed = self.time_rungs(&settings.allowed, self.desc.max_render_size)?;
            settings.prior_relative_cost = timed.into_iter().filter(|(_, ms)| ms.is_finite() && *ms > 0.0).collect();
            // The same times, absolute, pick the first rung: the best one that fits.
            settings.start_cost_ms = settings.prior_relative_cost.clone();
        }
        let joint = match settings.adapt {
            Adapt::Precision => None,
            _ => {
                let mut joint = settings.joint(&crate::builtin_quality_table());
                if first_frame {
                    joint.start_fixed_share = self.time_fixed_shares(&joint)?;
                }
                Some(JointController::new(joint)?)
            }
        };
        let controller = Controller::new(settings)?;
        let source = self.timing_override.unwrap_or_else(|| self.default_timing_source());
        log::info!("precision controller on, timings from {}", source.name());
        self.monitor = Some(FrameMonitor::new(controller, joint, source));
        Ok(())
    }

    /// Turns automatic precision off; the rung stays as it is until [`set_rung`](Self::set_rung).
    pub fn disable_controller(&mut self) {
        self.monitor = None;
    }

    /// Sharpening for the frames the `taau` rung upscales, in place of the frame's
    /// [`DispatchInputs::sharpness`] (`None`: the frame's). The neural rungs are best
    /// unsharpened, while TAAU's reprojected history is soft and is best at 0.5: with both
    /// set, a controller that falls back to `taau` under load keeps TAAU at its best.
    pub fn set_taau_sharpness(&mut self, sharpness: Option<f32>) {
        self.taau_sharpness = sharpness;
    }

    /// The precision controller, when automatic precision is on.
    pub fn controller(&self) -> Option<&Controller> {
        self.monitor.as_ref().map(|m| &m.controller)
    }

    /// The precision controller, to change its target or settings on the fly. Rungs it
    /// chooses that this upscaler cannot run are replaced by `taau`.
    pub fn controller_mut(&mut self) -> Option<&mut Controller> {
        self.monitor.as_mut().map(|m| &mut m.controller)
    }

    /// Chooses between automatic precision ([`RungChoice::Auto`], which turns the controller
    /// on at 60 fps if it is off) and a fixed rung (which the controller, if on, keeps using
    /// while it goes on measuring and writing telemetry).
    pub fn set_precision(&mut self, precision: RungChoice) -> Result<(), UpscalerError> {
        match precision {
            RungChoice::Auto => match &mut self.monitor {
                Some(m) => m.controller.set_fixed(None),
                None => self.enable_controller(self.controller_settings(60.0))?,
            },
            RungChoice::Fixed(rung) => self.set_rung(rung)?,
        }
        Ok(())
    }

    /// Where frame timings come from while the controller is on: timestamp queries where the
    /// device has them and they can be trusted, completion times otherwise; `None` while the
    /// controller is off.
    pub fn timing_source(&self) -> Option<TimingSource> {
        self.monitor.as_ref().map(FrameMonitor::source)
    }

    /// Timestamps where the device has them and they measure the work; completion times
    /// otherwise. A CPU device's timestamps (lavapipe) bracket the recording of a pass, not
    /// its execution: measured there, a 40 ms load pass reads 0.1 ms and the taau frame
    /// alternates between 42 ms and 0.2 ms, while completion times give a steady 57 ms.
    fn default_timing_source(&self) -> TimingSource {
        if self.timer.is_some() && self.ctx.info.device_type != wgpu::DeviceType::Cpu {
            TimingSource::Timestamps
        } else {
            TimingSource::Completion
        }
    }

    /// Forces the controller's timing source (takes effect at the next
    /// [`enable_controller`](Self::enable_controller)): completion times work everywhere;
    /// timestamps need `TIMESTAMP_QUERY`.
    pub fn set_timing_source(&mut self, source: TimingSource) -> Result<(), UpscalerError> {
        if source == TimingSource::Timestamps && self.timer.is_none() {
            return Err(UpscalerError::Timing { why: "the device has no TIMESTAMP_QUERY".into() });
        }
        self.timing_override = Some(source);
        Ok(())
    }

    /// Tells the controller about the rest of frame `frame_index` (as [`FrameInfo::frame_index`]
    /// numbered it): the renderer's other GPU time, or its whole frame time. Call it whenever
    /// it is known, up to a few frames late; reports for frames too old are counted in
    /// [`unmatched_reports`](Self::unmatched_reports) and otherwise ignored.
    pub fn report_frame(&mut self, frame_index: u64, report: FrameReport) {
        if let Some(m) = &mut self.monitor {
            m.report(frame_index, report);
        }
    }

    /// Reports given to [`report_frame`](Self::report_frame) that matched no frame in flight.
    pub fn unmatched_reports(&self) -> u64 {
        self.monitor.as_ref().map_or(0, FrameMonitor::reports_unmatched)
    }

    /// The controller's telemetry records that are complete, one per frame in frame order
    /// (empty while the controller is off). Call it every frame or now and then.
    pub fn drain_telemetry(&mut self) -> Vec<TelemetryRecord> {
        self.monitor.as_mut().map(FrameMonitor::drain_telemetry).unwrap_or_default()
    }

    /// The end of a run: waits for the GPU, takes in the last timings and returns every
    /// telemetry record still held. Blocks; never call it inside a frame loop.
    pub fn finish_telemetry(&mut self) -> Result<Vec<TelemetryRecord>, UpscalerError> {
        self.poll_timings();
        self.ctx.wait_idle()?;
        self.poll_timings();
        Ok(match &mut self.monitor {
            Some(m) => {
                m.flush(self.frame_index, true);
                m.controller.finish_telemetry()
            }
            None => Vec::new(),
        })
    }

    /// The kernel variant every layer of every neural rung runs, by layer name in dispatch
    /// order: what the autotuner chose (`quantsr info`, `quantsr bench --layers`).
    pub fn kernel_variants(&self) -> Vec<(Rung, Vec<(&'static str, KernelVariant)>)> {
        self.networks.iter().map(|n| (n.rung, n.variants())).collect()
    }

    /// The descriptor the upscaler was created with.
    pub fn descriptor(&self) -> &UpscalerDescriptor {
        &self.desc
    }

    /// Runs every pipeline of every rung once on small placeholder inputs and waits, so drivers
    /// that compile at first dispatch do it now rather than in a real frame or at a rung switch.
    fn warm_up(&mut self) -> Result<(), UpscalerError> {
        // 8×8 reaches every level of the network (⅛ resolution is 1×1).
        let size = [self.desc.max_render_size[0].min(8), self.desc.max_render_size[1].min(8)];
        self.placeholder_frames(size, &self.available_rungs(), 1)?;
        Ok(())
    }

    /// Times each of `rungs` on placeholder frames at the largest render size (the best of
    /// two rounds of two submits each, wall clock), in milliseconds. Blocks; for start-up only.
    fn time_rungs(&mut self, rungs: &[Rung], size: [u32; 2]) -> Result<Vec<(Rung, f64)>, UpscalerError> {
        // Two rounds over all rungs: on CPU devices the first second of a process can run 40 %
        // slow, and a single round made int8, timed first, look 1.8× lite-int8's cost instead
        // of 1.4×, so it was never probed.
        let mut timed = self.placeholder_frames(size, rungs, 2)?;
        let again = self.placeholder_frames(size, rungs, 2)?;
        for ((_, ms), (_, ms_again)) in timed.iter_mut().zip(again) {
            *ms = ms.min(ms_again);
        }
        log::info!(
            "rung costs at start-up, {}x{} render: {}",
            size[0],
            size[1],
            timed.iter().map(|(r, ms)| format!("{r} {ms:.1} ms")).collect::<Vec<_>>().join(", ")
        );
        Ok(timed)
    }

    /// The share of each rung's cost that does not shrink with the render size, from its
    /// start-up cost at full size and a timing at the table's smallest scale: on lavapipe `taau`'s cost is
    /// nearly all display-resolution passes while a network's shrinks with the pixels, and
    /// one shared belief made the joint policy keep `taau` where a network at a lower
    /// resolution fitted.
    fn time_fixed_shares(&mut self, joint: &JointSettings) -> Result<Vec<(Rung, f64)>, UpscalerError> {
        let max = self.desc.max_render_size;
        let smallest = joint.table.scales.iter().copied().fold(1.0, f64::min);
        let size = scaled_render_size(max, smallest);
        let pixels = f64::from(size[0]) * f64::from(size[1]) / (f64::from(max[0]) * f64::from(max[1]));
        let rungs: Vec<Rung> = joint.start_cost_ms.iter().map(|(r, _)| *r).collect();
        if rungs.is_empty() || pixels >= 1.0 {
            return Ok(Vec::new());
        }
        let small = self.time_rungs(&rungs, size)?;
        Ok(joint
            .start_cost_ms
            .iter()
            .zip(small)
            .filter_map(|(&(rung, full_ms), (_, small_ms))| Some((rung, fixed_share(full_ms, small_ms, pixels)?)))
            .collect())
    }

    /// Dispatches `repeats` frames of each rung on placeholder inputs of `size`, waiting for
    /// each, and returns the fastest wall time per rung. Leaves the upscaler as new: the next
    /// real frame starts from no history.
    fn placeholder_frames(
        &mut self,
        size: [u32; 2],
        rungs: &[Rung],
        repeats: usize,
    ) -> Result<Vec<(Rung, f64)>, UpscalerError> {
        let device = &self.ctx.device;
        let placeholder = |format| {
            create_texture(device, "placeholder input", size, format, wgpu::TextureUsages::TEXTURE_BINDING)
                .create_view(&Default::default())
        };
        let color = placeholder(wgpu::TextureFormat::Rgba16Float);
        let depth = placeholder(wgpu::TextureFormat::R32Float);
        let motion = placeholder(wgpu::TextureFormat::Rg16Float);
        let output = create_texture(
            device,
            "placeholder output",
            self.desc.display_size,
            self.desc.output_format,
            wgpu::TextureUsages::STORAGE_BINDING,
        )
        .create_view(&Default::default());
        let inputs = DispatchInputs {
            color: &color,
            depth: &depth,
            motion_vectors: &motion,
            exposure: None,
            reactive: None,
            output: &output,
            jitter: [0.0, 0.0],
            motion_vector_scale: [1.0, 1.0],
            render_size: size,
            reset: true,
            frame_time_delta_ms: 0.0,
            sharpness: Some(TAAU_SHARPNESS),
            camera: None,
            debug_view: DebugView::None,
        };
        let (chosen, monitor) = (self.rung, self.monitor.take());
        let mut times = Vec::with_capacity(rungs.len());
        for &rung in rungs {
            self.rung = rung;
            let mut best = f64::INFINITY;
            for _ in 0..repeats {
                let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
                self.dispatch(&mut encoder, &inputs)?;
                let start = std::time::Instant::now();
                self.ctx.queue.submit([encoder.finish()]);
                self.ctx.wait_idle()?;
                best = best.min(start.elapsed().as_secs_f64() * 1e3);
            }
            times.push((rung, best));
        }
        self.rung = chosen;
        self.monitor = monitor;
        self.prev_render_size = [1, 1];
        if let Some(timer) = &mut self.timer {
            timer.after_submit();
            self.ctx.wait_idle()?;
            timer.harvest(&self.ctx.device);
        }
        self.timings.clear();
        self.bind_cache.clear();
        self.frame_index = 0;
        Ok(times)
    }

    /// The rungs this upscaler can run, best first (the model's measured validation quality
    /// orders them; `taau` is always there, last).
    pub fn available_rungs(&self) -> Vec<Rung> {
        quality_order(self.desc.model.as_deref())
            .into_iter()
            .filter(|r| !r.is_neural() || self.networks.iter().any(|n| n.rung == *r))
            .collect()
    }

    /// The rungs that were asked for (or exist) but cannot run here, with the reason (e.g. the
    /// device lacks `SHADER_F16`, or no model was given).
    pub fn unavailable_rungs(&self) -> &[(Rung, String)] {
        &self.unavailable
    }

    /// The rung the next `dispatch` will use.
    pub fn rung(&self) -> Rung {
        self.rung
    }

    /// Chooses the rung of the following frames. Every rung reads and writes the same history
    /// and feedback, so a switch needs no reset and compiles nothing; it may happen on any
    /// frame.
    ///
    /// While the controller is on, this fixes its choice to `rung` (see
    /// [`set_precision`](Self::set_precision) to hand the choice back).
    pub fn set_rung(&mut self, rung: Rung) -> Result<(), UpscalerError> {
        self.check_rung(rung)?;
        if let Some(m) = &mut self.monitor {
            m.controller.set_fixed(Some(rung));
        }
        self.rung = rung;
        Ok(())
    }

    /// Whether this upscaler can run `rung`; the error says why not.
    fn check_rung(&self, rung: Rung) -> Result<(), UpscalerError> {
        // No allocation: a controller may call this every frame.
        if rung.is_neural() && !self.networks.iter().any(|n| n.rung == rung) {
            let why = self
                .unavailable
                .iter()
                .find(|(r, _)| *r == rung)
                .map_or_else(|| "it was not requested when the upscaler was created".to_owned(), |(_, w)| w.clone());
            return Err(UpscalerError::RungUnavailable { rung, why });
        }
        Ok(())
    }

    fn validate(&self, inputs: &DispatchInputs<'_>) -> Result<(), UpscalerError> {
        let rs = inputs.render_size;
        let max = self.desc.max_render_size;
        if rs[0] == 0 || rs[1] == 0 || rs[0] > max[0] || rs[1] > max[1] {
            return Err(UpscalerError::Size {
                what: "render_size",
                size: rs,
                why: format!("it must be between 1x1 and max_render_size {}x{}", max[0], max[1]),
            });
        }
        let read = wgpu::TextureUsages::TEXTURE_BINDING;
        check_texture("color", inputs.color, COLOR_FORMATS, rs, read)?;
        check_texture("depth", inputs.depth, DEPTH_FORMATS, rs, read)?;
        check_texture("motion_vectors", inputs.motion_vectors, MOTION_FORMATS, rs, read)?;
        if let Some(reactive) = inputs.reactive {
            check_texture("reactive", reactive, REACTIVE_FORMATS, rs, read)?;
        }
        if let Some(Exposure::Texture(e)) = inputs.exposure {
            check_texture("exposure", e, &[wgpu::TextureFormat::R32Float], [1, 1], read)?;
        }
        check_texture(
            "output",
            inputs.output,
            &[self.desc.output_format],
            self.desc.display_size,
            wgpu::TextureUsages::STORAGE_BINDING,
        )?;
        let out = inputs.output.texture();
        if [out.width(), out.height()] != self.desc.display_size {
            return Err(UpscalerError::Size {
                what: "output",
                size: [out.width(), out.height()],
                why: format!(
                    "it must be exactly the display size {}x{}",
                    self.desc.display_size[0], self.desc.display_size[1]
                ),
            });
        }
        for (what, v) in [("jitter.x", inputs.jitter[0]), ("jitter.y", inputs.jitter[1])] {
            if !(-1.0..=1.0).contains(&v) {
                return Err(UpscalerError::Value { what, value: v, why: "jitter is in render pixels, within [-1, 1]" });
            }
        }
        for (what, v) in [
            ("motion_vector_scale.x", inputs.motion_vector_scale[0]),
            ("motion_vector_scale.y", inputs.motion_vector_scale[1]),
        ] {
            if !v.is_finite() {
                return Err(UpscalerError::Value { what, value: v, why: "must be finite" });
            }
        }
        Ok(())
    }

    /// Records one frame into `encoder`: prepare, the reconstruction-parameter step, resolve
    /// and the output pass. No submit, no wait; uniforms are written through the queue, so
    /// submit this encoder before the next `dispatch`. Invalid inputs return an error before
    /// anything is recorded and leave history untouched.
    pub fn dispatch(
        &mut self,
        encoder: &mut wgpu::CommandEncoder,
        inputs: &DispatchInputs<'_>,
    ) -> Result<FrameInfo, UpscalerError> {
        self.validate(inputs)?;
        let (exposure, use_exposure_texture) = match inputs.exposure {
            Some(Exposure::Value(v)) => (Some(v), false),
            Some(Exposure::Texture(_)) => (None, true),
            None => (None, false),
        };
        // The previous dispatch's encoder has been submitted by now (see above): its timings
        // can be mapped, and whatever finished meanwhile harvested, without waiting.
        self.poll_timings();
        if let Some(timer) = &mut self.timer {
            timer.begin_frame(self.frame_index);
        }
        let max = self.desc.max_render_size;
        let mut next_render_size = max;
        let decision = self.monitor.as_mut().map(|m| {
            let fixed = m.controller.settings().fixed.is_some();
            match &mut m.joint {
                Some(joint) if !fixed => {
                    let d = joint.next(self.frame_index);
                    // The scale applies from the next frame: this one is already rendered.
                    next_render_size = scaled_render_size(max, d.scale);
                    let budget_ms = m.controller.settings().target_frame_ms - d.load_ms;
                    m.controller.follow(
                        self.frame_index,
                        Decision { rung: d.rung, predicted_ms: Some(d.predicted_ms), budget_ms, reason: d.reason },
                    )
                }
                _ => m.controller.next_rung(self.frame_index),
            }
        });
        if let Some(d) = &decision {
            self.rung = if self.check_rung(d.rung).is_ok() { d.rung } else { Rung::Taau };
        }
        if let Some(m) = &mut self.monitor {
            let pixels = f64::from(inputs.render_size[0]) * f64::from(inputs.render_size[1]);
            let scale = (pixels / (f64::from(max[0]) * f64::from(max[1]))).sqrt();
            m.dispatched(self.frame_index, self.rung, scale);
            m.controller.set_render_size(self.frame_index, inputs.render_size);
        }
        let sharpness = match self.taau_sharpness {
            Some(s) if self.rung == Rung::Taau => Some(s),
            _ => inputs.sharpness,
        };
        let frame = FrameConstants::from_inputs(&FrameInputs {
            render_size: inputs.render_size,
            display_size: self.desc.display_size,
            prev_render_size: self.prev_render_size,
            frame_index: self.frame_index,
            reset: inputs.reset,
            jitter: inputs.jitter,
            motion_vector_scale: inputs.motion_vector_scale,
            exposure,
            sharpness,
            debug_view: inputs.debug_view,
            depth_inverted: self.desc.flags.depth_inverted,
            has_reactive: inputs.reactive.is_some(),
        });
        let reset = frame.reset;
        let uniforms = FrameUniforms::new(&frame, use_exposure_texture, self.desc.flags.hdr);
        self.ctx.queue.write_buffer(&self.uniforms, 0, bytemuck::bytes_of(&uniforms));

        let parity = (self.frame_index % 2) as usize;
        self.prepare_bindings(inputs, parity);
        let b = self.bind_cache.last().expect("bindings were just prepared");
        let p = &self.passes;
        let (rs, ds) = (inputs.render_size, self.desc.display_size);
        let timer = &mut self.timer;
        p.prepare.dispatch(encoder, &b.prepare, rs, ds, pass_writes(timer));
        match self.networks.iter().position(|n| n.rung == self.rung) {
            None => p.taau_params.dispatch(encoder, &b.taau_params, rs, ds, pass_writes(timer)),
            Some(i) => {
                // The whole network is one timed pass: the controller budgets the rung, not its layers.
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("network"),
                    timestamp_writes: pass_writes(timer),
                });
                self.networks[i].record(&mut pass, &b.network_input[i], parity, rs);
            }
        }
        p.resolve.dispatch(encoder, &b.resolve, rs, ds, pass_writes(timer));
        p.sharpen.dispatch(encoder, &b.sharpen, rs, ds, pass_writes(timer));
        if let Some(timer) = &mut self.timer {
            timer.end_frame(encoder);
        }

        let info = FrameInfo {
            frame_index: self.frame_index,
            render_size: rs,
            reset,
            rung: self.rung,
            budget_ms: decision.as_ref().map(|d| d.budget_ms),
            predicted_ms: decision.as_ref().and_then(|d| d.predicted_ms),
            switch_reason: decision.and_then(|d| d.reason),
            next_render_size,
        };
        self.frame_index += 1;
        self.prev_render_size = rs;
        Ok(info)
    }

    /// Makes the bind groups for this frame's caller textures and parity the last cache
    /// entry, reusing them when the renderer reuses its textures (the steady state allocates
    /// nothing).
    fn prepare_bindings(&mut self, inputs: &DispatchInputs<'_>, parity: usize) {
        let t = &self.textures;
        let caller = CallerViews {
            color: inputs.color,
            depth: inputs.depth,
            motion_vectors: inputs.motion_vectors,
            reactive: inputs.reactive.unwrap_or(&t.no_reactive),
            exposure: match inputs.exposure {
                Some(Exposure::Texture(view)) => view,
                _ => &t.unit_exposure,
            },
            output: inputs.output,
        };
        let key = caller.key();
        let hit = |b: &FrameBindings| b.parity == parity && b.key.iter().zip(key).all(|(k, v)| k == v);
        if let Some(i) = self.bind_cache.iter().position(hit) {
            // Most recently used last, so eviction drops the stalest.
            let hit = self.bind_cache.remove(i);
            self.bind_cache.push(hit);
            return;
        }
        let device = &self.ctx.device;
        let frame = t.frame_resources(&caller, &self.uniforms, self.tensors.input(), parity);
        let p = &self.passes;
        let bindings = FrameBindings {
            key: key.map(wgpu::TextureView::clone),
            parity,
            prepare: p.prepare.bind(device, &frame),
            taau_params: p.taau_params.bind(device, &frame),
            resolve: p.resolve.bind(device, &frame),
            sharpen: p.sharpen.bind(device, &frame),
            network_input: self.networks.iter().map(|n| n.input_kernel().bind_group(device, 0, &frame)).collect(),
        };
        if self.bind_cache.len() >= BIND_CACHE {
            self.bind_cache.remove(0);
        }
        self.bind_cache.push(bindings);
    }
}

/// The timestamp writes of the next pass, when the device times passes.
fn pass_writes(timer: &mut Option<TimestampRing>) -> Option<wgpu::ComputePassTimestampWrites<'_>> {
    timer.as_mut().and_then(TimestampRing::pass_writes)
}

/// The rungs in quality order: the neural ones by the validation PSNR the model file measured
/// (`val_psnr`), the default order where it is missing; `taau` last.
fn quality_order(model: Option<&ModelFile>) -> Vec<Rung> {
    let mut neural: Vec<Rung> = Rung::ALL.into_iter().filter(|r| r.is_neural()).collect();
    if let Some(model) = model {
        let psnr = |r: &Rung| model.val_psnr.get(r.name()).copied().unwrap_or(f64::NEG_INFINITY);
        // Stable: equal or missing scores keep the default order.
        neural.sort_by(|a, b| psnr(b).total_cmp(&psnr(a)));
    }
    neural.push(Rung::Taau);
    neural
}

/// The neural rungs built, the tensors they share, and the rungs left out with the reason.
type BuiltNetworks = (NetworkTensors, Vec<NetworkRung>, Vec<(Rung, String)>);

/// Builds the neural rungs of `wanted` that the model and device allow.
fn build_networks(
    ctx: &GpuContext,
    desc: &UpscalerDescriptor,
    wanted: &[Rung],
    uniforms: &wgpu::Buffer,
    r: &Textures,
) -> Result<BuiltNetworks, UpscalerError> {
    let mut unavailable = Vec::new();
    let mut plan = Vec::new();
    for rung in wanted.iter().copied().filter(|r| r.is_neural()) {
        let Some(model) = desc.model.as_deref() else {
            unavailable.push((rung, "no model was given (UpscalerDescriptor::model is None)".to_owned()));
            continue;
        };
        let Some((kind, precision)) = rung.network() else { continue };
        if precision == quantsr_model::NetworkPrecision::F16 && !ctx.caps.shader_f16 {
            unavailable.push((rung, "the device does not support SHADER_F16".to_owned()));
            continue;
        }
        plan.push((rung, model.network(kind)));
    }
    let nets: Vec<&quantsr_model::Network> = plan.iter().map(|(_, n)| *n).collect();
    let tensors = NetworkTensors::new(&ctx.device, desc.max_render_size, &nets);
    let targets = ParamTargets {
        params: &r.params,
        beta_lo: &r.beta_lo,
        beta_hi: &r.beta_hi,
        params_extra: [&r.params_extra[0], &r.params_extra[1]],
    };
    let bindings = LayerBindings { uniforms, tensors: &tensors, targets: &targets };
    let mut cache = desc.autotune_cache.as_deref().map_or_else(TuneCache::open, TuneCache::at);
    let networks = plan
        .into_iter()
        .map(|(rung, net)| {
            autotune::build_rung(ctx, rung, net, &bindings, desc.max_render_size, desc.autotune, &mut cache)
        })
        .collect::<Result<Vec<_>, _>>();
    cache.save();
    Ok((tensors, networks?, unavailable))
}

/// The render size at `scale` (per axis) of `max`, at least one pixel.
fn scaled_render_size(max: [u32; 2], scale: f64) -> [u32; 2] {
    [0, 1].map(|i| ((f64::from(max[i]) * scale).round() as u32).clamp(1, max[i]))
}

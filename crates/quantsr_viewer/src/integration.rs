//! The reference integration: how a renderer embeds quantsr, step by step, with nothing but
//! the public API (the `quantsr` facade).
//!
//! Every frame the renderer (quantsr's scene rasterizer standing in for a game's) draws colour,
//! depth, motion vectors and a reactive mask at render resolution with a jittered projection;
//! then, in the same command encoder, each method shown turns them into a display-resolution
//! image: the `Upscaler` for the temporal methods, a spatial baseline otherwise. The viewer
//! submits the encoder once per frame and presents the result.

use std::collections::HashMap;

use anyhow::Context as _;
use quantsr::Rung;
use quantsr::eval::spatial::SpatialUpscaler;
use quantsr::gpu::{GpuContext, create_texture, wgpu};
use quantsr::scenes::{FrameRequest, Scene, SceneRenderer};
use quantsr::{
    Adapt, CameraInfo, ControllerSettings, DebugView, DispatchInputs, FrameReport, TelemetryRecord, Upscaler,
    UpscalerDescriptor, jitter_offset, jitter_phase_count, mip_bias, render_size,
};

use crate::camera::CameraFrame;
use crate::settings::Method;

/// The largest a scene renderer is kept beyond what it needs (area), before it is recreated
/// smaller.
const RENDERER_SLACK: u64 = 4;

/// One method's machinery and the display-resolution texture it writes.
struct Runner {
    /// Unique per runner created, so timings of a recreated upscaler (whose frame indices start
    /// again at 0) are never mistaken for the old one's.
    id: u64,
    kind: RunnerKind,
    /// The output texture's view (it keeps the texture alive).
    view: wgpu::TextureView,
}

enum RunnerKind {
    /// A single-frame filter; it has no history.
    Spatial(SpatialUpscaler),
    /// quantsr's temporal upscaler, with the index of the last frame it ran (a gap means its
    /// history is stale and the next dispatch resets).
    Temporal { upscaler: Box<Upscaler>, last_frame: Option<u64> },
}

/// The render-resolution inputs, as views (made once per scene renderer).
struct InputViews {
    color: wgpu::TextureView,
    depth: wgpu::TextureView,
    motion: wgpu::TextureView,
    reactive: wgpu::TextureView,
}

/// What one frame asks of the integration.
#[derive(Debug, Clone, Copy)]
pub struct FrameSetup<'a> {
    /// Camera and scene time.
    pub camera: &'a CameraFrame,
    /// Methods to run this frame (the primary one first); at most two.
    pub methods: &'a [Method],
    /// Render size of this frame: at most [`Integration::max_render_size`] (dynamic resolution
    /// goes below it).
    pub render_size: [u32; 2],
    /// Time since the previous frame in milliseconds.
    pub frame_time_ms: f32,
    /// Sharpening strength in [0, 1].
    pub sharpness: f32,
    /// Debug visualisation of the temporal methods.
    pub debug_view: DebugView,
    /// What the temporal methods' precision controllers hold to this frame.
    pub control: Control,
}

/// The precision controller's settings for a frame: every temporal upscaler runs its own
/// (`Upscaler::enable_controller`), exactly as an embedding renderer would.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Control {
    /// The frame time to hold, in milliseconds.
    pub target_ms: f64,
    /// The neural method's fixed rung, or `None` for automatic precision (the taau method is
    /// always fixed on taau). A rung the upscaler cannot run falls back to `taau`.
    pub neural_rung: Option<Rung>,
    /// Which knobs the neural method's controller turns: precision, resolution or both.
    pub adapt: Adapt,
}

/// What a recorded frame did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameRecord {
    /// The render size used.
    pub render_size: [u32; 2],
    /// The jitter used, in render pixels (zero when only spatial methods ran).
    pub jitter: [f32; 2],
    /// The primary method's runner id and upscaler frame index, when it is temporal (its
    /// telemetry records carry the frame index).
    pub upscaler_frame: Option<(u64, u64)>,
    /// The rung the primary method ran, when it is temporal.
    pub rung: Option<Rung>,
    /// The primary method's budget for this frame, from its controller.
    pub budget_ms: Option<f64>,
    /// Whether the primary method discarded its history this frame.
    pub reset: bool,
    /// The render size the primary method's controller wants next (its `FrameInfo`).
    pub next_render_size: Option<[u32; 2]>,
}

/// A scene, its renderer, and the methods that upscale it, for one display size and ratio.
pub struct Integration {
    ctx: GpuContext,
    scene: Scene,
    renderer: SceneRenderer,
    inputs: InputViews,
    display: [u32; 2],
    ratio: f32,
    runners: HashMap<Method, Runner>,
    next_runner_id: u64,
    frame: u64,
    force_reset: bool,
}

impl Integration {
    /// Uploads `scene` and prepares to render it for `display` at `ratio` (display / render
    /// size per axis). Methods are created the first time they are shown.
    pub fn new(ctx: &GpuContext, scene: Scene, display: [u32; 2], ratio: f32) -> anyhow::Result<Self> {
        let renderer = Self::scene_renderer(ctx, &scene, display)?;
        let inputs = InputViews::of(&renderer);
        Ok(Self {
            ctx: ctx.clone(),
            scene,
            renderer,
            inputs,
            display,
            ratio,
            runners: HashMap::new(),
            next_runner_id: 0,
            frame: 0,
            force_reset: false,
        })
    }

    /// The renderer can draw any render size up to the display size (ratio 1), so changing
    /// the quality mode or dynamic resolution never needs a new one. It never renders ground
    /// truth here, so its ground-truth targets get the smallest size.
    fn scene_renderer(ctx: &GpuContext, scene: &Scene, display: [u32; 2]) -> anyhow::Result<SceneRenderer> {
        SceneRenderer::new(ctx, scene, display, [1, 1], 1).context("creating the scene renderer")
    }

    /// The display size the methods output.
    pub fn display_size(&self) -> [u32; 2] {
        self.display
    }

    /// Display / render size per axis.
    pub fn ratio(&self) -> f32 {
        self.ratio
    }

    /// The render size of the quality mode: `floor(display / ratio)`, FSR 2's rule.
    pub fn max_render_size(&self) -> [u32; 2] {
        render_size(self.display, self.ratio)
    }

    /// The scene being rendered.
    pub fn scene(&self) -> &Scene {
        &self.scene
    }

    /// Changes the display size (the window was resized): every method is recreated at the
    /// new size, as a renderer creates a new `Upscaler` when its output size changes.
    pub fn set_display_size(&mut self, display: [u32; 2]) -> anyhow::Result<()> {
        if display == self.display {
            return Ok(());
        }
        let cap = self.renderer.max_render_size();
        let too_small = display[0] > cap[0] || display[1] > cap[1];
        let area = |s: [u32; 2]| u64::from(s[0]) * u64::from(s[1]);
        if too_small || area(cap) > RENDERER_SLACK * area(display) {
            // Drop the old targets before allocating new ones.
            self.runners.clear();
            self.renderer = Self::scene_renderer(&self.ctx, &self.scene, display)?;
            self.inputs = InputViews::of(&self.renderer);
        }
        self.runners.clear();
        self.display = display;
        Ok(())
    }

    /// Changes the ratio (quality mode): the temporal methods are recreated for the new
    /// maximum render size; the spatial ones do not depend on it.
    pub fn set_ratio(&mut self, ratio: f32) {
        if ratio != self.ratio {
            self.runners.retain(|m, _| !m.is_temporal());
            self.ratio = ratio;
        }
    }

    /// Renders another scene from now on; temporal history is discarded.
    pub fn set_scene(&mut self, scene: Scene) -> anyhow::Result<()> {
        let renderer = Self::scene_renderer(&self.ctx, &scene, self.display)?;
        self.inputs = InputViews::of(&renderer);
        self.renderer = renderer;
        self.scene = scene;
        self.force_reset = true;
        Ok(())
    }

    /// The display-resolution image `method` wrote last (created if it never ran).
    pub fn output(&mut self, method: Method) -> anyhow::Result<&wgpu::TextureView> {
        Ok(&self.runner(method)?.view)
    }

    /// Tells `method`'s controller about the rest of a frame it ran (`upscaler_frame` of runner
    /// `runner`, from [`FrameRecord::upscaler_frame`]); ignored if the runner was recreated since.
    pub fn report_frame(&mut self, method: Method, runner: u64, upscaler_frame: u64, report: FrameReport) {
        if let Some(Runner { id, kind: RunnerKind::Temporal { upscaler, .. }, .. }) = self.runners.get_mut(&method)
            && *id == runner
        {
            upscaler.report_frame(upscaler_frame, report);
        }
    }

    /// `method`'s complete telemetry records (frame = upscaler frame index), with its runner
    /// id; empty for spatial methods.
    pub fn drain_telemetry(&mut self, method: Method) -> Option<(u64, Vec<TelemetryRecord>)> {
        match self.runners.get_mut(&method) {
            Some(Runner { id, kind: RunnerKind::Temporal { upscaler, .. }, .. }) => {
                Some((*id, upscaler.drain_telemetry()))
            }
            _ => None,
        }
    }

    /// The end of a run: every record `method`'s controller still holds (waits for the GPU).
    pub fn finish_telemetry(&mut self, method: Method) -> anyhow::Result<Option<(u64, Vec<TelemetryRecord>)>> {
        Ok(match self.runners.get_mut(&method) {
            Some(Runner { id, kind: RunnerKind::Temporal { upscaler, .. }, .. }) => {
                Some((*id, upscaler.finish_telemetry().context("collecting the last telemetry")?))
            }
            _ => None,
        })
    }

    /// Whether the temporal methods report per-pass GPU times on this device.
    pub fn has_timings(&self) -> bool {
        self.ctx.caps.timestamps
    }

    fn runner(&mut self, method: Method) -> anyhow::Result<&mut Runner> {
        if !self.runners.contains_key(&method) {
            let runner = self.create_runner(method)?;
            self.runners.insert(method, runner);
        }
        Ok(self.runners.get_mut(&method).expect("just inserted"))
    }

    fn create_runner(&mut self, method: Method) -> anyhow::Result<Runner> {
        let device = &self.ctx.device;
        let usage = wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::TEXTURE_BINDING;
        let (kind, format) = match method.spatial_filter() {
            Some(filter) => {
                let spatial = SpatialUpscaler::new(&self.ctx, filter, self.display)
                    .with_context(|| format!("creating the {method} upscaler"))?;
                // The spatial baselines write Rgba32Float.
                (RunnerKind::Spatial(spatial), wgpu::TextureFormat::Rgba32Float)
            }
            None => {
                // 1. Once per view: the upscaler for this display size and quality mode.
                //    Every pipeline is built and warmed up here, never in a frame.
                //    The neural method builds every rung (so the controller can switch on any
                //    frame); taau builds only itself, which starts in a fraction of the time.
                let mut desc = UpscalerDescriptor::for_ratio(self.display, self.ratio);
                if method != Method::NEURAL {
                    desc = desc.with_rungs(&[Rung::Taau]);
                }
                let format = desc.output_format;
                let mut upscaler =
                    Upscaler::new(&self.ctx, desc).with_context(|| format!("creating the {method} upscaler"))?;
                // The panel's sharpness is the network's; when the controller falls back to
                // taau, taau keeps its own best.
                if method == Method::NEURAL {
                    upscaler.set_taau_sharpness(Some(quantsr::TAAU_SHARPNESS));
                }
                // 2. Its precision controller (the target follows the panel every frame).
                let settings = upscaler.controller_settings(60.0);
                upscaler.enable_controller(settings).context("starting the precision controller")?;
                (RunnerKind::Temporal { upscaler: Box::new(upscaler), last_frame: None }, format)
            }
        };
        let output = create_texture(device, &format!("{method} output"), self.display, format, usage);
        let view = output.create_view(&Default::default());
        self.next_runner_id += 1;
        Ok(Runner { id: self.next_runner_id, kind, view })
    }

    /// Records one frame into `encoder`: the scene at render resolution, then each method.
    /// Submit the encoder before recording the next frame (uniforms go through the queue).
    pub fn record(
        &mut self,
        encoder: &mut wgpu::CommandEncoder,
        setup: &FrameSetup<'_>,
    ) -> anyhow::Result<FrameRecord> {
        for &m in setup.methods {
            self.runner(m)?;
        }
        let max = self.max_render_size();
        let rs = [setup.render_size[0].clamp(1, max[0]), setup.render_size[1].clamp(1, max[1])];
        let display = self.display;
        let temporal = setup.methods.iter().any(|m| m.is_temporal());

        // 3. Jitter the projection (FSR 2's Halton sequence, phase count from the ratio) and
        //    sample textures with the upscaler's mip bias. A purely spatial pipeline would
        //    not jitter, and keeps the usual bias for its resolution.
        let (jitter, bias) = if temporal {
            let phases = jitter_phase_count(rs[0], display[0]);
            (jitter_offset((self.frame % u64::from(u32::MAX)) as u32, phases), mip_bias(rs[0], display[0]))
        } else {
            ([0.0, 0.0], mip_bias(rs[0], display[0]) + 1.0)
        };
        let cam = setup.camera;
        let request = FrameRequest {
            time: cam.time,
            prev_time: cam.prev_time,
            camera: cam.camera,
            prev_camera: cam.prev_camera,
            fov_y: cam.fov_y,
            render_size: rs,
            jitter,
            mip_bias: bias,
        };
        self.renderer.record(encoder, &self.scene, &request, false).context("rendering the scene")?;

        // 4. Upscale into the same encoder: no extra submit, no wait.
        let camera_info = CameraInfo { near: self.scene.near, far: self.scene.far, fov_y: cam.fov_y };
        let has_reactive = self.scene.has_reactive();
        let force_reset = std::mem::take(&mut self.force_reset);
        let frame = self.frame;
        let mut record = FrameRecord {
            render_size: rs,
            jitter,
            upscaler_frame: None,
            rung: None,
            budget_ms: None,
            reset: false,
            next_render_size: None,
        };
        for (i, &method) in setup.methods.iter().enumerate() {
            let inputs = &self.inputs;
            let runner = self.runners.get_mut(&method).expect("created above");
            match &mut runner.kind {
                RunnerKind::Spatial(spatial) => {
                    spatial.dispatch(&self.ctx, encoder, &inputs.color, &runner.view, rs, jitter);
                }
                RunnerKind::Temporal { upscaler, last_frame } => {
                    apply_control(upscaler, method, &setup.control)?;
                    let reset = cam.reset || force_reset || frame == 0 || *last_frame != Some(frame - 1);
                    let info = upscaler
                        .dispatch(
                            encoder,
                            &DispatchInputs {
                                color: &inputs.color,
                                depth: &inputs.depth,
                                motion_vectors: &inputs.motion,
                                exposure: None,
                                reactive: has_reactive.then_some(&inputs.reactive),
                                output: &runner.view,
                                jitter,
                                motion_vector_scale: [1.0, 1.0],
                                render_size: rs,
                                reset,
                                frame_time_delta_ms: setup.frame_time_ms,
                                sharpness: Some(setup.sharpness),
                                camera: Some(camera_info),
                                debug_view: setup.debug_view,
                            },
                        )
                        .with_context(|| format!("dispatching {method}"))?;
                    *last_frame = Some(frame);
                    if i == 0 {
                        record.upscaler_frame = Some((runner.id, info.frame_index));
                        record.rung = Some(info.rung);
                        record.budget_ms = info.budget_ms;
                        record.reset = info.reset;
                        record.next_render_size = Some(info.next_render_size);
                    }
                }
            }
        }
        self.frame += 1;
        Ok(record)
    }

    /// After the frame's encoder was submitted: lets the upscalers collect timings that are
    /// ready, without waiting.
    pub fn after_submit(&mut self) {
        for runner in self.runners.values_mut() {
            if let RunnerKind::Temporal { upscaler, .. } = &mut runner.kind {
                upscaler.after_submit();
            }
        }
    }
}

/// Points `method`'s controller at this frame's target and fixed rung (cheap when unchanged).
fn apply_control(upscaler: &mut Upscaler, method: Method, control: &Control) -> anyhow::Result<()> {
    let wanted = if method == Method::NEURAL { control.neural_rung } else { Some(Rung::Taau) };
    let missing = |r: Rung| upscaler.unavailable_rungs().iter().any(|(u, _)| *u == r);
    let fixed = wanted.map(|r| if missing(r) { Rung::Taau } else { r });
    // Only the neural method has rungs to trade against resolution.
    let adapt = if method == Method::NEURAL { control.adapt } else { Adapt::Precision };
    let current = upscaler.controller().context("the temporal upscalers run a controller")?.settings();
    if current.adapt != adapt {
        // A new controller with the other policy, keeping the rung timings taken at start-up
        // (the settings are cloned only here, not every frame).
        let settings = ControllerSettings { adapt, ..current.clone() };
        upscaler.enable_controller(settings).context("switching the controller's policy")?;
    }
    let controller = upscaler.controller_mut().context("the temporal upscalers run a controller")?;
    if (controller.settings().target_frame_ms - control.target_ms).abs() > 1e-9 {
        controller.set_target_frame_ms(control.target_ms).context("setting the target frame time")?;
    }
    if controller.settings().fixed != fixed {
        controller.set_fixed(fixed);
    }
    Ok(())
}

impl InputViews {
    fn of(renderer: &SceneRenderer) -> Self {
        let view = |t: &wgpu::Texture| t.create_view(&Default::default());
        let targets = renderer.inputs();
        Self {
            color: view(&targets.color),
            depth: view(&targets.depth),
            motion: view(&targets.motion),
            reactive: view(&targets.reactive),
        }
    }
}

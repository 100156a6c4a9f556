//! The window and the frame loop: winit events, the wgpu surface (resize, minimise, lost or
//! outdated surfaces, DPI changes), egui, the HUD fed by the precision controllers' telemetry, and scripted
//! runs.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use quantsr::gpu::{GpuContext, GpuOptions, create_texture, wgpu};
use quantsr::monitor::SyntheticLoad;
use quantsr::scenes::{BUILTIN_SCENES, Scene, builtin_scene_seeded, load_gltf};
use quantsr::{DebugView, FrameReport, QualityMode};
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::{DeviceEvent, DeviceId, ElementState, MouseButton, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop};
use winit::keyboard::{KeyCode, PhysicalKey};
use winit::window::{Window, WindowId};

use crate::Args;
use crate::camera::{CameraMode, CameraRig};
use crate::dynres::DynamicResolution;
use crate::integration::{Control, FrameSetup, Integration};
use crate::present::{Framing, PresentPass, PresentTarget, View};
use crate::rungs;
use crate::screenshot::{SCREEN_FORMATS, capture, save_png};
use crate::script::{Script, Step, steps};
use crate::settings::{CompareMode, Magnifier, Method, Precision, Settings, load_ms_at};
use crate::telemetry::{FrameSample, History};
use crate::ui::{self, UiAction, UiInfo};

/// Side of the magnifier's texture in pixels.
const MAGNIFIER_SIZE: u32 = 256;
/// Format of the magnifier texture (what egui-wgpu expects of native textures).
const MAGNIFIER_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;
/// How long the window size must hold still before the upscalers are recreated for it (while
/// a user drags the border, the last image is stretched instead).
const RESIZE_SETTLE: Duration = Duration::from_millis(150);
/// Scene seconds per frame in scripted and headless runs (reproducible frames).
const FIXED_STEP_S: f32 = 1.0 / 60.0;
/// Frames whose telemetry has not come back yet, at most.
const PENDING_FRAMES: usize = 64;

/// Opens the window and runs the viewer until it is closed (or the script is done).
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.screenshot.is_some() && args.headless_frames.is_none() && args.script.is_none() {
        bail!("--screenshot needs --headless-frames N or --script (F12 saves screenshots interactively)");
    }
    if args.shots.is_some() && args.script.is_none() {
        bail!("--shots needs --script");
    }
    let scene = match &args.gltf {
        Some(path) => load_gltf(path).with_context(|| format!("loading {}", path.display()))?,
        None => builtin_scene_seeded(&args.scene, args.seed)?,
    };
    let event_loop = EventLoop::new().context("cannot open a window: no display (set DISPLAY or WAYLAND_DISPLAY)")?;
    let mut app = App { args, scene: Some(scene), viewer: None, result: Ok(()) };
    event_loop.run_app(&mut app).context("running the window's event loop")?;
    let viewer = app.viewer.take();
    app.result?;
    match viewer {
        Some(v) => v.finish(),
        None => bail!("the window system never started the viewer"),
    }
}

struct App {
    args: Args,
    scene: Option<Scene>,
    viewer: Option<Viewer>,
    result: anyhow::Result<()>,
}

impl App {
    fn fail(&mut self, event_loop: &ActiveEventLoop, err: anyhow::Error) {
        if self.result.is_ok() {
            self.result = Err(err);
        }
        event_loop.exit();
    }
}

impl ApplicationHandler for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        let Some(scene) = self.scene.take() else { return };
        match Viewer::new(event_loop, &self.args, scene) {
            Ok(v) => self.viewer = Some(v),
            Err(e) => self.fail(event_loop, e),
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        let Some(viewer) = &mut self.viewer else { return };
        if let Err(e) = viewer.window_event(event_loop, event) {
            self.fail(event_loop, e);
        }
    }

    fn device_event(&mut self, _event_loop: &ActiveEventLoop, _id: DeviceId, event: DeviceEvent) {
        if let (Some(viewer), DeviceEvent::MouseMotion { delta }) = (&mut self.viewer, event)
            && viewer.looking
        {
            viewer.camera.fly.look(glam::Vec2::new(delta.0 as f32, delta.1 as f32));
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        if let Some(viewer) = &self.viewer {
            if viewer.minimized || viewer.occluded {
                // Nothing to draw: sleep until the window system sends an event.
                event_loop.set_control_flow(ControlFlow::Wait);
            } else {
                event_loop.set_control_flow(ControlFlow::Poll);
                viewer.window.request_redraw();
            }
        }
    }
}

/// A viewer frame the primary temporal method ran, until its telemetry record comes back:
/// the record carries the upscaler's frame index, the HUD the viewer's.
struct PendingFrame {
    method: Method,
    runner: u64,
    upscaler_frame: u64,
    frame: u64,
    load_ms: f64,
}

/// Per-frame wall time, for the summary at exit.
struct FrameStat {
    method: Method,
    display: [u32; 2],
    ms: f64,
}

struct Viewer {
    window: Arc<Window>,
    gpu: GpuContext,
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    surface_copy_src: bool,
    minimized: bool,
    occluded: bool,
    gpu_error: Arc<Mutex<Option<String>>>,

    egui_ctx: egui::Context,
    egui_state: egui_winit::State,
    egui_renderer: egui_wgpu::Renderer,
    present: PresentPass,
    screen: PresentTarget,
    magnifier: PresentTarget,
    magnifier_view: wgpu::TextureView,
    magnifier_id: egui::TextureId,
    offscreen: Option<(wgpu::Texture, wgpu::TextureView)>,

    integration: Integration,
    settings: Settings,
    camera: CameraRig,
    looking: bool,
    pending: VecDeque<PendingFrame>,
    history: History,
    dynres: DynamicResolution,
    load: Option<SyntheticLoad>,
    scenes: Vec<&'static str>,
    /// `--seed`: `yard`'s layout whenever it is picked from the scene list.
    seed: u64,

    script: Option<Script>,
    fixed_step: bool,
    pending_shot: Option<PathBuf>,
    screenshot_path: Option<PathBuf>,
    shots_taken: u32,
    resize_seen: Option<(PhysicalSize<u32>, Instant)>,
    ratio_seen: Option<(f32, Instant)>,
    telemetry_path: Option<PathBuf>,
    frame: u64,
    last_frame_start: Option<Instant>,
    last_render_size: [u32; 2],
    /// The render size the primary method's controller asked for next.
    wanted_render_size: Option<[u32; 2]>,
    stats: Vec<FrameStat>,
}

/// The instance, a surface for `window`, and a device on an adapter that can present to it.
/// Vulkan first, then every other backend (or what `QUANTSR_BACKEND`/`WGPU_BACKEND` say).
fn open_gpu(
    event_loop: &ActiveEventLoop,
    window: &Arc<Window>,
) -> anyhow::Result<(GpuContext, wgpu::Surface<'static>)> {
    let env = ["QUANTSR_BACKEND", "WGPU_BACKEND"].iter().find_map(|v| std::env::var(v).ok());
    let tries = match env {
        Some(list) => {
            let b = wgpu::Backends::from_comma_list(&list);
            if b.is_empty() {
                bail!("backend list {list:?} names no backend (use vulkan, gl, metal, dx12)");
            }
            vec![b]
        }
        None => vec![wgpu::Backends::VULKAN, wgpu::Backends::all()],
    };
    let mut errors = Vec::new();
    for backends in tries {
        let mut desc = wgpu::InstanceDescriptor::new_with_display_handle(Box::new(event_loop.owned_display_handle()));
        desc.backends = backends;
        desc.flags = wgpu::InstanceFlags::from_build_config().with_env();
        let instance = wgpu::Instance::new(desc);
        let surface = instance.create_surface(window.clone()).context("creating the window surface")?;
        let request = wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            compatible_surface: Some(&surface),
            ..Default::default()
        };
        match pollster::block_on(instance.request_adapter(&request)) {
            Ok(adapter) => {
                let gpu = pollster::block_on(GpuContext::open(instance, adapter, &GpuOptions::default()))?;
                return Ok((gpu, surface));
            }
            Err(e) => errors.push(format!("{backends:?}: {e}")),
        }
    }
    bail!(
        "no GPU adapter can present to this window ({}); install a Vulkan driver (e.g. Mesa's \
         lavapipe: apt-get install mesa-vulkan-drivers)",
        errors.join("; ")
    )
}

/// The surface configuration: an 8-bit format (non-sRGB preferred, as egui blends in gamma
/// space), copyable when the surface allows it (screenshots), vsync unless told otherwise.
fn surface_config(
    surface: &wgpu::Surface<'_>,
    adapter: &wgpu::Adapter,
    size: PhysicalSize<u32>,
    vsync: bool,
) -> anyhow::Result<(wgpu::SurfaceConfiguration, bool)> {
    let caps = surface.get_capabilities(adapter);
    let format = SCREEN_FORMATS
        .into_iter()
        .find(|f| caps.formats.contains(f))
        .with_context(|| format!("the surface offers no 8-bit colour format (it offers {:?})", caps.formats))?;
    let copy_src = caps.usages.contains(wgpu::TextureUsages::COPY_SRC);
    let mut usage = wgpu::TextureUsages::RENDER_ATTACHMENT;
    if copy_src {
        usage |= wgpu::TextureUsages::COPY_SRC;
    }
    let config = wgpu::SurfaceConfiguration {
        usage,
        format,
        color_space: wgpu::SurfaceColorSpace::Auto,
        width: size.width.max(1),
        height: size.height.max(1),
        present_mode: if vsync { wgpu::PresentMode::AutoVsync } else { wgpu::PresentMode::AutoNoVsync },
        desired_maximum_frame_latency: 2,
        alpha_mode: caps.alpha_modes.first().copied().unwrap_or(wgpu::CompositeAlphaMode::Auto),
        view_formats: vec![],
    };
    log::info!(
        "surface: {format:?}, {:?}, screenshots {}",
        config.present_mode,
        if copy_src { "copy the surface" } else { "copy an offscreen frame" }
    );
    Ok((config, copy_src))
}

impl Viewer {
    fn new(event_loop: &ActiveEventLoop, args: &Args, scene: Scene) -> anyhow::Result<Self> {
        let size = args.size.0;
        let attributes = Window::default_attributes()
            .with_title(format!("quantsr viewer: {}", scene.name))
            .with_inner_size(PhysicalSize::new(size[0], size[1]));
        let window = Arc::new(event_loop.create_window(attributes).context("creating the window")?);
        let (gpu, surface) = open_gpu(event_loop, &window)?;
        log::info!("viewer on {} ({:?})", gpu.info.name, gpu.info.backend);

        // Validation errors and device loss end the viewer with a message instead of a panic.
        let gpu_error = Arc::new(Mutex::new(None));
        let sink = gpu_error.clone();
        gpu.device.on_uncaptured_error(Arc::new(move |e| {
            let mut slot = sink.lock().unwrap_or_else(|p| p.into_inner());
            slot.get_or_insert_with(|| format!("GPU error: {e}"));
        }));
        let sink = gpu_error.clone();
        gpu.device.set_device_lost_callback(move |reason, message| {
            let mut slot = sink.lock().unwrap_or_else(|p| p.into_inner());
            slot.get_or_insert_with(|| format!("the GPU device was lost ({reason:?}): {message}"));
        });

        let scripted = args.script.is_some() || args.headless_frames.is_some();
        let physical = window.inner_size();
        let (config, surface_copy_src) = surface_config(&surface, &gpu.adapter, physical, !args.no_vsync && !scripted)?;
        let minimized = physical.width == 0 || physical.height == 0;
        if !minimized {
            surface.configure(&gpu.device, &config);
        }

        let egui_ctx = egui::Context::default();
        let max_texture = gpu.device.limits().max_texture_dimension_2d as usize;
        let egui_state = egui_winit::State::new(
            egui_ctx.clone(),
            egui::ViewportId::ROOT,
            &window,
            Some(window.scale_factor() as f32),
            window.theme(),
            Some(max_texture),
        );
        let mut egui_renderer =
            egui_wgpu::Renderer::new(&gpu.device, config.format, egui_wgpu::RendererOptions::default());

        let present = PresentPass::new(&gpu, &[config.format, MAGNIFIER_FORMAT])?;
        let screen = PresentTarget::new(&gpu, config.format);
        let magnifier = PresentTarget::new(&gpu, MAGNIFIER_FORMAT);
        let magnifier_texture = create_texture(
            &gpu.device,
            "magnifier",
            [MAGNIFIER_SIZE, MAGNIFIER_SIZE],
            MAGNIFIER_FORMAT,
            wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING,
        );
        let magnifier_view = magnifier_texture.create_view(&Default::default());
        let magnifier_id =
            egui_renderer.register_native_texture(&gpu.device, &magnifier_view, wgpu::FilterMode::Nearest);

        let ratio = args.mode.map(QualityMode::ratio).or(args.scale).unwrap_or(QualityMode::Performance.ratio());
        let mode = args.mode.or_else(|| QualityMode::ALL.into_iter().find(|m| m.ratio() == ratio));
        let display = [physical.width.max(1), physical.height.max(1)];
        let duration = scene.camera.duration().max(scene.default_frames as f32 / 60.0);
        let camera_path = scene.camera.clone();
        let integration = Integration::new(&gpu, scene, display, ratio)?;
        let mut camera = CameraRig::new(camera_path, duration, 2.0);
        camera.paused = args.paused;
        let settings = Settings {
            method: args.method,
            precision: args.precision,
            target_fps: args.target_fps.clamp(1.0, 1000.0),
            mode,
            ratio,
            dynamic_resolution: args.dynamic_resolution,
            adapt: args.adapt,
            sharpness: if args.method == Method::Taau { quantsr::TAAU_SHARPNESS } else { quantsr::NEURAL_SHARPNESS },
            load: args.load.clone(),
            debug_view: DebugView::None,
            compare: args.compare.filter(|&m| m != args.method),
            compare_mode: args.compare_mode,
            wipe: 0.5,
            magnifier: Magnifier {
                enabled: args.magnify.is_some(),
                zoom: 4,
                centre: args.magnify.unwrap_or([display[0] as f32 / 2.0, display[1] as f32 / 2.0]),
                pinned: scripted || args.magnify.is_some(),
            },
            show_ui: !args.hide_ui,
        };
        let mut script_steps = Vec::new();
        if let Some(name) = args.script {
            script_steps.extend(steps(name, display, args.shots.as_deref()));
        }
        if let Some(n) = args.headless_frames {
            script_steps.push(Step::Frames(n.max(1)));
        }
        if scripted && let Some(path) = &args.screenshot {
            script_steps.push(Step::Shot(path.clone()));
        }
        let scenes = if args.gltf.is_some() { Vec::new() } else { BUILTIN_SCENES.iter().map(|(n, _)| *n).collect() };

        Ok(Self {
            window,
            gpu,
            surface,
            config,
            surface_copy_src,
            minimized,
            occluded: false,
            gpu_error,
            egui_ctx,
            egui_state,
            egui_renderer,
            present,
            screen,
            magnifier,
            magnifier_view,
            magnifier_id,
            offscreen: None,
            integration,
            settings,
            camera,
            looking: false,
            pending: VecDeque::new(),
            history: History::new(args.telemetry.is_some()),
            dynres: DynamicResolution::default(),
            load: None,
            scenes,
            seed: args.seed,
            script: scripted.then(|| Script::new(script_steps)),
            fixed_step: scripted,
            pending_shot: None,
            screenshot_path: args.screenshot.clone(),
            shots_taken: 0,
            resize_seen: None,
            ratio_seen: None,
            telemetry_path: args.telemetry.clone(),
            frame: 0,
            last_frame_start: None,
            last_render_size: [0, 0],
            wanted_render_size: None,
            stats: Vec::new(),
        })
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, event: WindowEvent) -> anyhow::Result<()> {
        let response = self.egui_state.on_window_event(&self.window, &event);
        match event {
            WindowEvent::CloseRequested | WindowEvent::Destroyed => event_loop.exit(),
            WindowEvent::Resized(size) => self.resized(size),
            WindowEvent::Occluded(occluded) => {
                self.occluded = occluded;
                if !occluded {
                    self.window.request_redraw();
                }
            }
            WindowEvent::RedrawRequested => self.redraw(event_loop)?,
            WindowEvent::KeyboardInput { event, .. } if !response.consumed => {
                if let PhysicalKey::Code(code) = event.physical_key {
                    self.key(code, event.state == ElementState::Pressed, event.repeat);
                }
            }
            WindowEvent::MouseInput { state, button: MouseButton::Right, .. } => {
                let pressed = state == ElementState::Pressed;
                if pressed && !self.egui_ctx.egui_wants_pointer_input() {
                    self.looking = true;
                    self.camera.set_mode(CameraMode::Fly);
                } else if !pressed {
                    self.looking = false;
                }
            }
            WindowEvent::Focused(false) => {
                // Keys released while unfocused never arrive: stop moving.
                self.camera.keys = Default::default();
                self.looking = false;
            }
            _ => {}
        }
        Ok(())
    }

    fn key(&mut self, code: KeyCode, pressed: bool, repeat: bool) {
        let keys = &mut self.camera.keys;
        let movement = match code {
            KeyCode::KeyW | KeyCode::ArrowUp => Some(&mut keys.forward),
            KeyCode::KeyS | KeyCode::ArrowDown => Some(&mut keys.back),
            KeyCode::KeyA | KeyCode::ArrowLeft => Some(&mut keys.left),
            KeyCode::KeyD | KeyCode::ArrowRight => Some(&mut keys.right),
            KeyCode::KeyE => Some(&mut keys.up),
            KeyCode::KeyQ => Some(&mut keys.down),
            KeyCode::ShiftLeft | KeyCode::ShiftRight => Some(&mut keys.fast),
            _ => None,
        };
        if let Some(held) = movement {
            *held = pressed;
            if pressed && !matches!(code, KeyCode::ShiftLeft | KeyCode::ShiftRight) {
                self.camera.set_mode(CameraMode::Fly);
            }
            return;
        }
        if !pressed || repeat && code != KeyCode::Period {
            return;
        }
        match code {
            KeyCode::Space => self.camera.paused = !self.camera.paused,
            KeyCode::Period => {
                self.camera.paused = true;
                self.camera.step();
            }
            KeyCode::KeyP => self.camera.set_mode(CameraMode::Path),
            KeyCode::Tab => self.settings.show_ui = !self.settings.show_ui,
            KeyCode::KeyM => self.settings.magnifier.pinned = !self.settings.magnifier.pinned,
            KeyCode::F12 => self.request_screenshot(),
            _ => {}
        }
    }

    fn request_screenshot(&mut self) {
        self.shots_taken += 1;
        let path = match &self.screenshot_path {
            Some(p) if !self.fixed_step => p.clone(),
            _ => PathBuf::from(format!("quantsr-viewer-{:03}.png", self.shots_taken)),
        };
        self.pending_shot = Some(path);
    }

    /// The window's size changed: reconfigure the surface now (never with a zero size: that
    /// is a minimised window), and recreate the upscalers once the size settles.
    fn resized(&mut self, size: PhysicalSize<u32>) {
        if size.width == 0 || size.height == 0 {
            self.minimized = true;
            return;
        }
        self.minimized = false;
        self.config.width = size.width;
        self.config.height = size.height;
        self.surface.configure(&self.gpu.device, &self.config);
        self.resize_seen = Some((size, Instant::now()));
        self.offscreen = None;
        self.window.request_redraw();
    }

    /// Recreates the upscalers for the window's size once it has held for [`RESIZE_SETTLE`]
    /// (at once in scripted runs).
    fn apply_display_size(&mut self, now: Instant) -> anyhow::Result<()> {
        let Some((size, at)) = self.resize_seen else { return Ok(()) };
        if !self.fixed_step && now.duration_since(at) < RESIZE_SETTLE {
            return Ok(());
        }
        self.resize_seen = None;
        self.screen.release();
        self.magnifier.release();
        self.integration.set_display_size([size.width, size.height])?;
        self.pending.clear();
        Ok(())
    }

    /// Recreates the temporal upscalers for a new ratio once the ratio has held for
    /// [`RESIZE_SETTLE`] (dragging the slider would otherwise rebuild them at every step).
    fn apply_ratio(&mut self, now: Instant) {
        let ratio = self.settings.ratio;
        match self.ratio_seen {
            _ if ratio == self.integration.ratio() => self.ratio_seen = None,
            Some((r, at)) if r == ratio && (self.fixed_step || now.duration_since(at) >= RESIZE_SETTLE) => {
                self.integration.set_ratio(ratio);
                self.pending.clear();
                self.ratio_seen = None;
            }
            Some((r, _)) if r == ratio => {}
            _ if self.fixed_step => self.integration.set_ratio(ratio),
            _ => self.ratio_seen = Some((ratio, now)),
        }
    }

    /// Applies script steps until one needs frames to pass.
    fn run_script(&mut self, event_loop: &ActiveEventLoop) -> anyhow::Result<()> {
        let Some(script) = &mut self.script else { return Ok(()) };
        loop {
            let Some(step) = script.front().cloned() else {
                event_loop.exit();
                return Ok(());
            };
            match step {
                Step::Method(m) => {
                    self.settings.method = m;
                    if self.settings.compare == Some(m) {
                        self.settings.compare = None;
                    }
                }
                Step::Precision(p) => self.settings.precision = p,
                Step::Compare(m, mode) => {
                    self.settings.compare = m.filter(|&m| m != self.settings.method);
                    self.settings.compare_mode = mode;
                }
                Step::Debug(v) => self.settings.debug_view = v,
                Step::Dynamic(on) => self.settings.dynamic_resolution = on,
                Step::Magnifier(on) => self.settings.magnifier.enabled = on,
                Step::Ui(on) => self.settings.show_ui = on,
                Step::Memory(label) => {
                    if let Some(mib) = crate::script::resident_mib() {
                        println!("resident memory {label}: {mib:.0} MiB");
                    }
                }
                Step::Seek(t) => self.camera.seek(t),
                Step::Shot(path) => {
                    // Saved by the next frame, which completes the step.
                    self.pending_shot.get_or_insert(path);
                    return Ok(());
                }
                Step::Resize(size) => {
                    let now = [self.config.width, self.config.height];
                    if now == size && self.integration.display_size() == size && self.resize_seen.is_none() {
                        script.pop();
                        continue;
                    }
                    if script.request_resize_once() {
                        log::info!("script: resizing the window to {}x{}", size[0], size[1]);
                        // The size may come back at once or with the next Resized event.
                        if let Some(got) = self.window.request_inner_size(PhysicalSize::new(size[0], size[1])) {
                            self.resized(got);
                        }
                    }
                    return Ok(());
                }
                Step::Frames(_) => return Ok(()),
            }
            script.pop();
        }
    }

    fn check_gpu_error(&self) -> anyhow::Result<()> {
        match self.gpu_error.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(message) => bail!("{message}"),
            None => Ok(()),
        }
    }

    /// The surface texture to draw into, or `None` when this frame must be skipped (the
    /// surface was reconfigured or recreated, or the window is hidden).
    fn acquire(&mut self) -> anyhow::Result<Option<(wgpu::SurfaceTexture, bool)>> {
        use wgpu::CurrentSurfaceTexture as C;
        Ok(match self.surface.get_current_texture() {
            C::Success(t) => {
                self.occluded = false;
                Some((t, false))
            }
            C::Suboptimal(t) => {
                self.occluded = false;
                Some((t, true))
            }
            C::Timeout => None,
            C::Occluded => {
                // Hidden: stop drawing continuously; the window system's next redraw request,
                // visibility or size event brings it back.
                self.occluded = true;
                None
            }
            C::Outdated => {
                let size = self.window.inner_size();
                if size.width > 0 && size.height > 0 {
                    self.resized(size);
                }
                None
            }
            C::Lost => {
                log::warn!("the window surface was lost: recreating it");
                self.surface =
                    self.gpu.instance.create_surface(self.window.clone()).context("recreating the surface")?;
                self.surface.configure(&self.gpu.device, &self.config);
                None
            }
            other => bail!("cannot get the next frame of the window: {other:?}"),
        })
    }

    fn redraw(&mut self, event_loop: &ActiveEventLoop) -> anyhow::Result<()> {
        self.check_gpu_error()?;
        if self.minimized {
            return Ok(());
        }
        let now = Instant::now();
        self.run_script(event_loop)?;
        if self.script.as_ref().is_some_and(Script::is_done) {
            return Ok(());
        }
        self.apply_display_size(now)?;
        self.apply_ratio(now);
        let Some((frame, suboptimal)) = self.acquire()? else { return Ok(()) };

        // The previous frame lasted until now (a skipped attempt counts towards it).
        let wall_ms = self.last_frame_start.map(|t| now.duration_since(t).as_secs_f64() * 1e3);
        self.last_frame_start = Some(now);
        if let (Some(ms), Some(prev)) = (wall_ms, self.frame.checked_sub(1)) {
            self.history.set_host_ms(prev, ms);
            if let Some(last) = self.history.samples().back().filter(|s| s.frame == prev) {
                self.stats.push(FrameStat { method: last.method, display: last.display, ms });
            }
            // The rest of that frame, for its upscaler's controller: the load's GPU time and
            // the whole frame as the host saw it (the budget is what is left of the target).
            if let Some(p) = self.pending.iter().find(|p| p.frame == prev) {
                // An upscaler's first frame also built it (seconds): not a frame time.
                let host_frame_ms = (p.upscaler_frame > 0).then_some(ms);
                let report = FrameReport { other_gpu_ms: Some(p.load_ms), host_frame_ms };
                self.integration.report_frame(p.method, p.runner, p.upscaler_frame, report);
            }
        }

        let dt = if self.fixed_step { FIXED_STEP_S } else { wall_ms.unwrap_or(16.7) as f32 / 1e3 };
        let cam = self.camera.advance(dt);
        let method = self.settings.method;
        let mut methods = vec![method];
        methods.extend(self.settings.compare.filter(|&m| m != method));

        // Each temporal upscaler's precision controller picks its rung; the panel sets the
        // target and, unless the precision is auto, fixes the neural method's rung (a rung
        // the device cannot run falls back to taau; see rungs.rs).
        let control = Control {
            target_ms: self.settings.budget_ms(),
            neural_rung: match self.settings.precision {
                Precision::Auto => None,
                Precision::Fixed(r) => Some(rungs::resolve(r, &self.gpu.caps)),
            },
            adapt: self.settings.adapt,
        };
        let load_ms = load_ms_at(self.settings.load.as_ref(), self.frame);
        // The neural controller's resolution knob, when it turns one; the game-style dynamic
        // resolution otherwise.
        let render_size = match self.wanted_render_size {
            Some(size) if self.settings.adapt != quantsr::Adapt::Precision && method == Method::NEURAL => size,
            _ => self.dynres.render_size(self.integration.max_render_size()),
        };

        let paint = self.build_ui(render_size);

        let mut encoder =
            self.gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("frame") });
        if load_ms > 0.0 {
            if self.load.is_none() {
                self.load = Some(SyntheticLoad::new(&self.gpu).context("creating the synthetic load pass")?);
            }
            if let Some(load) = &mut self.load {
                load.record(&self.gpu.queue, &mut encoder, self.frame, load_ms);
            }
        }
        let record = self.integration.record(
            &mut encoder,
            &FrameSetup {
                camera: &cam,
                methods: &methods,
                render_size,
                frame_time_ms: dt * 1e3,
                sharpness: self.settings.sharpness,
                debug_view: self.settings.debug_view,
                control,
            },
        )?;
        self.last_render_size = record.render_size;
        self.wanted_render_size = record.next_render_size;
        if let Some((runner, upscaler_frame)) = record.upscaler_frame {
            if self.pending.len() == PENDING_FRAMES {
                self.pending.pop_front();
            }
            self.pending.push_back(PendingFrame { method, runner, upscaler_frame, frame: self.frame, load_ms });
        }

        let surface_view = frame.texture.create_view(&Default::default());
        let command_buffers = self.record_present(&mut encoder, &methods, &surface_view, &paint)?;
        // A screenshot reads the surface itself when it can be copied from; otherwise the same
        // frame is drawn once more into a texture that can.
        let shot = self.pending_shot.take().map(|path| {
            let texture =
                if self.surface_copy_src { frame.texture.clone() } else { self.offscreen_copy(&mut encoder, &paint) };
            (path, texture)
        });
        self.gpu.queue.submit(command_buffers.into_iter().chain([encoder.finish()]));
        if let Some((path, texture)) = shot {
            let image = capture(&self.gpu, &texture)?;
            save_png(&image, &path)?;
            println!("saved {} ({}x{})", path.display(), image.width(), image.height());
        }
        self.window.pre_present_notify();
        self.gpu.queue.present(frame);
        for id in &paint.textures_free {
            self.egui_renderer.free_texture(id);
        }
        if suboptimal {
            self.resized(self.window.inner_size());
        }

        // Timings of earlier frames come back now (never waited for) and reach the controllers.
        self.integration.after_submit();
        if let Some(load) = &mut self.load {
            // Corrects the load's calibration from its own measured GPU time.
            load.after_submit(&self.gpu.device);
        }
        self.history.push(FrameSample {
            frame: self.frame,
            method,
            rung: record.rung,
            render_size: record.render_size,
            display: self.integration.display_size(),
            host_ms: None,
            load_ms,
            upscaler_ms: None,
            budget_ms: record.budget_ms,
            reason: None,
        });
        let records = self.integration.drain_telemetry(method);
        self.apply_telemetry(records);
        self.dynres.update(self.settings.dynamic_resolution, wall_ms, self.settings.budget_ms());
        if let Some(script) = &mut self.script {
            script.frame_rendered()?;
        }
        self.frame += 1;
        Ok(())
    }

    /// Draws the frame (image + UI) into an offscreen texture of the surface's format and size
    /// that can be copied from, and returns it.
    fn offscreen_copy(&mut self, encoder: &mut wgpu::CommandEncoder, paint: &Paint) -> wgpu::Texture {
        let size = [self.config.width, self.config.height];
        let (texture, view) = match self.offscreen.take() {
            Some((t, v)) if [t.width(), t.height()] == size => (t, v),
            _ => {
                let usage = wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC;
                let t = create_texture(&self.gpu.device, "screenshot", size, self.config.format, usage);
                let v = t.create_view(&Default::default());
                (t, v)
            }
        };
        self.draw_screen(encoder, &view, paint);
        self.offscreen = Some((texture.clone(), view));
        texture
    }

    /// Completes the HUD's samples with the primary method's telemetry records, renumbered
    /// from the upscaler's frame indices to the viewer's.
    fn apply_telemetry(&mut self, records: Option<(u64, Vec<quantsr::TelemetryRecord>)>) {
        let Some((runner, records)) = records else { return };
        let mut mapped = Vec::with_capacity(records.len());
        for mut r in records {
            let Some(pos) = self.pending.iter().position(|p| p.runner == runner && p.upscaler_frame == r.frame) else {
                continue;
            };
            // Frames before it will get no record any more (their runner was recreated).
            let p = self.pending.drain(..=pos).next_back().expect("position is in range");
            r.frame = p.frame;
            mapped.push(r);
        }
        self.history.apply(mapped);
    }

    /// Runs the egui pass: controls, HUD, magnifier window; applies what the user asked for.
    fn build_ui(&mut self, render_size: [u32; 2]) -> Paint {
        let raw = self.egui_state.take_egui_input(&self.window);
        let display = self.integration.display_size();
        let ppp = egui_winit::pixels_per_point(&self.egui_ctx, &self.window);
        // Pointer positions are in points over the window; the image may still be at the size
        // before a resize while it settles.
        let display_per_point = egui::vec2(
            display[0] as f32 / (self.config.width as f32 / ppp),
            display[1] as f32 / (self.config.height as f32 / ppp),
        );
        let adapter = format!("{} ({:?})", self.gpu.info.name, self.gpu.info.backend);
        let info = UiInfo {
            adapter: &adapter,
            caps: &self.gpu.caps,
            display,
            render: render_size,
            history: &self.history,
            has_timings: self.integration.has_timings(),
            scene: &self.integration.scene().name,
            scenes: &self.scenes,
            magnifier: self.settings.magnifier.enabled.then_some(self.magnifier_id),
            display_per_point,
        };
        let mut actions = Vec::new();
        let (settings, camera) = (&mut self.settings, &mut self.camera);
        let output = self.egui_ctx.run_pass(raw, |ctx| actions = ui::draw(ctx, settings, camera, &info));
        self.egui_state.handle_platform_output(&self.window, output.platform_output);
        let jobs = self.egui_ctx.tessellate(output.shapes, output.pixels_per_point);
        for action in actions {
            match action {
                UiAction::Screenshot => self.request_screenshot(),
                UiAction::Scene(name) => match builtin_scene_seeded(&name, self.seed) {
                    Ok(scene) => {
                        let duration = scene.camera.duration().max(scene.default_frames as f32 / 60.0);
                        let mut camera = CameraRig::new(scene.camera.clone(), duration, self.camera.fly.speed);
                        camera.paused = self.camera.paused;
                        self.camera = camera;
                        self.window.set_title(&format!("quantsr viewer: {name}"));
                        if let Err(e) = self.integration.set_scene(scene) {
                            log::error!("cannot switch to scene {name}: {e:#}");
                        }
                    }
                    Err(e) => log::error!("{e}"),
                },
            }
        }
        if self.settings.compare == Some(self.settings.method) {
            self.settings.compare = None;
        }
        // New and changed UI textures go up now (through the queue, before this frame's submit);
        // freed ones are released after the frame is presented.
        let mut delta = output.textures_delta;
        for (id, deltas) in &delta.set {
            for d in deltas {
                self.egui_renderer.update_texture(&self.gpu.device, &self.gpu.queue, *id, d);
            }
        }
        let textures_free = delta.free.iter().copied().collect();
        delta.clear();
        Paint {
            jobs,
            textures_free,
            screen: egui_wgpu::ScreenDescriptor {
                size_in_pixels: [self.config.width, self.config.height],
                pixels_per_point: output.pixels_per_point,
            },
        }
    }

    /// Records the magnifier and the window's frame (image + UI) and returns egui's extra
    /// command buffers, to submit before `encoder`.
    fn record_present(
        &mut self,
        encoder: &mut wgpu::CommandEncoder,
        methods: &[Method],
        target: &wgpu::TextureView,
        paint: &Paint,
    ) -> anyhow::Result<Vec<wgpu::CommandBuffer>> {
        let a = self.integration.output(methods[0])?.clone();
        let b = match methods.get(1) {
            Some(&m) => self.integration.output(m)?.clone(),
            None => a.clone(),
        };
        let display = self.integration.display_size();
        let view = match (methods.len(), self.settings.compare_mode) {
            (1, _) => View::Single,
            (_, CompareMode::Wipe) => View::Wipe { split_x: self.settings.wipe * display[0] as f32 },
            (_, CompareMode::SideBySide) => View::SideBySide,
        };
        let framing = Framing::whole(display, [self.config.width, self.config.height], view);
        self.screen.prepare(&self.gpu, &self.present, &a, &b, &framing);

        let m = self.settings.magnifier;
        if m.enabled {
            // The region around the centre, from whichever image is shown there.
            let mut centre = m.centre;
            let (mut src, mut mag_view) = (&a, View::Single);
            match view {
                View::SideBySide => {
                    let right = centre[0] >= display[0] as f32 / 2.0;
                    centre[0] += if right { -0.25 } else { 0.25 } * display[0] as f32;
                    if right {
                        src = &b;
                    }
                }
                View::Wipe { split_x } => mag_view = View::Wipe { split_x },
                View::Single => {}
            }
            let half = MAGNIFIER_SIZE as f32 / 2.0 / m.zoom as f32;
            let framing = Framing {
                origin: [centre[0] - half, centre[1] - half],
                extent: [2.0 * half, 2.0 * half],
                source_size: display,
                target_size: [MAGNIFIER_SIZE, MAGNIFIER_SIZE],
                view: mag_view,
                line_half_width: 1.0,
            };
            self.magnifier.prepare(&self.gpu, &self.present, src, &b, &framing);
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("magnifier"),
                color_attachments: &[Some(color_attachment(&self.magnifier_view))],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            self.magnifier.draw(&self.present, &mut pass);
        }

        let buffers =
            self.egui_renderer.update_buffers(&self.gpu.device, &self.gpu.queue, encoder, &paint.jobs, &paint.screen);
        self.draw_screen(encoder, target, paint);
        Ok(buffers)
    }

    /// The upscaled image, then the UI over it, into `target` (the surface or a copy of it).
    fn draw_screen(&self, encoder: &mut wgpu::CommandEncoder, target: &wgpu::TextureView, paint: &Paint) {
        let mut pass = encoder
            .begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("present"),
                color_attachments: &[Some(color_attachment(target))],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            })
            .forget_lifetime();
        self.screen.draw(&self.present, &mut pass);
        self.egui_renderer.render(&mut pass, &paint.jobs, &paint.screen);
    }

    /// Writes the telemetry file and prints the frame-rate summary.
    fn finish(mut self) -> anyhow::Result<()> {
        self.gpu.wait_idle()?;
        self.check_gpu_error()?;
        let records = self.integration.finish_telemetry(self.settings.method)?;
        self.apply_telemetry(records);
        if let (Some(path), Some(log)) = (&self.telemetry_path, self.history.log()) {
            let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
            log.write_csv(std::io::BufWriter::new(file)).with_context(|| format!("writing {}", path.display()))?;
            println!("telemetry: {} ({} frames)", path.display(), log.records().len());
        }
        println!("{}", summary(&self.stats, &format!("{} ({:?})", self.gpu.info.name, self.gpu.info.backend)));
        Ok(())
    }
}

/// Median wall-clock frame time per method and display size: the viewer's frame rate.
fn summary(stats: &[FrameStat], adapter: &str) -> String {
    type Group = ((Method, [u32; 2]), Vec<f64>);
    let mut groups: Vec<Group> = Vec::new();
    for s in stats {
        let key = (s.method, s.display);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(s.ms),
            None => groups.push((key, vec![s.ms])),
        }
    }
    let mut lines = vec![format!("quantsr-viewer: {} frames on {adapter}", stats.len())];
    for ((method, display), mut ms) in groups {
        ms.sort_by(f64::total_cmp);
        let median = ms[ms.len() / 2];
        lines.push(format!(
            "  {method:<8} {}x{}: {:>3} frames, median {median:.1} ms ({:.1} fps)",
            display[0],
            display[1],
            ms.len(),
            1000.0 / median
        ));
    }
    lines.join("\n")
}

/// egui's output for one frame.
struct Paint {
    jobs: Vec<egui::ClippedPrimitive>,
    textures_free: Vec<egui::TextureId>,
    screen: egui_wgpu::ScreenDescriptor,
}

fn color_attachment(view: &wgpu::TextureView) -> wgpu::RenderPassColorAttachment<'_> {
    wgpu::RenderPassColorAttachment {
        view,
        depth_slice: None,
        resolve_target: None,
        ops: wgpu::Operations { load: wgpu::LoadOp::Clear(wgpu::Color::BLACK), store: wgpu::StoreOp::Store },
    }
}

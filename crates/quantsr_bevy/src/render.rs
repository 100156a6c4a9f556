//! The render-world half: extraction, one `Upscaler` per view (built off-thread), the render
//! size / jitter / mip bias it needs, and the system in the early post-processing slot (where
//! TAA and DLSS run) that dispatches quantsr into the view target.

use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Mutex, PoisonError};

use bevy::camera::{Camera, Camera3d, CameraMainTextureUsages, Hdr, MainPassResolutionOverride, Projection};
use bevy::core_pipeline::prepass::ViewPrepassTextures;
use bevy::prelude::*;
use bevy::render::MainWorld;
use bevy::render::camera::{MipBias, TemporalJitter};
use bevy::render::render_resource::{TextureFormat, TextureUsages};
use bevy::render::renderer::{
    RenderAdapter, RenderAdapterInfo, RenderContext, RenderDevice, RenderInstance, RenderQueue, ViewQuery,
};
use bevy::render::sync_world::{MainEntity, RenderEntity};
use bevy::render::view::{ExtractedView, Msaa, ViewTarget};
use bevy::time::Real;
use log::{error, info, warn};
use quantsr_gpu::{Capabilities, GpuContext};
use quantsr_upscaler::{
    DispatchInputs, FrameReport, Rung, TAAU_SHARPNESS, TimingSource, Upscaler, UpscalerDescriptor, UpscalerError,
    jitter_offset, jitter_phase_count, mip_bias, render_size,
};

use crate::component::Quantsr;
use crate::conventions;
use crate::telemetry::{SharedTelemetry, UpscalerStatus, ViewTelemetry};

/// The format quantsr writes: Bevy's HDR main texture format.
const OUTPUT_FORMAT: TextureFormat = TextureFormat::Rgba16Float;

/// The main world's last frame time, for the precision controller and telemetry.
#[derive(Resource, Default, Clone, Copy)]
pub(crate) struct HostFrameTime {
    ms: Option<f64>,
}

/// What an upscaler was built for; a view whose wishes leave this rebuilds.
#[derive(Debug, Clone, PartialEq)]
struct BuildKey {
    display: UVec2,
    ratio: f32,
    rungs: Vec<Rung>,
}

impl BuildKey {
    /// Whether an upscaler built for `self` serves `wanted` without a rebuild.
    fn serves(&self, wanted: &BuildKey) -> bool {
        self.display == wanted.display
            && self.ratio == wanted.ratio
            && wanted.rungs.iter().all(|r| self.rungs.contains(r))
    }
}

/// Settings applied to a ready upscaler, to apply changes once.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Applied {
    fixed: Option<Rung>,
    target_fps: f64,
}

enum Slot {
    Building(Receiver<Result<Upscaler, UpscalerError>>),
    Ready(Box<Upscaler>),
    Failed(String),
}

struct ViewInner {
    slot: Slot,
    applied: Option<Applied>,
    /// Frames jittered since the upscaler became ready (the jitter sequence index).
    jitter_frame: u32,
    /// Latest GPU time seen, kept between measurements.
    gpu_ms: Option<f64>,
    builds: u32,
    warned: bool,
    /// The render size was already in place when this frame's views were prepared, so the
    /// frame renders at it and may be upscaled (a `MainPassResolutionOverride` inserted now
    /// takes effect from the next frame).
    active: bool,
}

/// Per-view render-world state: the upscaler (or its build in progress).
#[derive(Component)]
pub(crate) struct QuantsrViewState {
    key: BuildKey,
    inner: Mutex<ViewInner>,
}

impl QuantsrViewState {
    fn inner(&self) -> std::sync::MutexGuard<'_, ViewInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Extract: copies `Quantsr` to the render camera (clearing `reset` in the main world, as
/// Bevy's DLSS does), removes the render-world state of cameras that lost it, and takes the
/// main world's frame time.
pub(crate) fn extract_quantsr(
    mut commands: Commands,
    mut main_world: ResMut<MainWorld>,
    cleanup: Query<(Has<Quantsr>, &MainEntity)>,
    mut host: ResMut<HostFrameTime>,
    shared: Res<SharedTelemetry>,
) {
    host.ms = main_world.get_resource::<Time<Real>>().map(|t| t.delta_secs_f64() * 1000.0);
    let mut cameras =
        main_world.query_filtered::<(RenderEntity, &Camera, &Projection, Option<&mut Quantsr>), With<Hdr>>();
    for (entity, camera, projection, quantsr) in cameras.iter_mut(&mut main_world) {
        let Ok(mut entity_commands) = commands.get_entity(entity) else { continue };
        match quantsr {
            Some(mut q) if camera.is_active && projection.is_perspective() => {
                entity_commands.insert(q.clone());
                if q.reset {
                    q.reset = false;
                }
            }
            _ => {
                if let Ok((true, main)) = cleanup.get(entity) {
                    entity_commands.remove::<(Quantsr, QuantsrViewState, MainPassResolutionOverride)>();
                    let main = main.id();
                    shared.with(|views| views.remove(&main));
                }
            }
        }
    }
}

/// The GPU context quantsr runs on: Bevy's own device, queue, adapter and instance.
fn gpu_context(
    device: &RenderDevice,
    queue: &RenderQueue,
    adapter: &RenderAdapter,
    instance: &RenderInstance,
    info: &RenderAdapterInfo,
) -> GpuContext {
    let device = device.wgpu_device().clone();
    GpuContext {
        instance: (**instance).clone(),
        adapter: (**adapter).clone(),
        caps: Capabilities::from_features(device.features()),
        device,
        queue: (**queue).clone(),
        info: (**info).clone(),
    }
}

/// Starts building an upscaler for `key` on a worker thread (pipeline creation and warm-up
/// take seconds on CPU devices; the render loop never waits for them).
fn start_build(ctx: &GpuContext, key: &BuildKey, quantsr: &Quantsr) -> Slot {
    let mut desc = UpscalerDescriptor::for_ratio(key.display.to_array(), key.ratio).with_rungs(&key.rungs);
    desc.flags = conventions::FLAGS;
    desc.output_format = OUTPUT_FORMAT;
    let neural = key.rungs.iter().any(|r| r.is_neural());
    if !neural {
        desc.model = None;
    }
    let auto_target = quantsr.fixed_rung().is_none().then_some(quantsr.target_fps);
    let ctx = ctx.clone();
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new().name("quantsr upscaler build".into()).spawn(move || {
        let built = Upscaler::new(&ctx, desc).and_then(|mut upscaler| {
            // The component's sharpness is the network's; taau, when the controller falls
            // back to it, keeps its own best.
            if neural {
                upscaler.set_taau_sharpness(Some(TAAU_SHARPNESS));
            }
            // Before the first frame the controller times every rung: do it here, off the
            // render thread.
            if let Some(fps) = auto_target {
                upscaler.enable_controller(upscaler.controller_settings(fps))?;
            }
            Ok(upscaler)
        });
        let _ = tx.send(built);
    });
    match spawned {
        Ok(_) => Slot::Building(rx),
        Err(e) => Slot::Failed(format!("could not start the build thread: {e}")),
    }
}

/// Applies precision changes to a ready upscaler (no rebuild: the rung set already holds them).
fn apply_settings(upscaler: &mut Upscaler, quantsr: &Quantsr, applied: &mut Option<Applied>) {
    let wanted = Applied { fixed: quantsr.fixed_rung(), target_fps: quantsr.target_fps };
    if *applied == Some(wanted) {
        return;
    }
    let result = match wanted.fixed {
        Some(rung) => upscaler.set_rung(rung),
        None => {
            let target_changed = applied.is_some_and(|a| a.target_fps != wanted.target_fps);
            match upscaler.controller_mut() {
                Some(controller) if !target_changed => {
                    controller.set_fixed(None);
                    Ok(())
                }
                _ => upscaler.enable_controller(upscaler.controller_settings(wanted.target_fps)),
            }
        }
    };
    if let Err(e) = result {
        warn!("quantsr: could not apply {wanted:?}: {e}");
    }
    *applied = Some(wanted);
}

/// Render, before the view targets are made: (re)builds upscalers, and for ready ones sets
/// the render size (`MainPassResolutionOverride`), the jitter and the mip bias of this frame.
#[expect(clippy::too_many_arguments, reason = "a Bevy system's parameters")]
#[expect(clippy::type_complexity, reason = "a Bevy query")]
pub(crate) fn prepare_quantsr(
    mut commands: Commands,
    mut views: Query<(
        Entity,
        &MainEntity,
        &ExtractedView,
        &Quantsr,
        &Msaa,
        &mut Camera3d,
        &mut CameraMainTextureUsages,
        &mut TemporalJitter,
        &mut MipBias,
        Option<&MainPassResolutionOverride>,
        Option<&mut QuantsrViewState>,
    )>,
    device: Res<RenderDevice>,
    queue: Res<RenderQueue>,
    adapter: Res<RenderAdapter>,
    instance: Res<RenderInstance>,
    info: Res<RenderAdapterInfo>,
    mut ctx: Local<Option<GpuContext>>,
    shared: Res<SharedTelemetry>,
) {
    for (entity, main, view, quantsr, msaa, mut camera_3d, mut usages, mut jitter, mut bias, resolution, state) in
        &mut views
    {
        // quantsr writes the view target as a storage texture and reads the prepass depth.
        usages.0 |= TextureUsages::STORAGE_BINDING;
        let depth_usages = TextureUsages::from(camera_3d.depth_texture_usages) | TextureUsages::TEXTURE_BINDING;
        camera_3d.depth_texture_usages = depth_usages.into();

        let display = view.viewport.zw();
        let wanted = BuildKey { display, ratio: quantsr.scale.ratio(), rungs: quantsr.required_rungs() };
        let ctx = ctx.get_or_insert_with(|| gpu_context(&device, &queue, &adapter, &instance, &info));
        let mut state = match state {
            Some(state) if state.key.serves(&wanted) => state,
            state => {
                // The old upscaler (if any) stops now: this frame may already render at
                // another size.
                let builds = state.map_or(0, |s| {
                    let mut old = s.inner();
                    old.active = false;
                    old.builds
                }) + 1;
                info!("quantsr: building an upscaler for {display} at {}x, rungs {:?}", wanted.ratio, wanted.rungs);
                let slot = start_build(ctx, &wanted, quantsr);
                let inner = ViewInner {
                    slot,
                    applied: None,
                    jitter_frame: 0,
                    gpu_ms: None,
                    builds,
                    warned: false,
                    active: false,
                };
                commands.entity(entity).insert(QuantsrViewState { key: wanted, inner: Mutex::new(inner) });
                if resolution.is_some() {
                    commands.entity(entity).remove::<MainPassResolutionOverride>();
                }
                shared.with(|v| {
                    v.insert(main.id(), ViewTelemetry { display_size: display, builds, ..Default::default() })
                });
                continue;
            }
        };
        let inner = state.inner.get_mut().unwrap_or_else(PoisonError::into_inner);
        inner.active = false;
        if let Slot::Building(rx) = &inner.slot {
            inner.slot = match rx.try_recv() {
                Err(TryRecvError::Empty) => continue,
                Ok(Ok(upscaler)) => Slot::Ready(Box::new(upscaler)),
                Ok(Err(e)) => Slot::Failed(e.to_string()),
                Err(TryRecvError::Disconnected) => Slot::Failed("the build thread panicked".into()),
            };
            let status = match &inner.slot {
                Slot::Failed(e) => {
                    error!("quantsr: no upscaler for this view, rendering natively: {e}");
                    UpscalerStatus::Failed(e.clone())
                }
                _ => UpscalerStatus::Ready,
            };
            shared.with(|v| v.entry(main.id()).or_default().status = status);
        }
        let native = match &inner.slot {
            Slot::Ready(_) if *msaa != Msaa::Off => {
                if !inner.warned {
                    warn!("quantsr needs Msaa::Off on its camera; rendering natively");
                    inner.warned = true;
                }
                true
            }
            Slot::Ready(_) => false,
            _ => true,
        };
        if native {
            if resolution.is_some() {
                commands.entity(entity).remove::<MainPassResolutionOverride>();
            }
            continue;
        }
        let Slot::Ready(upscaler) = &mut inner.slot else { continue };
        apply_settings(upscaler, quantsr, &mut inner.applied);
        let render = UVec2::from_array(render_size(display.to_array(), wanted.ratio));
        if resolution.map(|r| r.0) != Some(render) {
            commands.entity(entity).insert(MainPassResolutionOverride(render));
            continue;
        }
        inner.active = true;
        let phases = jitter_phase_count(render.x, display.x);
        jitter.offset = conventions::jitter_to_bevy(jitter_offset(inner.jitter_frame, phases));
        bias.0 = mip_bias(render.x, display.x);
        inner.jitter_frame = inner.jitter_frame.wrapping_add(1);
    }
}

/// Early post-processing (TAA's and DLSS's slot): upscales the render-size main pass into
/// the other main texture at display size, through `ViewTarget::post_process_write`.
pub(crate) fn quantsr_upscale(
    view: ViewQuery<(
        &MainEntity,
        &Quantsr,
        &QuantsrViewState,
        &MainPassResolutionOverride,
        &TemporalJitter,
        &ViewTarget,
        &ViewPrepassTextures,
    )>,
    host: Res<HostFrameTime>,
    shared: Res<SharedTelemetry>,
    mut ctx: RenderContext,
) {
    let (main, quantsr, state, resolution, jitter, target, prepass) = view.into_inner();
    let mut inner = state.inner();
    let inner = &mut *inner;
    let Slot::Ready(upscaler) = &mut inner.slot else { return };
    if !inner.active || resolution.0.x > state.key.display.x || resolution.0.y > state.key.display.y {
        return;
    }
    let (Some(depth), Some(motion)) = (&prepass.depth, &prepass.motion_vectors) else {
        return;
    };
    // Checked before `post_process_write` flips the main texture, so a view quantsr cannot
    // serve is left exactly as rendered.
    let main_texture = target.main_texture();
    let display = state.key.display;
    let problem = if target.main_texture_format() != OUTPUT_FORMAT {
        Some(format!("the main texture is {:?}, not {OUTPUT_FORMAT:?} (add Hdr)", target.main_texture_format()))
    } else if main_texture.width() != display.x || main_texture.height() != display.y {
        Some(format!(
            "the view target is {}x{} but the viewport is {display}: viewports smaller than the target are not supported",
            main_texture.width(),
            main_texture.height()
        ))
    } else if !main_texture.usage().contains(TextureUsages::STORAGE_BINDING) {
        Some("the main texture has no STORAGE_BINDING yet".to_owned())
    } else {
        None
    };
    if let Some(problem) = problem {
        if !inner.warned {
            warn!("quantsr: skipping the view: {problem}");
            inner.warned = true;
        }
        return;
    }
    let render_size = resolution.0;
    let post = target.post_process_write();
    let inputs = DispatchInputs {
        color: post.source,
        depth: &depth.texture.default_view,
        motion_vectors: &motion.texture.default_view,
        exposure: None,
        reactive: None,
        output: post.destination,
        jitter: conventions::jitter_from_bevy(jitter.offset),
        motion_vector_scale: conventions::MOTION_VECTOR_SCALE,
        render_size: render_size.to_array(),
        reset: quantsr.reset,
        frame_time_delta_ms: host.ms.unwrap_or(0.0) as f32,
        sharpness: (quantsr.sharpness > 0.0).then_some(quantsr.sharpness),
        camera: None,
        debug_view: Default::default(),
    };
    let frame = match upscaler.dispatch(ctx.command_encoder(), &inputs) {
        Ok(frame) => frame,
        Err(e) => {
            error!("quantsr: dispatch failed: {e}");
            inner.slot = Slot::Failed(e.to_string());
            shared.with(|v| v.entry(main.id()).or_default().status = UpscalerStatus::Failed(e.to_string()));
            return;
        }
    };
    upscaler.report_frame(frame.frame_index, FrameReport { other_gpu_ms: None, host_frame_ms: host.ms });
    // GPU time: the controller's measure where timestamps are not trusted (CPU devices), else
    // the timestamps of the upscaler's passes.
    let timestamps = upscaler.take_timings().last().map(|t| t.total_ms());
    let controller = upscaler.drain_telemetry().iter().rev().find_map(|r| r.upscaler_ms);
    let measured = match upscaler.timing_source() {
        Some(TimingSource::Completion) => controller.or(timestamps),
        _ => timestamps.or(controller),
    };
    inner.gpu_ms = measured.or(inner.gpu_ms);
    let telemetry = ViewTelemetry {
        status: UpscalerStatus::Ready,
        rung: Some(frame.rung),
        gpu_ms: inner.gpu_ms,
        render_size,
        display_size: display,
        frames: frame.frame_index + 1,
        budget_ms: frame.budget_ms,
        available_rungs: upscaler.available_rungs(),
        builds: inner.builds,
    };
    shared.with(|v| v.insert(main.id(), telemetry));
}

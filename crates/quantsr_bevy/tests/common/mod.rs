//! A tiny lit, textured scene rendered headless (to an image, no window) on whatever device
//! Bevy finds; shared by the integration tests. No adapter means Bevy's render plugin panics:
//! the tests fail loudly instead of skipping.

#![allow(dead_code, reason = "each test binary uses part of this module")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bevy::anti_alias::taa::TemporalAntiAliasing;
use bevy::app::PluginsState;
use bevy::asset::RenderAssetUsages;
use bevy::camera::{Hdr, RenderTarget};
use bevy::core_pipeline::tonemapping::{DebandDither, Tonemapping};
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::render::gpu_readback::{Readback, ReadbackComplete};
use bevy::render::pipelined_rendering::PipelinedRenderingPlugin;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat, TextureUsages};
use bevy::window::{ExitCondition, WindowPlugin};
use bevy::winit::WinitPlugin;
use quantsr_bevy::{Quantsr, QuantsrPlugin, QuantsrTelemetry, UpscalerStatus};

/// How the test camera renders.
#[derive(Clone, Debug)]
pub enum Variant {
    /// Plain rendering at the target size.
    Plain,
    /// Bevy's TAA at the target size.
    Taa,
    /// quantsr upscaling into the target.
    Quantsr(Quantsr),
}

/// The camera of the test scene: the pose of frame `i` (slow sideways drift looking at the
/// middle of the scene), a pure function of the frame index so every variant sees the same
/// path.
pub fn camera_pose(i: u32) -> Transform {
    let t = i as f32;
    Transform::from_xyz(-1.0 + 0.02 * t, 2.2, 6.0).looking_at(Vec3::new(0.0, 0.6, 0.0), Vec3::Y)
}

/// Which frame's pose the camera takes this update.
#[derive(Resource, Default)]
pub struct PoseFrame(pub u32);

#[derive(Component)]
struct TestCamera;

fn checker(size: u32, cells: u32) -> Image {
    let mut data = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            let c = ((x * cells / size) + (y * cells / size)) % 2;
            let (r, g, b) = if c == 0 { (235, 225, 200) } else { (40, 60, 120) };
            data.extend_from_slice(&[r, g, b, 255]);
        }
    }
    Image::new(
        Extent3d { width: size, height: size, depth_or_array_layers: 1 },
        TextureDimension::D2,
        data,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::default(),
    )
}

/// A checkered floor, textured cubes and spheres, a sun and a point light.
pub fn spawn_scene(
    commands: &mut Commands,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<StandardMaterial>,
    images: &mut Assets<Image>,
) {
    let fine = images.add(checker(256, 32));
    let coarse = images.add(checker(64, 8));
    let floor = materials.add(StandardMaterial { base_color_texture: Some(fine.clone()), ..default() });
    let boxes = materials.add(StandardMaterial { base_color_texture: Some(coarse), ..default() });
    let shiny = materials.add(StandardMaterial {
        base_color: Color::srgb(0.8, 0.3, 0.2),
        base_color_texture: Some(fine),
        perceptual_roughness: 0.3,
        ..default()
    });
    commands.spawn((Mesh3d(meshes.add(Plane3d::default().mesh().size(12.0, 12.0))), MeshMaterial3d(floor)));
    for (i, x) in [-1.6f32, 0.0, 1.6].into_iter().enumerate() {
        commands.spawn((
            Mesh3d(meshes.add(Cuboid::new(0.9, 0.9, 0.9))),
            MeshMaterial3d(boxes.clone()),
            Transform::from_xyz(x, 0.45, -0.5 * i as f32).with_rotation(Quat::from_rotation_y(0.4 * i as f32)),
        ));
        commands.spawn((
            Mesh3d(meshes.add(Sphere::new(0.35).mesh().uv(24, 16))),
            MeshMaterial3d(shiny.clone()),
            Transform::from_xyz(x + 0.7, 0.35, 1.0),
        ));
    }
    commands.spawn((
        DirectionalLight { illuminance: 8000.0, shadow_maps_enabled: false, ..default() },
        Transform::from_xyz(3.0, 6.0, 4.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
    commands.spawn((
        PointLight { intensity: 200_000.0, shadow_maps_enabled: false, ..default() },
        Transform::from_xyz(-2.0, 2.5, 2.0),
    ));
}

/// A headless Bevy app (no window, no pipelined rendering, pipelines compiled synchronously)
/// with the quantsr plugin, ready to `update()`.
pub fn headless_app() -> App {
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin { primary_window: None, exit_condition: ExitCondition::DontExit, ..default() })
            .set(RenderPlugin { synchronous_pipeline_compilation: true, ..default() })
            .disable::<WinitPlugin>()
            .disable::<PipelinedRenderingPlugin>(),
    );
    app.add_plugins(QuantsrPlugin);
    app.init_resource::<PoseFrame>();
    app.add_systems(Update, |pose: Res<PoseFrame>, mut cams: Query<&mut Transform, With<TestCamera>>| {
        for mut t in &mut cams {
            *t = camera_pose(pose.0);
        }
    });
    while app.plugins_state() == PluginsState::Adding {
        bevy::tasks::tick_global_task_pools_on_main_thread();
    }
    app.finish();
    app.cleanup();
    app
}

/// A render-target image of `size` that can be read back.
pub fn target_image(app: &mut App, size: UVec2) -> Handle<Image> {
    let mut image = Image::new_target_texture(size.x, size.y, TextureFormat::Rgba8UnormSrgb, None);
    image.texture_descriptor.usage |= TextureUsages::COPY_SRC;
    app.world_mut().resource_mut::<Assets<Image>>().add(image)
}

/// Spawns the scene and the test camera rendering into `target` with `variant`; returns the
/// camera entity.
pub fn spawn_camera_and_scene(app: &mut App, target: Handle<Image>, variant: &Variant) -> Entity {
    let world = app.world_mut();
    world.resource_scope(|world, mut meshes: Mut<Assets<Mesh>>| {
        world.resource_scope(|world, mut materials: Mut<Assets<StandardMaterial>>| {
            world.resource_scope(|world, mut images: Mut<Assets<Image>>| {
                let mut commands = world.commands();
                spawn_scene(&mut commands, &mut meshes, &mut materials, &mut images);
            })
        })
    });
    world.flush();
    let mut camera = world.spawn((
        Camera3d::default(),
        RenderTarget::Image(target.into()),
        Hdr,
        Msaa::Off,
        Tonemapping::Reinhard,
        DebandDither::Disabled,
        camera_pose(0),
        TestCamera,
    ));
    match variant {
        Variant::Plain => {}
        Variant::Taa => {
            camera.insert(TemporalAntiAliasing::default());
        }
        Variant::Quantsr(q) => {
            camera.insert(q.clone());
        }
    }
    camera.id()
}

/// Updates until the camera's upscaler is ready (at most `timeout`), panicking if it failed.
pub fn wait_ready(app: &mut App, camera: Entity, timeout: Duration) {
    let start = Instant::now();
    loop {
        app.update();
        let status = app.world().resource::<QuantsrTelemetry>().view(camera).map(|v| v.status.clone());
        match status {
            Some(UpscalerStatus::Ready) => return,
            Some(UpscalerStatus::Failed(e)) => panic!("the upscaler failed: {e}"),
            _ => {}
        }
        assert!(start.elapsed() < timeout, "the upscaler was not ready after {timeout:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Reads back `target` as it is after the next update (RGBA8, rows unpadded).
pub fn read_back(app: &mut App, target: &Handle<Image>, size: UVec2) -> Vec<u8> {
    let slot: Arc<Mutex<Option<Vec<u8>>>> = Arc::default();
    let sink = slot.clone();
    // A plain `Readback` (despawned after its first result): `ReadbackOnce` would be removed
    // by the next `First` before it is extracted, since this runs outside the schedule.
    let reader = app
        .world_mut()
        .spawn(Readback::texture(target.clone()))
        .observe(move |ev: On<ReadbackComplete>| {
            let mut slot = sink.lock().unwrap();
            if slot.is_none() {
                *slot = Some(ev.data.clone());
            }
        })
        .id();
    for _ in 0..20 {
        app.update();
        // Headless, nothing else polls the device: the mapping completes when we do.
        let device = app.world().resource::<bevy::render::renderer::RenderDevice>().wgpu_device().clone();
        device.poll(wgpu::PollType::wait_indefinitely()).expect("device poll");
        if let Some(data) = slot.lock().unwrap().take() {
            app.world_mut().despawn(reader);
            return unpad(data, size);
        }
    }
    panic!("no readback after 20 frames");
}

fn unpad(data: Vec<u8>, size: UVec2) -> Vec<u8> {
    let row = size.x as usize * 4;
    let padded = row.div_ceil(256) * 256;
    if data.len() == row * size.y as usize {
        return data;
    }
    assert!(data.len() >= padded * size.y as usize, "readback of {} bytes for {size}", data.len());
    data.chunks(padded).take(size.y as usize).flat_map(|r| r[..row].to_vec()).collect()
}

/// Renders `frames` frames of the scene into a `size` target with `variant` (the last at
/// `camera_pose(last_pose)`) and reads the last one back as RGB floats in [0, 1].
pub fn render(size: UVec2, variant: &Variant, frames: u32, last_pose: u32) -> Vec<[f32; 3]> {
    let mut app = headless_app();
    let target = target_image(&mut app, size);
    let camera = spawn_camera_and_scene(&mut app, target.clone(), variant);
    let first = last_pose + 1 - frames;
    app.world_mut().resource_mut::<PoseFrame>().0 = first;
    // Warm-up at the first pose: assets are uploaded and meshes prepared over the first
    // frames, and a quantsr camera waits for its upscaler.
    for _ in 0..8 {
        app.update();
    }
    if matches!(variant, Variant::Quantsr(_)) {
        wait_ready(&mut app, camera, Duration::from_secs(900));
    }
    for i in first..last_pose {
        app.world_mut().resource_mut::<PoseFrame>().0 = i;
        app.update();
    }
    app.world_mut().resource_mut::<PoseFrame>().0 = last_pose;
    let data = read_back(&mut app, &target, size);
    data.chunks(4).map(|p| [p[0], p[1], p[2]].map(|c| c as f32 / 255.0)).collect()
}

/// Bilinear resampling (pixel centres aligned, edges clamped) of an RGB image.
pub fn bilinear(src: &[[f32; 3]], from: UVec2, to: UVec2) -> Vec<[f32; 3]> {
    let mut out = Vec::with_capacity((to.x * to.y) as usize);
    let at =
        |x: i64, y: i64| src[(y.clamp(0, from.y as i64 - 1) * from.x as i64 + x.clamp(0, from.x as i64 - 1)) as usize];
    for y in 0..to.y {
        for x in 0..to.x {
            let sx = (x as f32 + 0.5) * from.x as f32 / to.x as f32 - 0.5;
            let sy = (y as f32 + 0.5) * from.y as f32 / to.y as f32 - 0.5;
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - x0, sy - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            let mut c = [0.0; 3];
            for (k, ck) in c.iter_mut().enumerate() {
                let top = at(x0, y0)[k] * (1.0 - fx) + at(x0 + 1, y0)[k] * fx;
                let bottom = at(x0, y0 + 1)[k] * (1.0 - fx) + at(x0 + 1, y0 + 1)[k] * fx;
                *ck = top * (1.0 - fy) + bottom * fy;
            }
            out.push(c);
        }
    }
    out
}

/// Box-filter downsampling by an integer factor (a supersampled reference).
pub fn box_down(src: &[[f32; 3]], from: UVec2, factor: u32) -> Vec<[f32; 3]> {
    let to = from / factor;
    let mut out = Vec::with_capacity((to.x * to.y) as usize);
    for y in 0..to.y {
        for x in 0..to.x {
            let mut c = [0.0; 3];
            for dy in 0..factor {
                for dx in 0..factor {
                    let p = src[((y * factor + dy) * from.x + x * factor + dx) as usize];
                    for k in 0..3 {
                        c[k] += p[k];
                    }
                }
            }
            out.push(c.map(|v| v / (factor * factor) as f32));
        }
    }
    out
}

/// PSNR in dB of `a` against `reference` (values in [0, 1]).
pub fn psnr(a: &[[f32; 3]], reference: &[[f32; 3]]) -> f64 {
    assert_eq!(a.len(), reference.len());
    let mse: f64 = a
        .iter()
        .zip(reference)
        .flat_map(|(p, q)| (0..3).map(move |k| (p[k] as f64 - q[k] as f64).powi(2)))
        .sum::<f64>()
        / (a.len() * 3) as f64;
    10.0 * (1.0 / mse.max(1e-12)).log10()
}

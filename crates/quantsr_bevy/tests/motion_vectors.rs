//! (b) Motion vectors: a camera panning sideways at a known speed in front of a wall. Bevy's
//! prepass motion vectors are read back from the GPU (at render size, under quantsr's
//! `MainPassResolutionOverride`) and converted with `quantsr_bevy::conventions`; the result
//! must be the analytic motion within 0.1 render pixel.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bevy::camera::{Hdr, MainPassResolutionOverride, RenderTarget};
use bevy::core_pipeline::prepass::ViewPrepassTextures;
use bevy::core_pipeline::schedule::{Core3d, Core3dSystems};
use bevy::prelude::*;
use bevy::render::renderer::{RenderContext, RenderDevice, ViewQuery};
use bevy::render::{Render, RenderApp, RenderSystems};
use quantsr_bevy::{QualityMode, Quantsr, QuantsrMethod, QuantsrScale, conventions};
use wgpu::util::DeviceExt as _;

const DISPLAY: UVec2 = UVec2::new(256, 144);
const WALL_DISTANCE: f32 = 5.0;
const SPEED: f32 = 0.05; // world units per frame, along +x

/// The motion vectors of the render rectangle, and the render size.
type Capture = (Vec<Vec2>, UVec2);

/// The last capture, shared between the render world and the test.
#[derive(Resource, Clone, Default)]
struct Captured(Arc<Mutex<Option<Capture>>>);

/// Render world: the copy in flight.
#[derive(Resource, Default)]
struct InFlight(Option<(wgpu::Buffer, UVec2, UVec2)>);

const SHADER: &str = r"
@group(0) @binding(0) var mv: texture_2d<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<vec2<f32>>;
@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let size = textureDimensions(mv);
    if id.x >= size.x || id.y >= size.y { return; }
    out[id.y * size.x + id.x] = textureLoad(mv, vec2<i32>(id.xy), 0).xy;
}";

/// Core3d, after the main passes: copies the motion-vector prepass texture into a buffer
/// (the texture has no COPY_SRC, so a compute pass loads it).
fn copy_motion_vectors(
    view: ViewQuery<(&ViewPrepassTextures, &MainPassResolutionOverride)>,
    mut pipeline: Local<Option<(wgpu::ComputePipeline, wgpu::BindGroupLayout)>>,
    mut in_flight: ResMut<InFlight>,
    mut ctx: RenderContext,
) {
    let (prepass, resolution) = view.into_inner();
    let Some(mv) = &prepass.motion_vectors else { return };
    let device = ctx.render_device().wgpu_device().clone();
    let (pipeline, layout) = pipeline.get_or_insert_with(|| {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("mv readback"),
            source: wgpu::ShaderSource::Wgsl(SHADER.into()),
        });
        let p = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("mv readback"),
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        let l = p.get_bind_group_layout(0);
        (p, l)
    });
    let texture = &mv.texture.texture;
    let size = UVec2::new(texture.width(), texture.height());
    let bytes = u64::from(size.x * size.y) * 8;
    let storage = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("mv storage"),
        size: bytes,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let readback = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("mv readback"),
        contents: &vec![0u8; bytes as usize],
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
    });
    let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout,
        entries: &[
            wgpu::BindGroupEntry { binding: 0, resource: wgpu::BindingResource::TextureView(&mv.texture.default_view) },
            wgpu::BindGroupEntry { binding: 1, resource: storage.as_entire_binding() },
        ],
    });
    let encoder = ctx.command_encoder();
    {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(size.x.div_ceil(8), size.y.div_ceil(8), 1);
    }
    encoder.copy_buffer_to_buffer(&storage, 0, &readback, 0, bytes);
    in_flight.0 = Some((readback, size, resolution.0));
}

/// Render cleanup (after the frame was submitted): maps the copy and hands it over.
fn map_motion_vectors(mut in_flight: ResMut<InFlight>, device: Res<RenderDevice>, captured: Res<Captured>) {
    let Some((buffer, size, render)) = in_flight.0.take() else { return };
    buffer.slice(..).map_async(wgpu::MapMode::Read, |r| r.expect("map"));
    device.wgpu_device().poll(wgpu::PollType::wait_indefinitely()).expect("poll");
    let data = buffer.slice(..).get_mapped_range().expect("mapped range");
    let all: &[[f32; 2]] = bytemuck::cast_slice(&data);
    let mut rect = Vec::with_capacity((render.x * render.y) as usize);
    for y in 0..render.y {
        for x in 0..render.x {
            rect.push(Vec2::from_array(all[(y * size.x + x) as usize]));
        }
    }
    *captured.0.lock().unwrap() = Some((rect, render));
}

#[test]
fn converted_motion_vectors_match_a_known_camera_pan() {
    let mut app = common::headless_app();
    let captured = Captured::default();
    app.sub_app_mut(RenderApp)
        .insert_resource(captured.clone())
        .init_resource::<InFlight>()
        .add_systems(Core3d, copy_motion_vectors.in_set(Core3dSystems::PostProcess))
        .add_systems(Render, map_motion_vectors.in_set(RenderSystems::Cleanup));
    let target = common::target_image(&mut app, DISPLAY);
    let world = app.world_mut();
    let mesh = world.resource_mut::<Assets<Mesh>>().add(Plane3d::new(Vec3::Z, Vec2::splat(60.0)).mesh());
    let material = world.resource_mut::<Assets<StandardMaterial>>().add(StandardMaterial::default());
    world.spawn((Mesh3d(mesh), MeshMaterial3d(material), Transform::from_xyz(0.0, 0.0, -WALL_DISTANCE)));
    world.spawn((DirectionalLight::default(), Transform::from_xyz(1.0, 2.0, 3.0).looking_at(Vec3::ZERO, Vec3::Y)));
    let quantsr =
        Quantsr { scale: QuantsrScale::Mode(QualityMode::Performance), method: QuantsrMethod::Taau, ..default() };
    let camera = world
        .spawn((
            Camera3d::default(),
            RenderTarget::Image(target.into()),
            Hdr,
            Msaa::Off,
            Transform::from_xyz(0.0, 0.0, 0.0),
            quantsr,
        ))
        .id();
    common::wait_ready(&mut app, camera, Duration::from_secs(300));
    let mut x = 0.0;
    for _ in 0..4 {
        x += SPEED;
        app.world_mut().entity_mut(camera).get_mut::<Transform>().unwrap().translation.x = x;
        app.update();
    }
    let (mvs, render) = captured.0.lock().unwrap().take().expect("no motion vectors were captured");
    assert_eq!(render, DISPLAY / 2, "the prepass did not run at the render size");
    let projection = match app.world().entity(camera).get::<Projection>().unwrap() {
        Projection::Perspective(p) => p.clone(),
        _ => unreachable!(),
    };
    // A wall point at x_w projects to ndc.x = P00 (x_w − x_cam) / D: moving the camera by
    // +SPEED moves it by −P00·SPEED/D in NDC, i.e. (w/2)·that in pixels; quantsr's motion
    // (previous − current) is the opposite.
    let p00 = 1.0 / (projection.aspect_ratio * (projection.fov / 2.0).tan());
    let expected = Vec2::new(p00 * SPEED / WALL_DISTANCE * render.x as f32 / 2.0, 0.0);
    let converted: Vec<Vec2> = mvs.iter().map(|&mv| conventions::motion_to_render_pixels(mv, render)).collect();
    let worst = converted.iter().map(|m| (*m - expected).abs().max_element()).fold(0.0f32, f32::max);
    let mean = converted.iter().sum::<Vec2>() / converted.len() as f32;
    println!("render {render}: expected {expected} render px, mean converted {mean}, worst error {worst:.4} px");
    assert!(worst < 0.1, "converted motion is off by {worst} render pixels (expected {expected}, mean {mean})");
}

//! quantsr in a Bevy app: a lit glTF scene seen by a camera moving on a path, upscaled 2×.
//!
//! `cargo run --release -p quantsr_bevy --example scene`
//!
//! Keys: `1` native rendering without AA, `2` Bevy's TAA at native resolution, `3` quantsr
//! TAAU, `4` quantsr neural (the default), `P` cycles the precision (auto, f32, f16, int8,
//! lite-int8). The window title shows the rung, the upscaler's GPU time and the sizes.

use bevy::anti_alias::taa::TemporalAntiAliasing;
use bevy::camera::Hdr;
use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use quantsr_bevy::{Precision, Quantsr, QuantsrMethod, QuantsrPlugin, QuantsrTelemetry, Rung};

/// The camera the keys act on.
#[derive(Component)]
struct MainCamera;

/// What `1`–`4` chose, and the precision `P` cycles.
#[derive(Resource)]
struct Choice {
    mode: u8,
    precision: Precision,
}

fn main() {
    App::new()
        .add_plugins(
            DefaultPlugins.set(AssetPlugin {
                file_path: concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets").into(),
                ..default()
            }),
        )
        .add_plugins(QuantsrPlugin)
        .insert_resource(Choice { mode: 4, precision: Precision::Auto })
        .add_systems(Startup, setup)
        .add_systems(Update, (fly, keys, title))
        .run();
}

fn setup(
    mut commands: Commands,
    assets: Res<AssetServer>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    commands.spawn(WorldAssetRoot(
        assets.load(GltfAssetLabel::Scene(0).from_asset("gltf/ClearCoatTest/ClearCoatTest.gltf")),
    ));
    commands.spawn((
        WorldAssetRoot(assets.load(GltfAssetLabel::Scene(0).from_asset("gltf/BoxTextured/BoxTextured.gltf"))),
        Transform::from_xyz(0.0, -3.0, 2.0).with_scale(Vec3::splat(1.5)),
    ));
    commands.spawn((
        Mesh3d(meshes.add(Plane3d::default().mesh().size(40.0, 40.0))),
        MeshMaterial3d(materials.add(StandardMaterial { base_color: Color::srgb(0.35, 0.4, 0.45), ..default() })),
        Transform::from_xyz(0.0, -4.0, 0.0),
    ));
    commands.spawn((
        DirectionalLight { illuminance: 10_000.0, shadow_maps_enabled: true, ..default() },
        Transform::from_xyz(4.0, 8.0, 6.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
    commands.spawn((
        Camera3d::default(),
        Hdr,
        Msaa::Off,
        Tonemapping::Reinhard,
        Transform::from_xyz(0.0, 0.0, 14.0).looking_at(Vec3::ZERO, Vec3::Y),
        Quantsr::default(),
        MainCamera,
    ));
}

/// The camera's path: a slow orbit with a gentle bob.
fn fly(time: Res<Time>, mut camera: Query<&mut Transform, With<MainCamera>>) {
    let t = time.elapsed_secs() * 0.25;
    for mut transform in &mut camera {
        *transform = Transform::from_xyz(12.0 * t.sin(), 1.5 + 1.5 * (t * 1.7).sin(), 12.0 * t.cos())
            .looking_at(Vec3::new(0.0, -1.0, 0.0), Vec3::Y);
    }
}

fn keys(
    input: Res<ButtonInput<KeyCode>>,
    mut choice: ResMut<Choice>,
    mut commands: Commands,
    camera: Query<Entity, With<MainCamera>>,
) {
    let Ok(camera) = camera.single() else { return };
    for (key, mode) in [(KeyCode::Digit1, 1), (KeyCode::Digit2, 2), (KeyCode::Digit3, 3), (KeyCode::Digit4, 4)] {
        if input.just_pressed(key) {
            choice.mode = mode;
        }
    }
    if input.just_pressed(KeyCode::KeyP) {
        let all = Precision::all();
        let i = all.iter().position(|p| *p == choice.precision).unwrap_or(0);
        choice.precision = all[(i + 1) % all.len()];
        if choice.mode < 3 {
            choice.mode = 4;
        }
    }
    if !choice.is_changed() {
        return;
    }
    let mut camera = commands.entity(camera);
    camera.remove::<(Quantsr, TemporalAntiAliasing)>();
    match choice.mode {
        1 => {}
        2 => {
            camera.insert(TemporalAntiAliasing::default());
        }
        mode => {
            let method = if mode == 3 { QuantsrMethod::Taau } else { QuantsrMethod::Neural };
            camera.insert(Quantsr { method, precision: choice.precision, target_fps: 60.0, ..default() });
        }
    }
}

fn title(
    telemetry: Res<QuantsrTelemetry>,
    choice: Res<Choice>,
    camera: Query<Entity, With<MainCamera>>,
    mut window: Query<&mut Window, With<PrimaryWindow>>,
) {
    let (Ok(camera), Ok(mut window)) = (camera.single(), window.single_mut()) else { return };
    let precision = match choice.precision {
        Precision::Auto => "auto".to_owned(),
        Precision::Fixed(r) => Rung::name(r).to_owned(),
    };
    let line = match choice.mode {
        1 => "native, no AA  [1 off, 2 TAA, 3 quantsr taau, 4 quantsr neural, P precision]".to_owned(),
        2 => "Bevy TAA, native  [1 off, 2 TAA, 3 quantsr taau, 4 quantsr neural, P precision]".to_owned(),
        _ => format!("{} (precision {precision})  [1/2/3/4, P]", telemetry.summary(camera)),
    };
    if window.title != line {
        window.title = line;
    }
}

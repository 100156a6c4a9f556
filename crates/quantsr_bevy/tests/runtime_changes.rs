//! (c) Switching precision, method and quality mode at run time, resizing the target and
//! turning the component off and on never panics; each change is served (rebuilding the
//! upscaler only when the new settings need rungs or sizes it lacks).

mod common;

use std::time::Duration;

use bevy::camera::RenderTarget;
use bevy::prelude::*;
use quantsr_bevy::{
    Precision, QualityMode, Quantsr, QuantsrMethod, QuantsrScale, QuantsrTelemetry, Rung, UpscalerStatus,
};

const TIMEOUT: Duration = Duration::from_secs(900);

fn telemetry(app: &App, camera: Entity) -> quantsr_bevy::ViewTelemetry {
    app.world().resource::<QuantsrTelemetry>().view(camera).cloned().expect("no telemetry for the camera")
}

fn set(app: &mut App, camera: Entity, f: impl FnOnce(&mut Quantsr)) {
    f(&mut app.world_mut().entity_mut(camera).get_mut::<Quantsr>().unwrap());
}

/// Runs `n` frames and checks the view is upscaling at `render` → `display`.
fn run_and_check(app: &mut App, camera: Entity, n: u32, render: UVec2, display: UVec2) -> quantsr_bevy::ViewTelemetry {
    // A change reaches the render world a frame or two later (a new target size first goes
    // through the camera's own update): wait until the view is served at the new sizes.
    let start = std::time::Instant::now();
    loop {
        common::wait_ready(app, camera, TIMEOUT);
        let t = telemetry(app, camera);
        if (t.render_size, t.display_size) == (render, display) {
            break;
        }
        assert!(start.elapsed() < TIMEOUT, "never served at {render} -> {display}: {t:?}");
    }
    for _ in 0..n {
        app.update();
    }
    let t = telemetry(app, camera);
    assert_eq!(t.status, UpscalerStatus::Ready);
    assert_eq!((t.render_size, t.display_size), (render, display), "{t:?}");
    println!(
        "{:?} {} -> {}: rung {:?}, {:?} ms, builds {}",
        t.status, t.render_size, t.display_size, t.rung, t.gpu_ms, t.builds
    );
    t
}

#[test]
fn precision_mode_and_size_changes_at_run_time() {
    let mut app = common::headless_app();
    let small = UVec2::new(128, 72);
    let target = common::target_image(&mut app, small);
    let q = Quantsr { method: QuantsrMethod::Taau, ..default() };
    let camera = common::spawn_camera_and_scene(&mut app, target, &common::Variant::Quantsr(q));

    let t = run_and_check(&mut app, camera, 4, small / 2, small);
    assert_eq!(t.rung, Some(Rung::Taau));

    // A neural rung the taau-only upscaler lacks: rebuilt with it.
    set(&mut app, camera, |q| {
        q.method = QuantsrMethod::Neural;
        q.precision = Precision::Fixed(Rung::LiteInt8);
    });
    app.update();
    let t = run_and_check(&mut app, camera, 4, small / 2, small);
    assert_eq!((t.rung, t.builds), (Some(Rung::LiteInt8), 2));

    // Back to taau: already built, no rebuild.
    set(&mut app, camera, |q| q.method = QuantsrMethod::Taau);
    let t = run_and_check(&mut app, camera, 3, small / 2, small);
    assert_eq!((t.rung, t.builds), (Some(Rung::Taau), 2));

    // Automatic precision: every rung, the controller on.
    set(&mut app, camera, |q| {
        q.method = QuantsrMethod::Neural;
        q.precision = Precision::Auto;
        q.target_fps = 5.0;
    });
    app.update();
    let t = run_and_check(&mut app, camera, 8, small / 2, small);
    assert_eq!(t.builds, 3);
    assert!(t.budget_ms.is_some(), "the controller is not on: {t:?}");
    // A fixed rung among those built: no rebuild.
    set(&mut app, camera, |q| q.precision = Precision::Fixed(Rung::Int8));
    let t = run_and_check(&mut app, camera, 3, small / 2, small);
    assert_eq!((t.rung, t.builds), (Some(Rung::Int8), 3));

    // Another quality mode: a new render size.
    set(&mut app, camera, |q| q.scale = QuantsrScale::Mode(QualityMode::Quality));
    app.update();
    run_and_check(&mut app, camera, 3, UVec2::new(85, 48), small);

    // A new target size (the window resizing): a new display size.
    let bigger = UVec2::new(192, 108);
    let new_target = common::target_image(&mut app, bigger);
    app.world_mut().entity_mut(camera).insert(RenderTarget::Image(new_target.clone().into()));
    app.update();
    run_and_check(&mut app, camera, 3, UVec2::new(128, 72), bigger);

    // Off and on again; a reset on the way.
    app.world_mut().entity_mut(camera).remove::<Quantsr>();
    for _ in 0..3 {
        app.update();
    }
    assert!(app.world().resource::<QuantsrTelemetry>().view(camera).is_none());
    app.world_mut().entity_mut(camera).insert(Quantsr { method: QuantsrMethod::Taau, reset: true, ..default() });
    app.update();
    run_and_check(&mut app, camera, 3, bigger / 2, bigger);
    let image = common::read_back(&mut app, &new_target, bigger);
    assert!(image.chunks(4).any(|p| p[0] > 10), "the final image is black");
}

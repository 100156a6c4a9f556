//! The precision controller wired into the upscaler, on the device, under a synthetic load
//! recorded before the upscaler like a renderer's own passes: the rung steps down when the
//! load rises and back up when it falls, every frame gets exactly one telemetry record, and
//! frames stay in flight (the loop never waits for a timing).

mod common;

use common::FrameLoop;
use quantsr::gpu::test_gpu;
use quantsr::{Rung, SwitchReason, Upscaler, UpscalerDescriptor};

/// The tests here time the device: one at a time, or each would measure the other's work.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn auto_precision_steps_down_under_a_load_ramp_and_back_up_after_it() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let ctx = test_gpu();
    let desc = UpscalerDescriptor::for_ratio([128, 128], 2.0).with_rungs(&[Rung::LiteInt8, Rung::Taau]);
    let mut upscaler = Upscaler::new(&ctx, desc).unwrap();
    // 40 ms target: both rungs fit easily without load (a few ms each at this size); at the
    // ramp's 60 ms peak nothing fits and taau, the cheapest, is the last resort.
    let mut settings = upscaler.controller_settings(25.0);
    settings.step_up_after_frames = 10;
    settings.min_frames_between_switches = 5;
    upscaler.enable_controller(settings).unwrap();
    assert!(upscaler.timing_source().is_some());

    // No load for 80 frames, up to 60 ms over 40 frames, 60 ms for 40, down over 40, then none.
    let loads: Vec<f64> = (0..280)
        .map(|f| match f {
            0..80 => 0.0,
            80..120 => 1.5 * (f - 80) as f64,
            120..160 => 60.0,
            160..200 => 1.5 * (200 - f) as f64,
            _ => 0.0,
        })
        .collect();
    let records = FrameLoop::new(&ctx, &upscaler).run(&mut upscaler, &loads);

    let frames: Vec<u64> = records.iter().map(|r| r.frame).collect();
    assert_eq!(frames, (0..loads.len() as u64).collect::<Vec<_>>(), "one telemetry record per frame, no gaps");
    let measured = records.iter().filter(|r| r.upscaler_ms.is_some()).count();
    assert!(measured >= records.len() * 9 / 10, "only {measured} of {} frames were timed", records.len());

    let rung_share = |range: std::ops::Range<usize>, rung: Rung| {
        records[range.clone()].iter().filter(|r| r.rung == rung).count() as f64 / range.len() as f64
    };
    let summary: Vec<String> = records.iter().map(|r| format!("{}:{}", r.frame, r.rung)).collect();
    // Without load, once the climb from the cheapest rung is done: the better rung.
    assert!(rung_share(50..80, Rung::LiteInt8) >= 0.9, "{summary:?}");
    // On the 60 ms plateau (nothing fits): taau, the last resort.
    assert!(rung_share(125..160, Rung::Taau) >= 0.9, "{summary:?}");
    // After the load is gone: back on the better rung.
    assert!(rung_share(250..280, Rung::LiteInt8) >= 0.9, "{summary:?}");
    assert!(
        records.iter().any(|r| r.reason == Some(SwitchReason::OverBudget)),
        "the step down was not for being over budget: {summary:?}"
    );
}

#[test]
fn a_fixed_rung_under_the_controller_keeps_its_rung_and_still_logs_every_frame() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let ctx = test_gpu();
    let desc = UpscalerDescriptor::for_ratio([64, 64], 2.0).with_rungs(&[Rung::LiteInt8, Rung::Taau]);
    let mut upscaler = Upscaler::new(&ctx, desc).unwrap();
    let mut settings = upscaler.controller_settings(30.0);
    settings.fixed = Some(Rung::LiteInt8);
    upscaler.enable_controller(settings).unwrap();
    let loads = vec![40.0; 40];
    let records = FrameLoop::new(&ctx, &upscaler).run(&mut upscaler, &loads);
    assert_eq!(records.len(), loads.len());
    assert!(records.iter().all(|r| r.rung == Rung::LiteInt8), "{records:?}");
    // Every measured frame is over the 33 ms budget with 40 ms of load, and the telemetry says so.
    let over = records.iter().filter_map(|r| r.frame_ms).filter(|&ms| ms > 1000.0 / 30.0).count();
    assert!(over >= 30, "only {over} frames over budget: {records:?}");

    // A rung this upscaler did not build is refused by name.
    let err = upscaler.set_rung(Rung::F32).unwrap_err().to_string();
    assert!(err.contains("f32"), "{err}");
}

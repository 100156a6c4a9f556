//! The neural method end to end on a rendered sequence: every rung runs through the public API,
//! a rung switch every frame stays as stable as a single rung, and a device without f16
//! reports that rung unavailable and runs the others.

use std::path::PathBuf;

use quantsr::eval::{Method, SequenceRunner, SequenceScorer};
use quantsr::gpu::{GpuContext, GpuOptions, test_gpu, wgpu};
use quantsr::scenes::{RenderOptions, builtin_scene, render_sequence};
use quantsr::sequence::SequenceReader;
use quantsr::{Rung, Upscaler, UpscalerDescriptor};

/// A 32-frame sequence of the `level` scene (moving camera) at 192×108, 2×.
fn sequence() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("quantsr_neural_{}", std::process::id()));
        let scene = builtin_scene("level").unwrap();
        let options = RenderOptions { display_size: [192, 108], ratio: 2.0, frames: 32, spp: 8, ..Default::default() };
        render_sequence(&test_gpu(), &scene, &scene.camera, &options, &dir, |_, _| {}).unwrap();
        dir
    })
    .clone()
}

/// Runs the neural method with `schedule(frame, available rungs)` choosing each frame's rung;
/// returns the mean (PSNR, temporal PSNR).
fn run(schedule: impl Fn(usize, &[Rung]) -> Rung) -> (f64, f64) {
    let reader = SequenceReader::open(sequence()).unwrap();
    let mut runner = SequenceRunner::new(&test_gpu(), &reader, Method::Neural(None)).unwrap();
    let rungs = runner.available_rungs();
    let mut scorer = SequenceScorer::default();
    for i in 0..reader.frame_count() {
        runner.set_rung(schedule(i, &rungs)).unwrap();
        let frame = reader.frame(i).unwrap();
        let out = runner.run_frame(&frame).unwrap();
        assert!(out.data().iter().all(|v| v.is_finite()), "frame {i}: non-finite output");
        scorer.push(frame.gt.as_ref().unwrap(), &out, frame.meta.reset).unwrap();
    }
    let m = scorer.summary();
    (m.psnr.unwrap(), m.tpsnr.unwrap())
}

#[test]
fn switching_rungs_every_frame_is_as_stable_as_one_rung() {
    let (psnr_f32, tpsnr_f32) = run(|_, _| Rung::F32);
    let (psnr_switch, tpsnr_switch) = run(|i, rungs| rungs[i % rungs.len()]);
    println!("f32: PSNR {psnr_f32:.2} tPSNR {tpsnr_f32:.2}; switching: PSNR {psnr_switch:.2} tPSNR {tpsnr_switch:.2}");
    assert!(
        (tpsnr_switch - tpsnr_f32).abs() <= 0.5,
        "temporal PSNR {tpsnr_switch:.2} dB when switching every frame vs {tpsnr_f32:.2} dB on f32"
    );
}

#[test]
fn a_device_without_f16_reports_the_f16_rung_unavailable_and_runs_the_others() {
    let ctx =
        GpuContext::new_blocking(&GpuOptions { withheld_features: wgpu::Features::SHADER_F16, ..Default::default() })
            .unwrap();
    let desc = UpscalerDescriptor::for_ratio([64, 36], 2.0);
    let mut upscaler = Upscaler::new(&ctx, desc).unwrap();
    let available = upscaler.available_rungs();
    assert!(!available.contains(&Rung::F16), "{available:?}");
    for rung in [Rung::F32, Rung::Int8, Rung::LiteInt8, Rung::Taau] {
        assert!(available.contains(&rung), "{rung} missing from {available:?}");
    }
    let (rung, why) = upscaler.unavailable_rungs().iter().find(|(r, _)| *r == Rung::F16).expect("f16 is listed");
    assert_eq!(*rung, Rung::F16);
    assert!(why.contains("SHADER_F16"), "{why}");
    let err = upscaler.set_rung(Rung::F16).unwrap_err().to_string();
    assert!(err.contains("f16") && err.contains("SHADER_F16"), "{err}");
}

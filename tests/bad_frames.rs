//! The frame loop survives bad frames, on every rung: NaN, infinite and huge values in colour,
//! depth and motion, motion vectors pointing far off-screen, exposure 0 or NaN, a reset every
//! frame. The output stays finite on every frame and is back to normal quality a few frames
//! after the bad input ends. (Rung switches every frame: `tests/neural.rs`; render size
//! changing every frame: `dynamic_resolution_*` below and in `tests/taau.rs`.)

use std::path::PathBuf;

use quantsr::Rung;
use quantsr::eval::metrics::{DisplayImage, ImageView, psnr_display};
use quantsr::eval::{Method, SequenceRunner};
use quantsr::gpu::test_gpu;
use quantsr::scenes::{RenderOptions, builtin_scene, render_sequence};
use quantsr::sequence::{Frame, Image, SequenceReader};

/// Frames of the test sequence; the bad input is on frames `BAD`.
const FRAMES: usize = 24;
const BAD: std::ops::Range<usize> = 8..11;
/// Frames after which quality must be back: the last `RECOVERED` frames.
const RECOVERED: std::ops::Range<usize> = 18..24;

fn sequence(name: &str, dynamic: bool) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("quantsr_bad_frames_{}_{name}", std::process::id()));
    let scene = builtin_scene("level").unwrap();
    let options = RenderOptions {
        display_size: [192, 108],
        ratio: 2.0,
        frames: FRAMES as u32,
        spp: 8,
        dynamic_resolution: dynamic,
        ..Default::default()
    };
    render_sequence(&test_gpu(), &scene, &scene.camera, &options, &dir, |_, _| {}).unwrap();
    dir
}

fn psnr(a: &Image, b: &Image) -> f64 {
    let view = |i: &Image| DisplayImage::from_linear(&ImageView::new(i.width(), i.height(), 4, i.data()).unwrap());
    psnr_display(&view(a), &view(b))
}

/// A way to spoil a frame.
type Corruption = (&'static str, fn(&mut Frame));

fn every(data: &mut [f32], step: usize, value: f32) {
    data.iter_mut().step_by(step).for_each(|v| *v = value);
}

const CORRUPTIONS: &[Corruption] = &[
    ("colour NaN", |f| every(f.color.data_mut(), 3, f32::NAN)),
    ("colour +inf", |f| every(f.color.data_mut(), 5, f32::INFINITY)),
    ("colour -inf", |f| every(f.color.data_mut(), 7, f32::NEG_INFINITY)),
    ("colour huge", |f| every(f.color.data_mut(), 2, 1e30)),
    ("colour all NaN", |f| every(f.color.data_mut(), 1, f32::NAN)),
    ("depth NaN", |f| every(f.depth.data_mut(), 3, f32::NAN)),
    ("depth inf and negative", |f| {
        every(f.depth.data_mut(), 4, f32::INFINITY);
        every(f.depth.data_mut(), 5, -3.0);
    }),
    ("motion NaN", |f| every(f.motion.data_mut(), 3, f32::NAN)),
    ("motion huge", |f| every(f.motion.data_mut(), 2, 1e30)),
    ("motion far off-screen", |f| every(f.motion.data_mut(), 1, 50.0)),
    ("exposure 0", |f| f.meta.exposure = 0.0),
    ("exposure NaN", |f| f.meta.exposure = f32::NAN),
    ("reset every frame", |f| f.meta.reset = true),
];

/// Runs `method` over the sequence with `corrupt` applied to the frames in `BAD`; returns
/// per-frame PSNR. Every output must be finite.
fn run(runner: &mut SequenceRunner, reader: &SequenceReader, what: &str, corrupt: fn(&mut Frame)) -> Vec<f64> {
    (0..reader.frame_count())
        .map(|i| {
            let mut frame = reader.frame(i).unwrap();
            // Each case starts from no history, so cases do not leak into each other.
            frame.meta.reset |= i == 0;
            if BAD.contains(&i) {
                corrupt(&mut frame);
            }
            let out = runner.run_frame(&frame).unwrap();
            let bad = out.data().iter().filter(|v| !v.is_finite()).count();
            assert_eq!(bad, 0, "{what}, frame {i}: {bad} non-finite output values");
            psnr(frame.gt.as_ref().unwrap(), &out)
        })
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn survives_bad_frames(method: Method) {
    let dir = sequence(method.name(), false);
    let reader = SequenceReader::open(&dir).unwrap();
    let mut runner = SequenceRunner::new(&test_gpu(), &reader, method).unwrap();
    let clean = run(&mut runner, &reader, "clean", |_| {});
    let mut failures = Vec::new();
    for (what, corrupt) in CORRUPTIONS {
        let scores = run(&mut runner, &reader, what, *corrupt);
        let (got, want) = (mean(&scores[RECOVERED]), mean(&clean[RECOVERED]));
        println!("{}: {what}: {got:.2} dB after recovery vs {want:.2} dB clean", method.name());
        if got < want - 0.5 {
            failures.push(format!("{what}: {got:.2} dB vs {want:.2} dB clean"));
        }
    }
    assert!(failures.is_empty(), "{}: quality did not recover after: {failures:#?}", method.name());
}

#[test]
fn taau_survives_bad_frames() {
    survives_bad_frames(Method::Taau);
}

#[test]
fn neural_f32_survives_bad_frames() {
    survives_bad_frames(Method::Neural(Some(Rung::F32)));
}

#[test]
fn neural_f16_survives_bad_frames() {
    survives_bad_frames(Method::Neural(Some(Rung::F16)));
}

#[test]
fn neural_int8_survives_bad_frames() {
    survives_bad_frames(Method::Neural(Some(Rung::Int8)));
}

#[test]
fn neural_lite_int8_survives_bad_frames() {
    survives_bad_frames(Method::Neural(Some(Rung::LiteInt8)));
}

#[test]
fn dynamic_resolution_every_frame_stays_finite_on_every_rung() {
    let dir = sequence("dynamic", true);
    let reader = SequenceReader::open(&dir).unwrap();
    let sizes: std::collections::HashSet<_> = reader.manifest().frames.iter().map(|f| f.render_size).collect();
    assert!(sizes.len() > 5, "render size barely changed: {sizes:?}");
    let mut runner = SequenceRunner::new(&test_gpu(), &reader, Method::Neural(None)).unwrap();
    let taau = {
        let mut r = SequenceRunner::new(&test_gpu(), &reader, Method::Taau).unwrap();
        mean(&run(&mut r, &reader, "taau, dynamic", |_| {})[8..])
    };
    for rung in runner.available_rungs() {
        runner.set_rung(rung).unwrap();
        let got = mean(&run(&mut runner, &reader, rung.name(), |_| {})[8..]);
        println!("{rung}: {got:.2} dB with the render size changing every frame (taau {taau:.2} dB)");
        assert!(got > taau - 0.5, "{rung}: {got:.2} dB vs taau {taau:.2} dB");
    }
}

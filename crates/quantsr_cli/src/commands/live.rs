//! `quantsr eval --live`: frames rendered in-process at the render size the controller picks,
//! scored against ground truth, one run per precision/resolution policy (`--adapt`).
//!
//! The ground truth is at display resolution and does not depend on the render size, so the
//! policies run frame by frame in lockstep and each frame's ground truth is rendered once.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use quantsr_eval::{Method, SequenceRunner, SequenceScorer};
use quantsr_gpu::{GpuContext, GpuOptions};
use quantsr_monitor::{Adapt, TelemetryRecord};
use quantsr_scenes::{RenderOptions, SceneRenderer, Timeline, builtin_scene_seeded, render_frame};
use quantsr_sequence::{DepthInfo, Image, SequenceHeader};
use serde::Serialize;

use super::control::{ControlArgs, ControlSummary};
use super::{Size, WeightsArg, parse_ratio, progress_bar};

/// What `--live` renders.
#[derive(Debug, Clone, clap::Args)]
pub struct LiveArgs {
    /// Render the frames in-process instead of reading a sequence: the controller picks each
    /// frame's render size (with --adapt resolution or both).
    #[arg(long)]
    pub live: bool,
    /// Built-in scene to render live (see `quantsr render --list`).
    #[arg(long, conflicts_with = "gltf")]
    pub scene: Option<String>,
    /// glTF 2.0 file to render live.
    #[arg(long)]
    pub gltf: Option<PathBuf>,
    /// Frames to render (at least 90: the first 60 are the controller's warm-up).
    #[arg(long, default_value_t = 240)]
    pub frames: u32,
    /// Display size, WxH.
    #[arg(long, default_value = "960x540")]
    pub display: Size,
    /// Display/render ratio per axis at full render size, in [1, 4].
    #[arg(long, default_value = "2", value_parser = parse_ratio)]
    pub scale: f32,
    /// Ground-truth samples per display pixel.
    #[arg(long, default_value_t = 16)]
    pub spp: u32,
    /// With --live: which knobs the controller turns, one run each (comma list): precision,
    /// resolution, both.
    #[arg(long, value_delimiter = ',', default_value = "precision,resolution,both", value_parser = parse_adapt)]
    pub adapt: Vec<Adapt>,
}

fn parse_adapt(s: &str) -> Result<Adapt, String> {
    s.parse().map_err(|e: quantsr_monitor::MonitorError| e.to_string())
}

/// One policy's run in progress.
struct PolicyRun {
    adapt: Adapt,
    runner: SequenceRunner,
    scorer: SequenceScorer,
    telemetry: Vec<TelemetryRecord>,
}

/// One policy's run.
#[derive(Debug, Serialize)]
struct PolicyResult {
    adapt: Adapt,
    psnr: Option<f64>,
    tpsnr: Option<f64>,
    flip: Option<f64>,
    /// % of frames after the warm-up within the target (measured).
    in_target_pct: f64,
    /// Frames per rung.
    rung_frames: BTreeMap<String, u64>,
    /// Frames per render scale (per axis, against the full render size).
    scale_frames: BTreeMap<String, u64>,
    frames: u32,
}

#[derive(Debug, Serialize)]
struct LiveReport {
    scene: String,
    display: [u32; 2],
    render: [u32; 2],
    target_ms: f64,
    load: String,
    results: Vec<PolicyResult>,
}

/// Where a live run writes besides the terminal.
pub struct Outputs<'a> {
    /// The table as JSON.
    pub json: Option<&'a std::path::Path>,
    /// Each policy's telemetry and plot (`live-ADAPT.csv`, `.png`).
    pub telemetry_dir: Option<&'a std::path::Path>,
}

/// Runs the neural method live once per policy and prints the table.
pub fn run(live: &LiveArgs, control: &ControlArgs, weights: &WeightsArg, outputs: Outputs<'_>) -> anyhow::Result<()> {
    if live.frames < 90 {
        bail!("--frames {} is too few for a live run: at least 90 (60 are warm-up)", live.frames);
    }
    let scene = match (&live.scene, &live.gltf) {
        (Some(name), None) => builtin_scene_seeded(name, 0)?,
        (None, Some(path)) => quantsr_scenes::load_gltf(path)?,
        _ => bail!("--live needs --scene NAME or --gltf FILE"),
    };
    let options = RenderOptions {
        display_size: live.display.0,
        ratio: live.scale,
        frames: live.frames,
        spp: live.spp,
        ..RenderOptions::default()
    };
    let camera = scene.camera.clone();
    let timeline = Timeline::new(&camera, &options)?;
    let max = timeline.max_render_size();
    let ctx = GpuContext::new_blocking(&GpuOptions::default()).context("opening the GPU")?;
    let renderer = SceneRenderer::new(&ctx, &scene, max, options.display_size, options.spp)?;
    let header = SequenceHeader {
        render_size: max,
        display_size: options.display_size,
        depth: DepthInfo { inverted: true, infinite: false, near: Some(scene.near), far: Some(scene.far) },
        fov_y: Some(camera.fov_y),
        fps: f64::from(options.fps),
    };
    let model = weights.model()?;
    let target_ms = 1000.0 / control.target_fps();
    // The policies run in lockstep: each frame's ground truth is rendered once, scored against
    // every policy's output and dropped (a stored run would hold gigabytes at 1080p), and the
    // policies meet the device in the same state, as `quantsr bench` interleaves rungs.
    let mut runs = Vec::with_capacity(live.adapt.len());
    for &adapt in &live.adapt {
        let mut runner = SequenceRunner::for_header(&ctx, &header, Method::Neural(None), model.clone())?;
        control.apply_with(&mut runner, Method::Neural(None), u64::from(live.frames), adapt)?;
        runs.push(PolicyRun { adapt, runner, scorer: SequenceScorer::default(), telemetry: Vec::new() });
    }
    let bar = progress_bar(u64::from(live.frames), "live");
    for i in 0..live.frames {
        let mut ground_truth: Option<Image> = None;
        for run in &mut runs {
            let adapt = run.adapt;
            let rs = run.runner.next_render_size().unwrap_or(max);
            if rs[0] == 0 || rs[1] == 0 || rs[0] > max[0] || rs[1] > max[1] {
                bail!("{adapt}: frame {i}: the controller asked for {rs:?}, outside 1x1..{max:?}");
            }
            let (request, meta) = timeline.frame(i, rs);
            let reset = meta.reset;
            let mut frame = render_frame(&ctx, &renderer, &scene, i as usize, &request, meta, ground_truth.is_none())?;
            if let Some(gt) = frame.gt.take() {
                ground_truth = Some(gt);
            }
            let out = run.runner.run_frame(&frame).with_context(|| format!("{adapt}: frame {i}"))?;
            if out.data().iter().any(|v| !v.is_finite()) {
                bail!("{adapt}: frame {i}: the output is not finite");
            }
            let gt = ground_truth.as_ref().context("ground truth was rendered with the first policy's frame")?;
            run.scorer.push(gt, &out, reset)?;
            run.telemetry.extend(run.runner.drain_telemetry());
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut results = Vec::with_capacity(runs.len());
    for PolicyRun { adapt, mut runner, scorer, mut telemetry } in runs {
        telemetry.extend(runner.finish_telemetry()?);
        if telemetry.len() != live.frames as usize {
            bail!("{adapt}: {} telemetry records for {} frames", telemetry.len(), live.frames);
        }
        if let Some(dir) = outputs.telemetry_dir {
            super::eval::write_named_telemetry(dir, &format!("live-{adapt}"), &telemetry, control)?;
        }
        let timing = runner.temporal().and_then(|u| u.timing_source()).map_or("none", |s| s.name());
        let summary = ControlSummary::new(&telemetry, target_ms, timing);
        let mut scale_frames = BTreeMap::new();
        for r in &telemetry {
            let [w, _] = r.render_size.unwrap_or(max);
            *scale_frames.entry(format!("{:.2}", f64::from(w) / f64::from(max[0]))).or_insert(0) += 1;
        }
        let m = scorer.summary();
        results.push(PolicyResult {
            adapt,
            psnr: m.psnr,
            tpsnr: m.tpsnr,
            flip: m.flip,
            in_target_pct: summary.within_target_pct,
            rung_frames: summary.rung_frames,
            scale_frames,
            frames: m.frames,
        });
    }
    let report = LiveReport {
        scene: scene.name.clone(),
        display: options.display_size,
        render: max,
        target_ms,
        load: control.load_name(),
        results,
    };
    print_table(&report);
    if let Some(path) = outputs.json {
        super::upscale::write_file_atomically(path, |f| Ok(serde_json::to_writer_pretty(f, &report)?))?;
    }
    Ok(())
}

fn print_table(report: &LiveReport) {
    let f = |v: Option<f64>, d: usize| v.map_or("-".into(), |v| format!("{v:.d$}"));
    println!(
        "{} live, {}x{} from {}x{}, target {:.2} ms, load {}",
        report.scene,
        report.display[0],
        report.display[1],
        report.render[0],
        report.render[1],
        report.target_ms,
        report.load
    );
    println!("{:<11} {:>7} {:>7} {:>7} {:>10}  rungs / scales (frames)", "adapt", "PSNR", "tPSNR", "FLIP", "in-target");
    for r in &report.results {
        let list = |m: &BTreeMap<String, u64>| m.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ");
        println!(
            "{:<11} {:>7} {:>7} {:>7} {:>9.1}%  {} / {}",
            r.adapt.name(),
            f(r.psnr, 2),
            f(r.tpsnr, 2),
            f(r.flip, 4),
            r.in_target_pct,
            list(&r.rung_frames),
            list(&r.scale_frames)
        );
    }
}

//! `quantsr eval`: score methods against a sequence's ground truth.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use quantsr_eval::{Method, SequenceRunner, SequenceScorer};
use quantsr_gpu::{GpuContext, GpuOptions};
use quantsr_sequence::{Image, SequenceReader, display_transform, write_png};
use serde::Serialize;

use std::collections::BTreeMap;

use quantsr_monitor::{ControllerSettings, TelemetryRecord};
use quantsr_upscaler::Precision;

use super::control::{ControlArgs, ControlSummary, assess_run, median};
use super::live::LiveArgs;
use super::upscale::write_file_atomically;
use super::{WeightsArg, parse_unit, plot, progress_bar};

/// Arguments of `quantsr eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Sequence folder with ground truth (or --live).
    #[arg(long, required_unless_present = "live")]
    seq: Option<PathBuf>,
    /// Methods to compare (repeat the flag or separate with commas): bilinear, bicubic, easu,
    /// taau, neural (with --precision), neural-f32, neural-f16, neural-int8, neural-lite-int8;
    /// default: all.
    #[arg(long, value_delimiter = ',')]
    method: Vec<Method>,
    /// Precisions of a plain `neural` method, each run as its own row (repeat the flag or
    /// separate with commas): f32, f16, int8, lite-int8, auto.
    #[arg(long, value_delimiter = ',')]
    precision: Vec<Precision>,
    /// Also write the results as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Sharpening of the temporal methods, 0 to 1.
    /// (default: 0.5 for taau, 0 for neural, as measured best).
    #[arg(long, value_parser = parse_unit)]
    sharpness: Option<f32>,
    /// Write a PNG with, per method, the region of the last frame where it errs most, next to
    /// the ground truth (magnified 3×), for people to look at.
    #[arg(long)]
    crops: Option<PathBuf>,
    #[command(flatten)]
    control: ControlArgs,
    #[command(flatten)]
    weights: WeightsArg,
    #[command(flatten)]
    live: LiveArgs,
    /// With the controller on: write each temporal run's telemetry (METHOD.csv) and its plot
    /// (METHOD.png) into this folder.
    #[arg(long)]
    telemetry_dir: Option<PathBuf>,
}

/// How a temporal method held the frame-time target (with the controller's options).
#[derive(Debug, Serialize)]
struct ControlResult {
    #[serde(flatten)]
    summary: ControlSummary,
    /// Only for `auto`: % of frames after warm-up within the target, leaving out frames no
    /// controller could foresee (the load or the device's speed jumped and its measurement
    /// had not arrived) and frames that overran on the cheapest rung.
    within_budget_pct: Option<f64>,
    /// Only for `auto`: % of frames on the best feasible rung (from the fixed runs' costs,
    /// scaled by the device speed this run showed around each frame).
    best_feasible_pct: Option<f64>,
    /// Only for `auto`: rung changes per 30 frames away from load changes.
    steady_switches_per_30: Option<f64>,
    /// Only for `auto`: `within_budget_pct` with the fixed runs' costs taken as constant.
    within_budget_constant_costs_pct: Option<f64>,
    /// Only for `auto`: `best_feasible_pct` with the fixed runs' costs taken as constant.
    best_feasible_constant_costs_pct: Option<f64>,
}

#[derive(Debug, Serialize)]
struct MethodResult {
    method: &'static str,
    precision: Option<&'static str>,
    psnr: Option<f64>,
    ssim: Option<f64>,
    tpsnr: Option<f64>,
    flip: Option<f64>,
    frames: u32,
    warmup: quantsr_eval::metrics::MetricMeans,
    #[serde(skip_serializing_if = "Option::is_none")]
    control: Option<ControlResult>,
}

#[derive(Debug, Serialize)]
struct Report {
    sequence: String,
    results: Vec<MethodResult>,
}

fn fmt(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |v| format!("{v:.digits$}"))
}

/// Runs each method over the sequence and prints the table.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    if args.live.live {
        let outputs = super::live::Outputs { json: args.json.as_deref(), telemetry_dir: args.telemetry_dir.as_deref() };
        return super::live::run(&args.live, &args.control, &args.weights, outputs);
    }
    let seq = args.seq.as_ref().context("--seq SEQ is required (or --live)")?;
    let reader = SequenceReader::open(seq)?;
    if !reader.has_ground_truth() {
        bail!("{} has no ground truth (NNNNN.gt.exr): nothing to compare with", seq.display());
    }
    let given = if args.method.is_empty() { Method::ALL.to_vec() } else { args.method.clone() };
    let mut methods = Vec::new();
    for m in given {
        match m {
            Method::Neural(None) if !args.precision.is_empty() => {
                methods.extend(args.precision.iter().map(|p| m.with_precision(p.fixed())));
            }
            m => methods.push(m),
        }
    }
    let controlled = args.control.wanted(args.precision.contains(&Precision::Auto).then_some(Precision::Auto));
    let target_ms = 1000.0 / args.control.target_fps();
    // Telemetry of each temporal run, for the controller's figures at the end.
    let mut runs: Vec<Option<(Vec<TelemetryRecord>, ControllerSettings, &'static str)>> = Vec::new();
    let model = args.weights.model()?;
    let ctx = GpuContext::new_blocking(&GpuOptions::default()).context("opening the GPU")?;
    let mut results = Vec::new();
    let mut last_frames = Vec::new();
    for method in methods {
        let mut runner = SequenceRunner::for_header(&ctx, &reader.manifest().header, method, model.clone())?;
        if let Some(s) = args.sharpness {
            runner = runner.with_sharpness(s);
        }
        let temporal = matches!(method, Method::Taau | Method::Neural(_));
        if controlled && temporal {
            args.control.apply(&mut runner, method, reader.frame_count() as u64)?;
        }
        let mut telemetry = Vec::new();
        let mut scorer = SequenceScorer::default();
        let bar = progress_bar(reader.frame_count() as u64, method.name());
        for i in 0..reader.frame_count() {
            let frame = reader.frame(i)?;
            let out = runner.run_frame(&frame).with_context(|| format!("{}: frame {i}", method.name()))?;
            let gt = frame.gt.as_ref().context("ground truth vanished")?;
            scorer.push(gt, &out, frame.meta.reset)?;
            if i + 1 == reader.frame_count() && args.crops.is_some() {
                last_frames.push((method.name(), gt.clone(), out));
            }
            telemetry.extend(runner.drain_telemetry());
            bar.inc(1);
        }
        bar.finish_and_clear();
        runs.push(match runner.temporal().and_then(|u| u.controller().map(|c| c.settings().clone())) {
            Some(settings) => {
                telemetry.extend(runner.finish_telemetry()?);
                let timing = runner.temporal().and_then(|u| u.timing_source()).map_or("none", |s| s.name());
                if let Some(dir) = &args.telemetry_dir {
                    write_run_telemetry(dir, method, &telemetry, &args.control)?;
                }
                Some((telemetry, settings, timing))
            }
            None => None,
        });
        let m = scorer.summary();
        results.push(MethodResult {
            method: method.name(),
            precision: match method {
                Method::Neural(rung) => Some(rung.map_or("auto", |r| r.name())),
                _ => None,
            },
            psnr: m.psnr,
            ssim: m.ssim,
            tpsnr: m.tpsnr,
            flip: m.flip,
            frames: m.frames,
            warmup: m.warmup,
            control: None,
        });
    }
    add_control_results(&mut results, &runs, target_ms);
    println!("{}", seq.display());
    let control_header = if controlled {
        format!(" {:>9} {:>7} {:>7} {:>8}", "in-target", "best", "sw/30", "switches")
    } else {
        String::new()
    };
    println!(
        "{:<18} {:>8} {:>8} {:>8} {:>8} {:>7}{control_header}",
        "method", "PSNR", "SSIM", "tPSNR", "FLIP", "frames"
    );
    for r in &results {
        let name = match r.precision {
            Some(p) if r.method == "neural" => format!("neural-{p}"),
            _ => r.method.to_owned(),
        };
        let control = match &r.control {
            Some(c) => format!(
                " {:>8.1}% {:>7} {:>7} {:>8}",
                c.within_budget_pct.unwrap_or(c.summary.within_target_pct),
                c.best_feasible_pct.map_or("-".into(), |v| format!("{v:.1}%")),
                fmt(c.steady_switches_per_30, 2),
                c.summary.switches
            ),
            None => String::new(),
        };
        println!(
            "{:<18} {:>8} {:>8} {:>8} {:>8} {:>7}{control}",
            name,
            fmt(r.psnr, 2),
            fmt(r.ssim, 4),
            fmt(r.tpsnr, 2),
            fmt(r.flip, 4),
            r.frames
        );
    }
    if controlled {
        println!(
            "target {:.2} ms ({} fps), load {}; in-target: frames after warm-up within the target \
             (for auto, frames no controller could foresee, and frames that overran on the \
             cheapest rung, left out); best: frames on the best feasible rung (no better than the \
             best that fits that frame, no worse than the best that fitted through the hysteresis \
             window), from the fixed runs' median costs scaled by the device speed the auto run \
             showed around each frame",
            target_ms,
            args.control.target_fps(),
            args.control.load_name()
        );
        for r in &results {
            if let Some(c) = &r.control
                && let (Some(within), Some(best)) =
                    (c.within_budget_constant_costs_pct, c.best_feasible_constant_costs_pct)
            {
                println!(
                    "{} judged with the fixed runs' costs as constant: in-target {within:.1}%, best {best:.1}%",
                    r.method
                );
            }
        }
    }
    if let Some(path) = &args.crops {
        write_crops(path, &last_frames)?;
    }
    if let Some(path) = &args.json {
        let report = Report { sequence: seq.display().to_string(), results };
        quantsr_core::write_bytes_atomically(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(())
}

/// Writes one controlled run's telemetry as `DIR/NAME.csv` and its plot as `DIR/NAME.png`.
fn write_run_telemetry(
    dir: &std::path::Path,
    method: Method,
    records: &[TelemetryRecord],
    control: &ControlArgs,
) -> anyhow::Result<()> {
    let name = match method {
        Method::Neural(None) => "neural-auto",
        m => m.name(),
    };
    write_named_telemetry(dir, name, records, control)
}

/// Writes a run's telemetry as `DIR/NAME.csv` and its plot as `DIR/NAME.png`.
pub fn write_named_telemetry(
    dir: &std::path::Path,
    name: &str,
    records: &[TelemetryRecord],
    control: &ControlArgs,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let log: quantsr_monitor::TelemetryLog = records.iter().cloned().collect();
    write_file_atomically(&dir.join(format!("{name}.csv")), |f| Ok(log.write_csv(f)?))?;
    let title = format!("{name} at {} fps target, load {}", control.target_fps(), control.load_name());
    plot::write_plot(records, 1000.0 / control.target_fps(), &title, &dir.join(format!("{name}.png")))
}

/// Fills in each temporal run's controller figures. Rung costs for judging the automatic
/// runs are the median upscaler times of the runs fixed on each rung (or, for a rung never
/// run fixed, the automatic run's own samples of it), scaled by the device's speed in the
/// automatic run.
fn add_control_results(
    results: &mut [MethodResult],
    runs: &[Option<(Vec<TelemetryRecord>, ControllerSettings, &'static str)>],
    target_ms: f64,
) {
    let mut fixed_costs: BTreeMap<String, f64> = BTreeMap::new();
    for (records, settings, _) in runs.iter().flatten() {
        if let Some(fixed) = settings.fixed
            && let Some(m) = median(records.iter().filter_map(|r| r.upscaler_ms))
        {
            fixed_costs.insert(fixed.name().to_owned(), m);
        }
    }
    for (result, run) in results.iter_mut().zip(runs) {
        let Some((records, settings, timing)) = run else { continue };
        let summary = ControlSummary::new(records, target_ms, timing);
        // The fixed runs give each rung's cost relative to the others; the automatic run's
        // own samples give the device's speed at each frame (costs drift by 25–50 % within and
        // between runs on a CPU device). Its own medians are not used as costs: a rung it
        // ran only while the device was slow would be judged by that slow phase throughout.
        let auto = settings.fixed.is_none().then(|| {
            let mut costs = fixed_costs.clone();
            for rung in quantsr_monitor::Rung::ALL {
                if !costs.contains_key(rung.name())
                    && let Some(m) = median(records.iter().filter(|r| r.rung == rung).filter_map(|r| r.upscaler_ms))
                {
                    costs.insert(rung.name().to_owned(), m);
                }
            }
            assess_run(settings, records, &costs)
        });
        result.control = Some(ControlResult {
            summary,
            within_budget_pct: auto.map(|m| m.0.within_budget_pct),
            best_feasible_pct: auto.map(|m| m.0.best_feasible_pct),
            steady_switches_per_30: auto.map(|m| m.0.steady_switches_per_30),
            within_budget_constant_costs_pct: auto.map(|m| m.1.within_budget_pct),
            best_feasible_constant_costs_pct: auto.map(|m| m.1.best_feasible_pct),
        });
    }
}

/// Side length of the crop window in display pixels.
const CROP: u32 = 64;
const ZOOM: u32 = 3;

/// The top-left corner of the `CROP`-sized window where `out` differs most from `gt` (squared
/// error after the display transform), found with a summed-area table.
fn worst_window(gt: &Image, out: &Image) -> [u32; 2] {
    let (w, h) = (gt.width() as usize, gt.height() as usize);
    let mut sat = vec![0.0f64; (w + 1) * (h + 1)];
    for y in 0..h {
        for x in 0..w {
            let (a, b) = (gt.pixel(x as u32, y as u32), out.pixel(x as u32, y as u32));
            let e: f64 = (0..3).map(|c| f64::from(display_transform(a[c]) - display_transform(b[c])).powi(2)).sum();
            sat[(y + 1) * (w + 1) + x + 1] =
                e + sat[y * (w + 1) + x + 1] + sat[(y + 1) * (w + 1) + x] - sat[y * (w + 1) + x];
        }
    }
    let c = (CROP as usize).min(w).min(h);
    let mut best = (f64::MIN, [0, 0]);
    for y in 0..=h - c {
        for x in 0..=w - c {
            let s = sat[(y + c) * (w + 1) + x + c] - sat[y * (w + 1) + x + c] - sat[(y + c) * (w + 1) + x]
                + sat[y * (w + 1) + x];
            if s > best.0 {
                best = (s, [x as u32, y as u32]);
            }
        }
    }
    best.1
}

/// One row per method: ground truth | method, each the method's worst window magnified.
fn write_crops(path: &std::path::Path, frames: &[(&str, Image, Image)]) -> anyhow::Result<()> {
    let Some((_, first, _)) = frames.first() else { return Ok(()) };
    let c = CROP.min(first.width()).min(first.height());
    let tile = c * ZOOM;
    let (width, height) = (2 * tile + 4, frames.len() as u32 * (tile + 4));
    let mut canvas = Image::filled(width, height, 4, 0.0);
    for (row, (_, gt, out)) in frames.iter().enumerate() {
        let [x0, y0] = worst_window(gt, out);
        for (col, img) in [gt, out].into_iter().enumerate() {
            for y in 0..tile {
                for x in 0..tile {
                    let src = img.pixel(x0 + x / ZOOM, y0 + y / ZOOM);
                    let (cx, cy) = (col as u32 * (tile + 4) + x, row as u32 * (tile + 4) + y);
                    let i = ((cy * width + cx) * 4) as usize;
                    canvas.data_mut()[i..i + 4].copy_from_slice(&[src[0], src[1], src[2], 1.0]);
                }
            }
        }
    }
    write_png(path, &canvas).with_context(|| format!("writing crops to {}", path.display()))?;
    let names: Vec<_> = frames.iter().map(|(n, _, _)| *n).collect();
    eprintln!("crops (rows: {}; left ground truth, right method) in {}", names.join(", "), path.display());
    Ok(())
}

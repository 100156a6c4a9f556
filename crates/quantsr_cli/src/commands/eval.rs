//! `quantsr eval`: score methods against a sequence's ground truth.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use quantsr_eval::{Method, SequenceRunner, SequenceScorer};
use quantsr_gpu::{GpuContext, GpuOptions};
use quantsr_sequence::{Image, SequenceReader, display_transform, write_png};
use serde::Serialize;

use quantsr_upscaler::Precision;

use super::{parse_unit, progress_bar};

/// Arguments of `quantsr eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Sequence folder with ground truth.
    #[arg(long)]
    seq: PathBuf,
    /// Methods to compare (repeat the flag or separate with commas): bilinear, bicubic, easu,
    /// taau, neural (with --precision), neural-f32, neural-f16, neural-int8, neural-lite-int8;
    /// default: all.
    #[arg(long, value_delimiter = ',')]
    method: Vec<Method>,
    /// Precision of a plain `neural` method: f32, f16, int8, lite-int8 or auto.
    #[arg(long)]
    precision: Option<Precision>,
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
    let reader = SequenceReader::open(&args.seq)?;
    if !reader.has_ground_truth() {
        bail!("{} has no ground truth (NNNNN.gt.exr): nothing to compare with", args.seq.display());
    }
    let mut methods = if args.method.is_empty() { Method::ALL.to_vec() } else { args.method.clone() };
    if let Some(p) = args.precision {
        for m in &mut methods {
            if *m == Method::Neural(None) {
                *m = m.with_precision(p.fixed());
            }
        }
    }
    let ctx = GpuContext::new_blocking(&GpuOptions::default()).context("opening the GPU")?;
    let mut results = Vec::new();
    let mut last_frames = Vec::new();
    for method in methods {
        let mut runner = SequenceRunner::new(&ctx, &reader, method)?
            .with_sharpness(args.sharpness.unwrap_or(method.default_sharpness()));
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
            bar.inc(1);
        }
        bar.finish_and_clear();
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
        });
    }
    println!("{}", args.seq.display());
    println!("{:<12} {:>8} {:>8} {:>8} {:>8} {:>7}", "method", "PSNR", "SSIM", "tPSNR", "FLIP", "frames");
    for r in &results {
        println!(
            "{:<12} {:>8} {:>8} {:>8} {:>8} {:>7}",
            r.method,
            fmt(r.psnr, 2),
            fmt(r.ssim, 4),
            fmt(r.tpsnr, 2),
            fmt(r.flip, 4),
            r.frames
        );
    }
    if let Some(path) = &args.crops {
        write_crops(path, &last_frames)?;
    }
    if let Some(path) = &args.json {
        let report = Report { sequence: args.seq.display().to_string(), results };
        let tmp = path.with_extension("json.partial");
        std::fs::write(&tmp, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
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

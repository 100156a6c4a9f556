//! `quantsr eval`: score methods against a sequence's ground truth.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use quantsr_eval::{Method, SequenceRunner, SequenceScorer};
use quantsr_gpu::{GpuContext, GpuOptions};
use quantsr_sequence::SequenceReader;
use serde::Serialize;

use super::progress_bar;

/// Arguments of `quantsr eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Sequence folder with ground truth.
    #[arg(long)]
    seq: PathBuf,
    /// Methods to compare (repeat the flag or separate with commas); default: all.
    #[arg(long, value_delimiter = ',')]
    method: Vec<Method>,
    /// Also write the results as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
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
    let methods = if args.method.is_empty() { Method::ALL.to_vec() } else { args.method.clone() };
    let ctx = GpuContext::new_blocking(&GpuOptions::default()).context("opening the GPU")?;
    let mut results = Vec::new();
    for method in methods {
        let mut runner = SequenceRunner::new(&ctx, &reader, method)?;
        let mut scorer = SequenceScorer::default();
        let bar = progress_bar(reader.frame_count() as u64, method.name());
        for i in 0..reader.frame_count() {
            let frame = reader.frame(i)?;
            let out = runner.run_frame(&frame).with_context(|| format!("{}: frame {i}", method.name()))?;
            let gt = frame.gt.as_ref().context("ground truth vanished")?;
            scorer.push(gt, &out, frame.meta.reset)?;
            bar.inc(1);
        }
        bar.finish_and_clear();
        let m = scorer.summary();
        results.push(MethodResult {
            method: method.name(),
            precision: None,
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
    if let Some(path) = &args.json {
        let report = Report { sequence: args.seq.display().to_string(), results };
        let tmp = path.with_extension("json.partial");
        std::fs::write(&tmp, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

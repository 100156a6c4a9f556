//! `quantsr upscale`: run a method over a sequence and write display-resolution frames.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use quantsr_eval::{Method, SequenceRunner};
use quantsr_gpu::{GpuContext, GpuOptions};
use quantsr_sequence::{SamplePrecision, SequenceReader, write_exr, write_png};

use quantsr_monitor::TelemetryLog;
use quantsr_upscaler::Precision;

use super::control::{ControlArgs, ControlSummary};
use super::{WeightsArg, parse_unit, plot, progress_bar};

/// Output file format of `quantsr upscale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Linear HDR, f16 RGBA OpenEXR.
    Exr,
    /// 8-bit sRGB PNG after the display transform.
    Png,
}

/// Arguments of `quantsr upscale`.
#[derive(Debug, clap::Args)]
pub struct UpscaleArgs {
    /// Sequence folder to read (format v1).
    #[arg(long)]
    seq: PathBuf,
    /// Upscaling method: bilinear, bicubic, easu, taau or neural.
    #[arg(long, default_value = "taau")]
    method: Method,
    /// Precision of the neural method: f32, f16, int8, lite-int8 or auto.
    #[arg(long)]
    precision: Option<Precision>,
    /// Sharpening of the temporal methods, 0 to 1.
    /// (default: 0.5 for taau, 0 for neural, as measured best).
    #[arg(long, value_parser = parse_unit)]
    sharpness: Option<f32>,
    /// Output folder for NNNNN.exr / NNNNN.png.
    #[arg(long)]
    out: PathBuf,
    /// Output file format.
    #[arg(long, value_enum, default_value = "exr")]
    format: OutputFormat,
    #[command(flatten)]
    control: ControlArgs,
    #[command(flatten)]
    weights: WeightsArg,
    /// Write the controller's per-frame telemetry here: JSON if the name ends in .json,
    /// CSV otherwise (columns frame,rung,upscaler_ms,load_ms,frame_ms,predicted_ms,budget_ms,reason,render_size).
    #[arg(long)]
    telemetry: Option<PathBuf>,
    /// Write a PNG plot of the telemetry: frame time against the target, the load, and the
    /// chosen rung as a coloured band.
    #[arg(long)]
    plot: Option<PathBuf>,
}

/// Writes a file at `path` whole (`quantsr_core::write_atomically`): `write` fills it through
/// a buffered writer, and a failed run leaves no partial file.
pub fn write_file_atomically(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    quantsr_core::write_atomically(path, |tmp| {
        let file = std::fs::File::create(tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let mut out = std::io::BufWriter::new(file);
        write(&mut out).with_context(|| format!("writing {}", path.display()))?;
        out.into_inner().map_err(|e| e.into_error()).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    })
}

/// Upscales every frame of the sequence in order.
pub fn run(args: &UpscaleArgs) -> anyhow::Result<()> {
    let reader = SequenceReader::open(&args.seq)?;
    if args.out.exists() && !args.out.is_dir() {
        bail!("--out {} exists and is not a folder", args.out.display());
    }
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let controlled = args.control.wanted(args.precision) || args.telemetry.is_some() || args.plot.is_some();
    let model = args.weights.model()?;
    let ctx = GpuContext::new_blocking(&GpuOptions::default()).context("opening the GPU")?;
    let method = match args.precision {
        Some(p) => args.method.with_precision(p.fixed()),
        None => args.method,
    };
    let mut runner = SequenceRunner::for_header(&ctx, &reader.manifest().header, method, model)?;
    if let Some(s) = args.sharpness {
        runner = runner.with_sharpness(s);
    }
    if controlled {
        args.control.apply(&mut runner, method, reader.frame_count() as u64)?;
    }
    let mut log = TelemetryLog::new();
    let ext = match args.format {
        OutputFormat::Exr => "exr",
        OutputFormat::Png => "png",
    };
    let bar = progress_bar(reader.frame_count() as u64, method.name());
    for i in 0..reader.frame_count() {
        let frame = reader.frame(i)?;
        let image = runner.run_frame(&frame).with_context(|| format!("upscaling frame {i}"))?;
        let path = args.out.join(format!("{i:05}.{ext}"));
        // The sequence crate's writers already write whole files.
        match args.format {
            OutputFormat::Exr => write_exr(&path, &image, SamplePrecision::F16)?,
            OutputFormat::Png => write_png(&path, &image)?,
        }
        log.extend(runner.drain_telemetry());
        bar.inc(1);
    }
    bar.finish_and_clear();
    eprintln!("wrote {} frames to {}", reader.frame_count(), args.out.display());
    if !controlled {
        return Ok(());
    }
    log.extend(runner.finish_telemetry()?);
    let target_ms = 1000.0 / args.control.target_fps();
    let timing = runner.temporal().and_then(|u| u.timing_source()).map_or("none", |s| s.name());
    eprintln!("{}", ControlSummary::new(log.records(), target_ms, timing).line());
    if let Some(path) = &args.telemetry {
        let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
        write_file_atomically(path, |f| {
            if json { log.write_json(f) } else { log.write_csv(f) }?;
            Ok(())
        })?;
        eprintln!("telemetry: {}", path.display());
    }
    if let Some(path) = &args.plot {
        let title =
            format!("{} at {} fps target, load {}", method.name(), args.control.target_fps(), args.control.load_name());
        plot::write_plot(log.records(), target_ms, &title, path)?;
        eprintln!("plot: {}", path.display());
    }
    Ok(())
}

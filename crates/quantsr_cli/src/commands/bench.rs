//! `quantsr bench`: GPU time per pass and per rung from timestamp queries, next to the
//! device's measured peak of each precision (f32 FMA, f16 FMA, int8 `dot4I8Packed`) from the
//! same run. Rungs are timed after a second of sustained load, interleaved frame by frame.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use quantsr_gpu::{GpuContext, GpuOptions, PeakKind, create_texture, measure_peak, wgpu};
use quantsr_scenes::{FrameRequest, SceneRenderer, builtin_scene};
use quantsr_upscaler::{
    DispatchInputs, NEURAL_SHARPNESS, NetworkProbe, PASS_NAMES, QualityMode, Upscaler, UpscalerDescriptor,
    jitter_offset, jitter_phase_count, mip_bias,
};
use serde::Serialize;

use super::{Size, parse_ratio};

/// Arguments of `quantsr bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Display size, WxH.
    #[arg(long, default_value = "960x540")]
    display: Size,
    /// Quality mode (default performance, 2×).
    #[arg(long, conflicts_with = "scale")]
    mode: Option<QualityMode>,
    /// Display/render ratio per axis, in [1, 4].
    #[arg(long, value_parser = parse_ratio)]
    scale: Option<f32>,
    /// Timed frames per rung (after warm-up).
    #[arg(long, default_value_t = 60)]
    frames: u32,
    /// Also write the results as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Also time every layer of every neural rung on its own (wall clock per dispatch).
    #[arg(long)]
    layers: bool,
}

#[derive(Debug, Serialize)]
struct RungResult {
    rung: &'static str,
    frame_ms: f64,
    frame_ms_p95: f64,
    /// Submit-to-idle wall clock per frame: a cross-check for drivers whose timestamps only
    /// see part of the work.
    wall_ms: f64,
    network_ms: f64,
    network_gflop: f64,
    gflops: f64,
    /// Share of the peak of the rung's own precision (`peak` in the report).
    peak_fraction: f64,
    passes: std::collections::BTreeMap<&'static str, f64>,
    passes_p95: std::collections::BTreeMap<&'static str, f64>,
    frames: usize,
}

#[derive(Debug, Serialize)]
struct Report {
    adapter: String,
    display_size: [u32; 2],
    render_size: [u32; 2],
    /// The f32 FMA peak in GFLOP/s (the same as `peak.f32`; kept for readers of older reports).
    peak_gflops: Option<f64>,
    /// Measured peak per precision (`f32`, `f16`, `int8`), in G operations per second.
    peak: std::collections::BTreeMap<&'static str, f64>,
    rungs: Vec<RungResult>,
    /// With `--layers`: every layer of every neural rung on its own.
    layers: Vec<LayerResult>,
}

#[derive(Debug, Serialize)]
struct LayerResult {
    rung: &'static str,
    layer: &'static str,
    /// The kernel variant the autotuner chose for this layer.
    variant: String,
    /// Wall milliseconds per dispatch.
    ms: f64,
    gflops: f64,
}

/// Size of a network level (0 render, 1 ½, 2 ¼, 3 ⅛) for a render size.
fn level(render: [u32; 2], level: u32) -> [u32; 2] {
    render.map(|n| match level {
        0 => n,
        1 => n / 2,
        2 => n / 4,
        _ => (n / 4).div_ceil(2),
    })
}

/// Seconds of sustained frames before timing (clocks rise under load).
const WARM_UP_S: f64 = 1.0;

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let i = ((values.len() as f64 - 1.0) * p).round() as usize;
    values.get(i).copied().unwrap_or(f64::NAN)
}

/// Times every rung the device runs on a rendered frame of the `level` scene.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let ctx = GpuContext::new_blocking(&GpuOptions::default()).context("opening the GPU")?;
    if !ctx.caps.timestamps {
        bail!("{} has no TIMESTAMP_QUERY: per-pass GPU times cannot be measured", ctx.info.name);
    }
    let display = args.display.0;
    let ratio = args.mode.map(|m| m.ratio()).or(args.scale).unwrap_or(2.0);
    let desc = UpscalerDescriptor::for_ratio(display, ratio);
    let render = desc.max_render_size;
    eprintln!("measuring the f32, f16 and int8 peaks…");
    let mut peaks = std::collections::BTreeMap::new();
    for kind in PeakKind::ALL {
        if let Some(p) = measure_peak(&ctx, kind)? {
            peaks.insert(kind.name(), p);
        }
    }

    // One real frame of inputs, reused with a moving jitter: the passes' cost does not depend
    // on the content.
    let scene = builtin_scene("level")?;
    let renderer = SceneRenderer::new(&ctx, &scene, render, display, 1)?;
    let t = 1.0;
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    renderer.record(
        &mut encoder,
        &scene,
        &FrameRequest {
            time: t,
            prev_time: t - 1.0 / 60.0,
            camera: scene.camera.sample(t),
            prev_camera: scene.camera.sample(t - 1.0 / 60.0),
            fov_y: scene.camera.fov_y,
            render_size: render,
            jitter: [0.0, 0.0],
            mip_bias: mip_bias(render[0], display[0]),
        },
        false,
    )?;
    ctx.queue.submit([encoder.finish()]);
    let inputs = renderer.inputs();
    let view = |t: &wgpu::Texture| t.create_view(&Default::default());
    let (color, depth, motion, reactive) =
        (view(&inputs.color), view(&inputs.depth), view(&inputs.motion), view(&inputs.reactive));
    let output =
        create_texture(&ctx.device, "bench output", display, desc.output_format, wgpu::TextureUsages::STORAGE_BINDING);
    let output = view(&output);

    let mut upscaler = Upscaler::new(&ctx, desc.clone())?;
    for (rung, why) in upscaler.unavailable_rungs() {
        eprintln!("skipping {rung}: {why}");
    }
    let model = desc.model.clone();
    let available = upscaler.available_rungs();
    let phases = jitter_phase_count(render[0], display[0]);
    // One frame of `rung`, paced (a benchmark may wait; a frame loop never does): its index
    // and submit-to-idle wall time.
    let frame = |upscaler: &mut Upscaler, i: u32, rung| -> anyhow::Result<(u64, f64)> {
        upscaler.set_rung(rung)?;
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        let info = upscaler.dispatch(
            &mut encoder,
            &DispatchInputs {
                color: &color,
                depth: &depth,
                motion_vectors: &motion,
                exposure: None,
                reactive: Some(&reactive),
                output: &output,
                jitter: jitter_offset(i, phases),
                motion_vector_scale: [1.0, 1.0],
                render_size: render,
                reset: false,
                frame_time_delta_ms: 16.7,
                // Every rung runs the same sharpen pass; its strength does not change the cost.
                sharpness: Some(NEURAL_SHARPNESS),
                camera: None,
                debug_view: Default::default(),
            },
        )?;
        let submitted = std::time::Instant::now();
        ctx.queue.submit([encoder.finish()]);
        ctx.wait_idle()?;
        Ok((info.frame_index, submitted.elapsed().as_secs_f64() * 1e3))
    };
    // Sustained load before anything is timed, so a GPU's clocks have left idle.
    let warm = std::time::Instant::now();
    let mut i = 0u32;
    while warm.elapsed().as_secs_f64() < WARM_UP_S || (i as usize) < 3 * available.len() {
        frame(&mut upscaler, i, available[i as usize % available.len()])?;
        i += 1;
    }
    upscaler.poll_timings();
    upscaler.take_timings();
    // The rungs interleaved frame by frame, so clocks and heat treat them alike.
    let mut rung_of = std::collections::HashMap::new();
    let mut walls: std::collections::HashMap<_, Vec<f64>> = std::collections::HashMap::new();
    for k in 0..args.frames * available.len() as u32 {
        let rung = available[k as usize % available.len()];
        let (index, wall) = frame(&mut upscaler, i + k, rung)?;
        rung_of.insert(index, rung);
        walls.entry(rung).or_default().push(wall);
        upscaler.poll_timings();
    }
    ctx.wait_idle()?;
    upscaler.poll_timings();
    let all_timings = upscaler.take_timings();
    let mut rungs = Vec::new();
    for rung in available {
        let mut wall = walls.remove(&rung).unwrap_or_default();
        let timings: Vec<_> = all_timings.iter().filter(|t| rung_of.get(&t.frame_index) == Some(&rung)).collect();
        if timings.is_empty() {
            bail!("{rung}: no timings were harvested");
        }
        let mut totals: Vec<f64> = timings.iter().map(|t| t.total_ms()).collect();
        let mut passes = std::collections::BTreeMap::new();
        let mut passes_p95 = std::collections::BTreeMap::new();
        for (i, name) in PASS_NAMES.iter().enumerate() {
            let mut v: Vec<f64> = timings.iter().map(|t| t.pass_ms[i]).collect();
            passes.insert(*name, percentile(&mut v, 0.5));
            passes_p95.insert(*name, percentile(&mut v, 0.95));
        }
        // FLOPs of the network step: 2 per multiply-add of every layer (the input pass and the
        // activations are not counted).
        let network_gflop = match (&model, rung) {
            (Some(m), r) if let Some((kind, _)) = r.network() => {
                2.0 * m.network(kind).macs_per_render_pixel() * f64::from(render[0]) * f64::from(render[1]) / 1e9
            }
            _ => 0.0,
        };
        let network_ms = if rung.is_neural() { passes["params"] } else { 0.0 };
        let gflops = if network_ms > 0.0 { network_gflop / (network_ms / 1e3) } else { 0.0 };
        rungs.push(RungResult {
            rung: rung.name(),
            frame_ms: percentile(&mut totals, 0.5),
            frame_ms_p95: percentile(&mut totals, 0.95),
            wall_ms: percentile(&mut wall, 0.5),
            network_ms,
            network_gflop,
            gflops,
            peak_fraction: rung
                .network()
                .and_then(|(_, precision)| peaks.get(precision.name()))
                .map_or(0.0, |p| gflops / p),
            passes,
            passes_p95,
            frames: timings.len(),
        });
    }

    println!("adapter {}  display {}x{}  render {}x{}", ctx.info.name, display[0], display[1], render[0], render[1]);
    if peaks.is_empty() {
        println!("peaks not measured");
    }
    for (name, p) in &peaks {
        println!("measured {name} peak {p:.1} G ops/s");
    }
    println!(
        "{:<10} {:>9} {:>9} {:>9} {} {:>8} {:>6} {:>8} {:>9}",
        "rung",
        "frame ms",
        "p95 ms",
        "wall ms",
        PASS_NAMES.map(|n| format!("{n:>9}")).join(" "),
        "GFLOP/s",
        "%peak",
        "vs taau",
        "wall/taau"
    );
    let taau = rungs.iter().find(|r| r.rung == "taau").map(|r| (r.frame_ms, r.wall_ms));
    for r in &rungs {
        let per_pass: Vec<String> = PASS_NAMES.iter().map(|n| format!("{:>9.3}", r.passes[n])).collect();
        println!(
            "{:<10} {:>9.3} {:>9.3} {:>9.3} {} {:>8.1} {:>6.1} {:>8.2} {:>9.2}",
            r.rung,
            r.frame_ms,
            r.frame_ms_p95,
            r.wall_ms,
            per_pass.join(" "),
            r.gflops,
            100.0 * r.peak_fraction,
            taau.map_or(f64::NAN, |(t, _)| r.frame_ms / t),
            taau.map_or(f64::NAN, |(_, w)| r.wall_ms / w)
        );
    }
    let mut layers = Vec::new();
    if let (true, Some(model)) = (args.layers, &model) {
        {
            println!("\nper layer, wall ms per dispatch at {}x{} (GFLOP/s)", render[0], render[1]);
            for (rung, chosen) in upscaler.kernel_variants() {
                // The variants the autotuner chose for the upscaler, timed one layer at a time.
                let variants: Vec<_> = chosen.iter().map(|(_, v)| *v).collect();
                let probe = NetworkProbe::with_variants(&ctx, model, rung, render, Some(&variants))?;
                let net = model.network(rung.network().expect("a neural rung").0);
                let cells: Vec<String> = probe
                    .time_layers(render, 5)?
                    .into_iter()
                    .zip(&variants)
                    .map(|((name, ms), variant)| {
                        let spec = &net.layer(name).spec;
                        let [w, h] = level(render, spec.level);
                        let flop = 2.0 * spec.macs_per_output_texel() as f64 * f64::from(w) * f64::from(h);
                        let gflops = flop / (ms * 1e6);
                        layers.push(LayerResult {
                            rung: rung.name(),
                            layer: name,
                            variant: variant.name(),
                            ms,
                            gflops,
                        });
                        format!("{name} {} {ms:.2} ({gflops:.1})", variant.name())
                    })
                    .collect();
                println!("{:<10} {}", rung.name(), cells.join("  "));
            }
        }
    }
    if let Some(path) = &args.json {
        let report = Report {
            adapter: ctx.info.name.clone(),
            display_size: display,
            render_size: render,
            peak_gflops: peaks.get("f32").copied(),
            peak: peaks,
            layers,
            rungs,
        };
        quantsr_core::write_bytes_atomically(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(())
}

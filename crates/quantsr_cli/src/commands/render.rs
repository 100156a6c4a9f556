//! `quantsr render`: render a built-in scene or a glTF file into a sequence with ground truth.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, bail};
use quantsr_gpu::{GpuContext, GpuOptions};
use quantsr_scenes::{BUILTIN_SCENES, CameraPath, RenderOptions, builtin_scene_seeded, render_sequence};

use super::{Size, parse_ratio, progress_bar};

/// Arguments of `quantsr render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// List the built-in scenes and exit.
    #[arg(long)]
    list: bool,
    /// Built-in scene to render (see --list).
    #[arg(long, conflicts_with = "gltf")]
    scene: Option<String>,
    /// glTF 2.0 file (.gltf or .glb) to render instead of a built-in scene.
    #[arg(long)]
    gltf: Option<PathBuf>,
    /// Camera path JSON (docs/ARCHITECTURE.md §6); default: the scene's own path or a fly-through.
    #[arg(long)]
    camera_path: Option<PathBuf>,
    /// Number of frames (default: the scene's length).
    #[arg(long)]
    frames: Option<u32>,
    /// Display (output and ground-truth) size, WxH.
    #[arg(long, default_value = "960x540")]
    display: Size,
    /// Quality mode: native_aa, quality, balanced, performance, ultra_performance.
    #[arg(long, conflicts_with = "scale")]
    mode: Option<quantsr_upscaler::QualityMode>,
    /// Display/render ratio per axis, in [1, 4] (default 2).
    #[arg(long, value_parser = parse_ratio)]
    scale: Option<f32>,
    /// Ground-truth samples per display pixel.
    #[arg(long, default_value_t = 16)]
    spp: u32,
    /// Perturbs the camera and the jitter start (0 = as authored) and picks the `yard` scene's
    /// layout; for training variety.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Frames per second of the timeline.
    #[arg(long, default_value_t = 60.0)]
    fps: f32,
    /// Change the render size every frame (dynamic resolution).
    #[arg(long)]
    dynamic_resolution: bool,
    /// Store colour and ground truth as f16 EXR instead of f32.
    #[arg(long)]
    half: bool,
    /// Output sequence folder.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Renders the requested scene, or lists the scenes.
pub fn run(args: &RenderArgs) -> anyhow::Result<()> {
    if args.list {
        for (name, description) in BUILTIN_SCENES {
            println!("{name:<14} {description}");
        }
        return Ok(());
    }
    let Some(out) = &args.out else { bail!("--out SEQ is required (the sequence folder to write)") };
    let scene = match (&args.scene, &args.gltf) {
        (Some(name), None) => builtin_scene_seeded(name, args.seed)?,
        (None, Some(path)) => quantsr_scenes::load_gltf(path)?,
        _ => bail!("give either --scene NAME (see --list) or --gltf FILE"),
    };
    let camera = match &args.camera_path {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("reading camera path {}", path.display()))?;
            CameraPath::from_json(&text, &path.display().to_string())?
        }
        None => scene.camera.clone(),
    };
    if args.spp == 0 || args.spp > 1024 {
        bail!("--spp {} is outside 1..=1024", args.spp);
    }
    let ratio = args.mode.map(|m| m.ratio()).or(args.scale).unwrap_or(2.0);
    let options = RenderOptions {
        display_size: args.display.0,
        ratio,
        frames: args.frames.unwrap_or(scene.default_frames),
        spp: args.spp,
        fps: args.fps,
        seed: args.seed,
        dynamic_resolution: args.dynamic_resolution,
        half_float: args.half,
    };
    let ctx = GpuContext::new_blocking(&GpuOptions::default()).context("opening the GPU")?;
    let bar = progress_bar(u64::from(options.frames), "render");
    let start = Instant::now();
    render_sequence(&ctx, &scene, &camera, &options, out, |done, _| bar.set_position(u64::from(done)))
        .with_context(|| format!("rendering {} into {}", scene.name, out.display()))?;
    bar.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    let r = quantsr_upscaler::render_size(options.display_size, ratio);
    eprintln!(
        "rendered {} frames of {} ({}x{} -> {}x{}, {} spp) into {} in {:.1} s ({:.2} frames/s)",
        options.frames,
        scene.name,
        r[0],
        r[1],
        options.display_size[0],
        options.display_size[1],
        options.spp,
        out.display(),
        secs,
        f64::from(options.frames) / secs
    );
    Ok(())
}

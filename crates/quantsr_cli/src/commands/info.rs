//! `quantsr info`: what the device is and what quantsr can do on it.

use anyhow::Context as _;
use quantsr_gpu::{GpuContext, GpuOptions, selftest};
use serde::Serialize;

/// Arguments of `quantsr info`.
#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    /// Print the report as JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Skip the on-device self-test of f32, f16 and int8 arithmetic.
    #[arg(long)]
    no_selftest: bool,
    /// Also build the upscaler for this display size (performance mode) and list the kernel
    /// variant every layer of every neural rung runs, as the autotuner (`QUANTSR_AUTOTUNE`)
    /// chose it on this device; e.g. `--kernels 1920x1080`.
    #[arg(long, value_name = "WxH")]
    kernels: Option<super::Size>,
    /// Write the WGSL of every kernel of every neural rung into DIR/RUNG/ (the network input
    /// pass and each generated layer, named LAYER.VARIANT.wgsl): the variants `--kernels`
    /// chose, else the default ones.
    #[arg(long, value_name = "DIR")]
    dump_kernels: Option<std::path::PathBuf>,
}

#[derive(Debug, Serialize)]
struct Report {
    adapter: String,
    backend: String,
    device_type: String,
    driver: String,
    driver_info: String,
    features: Vec<String>,
    timestamps: bool,
    timestamps_inside_passes: bool,
    limits: Limits,
    rungs: Vec<RungSupport>,
    selftest: Option<SelfTest>,
    /// With `--kernels`: rung → layer → kernel variant.
    #[serde(skip_serializing_if = "Option::is_none")]
    kernels: Option<std::collections::BTreeMap<&'static str, std::collections::BTreeMap<&'static str, String>>>,
}

#[derive(Debug, Serialize)]
struct Limits {
    max_texture_dimension_2d: u32,
    max_storage_buffer_binding_size: u64,
    max_buffer_size: u64,
    max_storage_textures_per_shader_stage: u32,
    max_compute_workgroup_storage_size: u32,
    max_compute_invocations_per_workgroup: u32,
}

#[derive(Debug, Serialize)]
struct RungSupport {
    rung: &'static str,
    available: bool,
    why: &'static str,
}

#[derive(Debug, Serialize)]
struct SelfTest {
    f32: bool,
    f16: Option<bool>,
    int8: bool,
}

fn rungs(caps: &quantsr_gpu::Capabilities) -> Vec<RungSupport> {
    let always = |rung| RungSupport { rung, available: true, why: "core WGSL" };
    vec![
        always("f32"),
        RungSupport {
            rung: "f16",
            available: caps.shader_f16,
            why: if caps.shader_f16 { "SHADER_F16 granted" } else { "device lacks SHADER_F16" },
        },
        RungSupport { rung: "int8", available: true, why: "dot4I8Packed (core WGSL)" },
        RungSupport { rung: "lite-int8", available: true, why: "dot4I8Packed (core WGSL)" },
        always("taau"),
    ]
}

/// Opens the device, prints the report, and fails if a self-test disagrees with the CPU.
pub fn run(args: &InfoArgs) -> anyhow::Result<()> {
    let ctx = GpuContext::new_blocking(&GpuOptions::default()).context("opening the GPU")?;
    let l = ctx.device.limits();
    let selftest = if args.no_selftest {
        None
    } else {
        let r = selftest::run_selftests(&ctx).context("running the device self-test")?;
        Some(SelfTest { f32: r.f32_ok, f16: r.f16_ok, int8: r.int8_ok })
    };
    let chosen = match &args.kernels {
        None => None,
        Some(size) => {
            let desc =
                quantsr_upscaler::UpscalerDescriptor::for_mode(size.0, quantsr_upscaler::QualityMode::Performance);
            let upscaler = quantsr_upscaler::Upscaler::new(&ctx, desc).context("building the upscaler")?;
            Some(upscaler.kernel_variants())
        }
    };
    if let Some(dir) = &args.dump_kernels {
        dump_kernels(dir, &ctx, chosen.as_deref())?;
    }
    let kernels = chosen.map(|c| {
        c.into_iter()
            .map(|(rung, layers)| (rung.name(), layers.into_iter().map(|(l, v)| (l, v.name())).collect()))
            .collect()
    });
    let report = Report {
        adapter: ctx.info.name.clone(),
        backend: format!("{:?}", ctx.info.backend),
        device_type: format!("{:?}", ctx.info.device_type),
        driver: ctx.info.driver.clone(),
        driver_info: ctx.info.driver_info.clone(),
        features: ctx.device.features().iter_names().map(|(n, _)| n.to_string()).collect(),
        timestamps: ctx.caps.timestamps,
        timestamps_inside_passes: ctx.caps.timestamps_inside_passes,
        limits: Limits {
            max_texture_dimension_2d: l.max_texture_dimension_2d,
            max_storage_buffer_binding_size: l.max_storage_buffer_binding_size,
            max_buffer_size: l.max_buffer_size,
            max_storage_textures_per_shader_stage: l.max_storage_textures_per_shader_stage,
            max_compute_workgroup_storage_size: l.max_compute_workgroup_storage_size,
            max_compute_invocations_per_workgroup: l.max_compute_invocations_per_workgroup,
        },
        rungs: rungs(&ctx.caps),
        selftest,
        kernels,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    if let Some(t) = &report.selftest
        && (!t.f32 || t.f16 == Some(false) || !t.int8)
    {
        anyhow::bail!("the device self-test disagrees with the CPU: {t:?}");
    }
    Ok(())
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn print_text(r: &Report) {
    println!("adapter       {} ({}, {})", r.adapter, r.backend, r.device_type);
    println!("driver        {} {}", r.driver, r.driver_info);
    println!("features      {}", r.features.join(", "));
    println!("timestamps    {} (inside passes: {})", yes(r.timestamps), yes(r.timestamps_inside_passes));
    let l = &r.limits;
    println!(
        "limits        max 2D texture {} px, storage binding {} MiB, buffer {} MiB,",
        l.max_texture_dimension_2d,
        l.max_storage_buffer_binding_size >> 20,
        l.max_buffer_size >> 20
    );
    println!(
        "              {} storage textures/stage, {} KiB workgroup memory, {} invocations/workgroup",
        l.max_storage_textures_per_shader_stage,
        l.max_compute_workgroup_storage_size >> 10,
        l.max_compute_invocations_per_workgroup
    );
    println!("rungs");
    for rung in &r.rungs {
        println!("  {:<10} {:<4} {}", rung.rung, yes(rung.available), rung.why);
        if let Some(layers) = r.kernels.as_ref().and_then(|k| k.get(rung.rung)) {
            let cells: Vec<String> = layers.iter().map(|(l, v)| format!("{l} {v}")).collect();
            println!("             kernels: {}", cells.join(", "));
        }
    }
    if let Some(t) = &r.selftest {
        let f16 = match t.f16 {
            Some(ok) => {
                if ok {
                    "pass"
                } else {
                    "FAIL"
                }
            }
            None => "n/a",
        };
        let pf = |b: bool| if b { "pass" } else { "FAIL" };
        println!("self-test     f32 {}, f16 {}, int8 {}", pf(t.f32), f16, pf(t.int8));
    }
}

/// The variants of each neural rung's layers, by layer name, as the upscaler reports them.
type ChosenVariants = [(quantsr_upscaler::Rung, Vec<(&'static str, quantsr_upscaler::KernelVariant)>)];

/// Writes every kernel of every neural rung the device runs into `dir/RUNG/`, each file under
/// a temporary name first, so an interrupted run leaves only whole files.
fn dump_kernels(dir: &std::path::Path, ctx: &GpuContext, chosen: Option<&ChosenVariants>) -> anyhow::Result<()> {
    let model = quantsr_upscaler::ModelFile::embedded();
    let mut written = 0;
    for rung in quantsr_upscaler::Rung::ALL {
        let Some((kind, precision)) = rung.network() else { continue };
        if precision == quantsr_model::NetworkPrecision::F16 && !ctx.caps.shader_f16 {
            continue;
        }
        let variants: Option<Vec<_>> = chosen
            .and_then(|c| c.iter().find(|(r, _)| *r == rung))
            .map(|(_, layers)| layers.iter().map(|(_, v)| *v).collect());
        let sources = quantsr_upscaler::kernel_sources(model.network(kind), rung, variants.as_deref())?;
        let out = dir.join(rung.name());
        std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
        for (name, source) in sources {
            let path = out.join(&name);
            quantsr_core::write_bytes_atomically(&path, source)?;
            written += 1;
        }
    }
    eprintln!("wrote {written} kernels into {}", dir.display());
    Ok(())
}

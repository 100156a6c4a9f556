//! `quantsr`: render test sequences, upscale them, evaluate and benchmark the upscaler.

mod commands;

use clap::{Parser, Subcommand};

/// Neural temporal upscaler for real-time rendering (wgpu).
#[derive(Debug, Parser)]
#[command(name = "quantsr", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the GPU adapter, its features and limits, and which rungs it can run.
    Info(commands::info::InfoArgs),
    /// Render a built-in scene or a glTF file into a sequence with ground truth.
    Render(commands::render::RenderArgs),
    /// Upscale a sequence with a method and write display-resolution frames.
    Upscale(commands::upscale::UpscaleArgs),
    /// Compare methods against a sequence's ground truth (PSNR, SSIM, tPSNR, FLIP).
    Eval(commands::eval::EvalArgs),
    /// Time every pass and rung on the GPU, next to the device's measured FMA peak.
    Bench(commands::bench::BenchArgs),
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info(args) => commands::info::run(&args),
        Command::Render(args) => commands::render::run(&args),
        Command::Upscale(args) => commands::upscale::run(&args),
        Command::Eval(args) => commands::eval::run(&args),
        Command::Bench(args) => commands::bench::run(&args),
    };
    if let Err(err) = result {
        // One line a user can act on: the chain of contexts, outermost first.
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

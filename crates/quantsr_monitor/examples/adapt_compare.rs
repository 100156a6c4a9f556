//! Precision or resolution at equal frame time, on a device's measured costs: runs the three
//! policies of [`JointController`](quantsr_monitor::JointController) in closed loop on a
//! load profile and prints, per policy, the share of foreseeable frames within the target, the
//! mean PSNR the quality table gives the settings chosen, and the time on each rung and scale.
//!
//! ```sh
//! cargo run --release -p quantsr_monitor --example adapt_compare -- \
//!     assets/reports/gpu_h200/bench_1080.json "scene:14+ramp:0-3+spikes:0-2" 60
//! ```
//!
//! Arguments: a `quantsr bench --json` file (each rung's `frame_ms` at full render size, of
//! which `network_ms` scales with the pixels rendered and the rest is taken as fixed), a
//! `--load` profile (its `scene:` part scales with the pixels rendered), the target frame
//! rate, and optionally the quality table (default `assets/reports/adapt/quality_table.json`)
//! and the number of frames (default 1200). Timings reach the controller two frames late
//! with 3% noise.

use std::collections::BTreeMap;

use quantsr_monitor::sim::simulate_joint;
use quantsr_monitor::{Adapt, JointSettings, LoadProfile, QualityTable, Rung, fixed_share};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [bench, load, fps, rest @ ..] = args.as_slice() else {
        return Err("usage: adapt_compare BENCH.json LOAD FPS [TABLE.json] [FRAMES]".into());
    };
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/reports/adapt/quality_table.json");
    let table_path = rest.first().map_or(root, String::as_str);
    let frames: u64 = rest.get(1).map_or(Ok(1200), |f| f.parse())?;
    let table: QualityTable = serde_json::from_str(&std::fs::read_to_string(table_path)?)?;
    let bench: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(bench)?)?;
    let load = LoadProfile::parse(load)?;
    let target_ms = 1000.0 / fps.parse::<f64>()?;

    // Each rung's (fixed ms, ms that scale with render pixels) at full size.
    let mut costs: BTreeMap<Rung, (f64, f64)> = BTreeMap::new();
    for r in bench["rungs"].as_array().ok_or("the bench file has no `rungs`")? {
        let rung: Rung = r["rung"].as_str().ok_or("a rung without a name")?.parse()?;
        let (frame, network) = (r["frame_ms"].as_f64().unwrap_or(f64::NAN), r["network_ms"].as_f64().unwrap_or(0.0));
        if frame.is_finite() && frame > 0.0 {
            costs.insert(rung, (frame - network, network));
        }
    }
    let cost = |rung: Rung, pixels: f64| costs.get(&rung).map_or(f64::INFINITY, |(fixed, net)| fixed + net * pixels);

    println!(
        "{} at {}x{} render, load {load:?}, target {target_ms:.2} ms, {frames} frames",
        bench["adapter"].as_str().unwrap_or("?"),
        bench["render_size"][0],
        bench["render_size"][1]
    );
    println!("| adapt | in target % | mean PSNR dB | rungs (% of frames) | scales (% of frames) |");
    println!("|---|---|---|---|---|");
    for adapt in Adapt::ALL {
        let mut settings = JointSettings::new(adapt, target_ms, table.clone());
        settings.allowed.retain(|r| costs.contains_key(r));
        settings.start_cost_ms = costs.iter().map(|(r, (f, n))| (*r, f + n)).collect();
        // What the upscaler measures at start-up: each rung at full size and at the smallest scale.
        let smallest = table.scales.iter().copied().fold(1.0, f64::min).powi(2);
        settings.start_fixed_share = costs
            .iter()
            .filter_map(|(r, (f, n))| Some((*r, fixed_share(f + n, f + n * smallest, smallest)?)))
            .collect();
        let run = simulate_joint(&settings, frames, |f, px| load.ms_at_pixels(f, frames, px), cost, 2, 0.03)?;
        let warm: Vec<_> = run.iter().skip(60).collect();
        let foreseeable: Vec<_> = warm.iter().filter(|f| !f.unforeseeable).collect();
        let within = foreseeable.iter().filter(|f| f.frame_ms() <= target_ms).count();
        let psnr = warm.iter().map(|f| f.psnr).sum::<f64>() / warm.len() as f64;
        let share = |key: &dyn Fn(&&&quantsr_monitor::sim::JointFrame) -> String| {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for f in &warm {
                *counts.entry(key(&f)).or_default() += 1;
            }
            let total = warm.len() as f64;
            counts.iter().map(|(k, n)| format!("{k} {:.0}", 100.0 * *n as f64 / total)).collect::<Vec<_>>().join(", ")
        };
        println!(
            "| {adapt} | {:.1} | {psnr:.2} | {} | {} |",
            100.0 * within as f64 / foreseeable.len().max(1) as f64,
            share(&|f| f.decision.rung.to_string()),
            share(&|f| format!("{:.2}", f.decision.scale)),
        );
    }
    Ok(())
}

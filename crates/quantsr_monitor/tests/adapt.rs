//! The joint precision/resolution controller on scripted traces (no GPU): it spends decibels
//! where the quality table says they are cheapest, keeps foreseeable frames within the target,
//! and holds still on a steady load.

use quantsr_monitor::sim::{JointFrame, simulate_joint};
use quantsr_monitor::{Adapt, JointController, JointSettings, QualityTable, Rung, SwitchReason};

const TARGET_MS: f64 = 1000.0 / 60.0;
const SCALES: [f64; 4] = [1.0, 0.85, 0.7, 0.5];

/// The upscaler's true cost at a pixel fraction: proportional to the pixels rendered.
fn scaled_cost(rung: Rung, pixels: f64) -> f64 {
    cost(rung) * pixels
}

/// A load trace at full size that scales with the pixels rendered (a renderer's passes).
fn scene(trace: &[f64]) -> impl Fn(u64, f64) -> f64 + '_ {
    move |f, pixels| trace[f as usize] * pixels
}

/// Full-size upscaler milliseconds of each rung (an f32 network 10x taau).
fn cost(rung: Rung) -> f64 {
    match rung {
        Rung::F32 => 4.0,
        Rung::F16 => 3.2,
        Rung::Int8 => 2.4,
        Rung::LiteInt8 => 1.2,
        Rung::Taau => 0.4,
    }
}

/// A table where int8 loses 0.05 dB (precision is cheap) or 1.5 dB (precision is dear), and
/// every step of scale loses about 1 dB.
fn table(int8_loss_db: f64) -> QualityTable {
    let row = |top: f64| SCALES.iter().enumerate().map(|(i, _)| top - 1.0 * i as f64).collect::<Vec<_>>();
    QualityTable {
        scales: SCALES.to_vec(),
        psnr: vec![
            (Rung::F32, row(32.0)),
            (Rung::Int8, row(32.0 - int8_loss_db)),
            (Rung::LiteInt8, row(30.5)),
            (Rung::Taau, row(29.5)),
        ],
    }
}

fn settings(adapt: Adapt, table: QualityTable) -> JointSettings {
    let mut s = JointSettings::new(adapt, TARGET_MS, table);
    s.start_cost_ms = Rung::ALL.map(|r| (r, cost(r))).to_vec();
    s
}

/// Up from `from` to `to` ms over `frames`, then back down over as many.
fn ramp(from: f64, to: f64, frames: usize) -> Vec<f64> {
    let up = (0..frames).map(|i| from + (to - from) * i as f64 / (frames - 1) as f64);
    up.clone().chain(up.rev()).collect()
}

/// The controller with `adapt` and an int8 loss of `int8_loss_db` over a scene load of
/// `trace`, timings two frames late, `noise` on the upscaler's cost.
fn run(adapt: Adapt, int8_loss_db: f64, trace: &[f64], noise: f64) -> Vec<JointFrame> {
    let s = settings(adapt, table(int8_loss_db));
    simulate_joint(&s, trace.len() as u64, scene(trace), scaled_cost, 2, noise).unwrap()
}

fn first_step_down(frames: &[JointFrame]) -> &JointFrame {
    frames
        .iter()
        .find(|f| f.decision.reason == Some(SwitchReason::OverBudget))
        .expect("the ramp pushed the controller off its first setting")
}

#[test]
fn the_joint_policy_drops_precision_first_where_a_decibel_of_precision_is_cheaper() {
    let run = run(Adapt::Both, 0.05, &ramp(4.0, 14.0, 400), 0.0);
    assert_eq!((run[0].decision.rung, run[0].decision.scale), (Rung::F32, 1.0));
    let down = first_step_down(&run);
    assert_eq!((down.decision.rung, down.decision.scale), (Rung::Int8, 1.0), "frame {}", down.frame);
}

#[test]
fn the_joint_policy_drops_resolution_first_where_precision_is_dear() {
    let run = run(Adapt::Both, 1.5, &ramp(4.0, 14.0, 400), 0.0);
    let down = first_step_down(&run);
    assert_eq!(down.decision.rung, Rung::F32, "frame {}: {:?}", down.frame, down.decision);
    assert!(down.decision.scale < 1.0);
}

#[test]
fn each_policy_turns_only_its_own_knob() {
    let load = ramp(2.0, 15.0, 300);
    for adapt in Adapt::ALL {
        let run = run(adapt, 0.05, &load, 0.0);
        let rungs: std::collections::BTreeSet<Rung> = run.iter().map(|f| f.decision.rung).collect();
        let scales: Vec<f64> = run.iter().map(|f| f.decision.scale).collect();
        match adapt {
            Adapt::Precision => assert!(scales.iter().all(|&s| s == 1.0) && rungs.len() > 1, "{rungs:?}"),
            Adapt::Resolution => assert!(rungs.len() == 1 && scales.iter().any(|&s| s < 1.0), "{rungs:?}"),
            Adapt::Both => assert!(rungs.len() > 1 || scales.iter().any(|&s| s < 1.0)),
        }
    }
}

/// The shortest frame any setting of `adapt` gives at a full-size load of `load_full` ms.
fn cheapest_frame_ms(adapt: Adapt, load_full: f64) -> f64 {
    let at = |rung: Rung, scale: f64| (cost(rung) + load_full) * scale * scale;
    match adapt {
        Adapt::Precision => at(Rung::Taau, 1.0),
        Adapt::Resolution => at(Rung::F32, SCALES[SCALES.len() - 1]),
        Adapt::Both => at(Rung::Taau, SCALES[SCALES.len() - 1]),
    }
}

#[test]
fn no_policy_exceeds_the_target_on_a_foreseeable_frame() {
    // A slow ramp with spikes on top, and 5% noise on the upscaler's cost.
    let mut load = ramp(3.0, 15.0, 450);
    for (f, l) in load.iter_mut().enumerate() {
        if f % 90 >= 60 && f % 90 < 63 {
            *l += 4.0;
        }
    }
    for adapt in Adapt::ALL {
        let run = run(adapt, 0.05, &load, 0.05);
        let over: Vec<(u64, f64)> = run
            .iter()
            .skip(60)
            .filter(|f| !f.unforeseeable && f.frame_ms() > TARGET_MS)
            // Frames that no setting of this policy could hold are not the controller's fault.
            .filter(|f| cheapest_frame_ms(adapt, load[f.frame as usize]) <= TARGET_MS)
            .map(|f| (f.frame, f.frame_ms()))
            .collect();
        assert!(over.is_empty(), "{adapt}: frames over the target: {over:.2?}");
    }
}

#[test]
fn a_steady_load_never_makes_any_policy_oscillate() {
    for adapt in Adapt::ALL {
        for load_ms in [4.0, 9.0, 12.5, 14.0] {
            let run = run(adapt, 0.05, &[load_ms; 600], 0.05);
            let switches: Vec<(u64, SwitchReason)> =
                run.iter().skip(120).filter_map(|f| Some((f.frame, f.decision.reason?))).collect();
            // A setting whose cost sits on the fit threshold (int8 at 14 ms here) may be
            // stepped up to late, once, when its estimate settles below it; never back down.
            let late_step_up = matches!(switches.as_slice(), [(_, SwitchReason::Headroom)]);
            assert!(switches.is_empty() || late_step_up, "{adapt} at {load_ms} ms: switches {switches:?}");
        }
    }
}

#[test]
fn the_joint_policy_is_at_least_as_good_as_the_better_single_knob() {
    let load = ramp(2.0, 15.0, 300);
    for loss in [0.05, 1.5] {
        let mean = |adapt| {
            let run = run(adapt, loss, &load, 0.0);
            run.iter().skip(60).map(|f| f.psnr).sum::<f64>() / (run.len() - 60) as f64
        };
        let (p, r, b) = (mean(Adapt::Precision), mean(Adapt::Resolution), mean(Adapt::Both));
        assert!(b >= p.max(r) - 1e-9, "int8 loss {loss} dB: precision {p:.3}, resolution {r:.3}, both {b:.3}");
    }
}

/// Costs like lavapipe's: every rung pays 3 ms of display-resolution passes (resolve,
/// sharpen) whatever the render size, and only the network's part shrinks with the pixels,
/// so `taau` barely gets cheaper at a lower resolution while `f32` does.
fn display_bound_cost(rung: Rung, pixels: f64) -> f64 {
    let network = match rung {
        Rung::F32 | Rung::F16 => 5.0,
        Rung::Int8 => 3.0,
        Rung::LiteInt8 => 1.5,
        Rung::Taau => 0.1,
    };
    3.0 + network * pixels
}

fn display_bound_settings(adapt: Adapt, measured_shares: bool) -> JointSettings {
    let mut s = JointSettings::new(adapt, TARGET_MS, table(0.05));
    s.start_cost_ms = Rung::ALL.map(|r| (r, display_bound_cost(r, 1.0))).to_vec();
    if measured_shares {
        // What the upscaler measures at start-up: each rung at full size and at scale 0.5.
        s.start_fixed_share = Rung::ALL
            .map(|r| {
                (
                    r,
                    quantsr_monitor::fixed_share(display_bound_cost(r, 1.0), display_bound_cost(r, 0.25), 0.25)
                        .unwrap(),
                )
            })
            .to_vec();
    }
    s
}

#[test]
fn each_rung_learns_how_its_own_cost_scales_with_the_pixels() {
    let s = display_bound_settings(Adapt::Both, false);
    let mut c = JointController::new(s).unwrap();
    // taau at full size and at 0.5, at what it really costs: nearly the same.
    for f in 0..32 {
        let scale = if f % 2 == 0 { 1.0 } else { 0.5 };
        let upscaler_ms = display_bound_cost(Rung::Taau, scale * scale);
        c.observe(quantsr_monitor::JointObservation { rung: Rung::Taau, scale, upscaler_ms, load_ms: 4.0 });
    }
    let taau = c.cost_fixed_share(Rung::Taau);
    assert!((taau - 3.0 / 3.1).abs() < 0.01, "taau's fixed share: {taau}");
    // What taau taught says nothing about the network: f32 still shrinks with the pixels.
    assert_eq!(c.cost_fixed_share(Rung::F32), 0.0);
    let half = SCALES.len() - 1;
    assert!((c.predicted_cost(Rung::F32, half) - 8.0 * 0.25).abs() < 0.1, "{}", c.predicted_cost(Rung::F32, half));
}

#[test]
fn measured_fixed_shares_predict_display_bound_costs() {
    let c = JointController::new(display_bound_settings(Adapt::Both, true)).unwrap();
    for rung in Rung::ALL {
        for (i, s) in SCALES.iter().enumerate() {
            let (predicted, actual) = (c.predicted_cost(rung, i), display_bound_cost(rung, s * s));
            assert!(
                (predicted / actual - 1.0).abs() < 1e-9,
                "{rung} at {s}: predicted {predicted:.2}, costs {actual:.2}"
            );
        }
    }
}

#[test]
fn the_joint_policy_beats_resolution_alone_when_taau_is_display_bound() {
    // A load that leaves no rung room at full size: only lower resolutions hold the target.
    let mut load = ramp(6.0, 15.0, 300);
    for (f, l) in load.iter_mut().enumerate() {
        if f % 60 >= 40 && f % 60 < 43 {
            *l += 3.0;
        }
    }
    let run = |adapt| {
        let s = display_bound_settings(adapt, true);
        simulate_joint(&s, load.len() as u64, scene(&load), display_bound_cost, 2, 0.03).unwrap()
    };
    let summary = |frames: &[JointFrame]| {
        let warm = &frames[60..];
        let psnr = warm.iter().map(|f| f.psnr).sum::<f64>() / warm.len() as f64;
        let foreseeable: Vec<_> = warm.iter().filter(|f| !f.unforeseeable).collect();
        let within = foreseeable.iter().filter(|f| f.frame_ms() <= TARGET_MS).count() as f64 / foreseeable.len() as f64;
        (psnr, within)
    };
    let (resolution, both) = (summary(&run(Adapt::Resolution)), summary(&run(Adapt::Both)));
    assert!(both.0 >= resolution.0 - 1e-9, "PSNR: both {:.3}, resolution {:.3}", both.0, resolution.0);
    assert!(both.1 >= 0.99 && resolution.1 >= 0.99, "in target: both {:.3}, resolution {:.3}", both.1, resolution.1);
    // Where lowering the resolution saves time, the joint policy keeps a network rather than
    // falling to taau, whose cost a lower resolution barely cuts.
    let taau = run(Adapt::Both).iter().filter(|f| f.decision.rung == Rung::Taau).count();
    assert_eq!(taau, 0, "frames on taau");
}

#[test]
fn bad_settings_name_the_field() {
    let mut s = settings(Adapt::Both, table(0.05));
    s.table.scales = vec![0.9, 1.0, 0.7, 0.5];
    let e = JointController::new(s).unwrap_err().to_string();
    assert!(e.contains("table.scales"), "{e}");
    let mut s = settings(Adapt::Both, table(0.05));
    s.margin = 1.5;
    assert!(JointController::new(s).unwrap_err().to_string().contains("margin"));
    let mut s = settings(Adapt::Both, table(0.05));
    s.start_fixed_share = vec![(Rung::Taau, 1.5)];
    assert!(JointController::new(s).unwrap_err().to_string().contains("start_fixed_share"));
    assert!("sideways".parse::<Adapt>().unwrap_err().to_string().contains("adapt"));
}

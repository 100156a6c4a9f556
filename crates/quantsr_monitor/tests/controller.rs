//! The precision controller on scripted timing traces (no GPU): per-rung costs of f32 10 ms,
//! f16 9 ms, int8 6 ms, lite-int8 3 ms, taau 1.5 ms, a 60 fps target (16.667 ms), a 10%
//! margin, and timings delivered two frames late unless a test says otherwise.

use std::collections::BTreeMap;

use quantsr_monitor::sim::{Scenario, SimReport, simulate};
use quantsr_monitor::{
    CSV_HEADER, Controller, ControllerSettings, FrameObservation, LoadProfile, Rung, SwitchReason, TelemetryLog,
    TelemetryRecord,
};

const LATENCY: u64 = 2;

fn cost(r: Rung) -> f64 {
    match r {
        Rung::F32 => 10.0,
        Rung::F16 => 9.0,
        Rung::Int8 => 6.0,
        Rung::LiteInt8 => 3.0,
        Rung::Taau => 1.5,
    }
}

fn settings() -> ControllerSettings {
    ControllerSettings::from_target_fps(60.0)
}

fn run(settings: &ControllerSettings, loads: Vec<f64>, noise: f64) -> SimReport {
    let scenario = Scenario { noise, ..Scenario::new(loads) };
    simulate(settings, &scenario, |r, _| cost(r)).unwrap()
}

/// `ramp:0-6` plus `spikes` (2 ms base, 8 ms for 3 frames every 60 frames from frame 30):
/// 2 → 8 → 2 ms with spikes of +6 ms.
fn ramp_and_spikes(n: u64) -> Vec<f64> {
    let ramp = LoadProfile::parse("ramp:0-6").unwrap();
    let spikes = LoadProfile::parse("spikes").unwrap();
    (0..n).map(|f| ramp.ms_at(f, n) + spikes.ms_at(f, n)).collect()
}

fn rungs(report: &SimReport) -> Vec<Rung> {
    report.frames.iter().map(|f| f.rung).collect()
}

fn switch_frames(report: &SimReport, reason: SwitchReason) -> Vec<u64> {
    report.frames.iter().filter(|f| f.reason == Some(reason)).map(|f| f.frame).collect()
}

#[test]
fn converges_to_the_best_feasible_rung_for_each_load() {
    // Load → the best rung with cost ≤ (16.667 − load) · 0.9, or taau when nothing fits.
    for (load, best) in [
        (2.0, Rung::F32),
        (6.0, Rung::F16),
        (9.0, Rung::Int8),
        (12.0, Rung::LiteInt8),
        (14.0, Rung::Taau),
        (20.0, Rung::Taau),
    ] {
        let report = run(&settings(), vec![load; 200], 0.03);
        let settled =
            report.frames.iter().position(|f| report.frames[f.frame as usize..].iter().all(|g| g.rung == best));
        let settled =
            settled.unwrap_or_else(|| panic!("load {load} ms: never settled on {best}: {:?}", rungs(&report)));
        assert!(settled <= 40, "load {load} ms: settled on {best} only at frame {settled}");
    }
}

#[test]
fn steps_down_at_the_first_decision_after_the_overrun_arrives() {
    // On f32 at 2 ms load; at frame 100 the load jumps to 9 ms (f32 now overruns). The
    // timings of frame 100 arrive just before the decision of frame 102.
    let loads: Vec<f64> = (0..160).map(|f| if f < 100 { 2.0 } else { 9.0 }).collect();
    let report = run(&settings(), loads, 0.03);
    let r = rungs(&report);
    assert_eq!(&r[90..102], &[Rung::F32; 12], "{r:?}");
    assert_eq!(r[102], Rung::Int8);
    assert_eq!(report.frames[102].reason, Some(SwitchReason::OverBudget));
    assert!(r[102..].iter().all(|&x| x == Rung::Int8), "{r:?}");

    // The same on a bare controller: one observation showing the overrun, then the very next
    // decision steps down, straight to the best rung that fits.
    let mut c = Controller::new(settings()).unwrap();
    for f in 0..100 {
        if f >= LATENCY {
            let used = c.decided_rung(f - LATENCY).unwrap();
            c.observe(FrameObservation::new(f - LATENCY, used).with_upscaler_ms(cost(used)).with_other_ms(2.0));
        }
        c.next_rung(f);
    }
    assert_eq!(c.next_rung(100).rung, Rung::F32);
    c.observe(FrameObservation::new(99, Rung::F32).with_upscaler_ms(10.0).with_other_ms(12.0));
    let d = c.next_rung(101);
    assert_eq!((d.rung, d.reason), (Rung::LiteInt8, Some(SwitchReason::OverBudget)));
}

#[test]
fn steps_up_only_after_the_hysteresis() {
    for hysteresis in [30, 60] {
        let s = ControllerSettings { step_up_after_frames: hysteresis, ..settings() };
        // 9 ms load (int8) until frame 200, then 2 ms (f32 fits).
        let loads: Vec<f64> = (0..400).map(|f| if f < 200 { 9.0 } else { 2.0 }).collect();
        let report = run(&s, loads, 0.03);
        let r = rungs(&report);
        assert_eq!(r[199], Rung::Int8);
        let ups: Vec<u64> = switch_frames(&report, SwitchReason::Headroom).into_iter().filter(|&f| f >= 200).collect();
        // The first observation with headroom is frame 200's, seen at frame 202; the
        // hysteresis-th one is seen at frame 200 + hysteresis + LATENCY − 1.
        let earliest = 200 + hysteresis + LATENCY - 1;
        assert!(!ups.is_empty(), "never stepped up: {r:?}");
        assert!(ups[0] >= earliest, "hysteresis {hysteresis}: stepped up at {} < {earliest}", ups[0]);
        assert!(ups[0] <= earliest + 5, "hysteresis {hysteresis}: stepped up only at {}", ups[0]);
        // Between the load change and the step-up, only probes (three frames each) leave int8.
        for f in &report.frames[200..ups[0] as usize] {
            let probing = |g: u64| report.frames[g as usize].reason == Some(SwitchReason::Probe);
            assert!(
                f.rung == Rung::Int8 || (0..3).any(|k| probing(f.frame - k)),
                "frame {} on {} ({:?})",
                f.frame,
                f.rung,
                f.reason
            );
        }
        assert!(r[(ups[0] as usize)..].iter().all(|&x| x == Rung::F32), "{r:?}");
    }
}

#[test]
fn steady_state_switches_at_most_once_per_hysteresis() {
    // Steady loads close to a threshold, 5% timing noise: the rung must not flap.
    let s = settings();
    for load in [5.2, 5.5, 6.4, 6.6, 9.7, 9.9] {
        let report = run(&s, vec![load; 900], 0.05);
        let switches: Vec<u64> =
            report.frames.iter().filter(|f| f.frame >= 60 && f.reason.is_some()).map(|f| f.frame).collect();
        let real: Vec<u64> = report
            .frames
            .iter()
            .filter(|f| f.frame >= 60)
            .filter(|f| matches!(f.reason, Some(SwitchReason::OverBudget | SwitchReason::Headroom)))
            .map(|f| f.frame)
            .collect();
        for pair in real.windows(2) {
            assert!(
                pair[1] - pair[0] >= s.step_up_after_frames,
                "load {load} ms: switches at {} and {} ({real:?})",
                pair[0],
                pair[1]
            );
        }
        assert!(switches.len() <= 840 / s.step_up_after_frames as usize, "load {load}: {switches:?}");
        // And in fact, with a 5% dead band against 5% noise, it settles for good.
        assert!(real.len() <= 1, "load {load} ms: {real:?}");
    }
}

#[test]
fn missing_late_and_invalid_timings_neither_crash_nor_mislead() {
    let mut c = Controller::new(settings()).unwrap();
    let mut inbox: BTreeMap<u64, Vec<FrameObservation>> = BTreeMap::new();
    let mut log = TelemetryLog::new();
    let n = 400u64;
    for f in 0..n {
        for obs in inbox.remove(&f).unwrap_or_default() {
            c.observe(obs);
        }
        let d = c.next_rung(f);
        assert!(d.budget_ms.is_finite());
        assert!(d.predicted_ms.is_none_or(f64::is_finite), "frame {f}: {d:?}");
        let obs = FrameObservation::new(f, d.rung).with_upscaler_ms(cost(d.rung)).with_other_ms(2.0);
        let (at, obs) = match f % 17 {
            1 => continue,                                                                      // never arrives
            3 => (f + LATENCY, FrameObservation { upscaler_ms: Some(f64::NAN), ..obs }),        // NaN
            5 => (f + LATENCY, FrameObservation { upscaler_ms: Some(-4.0), ..obs }),            // negative
            7 => (f + LATENCY, FrameObservation { other_ms: Some(f64::INFINITY), ..obs }),      // inf
            9 => (f + 6, obs),                                                                  // late, out of order
            11 => (f + LATENCY, FrameObservation { upscaler_ms: None, other_ms: None, ..obs }), // empty
            13 => {
                inbox.entry(f + LATENCY).or_default().push(obs.clone()); // delivered twice
                (f + LATENCY + 1, obs)
            }
            15 => (f + 40, obs), // so late its telemetry record was already written
            _ => (f + LATENCY, obs),
        };
        inbox.entry(at).or_default().push(obs);
        log.extend(c.drain_telemetry());
    }
    for obs in inbox.into_values().flatten() {
        c.observe(obs);
    }
    log.extend(c.finish_telemetry());

    let records = log.records();
    assert_eq!(records.len(), n as usize);
    assert!(records.iter().enumerate().all(|(i, r)| r.frame == i as u64));
    // Converged on f32 and never left it for a bad number.
    let first_f32 = records.iter().position(|r| r.rung == Rung::F32 && r.reason == Some(SwitchReason::Headroom));
    let first_f32 = first_f32.expect("never reached f32");
    // Nearly half the timings are lost or bad here, so a probe's measured (second) frame is
    // often among them and the probe is tried again 8 frames later: the climb takes longer.
    assert!(first_f32 < 120, "reached f32 only at {first_f32}");
    assert!(records[first_f32..].iter().all(|r| r.rung == Rung::F32), "left f32");
    assert!(records.iter().all(|r| r.reason != Some(SwitchReason::OverBudget)));
    // Estimates are not poisoned.
    assert!((c.measured_cost(Rung::F32).unwrap() - 10.0).abs() < 1e-9);
    assert_eq!(c.predicted_load_ms(), 2.0);
    // Missing and invalid timings are empty in the telemetry.
    assert!(records[1 + 17 * 8].upscaler_ms.is_none() && records[1 + 17 * 8].load_ms.is_none());
    assert!(records[3 + 17 * 8].upscaler_ms.is_none() && records[3 + 17 * 8].load_ms == Some(2.0));
    assert!(records[7 + 17 * 8].load_ms.is_none() && records[7 + 17 * 8].frame_ms.is_none());
    assert_eq!(records[9 + 17 * 8].upscaler_ms, Some(10.0), "a late observation still reaches telemetry");
    assert!(records[15 + 17 * 8].upscaler_ms.is_none(), "past the telemetry horizon");
    let stats = c.stats();
    assert!(stats.invalid_timings >= 3 * (n / 17), "{stats:?}");
    assert!(stats.out_of_order > 0 && stats.duplicates > 0 && stats.late_for_telemetry > 0, "{stats:?}");

    // Long stretches with no timings at all: the controller holds its rung.
    let mut c = Controller::new(settings()).unwrap();
    for f in 0..300 {
        if (LATENCY..100).contains(&f) {
            let used = c.decided_rung(f - LATENCY).unwrap();
            c.observe(FrameObservation::new(f - LATENCY, used).with_upscaler_ms(cost(used)).with_other_ms(2.0));
        }
        let d = c.next_rung(f);
        if f >= 80 {
            assert_eq!((d.rung, d.reason), (Rung::F32, None), "frame {f}");
        }
    }
    // Observations of frames not decided yet are ignored.
    c.observe(FrameObservation::new(10_000, Rung::Taau).with_upscaler_ms(100.0).with_other_ms(100.0));
    assert_eq!(c.stats().unknown_frames, 1);
    assert_eq!(c.next_rung(300).rung, Rung::F32);
}

#[test]
fn probes_stay_within_the_margin_and_respect_their_interval() {
    let s = settings();
    // The climb at start measures lite-int8, int8, f16 and f32 by probing, one at a time.
    let report = run(&s, ramp_and_spikes(300), 0.03);
    let probes = switch_frames(&report, SwitchReason::Probe);
    let probed: Vec<Rung> = probes.iter().map(|&f| report.frames[f as usize].rung).collect();
    assert_eq!(probed, [Rung::LiteInt8, Rung::Int8, Rung::F16, Rung::F32]);
    for pair in probes.windows(2) {
        assert!(pair[1] - pair[0] >= s.probe_interval_frames, "probes at {probes:?}");
    }
    // A probe runs the settling frame and two measured ones.
    for &p in &probes {
        let p = p as usize;
        for k in [1, 2] {
            let f = &report.frames[p + k];
            assert!(f.rung == report.frames[p].rung && f.reason.is_none(), "a probe shorter than 3 frames at {p}");
        }
        let returned = &report.frames[p + 3];
        assert!(returned.reason == Some(SwitchReason::ProbeReturn), "no return after the probe at {p}");
    }
    assert_eq!(report.metrics.max_probe_overrun_ms, 0.0);

    // Re-probing stale rungs whose cost drifted up 15–20% while they were not in use: 2 ms load
    // (f32, every rung measured) until frame 100, 9 ms (int8) until frame 400, by which time
    // the f32 and f16 estimates are stale, then 4.5 ms. Both are predicted (from their stale
    // estimates) to fit, so both are probed, lowest first; each probe overruns its budget
    // by less than the margin even though the rung got 15–20% dearer.
    let s = ControllerSettings { stale_after_frames: 100, ..settings() };
    let drift = |r: Rung, f: u64| match r {
        Rung::F16 if f >= 150 => 1.15 * cost(r),
        Rung::F32 if f >= 150 => 1.2 * cost(r),
        _ => cost(r),
    };
    let loads: Vec<f64> = (0..700)
        .map(|f| {
            if f < 100 {
                2.0
            } else if f < 400 {
                9.0
            } else {
                4.5
            }
        })
        .collect();
    let scenario = Scenario { noise: 0.03, ..Scenario::new(loads) };
    let report = simulate(&s, &scenario, drift).unwrap();
    let reprobes: Vec<u64> = switch_frames(&report, SwitchReason::Probe).into_iter().filter(|&f| f >= 400).collect();
    let reprobed: Vec<Rung> = reprobes.iter().map(|&f| report.frames[f as usize].rung).collect();
    assert_eq!(reprobed, [Rung::F16, Rung::F32], "stale rungs not re-probed as expected at {reprobes:?}");
    for &p in &reprobes {
        let fr = &report.frames[p as usize];
        let budget = s.target_frame_ms - fr.load_ms;
        assert!(
            fr.upscaler_ms <= budget * (1.0 + s.margin),
            "probe of {} at {p}: {:.2} ms against a budget of {budget:.2} ms",
            fr.rung,
            fr.upscaler_ms
        );
    }
    // f16 now costs 10.35 ms and fits (≤ 10.95 ms, more than the 3% noise); f32 (12 ms) does
    // not, so f16 it is. A probe moves a known relative cost only halfway, so f32 may be
    // tried once more by a step-up; its first measured frame overruns, and it is not tried
    // again until its new estimate is stale.
    let r = rungs(&report);
    assert!(r[500..].iter().all(|&x| x == Rung::F16), "{:?}", &r[400..]);
    let probing = |f: u64| report.frames[f as usize].reason == Some(SwitchReason::Probe);
    let overruns: Vec<u64> = report.frames[400..]
        .iter()
        .filter(|f| f.frame_ms() > s.target_frame_ms && !(0..3).any(|k| probing(f.frame - k)))
        .map(|f| f.frame)
        .collect();
    assert!(overruns.len() <= 1, "overruns outside probes at {overruns:?}");
}

#[test]
fn a_rung_predicted_not_to_fit_is_never_probed() {
    // 9.5 ms load: f16 (9 ms, predicted 9 from int8) and f32 never fit; with estimates going
    // stale every 50 frames, they are still never tried.
    let s = ControllerSettings { stale_after_frames: 50, ..settings() };
    let report = run(&s, vec![9.5; 600], 0.03);
    assert!(report.frames.iter().all(|f| !matches!(f.rung, Rung::F32 | Rung::F16)), "{:?}", rungs(&report));
    assert!(report.frames.iter().all(|f| f.frame_ms() <= s.target_frame_ms));
}

#[test]
fn fixed_rung_never_changes() {
    let s = ControllerSettings { fixed: Some(Rung::Int8), ..settings() };
    let report = run(&s, ramp_and_spikes(300), 0.03);
    assert!(report.frames.iter().all(|f| f.rung == Rung::Int8));
    assert_eq!(report.frames[0].reason, Some(SwitchReason::Fixed));
    assert!(report.frames[1..].iter().all(|f| f.reason.is_none()));
    // Fixing a rung the load cannot afford still fixes it.
    let s = ControllerSettings { fixed: Some(Rung::F32), ..settings() };
    assert!(run(&s, vec![12.0; 100], 0.0).frames.iter().all(|f| f.rung == Rung::F32));
}

#[test]
fn disallowed_rungs_are_never_chosen() {
    let s = ControllerSettings { allowed: vec![Rung::F16, Rung::LiteInt8, Rung::Taau], ..settings() };
    let report = run(&s, ramp_and_spikes(300), 0.03);
    assert!(report.frames.iter().all(|f| !matches!(f.rung, Rung::F32 | Rung::Int8)));
    assert!(report.frames.iter().any(|f| f.rung == Rung::F16));
    assert!(report.metrics.within_budget_pct >= 99.0, "{:?}", report.metrics);

    // Taking the rung in use away moves off it at the next frame.
    let mut c = Controller::new(settings()).unwrap();
    for f in 0..80 {
        if f >= LATENCY {
            let used = c.decided_rung(f - LATENCY).unwrap();
            c.observe(FrameObservation::new(f - LATENCY, used).with_upscaler_ms(cost(used)).with_other_ms(2.0));
        }
        c.next_rung(f);
    }
    assert_eq!(c.next_rung(80).rung, Rung::F32);
    c.set_allowed(vec![Rung::F16, Rung::Int8, Rung::Taau]).unwrap();
    let d = c.next_rung(81);
    assert_eq!((d.rung, d.reason), (Rung::F16, Some(SwitchReason::Unavailable)));
    assert!(c.set_allowed(vec![]).is_err());
}

#[test]
fn quality_order_comes_from_psnr_with_taau_last() {
    let order = ControllerSettings::quality_order_from_psnr(&[
        (Rung::F32, 31.20),
        (Rung::F16, 31.25),
        (Rung::Taau, 40.0),
        (Rung::LiteInt8, 30.1),
    ]);
    assert_eq!(order, [Rung::F16, Rung::F32, Rung::LiteInt8, Rung::Int8, Rung::Taau]);
    // With f16 ranked first, it is chosen even though f32 would fit too.
    let s = ControllerSettings { quality_order: order, ..settings() };
    let r = rungs(&run(&s, vec![2.0; 200], 0.03));
    assert!(r[60..].iter().all(|&x| x == Rung::F16), "{r:?}");
}

#[test]
fn host_frame_time_counts_as_everything_else() {
    // The host reports its whole frame (upscaler included) instead of its other passes.
    let mut c = Controller::new(settings()).unwrap();
    for f in 0..100 {
        if f >= LATENCY {
            let used = c.decided_rung(f - LATENCY).unwrap();
            let host = cost(used) + 9.0;
            c.observe(FrameObservation::new(f - LATENCY, used).with_upscaler_ms(cost(used)).with_host_frame_ms(host));
        }
        c.next_rung(f);
    }
    let d = c.next_rung(100);
    assert_eq!(d.rung, Rung::Int8);
    assert!((d.budget_ms - (1000.0 / 60.0 - 9.0)).abs() < 1e-9, "{d:?}");
}

#[test]
fn seeded_costs_are_used_but_not_trusted_for_a_step_up() {
    let mut c = Controller::new(settings()).unwrap();
    c.seed_cost(Rung::F32, 10.0);
    c.seed_cost(Rung::Taau, 1.5);
    assert_eq!(c.predicted_cost(Rung::F32), Some(10.0));
    let mut probed_f32 = None;
    for f in 0..80 {
        if f >= LATENCY {
            let used = c.decided_rung(f - LATENCY).unwrap();
            c.observe(FrameObservation::new(f - LATENCY, used).with_upscaler_ms(cost(used)).with_other_ms(2.0));
        }
        let d = c.next_rung(f);
        if d.rung == Rung::F32 && d.reason == Some(SwitchReason::Probe) {
            probed_f32.get_or_insert(f);
        }
    }
    assert!(probed_f32.is_some(), "f32 was stepped up to without a probe");
    assert_eq!(c.next_rung(80).rung, Rung::F32);
}

#[test]
fn settings_out_of_range_are_rejected_by_name() {
    for (s, field) in [
        (ControllerSettings { margin: 1.5, ..settings() }, "margin"),
        (ControllerSettings::from_target_fps(0.0), "target_frame_ms"),
        (ControllerSettings { allowed: vec![], ..settings() }, "allowed"),
        (ControllerSettings { step_up_after_frames: 0, ..settings() }, "step_up_after_frames"),
        (ControllerSettings { prior_relative_cost: vec![(Rung::F16, -1.0)], ..settings() }, "prior_relative_cost"),
    ] {
        let e = Controller::new(s).err().expect("accepted").to_string();
        assert!(e.contains(field), "{e}");
    }
}

#[test]
fn telemetry_csv_has_the_exact_header_and_one_line_per_frame() {
    let report = run(&settings(), ramp_and_spikes(300), 0.03);
    let log: TelemetryLog = report.telemetry.iter().cloned().collect();
    let mut csv = Vec::new();
    log.write_csv(&mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "frame,rung,upscaler_ms,load_ms,frame_ms,predicted_ms,budget_ms,reason,render_size");
    assert_eq!(lines[0], CSV_HEADER);
    assert_eq!(lines.len(), 301);
    let mut previous: Option<&str> = None;
    for (i, line) in lines[1..].iter().enumerate() {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 9, "{line}");
        assert_eq!(fields[0], i.to_string());
        assert!(fields[1].parse::<Rung>().is_ok(), "{line}");
        for x in &fields[2..7] {
            assert!(x.is_empty() || x.parse::<f64>().is_ok(), "{line}");
        }
        // `reason` is set exactly when the rung changed.
        assert_eq!(!fields[7].is_empty(), previous != Some(fields[1]), "{line}");
        previous = Some(fields[1]);
    }
    // The simulation knows no render size: the last field is empty.
    assert!(lines[1].ends_with(",start,"));
    assert!(lines.iter().any(|l| l.ends_with(",over-budget,")) && lines.iter().any(|l| l.ends_with(",headroom,")));

    // JSON: the same records, `null` for what is missing.
    let mut json = Vec::new();
    log.write_json(&mut json).unwrap();
    let back: Vec<TelemetryRecord> = serde_json::from_slice(&json).unwrap();
    assert_eq!(back.len(), 300);
    assert_eq!(back[0].reason, Some(SwitchReason::Start));
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(value[1]["reason"], serde_json::Value::Null);
    let first_probe = back.iter().position(|r| r.reason == Some(SwitchReason::Probe)).unwrap();
    assert_eq!(value[first_probe]["rung"], "lite-int8");
    assert_eq!(value[first_probe]["reason"], "probe");

    // Missing numbers are empty fields.
    let record = TelemetryRecord {
        frame: 7,
        rung: Rung::LiteInt8,
        upscaler_ms: None,
        load_ms: Some(2.0),
        frame_ms: None,
        predicted_ms: Some(3.0),
        budget_ms: Some(14.6667),
        reason: Some(SwitchReason::OverBudget),
        pass_ms: vec![1.0, 2.0],
        render_size: Some([960, 540]),
    };
    let mut row = Vec::new();
    record.write_csv_row(&mut row).unwrap();
    assert_eq!(String::from_utf8(row).unwrap(), "7,lite-int8,,2.000,,3.000,14.667,over-budget,960x540\n");
}

#[test]
fn ramp_and_spikes_meet_the_targets() {
    // 300 frames of `ramp:0-6` + `spikes`, 3% timing noise, 60 warm-up frames; the figures
    // are defined in `quantsr_monitor::sim`.
    for seed in 1..=5 {
        let scenario = Scenario { noise: 0.03, seed, ..Scenario::new(ramp_and_spikes(300)) };
        let m = simulate(&settings(), &scenario, |r, _| cost(r)).unwrap().metrics;
        println!("seed {seed}: {m:?}");
        assert!(m.within_budget_pct >= 99.0, "{m:?}");
        assert!(m.best_feasible_pct >= 95.0, "{m:?}");
        assert!(m.steady_switches_per_30 < 1.0, "{m:?}");
        assert!(m.steady_frames >= 30, "{m:?}");
        assert!(m.switches_per_30 <= 1.25, "{m:?}");
    }
}

#[test]
fn rung_names_round_trip() {
    for r in Rung::ALL {
        assert_eq!(r.name().parse::<Rung>().unwrap(), r);
        assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{}\"", r.name()));
        assert_eq!(serde_json::from_str::<Rung>(&format!("\"{r}\"")).unwrap(), r);
    }
    let e = "fp16".parse::<Rung>().unwrap_err().to_string();
    assert!(e.contains("fp16") && e.contains("lite-int8"), "{e}");
}

#[test]
fn one_outlier_sample_barely_moves_the_estimate() {
    // Every frame measured, the first one after the start included.
    let mut c = Controller::new(ControllerSettings { settle_frames: 0, ..settings() }).unwrap();
    let samples = [10.0, 10.2, 9.8, 10.0, 30.0, 10.1, 9.9, 0.5, 10.0, 10.0];
    for (f, &ms) in samples.iter().enumerate() {
        c.next_rung(f as u64);
        c.observe(FrameObservation::new(f as u64, Rung::F32).with_upscaler_ms(ms));
        let estimate = c.measured_cost(Rung::F32).unwrap();
        assert!((estimate - 10.0).abs() < 0.3, "after {ms} ms at frame {f}: estimate {estimate}");
    }
    // A lasting change is followed within a few samples.
    for f in 10..20u64 {
        c.next_rung(f);
        c.observe(FrameObservation::new(f, Rung::F32).with_upscaler_ms(14.0));
    }
    let estimate = c.measured_cost(Rung::F32).unwrap();
    assert!((estimate - 14.0).abs() < 0.5, "estimate {estimate} after ten samples of 14 ms");
}

#[test]
fn rungs_dearer_than_a_better_one_are_never_run() {
    // The built-in model's order: int8 measured best, then f32, f16, lite-int8, taau; int8 also
    // costs less than f32 and f16, so those two are dominated and never probed or chosen.
    let s = ControllerSettings {
        quality_order: vec![Rung::Int8, Rung::F32, Rung::F16, Rung::LiteInt8, Rung::Taau],
        ..settings()
    };
    let mut c = Controller::new(s.clone()).unwrap();
    for r in Rung::ALL {
        c.seed_cost(r, cost(r));
    }
    let mut used = Vec::new();
    for f in 0..300u64 {
        if f >= LATENCY {
            let r = c.decided_rung(f - LATENCY).unwrap();
            let load = if (100..200).contains(&f) { 9.0 } else { 2.0 };
            c.observe(FrameObservation::new(f - LATENCY, r).with_upscaler_ms(cost(r)).with_other_ms(load));
        }
        used.push(c.next_rung(f).rung);
    }
    assert!(used.iter().all(|r| !matches!(r, Rung::F32 | Rung::F16)), "{used:?}");
    assert_eq!(used[90], Rung::Int8, "{used:?}");
    assert_eq!(used[299], Rung::Int8, "{used:?}");
}

#[test]
fn the_last_resort_stays_even_when_measured_dearer_than_a_better_rung() {
    // At tiny sizes a noisy sample can make taau look dearer than lite-int8; under a load no
    // rung fits, the controller must still fall back to taau, not to lite-int8.
    let s = ControllerSettings { allowed: vec![Rung::LiteInt8, Rung::Taau], ..settings() };
    let mut c = Controller::new(s).unwrap();
    c.seed_cost(Rung::LiteInt8, 3.0);
    c.seed_cost(Rung::Taau, 3.5);
    let mut used = Vec::new();
    for f in 0..200u64 {
        if f >= LATENCY {
            let r = c.decided_rung(f - LATENCY).unwrap();
            let load = if f >= 100 { 30.0 } else { 2.0 };
            c.observe(FrameObservation::new(f - LATENCY, r).with_upscaler_ms(3.0).with_other_ms(load));
        }
        used.push(c.next_rung(f).rung);
    }
    assert!(used[120..].iter().all(|&r| r == Rung::Taau), "{used:?}");
}

#[test]
fn riding_out_a_short_spike_counts_as_the_best_rung_and_a_late_climb_does_not() {
    // Load 5 ms, with a 3-frame spike to 6.2 ms at frame 70: f32 (10 ms) then no longer fits
    // the 10% margin (f16 does), but its frames stay within the 16.667 ms target.
    let loads: Vec<f64> = (0..120).map(|f| if (70..73).contains(&f) { 6.2 } else { 5.0 }).collect();
    let records = |rung_at: &dyn Fn(u64) -> Rung| -> Vec<TelemetryRecord> {
        (0..120u64)
            .map(|f| TelemetryRecord {
                frame: f,
                rung: rung_at(f),
                upscaler_ms: Some(cost(rung_at(f))),
                load_ms: Some(loads[f as usize]),
                frame_ms: Some(cost(rung_at(f)) + loads[f as usize]),
                predicted_ms: None,
                budget_ms: Some(16.667 - loads[f as usize]),
                reason: None,
                pass_ms: Vec::new(),
                render_size: None,
            })
            .collect()
    };
    let judge = |r: &[TelemetryRecord]| quantsr_monitor::sim::assess(&settings(), r, |r, _| cost(r), 40, LATENCY);

    // Staying on f32: only the spike's last frame (the first one a controller could have
    // seen coming) is off the best rung.
    let stayed = judge(&records(&|_| Rung::F32));
    assert!((stayed.best_feasible_pct - 100.0 * 77.0 / 78.0).abs() < 1e-9, "{stayed:?}");
    // Stepping down to f16 (what fits the spike) and climbing back once the hysteresis window
    // (30 + 2 frames) has passed is as good; staying down past it is counted off (frames
    // 104–119).
    let back_in_time = judge(&records(&|f| if (72..104).contains(&f) { Rung::F16 } else { Rung::F32 }));
    assert_eq!(back_in_time.best_feasible_pct, 100.0, "{back_in_time:?}");
    let late = judge(&records(&|f| if f >= 72 { Rung::F16 } else { Rung::F32 }));
    assert!((late.best_feasible_pct - 100.0 * 62.0 / 78.0).abs() < 1e-9, "{late:?}");
}

#[test]
fn a_probe_is_measured_by_its_settled_frames() {
    // The first frame after a switch runs 60% slow, as on lavapipe: each probe's first
    // sample is ignored, so the probed rungs are judged by their true cost and climbed to.
    let mut c = Controller::new(settings()).unwrap();
    let mut probes = Vec::new();
    let mut previous = None;
    for f in 0..120u64 {
        if f >= LATENCY {
            let j = f - LATENCY;
            let used = c.decided_rung(j).unwrap();
            let switched = j > 0 && c.decided_rung(j - 1) != Some(used);
            let ms = cost(used) * if switched { 1.6 } else { 1.0 };
            c.observe(FrameObservation::new(j, used).with_upscaler_ms(ms).with_other_ms(2.0));
        }
        let d = c.next_rung(f);
        if d.reason == Some(SwitchReason::Probe) {
            probes.push((f, d.rung));
            assert_eq!(previous, Some(c.decided_rung(f.saturating_sub(1)).unwrap()));
        }
        previous = Some(d.rung);
    }
    assert_eq!(probes.iter().map(|p| p.1).collect::<Vec<_>>(), [Rung::LiteInt8, Rung::Int8, Rung::F16, Rung::F32]);
    for r in [Rung::LiteInt8, Rung::Int8, Rung::F16] {
        let measured = c.measured_cost(r).unwrap();
        assert!((measured - cost(r)).abs() < 1e-6, "{r}: {measured}");
    }
    assert_eq!(c.next_rung(120).rung, Rung::F32);
}

#[test]
fn a_rung_measured_while_the_device_ran_slow_is_climbed_back_to() {
    // The device runs 40% slow for frames 60–120 (every rung alike, as when a CPU device
    // shares its cores), at a steady 4 ms load: f32 (10 ms) overruns there and the controller
    // steps down; int8 measured in the slow phase costs 8.4 ms. Once the device is fast again
    // the rung in use shows it, every other rung's prediction follows, and the controller
    // climbs back to f32 within the hysteresis, without waiting for stale estimates.
    let speed = |f: u64| if (60..120).contains(&f) { 1.4 } else { 1.0 };
    let scenario = Scenario { noise: 0.03, ..Scenario::new(vec![4.0; 300]) };
    let report = simulate(&settings(), &scenario, |r, f| cost(r) * speed(f)).unwrap();
    let r = rungs(&report);
    assert!(r[40..60].iter().all(|&x| x == Rung::F32), "{:?}", &r[..60]);
    assert!(r[70..120].iter().all(|&x| x != Rung::F32), "{:?}", &r[60..120]);
    let back = r[120..].iter().position(|&x| x == Rung::F32).map(|p| p + 120);
    let back = back.unwrap_or_else(|| panic!("never back on f32: {:?}", &r[120..]));
    assert!(back as u64 <= 120 + 30 + 2 * LATENCY + 5, "back on f32 only at frame {back}");
    assert!(r[back..].iter().all(|&x| x == Rung::F32), "{:?}", &r[back..]);
}

#[test]
fn a_recorded_run_is_judged_at_the_speed_the_device_showed() {
    use quantsr_monitor::sim::{assess, device_speed};
    // A run on taau and int8 at 2 ms load; the device runs 40% slow over frames 40–79 and one
    // frame (100) runs twice as long; the controller steps down to taau for the slow phase.
    let speed = |f: u64| {
        if (40..80).contains(&f) {
            1.4
        } else if f == 100 {
            2.0
        } else {
            1.0
        }
    };
    let rung_at = |f: u64| if (42..82).contains(&f) { Rung::LiteInt8 } else { Rung::Int8 };
    let load = 2.0;
    let records: Vec<TelemetryRecord> = (0..160u64)
        .map(|f| {
            let ms = cost(rung_at(f)) * speed(f);
            TelemetryRecord {
                frame: f,
                rung: rung_at(f),
                upscaler_ms: Some(ms),
                load_ms: Some(load),
                frame_ms: Some(ms + load),
                predicted_ms: None,
                budget_ms: Some(16.667 - load),
                reason: (f == 42 || f == 82).then_some(SwitchReason::OverBudget),
                pass_ms: Vec::new(),
                render_size: None,
            }
        })
        .collect();
    let measured = device_speed(&records, cost);
    assert!((measured[60] - 1.4).abs() < 1e-9 && (measured[20] - 1.0).abs() < 1e-9, "{measured:?}");
    assert!((measured[100] - 1.0).abs() < 1e-9, "one slow frame is not a slow device: {}", measured[100]);

    // Only int8 and lite-int8 allowed, a target int8 fits at speed 1 (6 ≤ 0.9·(t − 2)) but not
    // at 1.4 (8.4 > 0.9·(t − 2)): stepping down for the slow phase was right.
    let s = ControllerSettings {
        allowed: vec![Rung::Int8, Rung::LiteInt8],
        ..ControllerSettings::from_target_frame_ms(10.0)
    };
    let at_speed = assess(&s, &records, |r, i| cost(r) * measured[i as usize], 20, LATENCY);
    let constant = assess(&s, &records, |r, _| cost(r), 20, LATENCY);
    assert!(at_speed.best_feasible_pct > 97.0, "{at_speed:?}");
    assert!(constant.best_feasible_pct < 80.0, "{constant:?}");

    // A frame that overran on the cheapest allowed rung could not have been held.
    let slow_lite: Vec<TelemetryRecord> = records
        .iter()
        .cloned()
        .map(|mut r| {
            if r.frame == 60 {
                r.frame_ms = Some(12.0);
            }
            r
        })
        .collect();
    let m = assess(&s, &slow_lite, |r, i| cost(r) * measured[i as usize], 20, LATENCY);
    assert_eq!(m.within_budget_pct, at_speed.within_budget_pct, "{m:?}");
}

#[test]
fn the_first_frame_runs_the_best_rung_the_start_up_timings_fit() {
    // 16.7 ms budget, 10% margin: f32 (20 ms) does not fit, f16 (9 ms) does.
    let timings =
        vec![(Rung::F32, 20.0), (Rung::F16, 9.0), (Rung::Int8, 6.0), (Rung::LiteInt8, 3.0), (Rung::Taau, 1.5)];
    let start = |settings: ControllerSettings| {
        let d = Controller::new(settings).unwrap().next_rung(0);
        assert_eq!(d.reason, Some(SwitchReason::Start));
        d.rung
    };
    assert_eq!(start(ControllerSettings { start_cost_ms: timings.clone(), ..settings() }), Rung::F16);
    // Without start-up timings, or when none fits, the last resort.
    assert_eq!(start(settings()), Rung::Taau);
    let slow: Vec<(Rung, f64)> = timings.iter().map(|&(r, ms)| (r, ms * 20.0)).collect();
    assert_eq!(start(ControllerSettings { start_cost_ms: slow, ..settings() }), Rung::Taau);
    // A fast device starts on the top rung.
    let fast: Vec<(Rung, f64)> = timings.iter().map(|&(r, ms)| (r, ms / 4.0)).collect();
    assert_eq!(start(ControllerSettings { start_cost_ms: fast, ..settings() }), Rung::F32);
}

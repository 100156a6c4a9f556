//! `quantsr eval --live`: frames rendered in-process at the size the controller picks. Every
//! frame's render size is in range, the output is scored (finite), and each policy's telemetry
//! has one row per frame with its rung and render size.

use std::process::Command;

#[test]
fn live_eval_renders_at_the_sizes_the_controller_picks_and_logs_every_frame() {
    let dir = std::env::temp_dir().join(format!("quantsr_live_eval_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let json = dir.join("live.json");
    let telemetry = dir.join("telemetry");
    let out = Command::new(env!("CARGO_BIN_EXE_quantsr"))
        .args(["eval", "--live", "--scene", "patterns", "--frames", "90", "--display", "64x36", "--spp", "2"])
        // A target no setting can hold: the resolution knob goes all the way down.
        .args(["--target-fps", "5000", "--load", "scene:2", "--adapt", "resolution,both"])
        .arg("--json")
        .arg(&json)
        .arg("--telemetry-dir")
        .arg(&telemetry)
        .env("RUST_LOG", "off")
        .output()
        .expect("running quantsr");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["render"], serde_json::json!([32, 18]));
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "one row per policy");
    for (r, adapt) in results.iter().zip(["resolution", "both"]) {
        assert_eq!(r["adapt"], adapt);
        assert!(r["psnr"].as_f64().is_some_and(f64::is_finite), "{r}");
        let csv = std::fs::read_to_string(telemetry.join(format!("live-{adapt}.csv"))).unwrap();
        let rows: Vec<&str> = csv.lines().skip(1).collect();
        assert_eq!(rows.len(), 90, "{adapt}: one telemetry row per frame");
        let mut smaller = 0;
        for row in rows {
            let fields: Vec<&str> = row.split(',').collect();
            assert!(fields[1].parse::<quantsr_monitor::Rung>().is_ok(), "{row}");
            let (w, h) = fields[8].split_once('x').expect("a render size on every row");
            let (w, h): (u32, u32) = (w.parse().unwrap(), h.parse().unwrap());
            assert!((1..=32).contains(&w) && (1..=18).contains(&h), "{adapt}: {row}");
            smaller += usize::from(w < 32);
        }
        assert!(smaller > 80, "{adapt}: the controller lowered the render size on {smaller} of 90 frames");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

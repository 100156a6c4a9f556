//! Load profiles: the `--load` syntax and the load each profile puts on each frame.

use quantsr_monitor::LoadProfile;

#[test]
fn steady_ramp_and_spikes_give_the_documented_loads() {
    let steady = LoadProfile::parse("steady:4.5").unwrap();
    assert_eq!(steady.ms_at(0, 10), 4.5);
    assert_eq!(steady.ms_at(1000, 10), 4.5);

    // Up over the first half, down over the second: A at both ends, B in the middle.
    let ramp = LoadProfile::parse("ramp:2-8").unwrap();
    assert_eq!(ramp.ms_at(0, 101), 2.0);
    assert_eq!(ramp.ms_at(50, 101), 8.0);
    assert_eq!(ramp.ms_at(25, 101), 5.0);
    assert_eq!(ramp.ms_at(75, 101), 5.0);
    assert_eq!(ramp.ms_at(100, 101), 2.0);
    assert!((0..300).all(|f| (2.0..=8.0).contains(&ramp.ms_at(f, 300))));

    let spikes = LoadProfile::parse("spikes").unwrap();
    let loads: Vec<f64> = (0..200).map(|f| spikes.ms_at(f, 200)).collect();
    let peaks: Vec<usize> = (0..200).filter(|&f| loads[f] == 8.0).collect();
    assert_eq!(peaks, [30, 31, 32, 90, 91, 92, 150, 151, 152]);
    assert!(loads.iter().all(|&l| l == 2.0 || l == 8.0));
    let custom = LoadProfile::parse("spikes:1-20").unwrap();
    assert_eq!((custom.ms_at(0, 1), custom.ms_at(30, 1)), (1.0, 20.0));
}

#[test]
fn traces_are_read_one_value_per_line_and_repeated() {
    let dir = std::env::temp_dir().join(format!("quantsr-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("trace.txt");
    std::fs::write(&path, "# captured load\n1.5\n\n2.5\n 3 \n").unwrap();
    let trace = LoadProfile::parse(&format!("trace:{}", path.display())).unwrap();
    let loads: Vec<f64> = (0..7).map(|f| trace.ms_at(f, 7)).collect();
    assert_eq!(loads, [1.5, 2.5, 3.0, 1.5, 2.5, 3.0, 1.5]);

    std::fs::write(&path, "1.0\n2.0\nfast\n").unwrap();
    let e = LoadProfile::parse(&format!("trace:{}", path.display())).unwrap_err().to_string();
    assert!(e.contains("trace.txt:3") && e.contains("fast"), "{e}");
    std::fs::write(&path, "1.0\n-2.0\n").unwrap();
    let e = LoadProfile::parse(&format!("trace:{}", path.display())).unwrap_err().to_string();
    assert!(e.contains("trace.txt:2"), "{e}");
    std::fs::write(&path, "# nothing\n").unwrap();
    let e = LoadProfile::parse(&format!("trace:{}", path.display())).unwrap_err().to_string();
    assert!(e.contains("no values"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();

    let e = LoadProfile::parse("trace:/nonexistent/quantsr/trace.txt").unwrap_err().to_string();
    assert!(e.contains("/nonexistent/quantsr/trace.txt") && e.contains("cannot read"), "{e}");
}

#[test]
fn malformed_profiles_say_what_is_wrong() {
    for (spec, says) in [
        ("steady", "needs an argument"),
        ("steady:fast", "steady:MS"),
        ("steady:-1", "steady:MS"),
        ("ramp:4", "ramp:A-B"),
        ("ramp:4-x", "ramp:A-B"),
        ("spikes:3", "spikes:BASE-PEAK"),
        ("trace:", "trace:FILE"),
        ("sine:3", "unknown profile"),
    ] {
        let e = spec.parse::<LoadProfile>().unwrap_err().to_string();
        assert!(e.contains(spec) && e.contains(says), "{spec}: {e}");
    }
}

#[test]
fn a_scene_load_scales_with_the_pixels_rendered_and_the_others_do_not() {
    let p = LoadProfile::parse("scene:12+steady:2").unwrap();
    assert_eq!(p.ms_at(5, 100), 14.0);
    assert_eq!(p.ms_at_pixels(5, 100, 0.25), 12.0 * 0.25 + 2.0);
    assert_eq!(p.ms_at_pixels(5, 100, 1.0), p.ms_at(5, 100));
    let e = LoadProfile::parse("scene:fast").unwrap_err().to_string();
    assert!(e.contains("scene:MS"), "{e}");
}

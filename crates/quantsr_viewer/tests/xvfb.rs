//! The viewer in a real window, under a virtual X server (Xvfb) on the machine's GPU (Mesa's
//! lavapipe in CI): it starts, runs 30 frames with each method, switches rung, resizes its
//! window programmatically, writes screenshots, and exits 0. The screenshots must not be blank
//! and the upscaled image must differ between methods.
//!
//! Xvfb is installed by `scripts/ensure-xvfb.sh` when missing (Debian/Ubuntu as root or with
//! sudo). Without it, or without a GPU adapter, this test fails with the reason: it never skips.

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The viewer's default window size (`--size`), which the final screenshot must have.
const DEFAULT_SIZE: [u32; 2] = [960, 540];
/// Generous: lavapipe on two shared cores renders a few frames per second.
const VIEWER_TIMEOUT: Duration = Duration::from_secs(900);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running Xvfb, killed when dropped.
struct Xvfb {
    child: Child,
    display: String,
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Installs Xvfb if needed, then starts it on a display it picks itself (`-displayfd`), so
/// parallel runs never collide.
fn start_xvfb() -> Xvfb {
    let script = workspace_root().join("scripts/ensure-xvfb.sh");
    let status = Command::new("bash").arg(&script).status().unwrap_or_else(|e| panic!("running {script:?}: {e}"));
    assert!(
        status.success(),
        "{} could not provide Xvfb (its message is above); the viewer test needs a virtual X server",
        script.display()
    );
    let mut child = Command::new("Xvfb")
        .args(["-displayfd", "1", "-screen", "0", "1280x1024x24", "-nolisten", "tcp", "-noreset"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting Xvfb");
    // Xvfb writes the display number to the given fd once it accepts connections.
    let mut line = String::new();
    let stdout = child.stdout.take().expect("piped stdout");
    BufReader::new(stdout).read_line(&mut line).expect("reading Xvfb's display number");
    let number: u32 = match line.trim().parse() {
        Ok(n) => n,
        Err(_) => {
            let _ = child.kill();
            panic!("Xvfb did not report a display number (got {line:?})");
        }
    };
    Xvfb { child, display: format!(":{number}") }
}

/// Runs the viewer to completion (killing it after [`VIEWER_TIMEOUT`]); returns its exit
/// status, stdout and stderr.
fn run_viewer(display: &str, args: &[&str]) -> (ExitStatus, String, String) {
    let runtime = std::env::temp_dir().join("quantsr-viewer-test-runtime");
    std::fs::create_dir_all(&runtime).expect("creating XDG_RUNTIME_DIR");
    let mut child = Command::new(env!("CARGO_BIN_EXE_quantsr-viewer"))
        .args(args)
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_RUNTIME_DIR", std::env::var_os("XDG_RUNTIME_DIR").unwrap_or(runtime.into()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting quantsr-viewer");
    // Drain the pipes on threads so a chatty viewer never blocks on a full pipe.
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for quantsr-viewer") {
            break status;
        }
        if start.elapsed() > VIEWER_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("quantsr-viewer did not finish within {VIEWER_TIMEOUT:?}: {}", err.join().unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    (status, out.join().unwrap_or_default(), err.join().unwrap_or_default())
}

fn load(path: &Path) -> image::RgbaImage {
    image::open(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display())).to_rgba8()
}

/// Standard deviation of luma, in 8-bit steps: near 0 for a blank (one-colour) image.
fn luma_spread(img: &image::RgbaImage) -> f64 {
    let luma: Vec<f64> =
        img.pixels().map(|p| 0.2126 * f64::from(p[0]) + 0.7152 * f64::from(p[1]) + 0.0722 * f64::from(p[2])).collect();
    let mean = luma.iter().sum::<f64>() / luma.len() as f64;
    (luma.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / luma.len() as f64).sqrt()
}

/// Mean absolute difference per channel, in 8-bit steps.
fn mean_abs_diff(a: &image::RgbaImage, b: &image::RgbaImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 =
        a.pixels().zip(b.pixels()).flat_map(|(p, q)| (0..3).map(move |c| u64::from(p[c].abs_diff(q[c])))).sum();
    sum as f64 / (3 * a.width() * a.height()) as f64
}

#[test]
fn viewer_cycles_methods_switches_rung_resizes_and_saves_screenshots_under_xvfb() {
    let xvfb = start_xvfb();
    let out = std::env::temp_dir().join(format!("quantsr-viewer-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let shots = out.join("shots");
    let final_shot = out.join("final.png");
    let telemetry = out.join("telemetry.csv");
    let (status, stdout, stderr) = run_viewer(
        &xvfb.display,
        &[
            "--script",
            "cycle-methods",
            "--shots",
            shots.to_str().unwrap(),
            "--screenshot",
            final_shot.to_str().unwrap(),
            "--telemetry",
            telemetry.to_str().unwrap(),
        ],
    );
    assert!(status.success(), "quantsr-viewer exited with {status}\nstdout:\n{stdout}\nstderr:\n{stderr}");

    // 30 frames (31 with the screenshot frame) with each method, at the default size, and the
    // resize took effect (frames were rendered at the smaller size too).
    for method in ["bilinear", "bicubic", "easu", "taau", "neural"] {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(method) && l.contains("960x540"))
            .unwrap_or_else(|| panic!("no frame-rate line for {method} at 960x540 in:\n{stdout}"));
        let frames: u32 = line.split(':').nth(1).and_then(|r| r.split_whitespace().next()?.parse().ok()).unwrap();
        assert!(frames >= 30, "{method} ran {frames} frames: {line}");
    }
    assert!(stdout.contains("720x405"), "no frames at the resized size 720x405:\n{stdout}");

    // The final frame: the window's full size, UI included, not blank.
    let last = load(&final_shot);
    assert_eq!(last.dimensions(), (DEFAULT_SIZE[0], DEFAULT_SIZE[1]), "final screenshot size");
    assert!(luma_spread(&last) > 10.0, "the final screenshot is blank (luma spread {:.2})", luma_spread(&last));

    // One screenshot per method, the same frame of the scene: not blank, and the upscaled
    // image differs between methods (the temporal one most from the spatial ones).
    let shot = |m: &str| load(&shots.join(format!("{m}.png")));
    let (bilinear, bicubic, easu, taau) = (shot("bilinear"), shot("bicubic"), shot("easu"), shot("taau"));
    for (name, img) in [("bilinear", &bilinear), ("bicubic", &bicubic), ("easu", &easu), ("taau", &taau)] {
        assert_eq!(img.dimensions(), (DEFAULT_SIZE[0], DEFAULT_SIZE[1]), "{name} screenshot size");
        assert!(luma_spread(img) > 10.0, "the {name} screenshot is blank");
    }
    let d_cubic = mean_abs_diff(&bilinear, &bicubic);
    let d_easu = mean_abs_diff(&bilinear, &easu);
    let d_taau = mean_abs_diff(&bilinear, &taau);
    println!("mean |difference| from bilinear: bicubic {d_cubic:.2}, easu {d_easu:.2}, taau {d_taau:.2}");
    assert!(d_cubic > 0.2 && d_easu > 0.2, "spatial methods look identical: {d_cubic:.3} {d_easu:.3}");
    assert!(d_taau > 1.0 && d_taau > d_cubic, "taau does not differ from bilinear: {d_taau:.3}");

    // The rung switches ran through the controller and reached the telemetry.
    let csv = std::fs::read_to_string(&telemetry).expect("reading the telemetry");
    assert!(csv.starts_with("frame,rung,upscaler_ms,load_ms,frame_ms,predicted_ms,budget_ms,reason,render_size"));
    assert!(csv.lines().skip(1).any(|l| l.split(',').nth(1) == Some("taau")), "{csv}");
    let _ = std::fs::remove_dir_all(&out);
}

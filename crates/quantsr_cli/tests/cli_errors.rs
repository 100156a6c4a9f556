//! The `quantsr` binary on bad input: it exits non-zero with one `error:` line naming the file
//! or option, and leaves no half-written output under a final name.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn quantsr(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quantsr")).args(args).env("RUST_LOG", "off").output().expect("running quantsr")
}

/// The one error line of a failed run; panics if the run succeeded or said more or less.
fn error_line(out: &Output) -> String {
    assert!(!out.status.success(), "expected a failure; stdout: {}", String::from_utf8_lossy(&out.stdout));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "expected one error line, got:\n{stderr}");
    errors[0].to_owned()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("quantsr_cli_errors_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A small rendered sequence (3 frames, 64×36 display).
fn sequence(name: &str) -> PathBuf {
    let dir = temp(name);
    let out = quantsr(&[
        "render",
        "--scene",
        "patterns",
        "--frames",
        "3",
        "--display",
        "64x36",
        "--scale",
        "2",
        "--spp",
        "2",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "render failed: {}", String::from_utf8_lossy(&out.stderr));
    dir
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_missing_sequence_is_named() {
    let missing = temp("missing");
    let out = temp("missing_out");
    let line = error_line(&quantsr(&[
        "upscale",
        "--seq",
        missing.to_str().unwrap(),
        "--method",
        "taau",
        "--out",
        out.to_str().unwrap(),
    ]));
    assert!(line.contains("sequence.json"), "{line}");
}

#[test]
fn a_malformed_manifest_is_named() {
    let dir = temp("malformed");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("sequence.json"), "{ \"format\": \"quantsr-sequence\", \"version\": 1, ").unwrap();
    let line = error_line(&quantsr(&["eval", "--seq", dir.to_str().unwrap(), "--method", "bilinear"]));
    assert!(line.contains("sequence.json"), "{line}");
}

#[test]
fn a_truncated_frame_fails_naming_it_and_leaves_only_whole_frames() {
    let dir = sequence("truncated");
    let color = dir.join("frames/00001.color.exr");
    let bytes = std::fs::read(&color).unwrap();
    std::fs::write(&color, &bytes[..bytes.len() / 3]).unwrap();
    let out = temp("truncated_out");
    let line = error_line(&quantsr(&[
        "upscale",
        "--seq",
        dir.to_str().unwrap(),
        "--method",
        "taau",
        "--format",
        "png",
        "--out",
        out.to_str().unwrap(),
    ]));
    assert!(line.contains("00001.color.exr"), "{line}");
    assert_eq!(files(&out), vec!["00000.png".to_owned()], "only the frame written before the failure");
}

#[test]
fn bad_options_are_refused_before_any_work() {
    let dir = sequence("options");
    let seq = dir.to_str().unwrap();
    let out = temp("options_out");
    let o = out.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["upscale", "--seq", seq, "--method", "neural", "--load", "wobble:3", "--out", o], "wobble"),
        (&["upscale", "--seq", seq, "--method", "neural", "--load", "ramp:5", "--out", o], "ramp"),
        (&["upscale", "--seq", seq, "--method", "neural", "--target-fps", "-3", "--out", o], "-3"),
        (&["upscale", "--seq", seq, "--method", "bilinear", "--target-fps", "30", "--out", o], "bilinear"),
        (&["upscale", "--seq", seq, "--method", "neural", "--precision", "f64", "--out", o], "f64"),
        (&["upscale", "--seq", seq, "--method", "taau", "--sharpness", "2", "--out", o], "2"),
    ];
    for (args, named) in cases {
        let line = error_line(&quantsr(args));
        assert!(line.contains(named), "{args:?}: {line}");
    }
    assert!(files(&out).iter().all(|f| !f.ends_with(".png") && !f.ends_with(".exr")), "{:?}", files(&out));
}

#[test]
fn eval_without_ground_truth_says_so() {
    let dir = sequence("no_gt");
    for entry in std::fs::read_dir(dir.join("frames")).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".gt.exr") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let line = error_line(&quantsr(&["eval", "--seq", dir.to_str().unwrap(), "--method", "bilinear"]));
    assert!(line.contains("ground truth"), "{line}");
}

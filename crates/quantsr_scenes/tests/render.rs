//! Rendering sequences: determinism, glTF scenes, and the written format.

use std::path::{Path, PathBuf};

use quantsr_gpu::test_gpu;
use quantsr_scenes::{RenderOptions, builtin_scene, load_gltf, render_sequence};
use quantsr_sequence::SequenceReader;

fn out_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("quantsr_render_{}_{name}", std::process::id()))
}

fn small(frames: u32) -> RenderOptions {
    RenderOptions { display_size: [96, 64], ratio: 2.0, frames, spp: 4, ..Default::default() }
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir.join("frames"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.push(("sequence.json".into(), std::fs::read(dir.join("sequence.json")).unwrap()));
    out.sort();
    out
}

#[test]
fn the_same_arguments_give_byte_identical_sequences() {
    let ctx = test_gpu();
    let scene = builtin_scene("particles").unwrap();
    let (a, b) = (out_dir("det_a"), out_dir("det_b"));
    for dir in [&a, &b] {
        render_sequence(&ctx, &scene, &scene.camera, &small(3), dir, |_, _| {}).unwrap();
    }
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa.len(), 3 * 5 + 1, "colour, depth, motion, gt, reactive per frame + manifest");
    for ((na, da), (nb, db)) in fa.iter().zip(&fb) {
        assert_eq!(na, nb);
        assert!(da == db, "{na} differs between two identical renders");
    }
}

#[test]
fn a_gltf_asset_renders_a_non_blank_ground_truth() {
    let ctx = test_gpu();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/gltf/BoxTextured/BoxTextured.glb");
    let scene = load_gltf(&path).unwrap();
    let dir = out_dir("gltf");
    render_sequence(&ctx, &scene, &scene.camera, &small(2), &dir, |_, _| {}).unwrap();
    let seq = SequenceReader::open(&dir).unwrap();
    let gt = seq.frame(1).unwrap().gt.unwrap();
    let luma: Vec<f32> = gt.data().chunks_exact(4).map(|p| 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]).collect();
    let mean = luma.iter().sum::<f32>() / luma.len() as f32;
    let var = luma.iter().map(|l| (l - mean).powi(2)).sum::<f32>() / luma.len() as f32;
    assert!(mean > 0.02 && mean < 5.0, "mean luma {mean}");
    assert!(var > 1e-4, "ground truth is flat (variance {var}): the box did not render");
    // The box covers part of the view, so depth is not all background.
    let depth = seq.frame(1).unwrap().depth;
    assert!(depth.data().iter().filter(|&&d| d > 0.0).count() > depth.data().len() / 20);
}

#[test]
fn bad_render_options_are_refused_before_writing() {
    let ctx = test_gpu();
    let scene = builtin_scene("patterns").unwrap();
    let dir = out_dir("bad");
    let err = render_sequence(&ctx, &scene, &scene.camera, &RenderOptions { ratio: 5.0, ..small(2) }, &dir, |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("ratio") && err.contains("[1, 4]"), "{err}");
    assert!(!dir.join("sequence.json").exists());
    let err = render_sequence(
        &ctx,
        &scene,
        &scene.camera,
        &RenderOptions { display_size: [0, 64], ..small(2) },
        &dir,
        |_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("0x") || err.contains("size"), "{err}");
    assert!(builtin_scene("nope").unwrap_err().to_string().contains("interior"));
}

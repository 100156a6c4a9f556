//! The Rust → Python parity fixture (training/README.md "Parity fixture"): frames, state and the
//! CPU reference's outputs of prepare, taau_params, the network input and resolve (with the
//! network's kernel logits), which `python -m training parity training/fixtures/rust_parity.safetensors`
//! compares with the torch training graph. This test recomputes the fixture and checks that the
//! committed file is what the reference computes today, so the two never drift apart silently.
//! `QUANTSR_WRITE_PARITY_FIXTURE=1 cargo test -p quantsr_model --test parity_fixture` rewrites it
//! after a deliberate change (then run the Python side: `make parity`).

use std::collections::HashMap;
use std::path::PathBuf;

use quantsr_model::cpu::network_input::{NetworkInputs, network_input};
use quantsr_model::cpu::prepare::{PrepareInputs, prepare};
use quantsr_model::cpu::resolve::{ResolveInputs, resolve};
use quantsr_model::cpu::taau_params::taau_params;
use quantsr_model::cpu::{F16Rounding, FrameConstants, Image};
use safetensors::{Dtype, tensor::TensorView};

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../training/fixtures/rust_parity.safetensors")
}

/// A deterministic pseudo-random number in [0, 1) for (case, texel, channel).
fn noise(seed: u32, x: u32, y: u32, c: usize) -> f32 {
    let mut h = seed.wrapping_mul(0x9E37_79B9) ^ x.wrapping_mul(0x85EB_CA6B) ^ y.wrapping_mul(0xC2B2_AE35);
    h ^= (c as u32).wrapping_mul(0x27D4_EB2F);
    h ^= h >> 15;
    h = h.wrapping_mul(0x2C1B_3C6D);
    h ^= h >> 12;
    (h >> 8) as f32 / (1u32 << 24) as f32
}

struct Case {
    name: &'static str,
    frame: FrameConstants,
    seed: u32,
}

fn cases() -> Vec<Case> {
    let base = FrameConstants {
        render_size: [12, 8],
        display_size: [24, 16],
        prev_render_size: [12, 8],
        frame_index: 5,
        reset: false,
        jitter: [0.21, -0.33],
        motion_scale: [1.0, 1.0],
        exposure: 1.5,
        sharpness: 0.0,
        debug_view: 0,
        depth_inverted: true,
        has_reactive: true,
    };
    vec![
        Case { name: "moving", frame: base, seed: 1 },
        Case {
            name: "dynamic",
            frame: FrameConstants {
                render_size: [10, 7],
                prev_render_size: [12, 8],
                jitter: [-0.4, 0.12],
                has_reactive: false,
                exposure: 0.7,
                ..base
            },
            seed: 2,
        },
        Case { name: "reset", frame: FrameConstants { reset: true, depth_inverted: false, ..base }, seed: 3 },
    ]
}

/// Inputs, state and expected outputs of one case, as (key, image).
fn case_tensors(case: &Case) -> Vec<(String, Image)> {
    let f = &case.frame;
    let [w, h] = f.render_size;
    let [pw, ph] = f.prev_render_size;
    let [dw, dh] = f.display_size;
    let s = case.seed;
    // HDR colour with a few highlights, depth with edges, motion up to ~1.5 render pixels.
    let color = Image::from_fn(w, h, 4, |x, y, c| {
        if c == 3 { 1.0 } else { noise(s, x, y, c) * if noise(s, x, y, 7) > 0.9 { 8.0 } else { 1.0 } }
    });
    let depth = Image::from_fn(w, h, 1, |x, y, _| if (x + y) % 5 == 0 { 0.6 } else { 0.1 + 0.05 * noise(s, x, y, 3) });
    let motion = Image::from_fn(w, h, 2, |x, y, c| {
        (noise(s, x, y, 10 + c) - 0.5) * 3.0 / [w, h][c] as f32 + if c == 0 { 0.02 } else { -0.01 }
    });
    let reactive = Image::from_fn(w, h, 1, |x, y, _| if noise(s, x, y, 20) > 0.8 { noise(s, x, y, 21) } else { 0.0 });
    let prev_depth = Image::from_fn(pw, ph, 1, |x, y, _| 0.08 + 0.3 * noise(s, x, y, 30));
    let history =
        Image::from_fn(
            dw,
            dh,
            4,
            |x, y, c| if c == 3 { 16.0 * noise(s, x, y, 40) } else { 0.9 * noise(s, x, y, 41 + c) },
        );
    let feedback = Image::from_fn(pw, ph, 2, |x, y, c| 2.0 * noise(s, x, y, 50 + c) - 1.0);
    // The network's activated outputs, each channel in its range (β across all of [−4, 4]).
    let params = Image::from_fn(w, h, 16, |x, y, c| {
        let u = noise(s, x, y, 60 + c);
        let v = match c {
            0 => 0.2 + 0.8 * u,
            1 => u,
            2 => 0.5 + 3.0 * u,
            3 => 1.0 + 31.0 * u,
            4..=12 => 8.0 * u - 4.0,
            13 | 14 => 2.0 * u - 1.0,
            _ => 0.0,
        };
        F16Rounding::NearestEven.round(v)
    });

    let rounding = F16Rounding::NearestEven;
    let prep = prepare(
        f,
        &PrepareInputs {
            color: &color,
            depth: &depth,
            motion_vectors: &motion,
            reactive: f.has_reactive.then_some(&reactive),
            prev_depth: &prev_depth,
        },
        rounding,
    );
    let taau = taau_params(f, &prep.features, rounding);
    let input = network_input(
        f,
        &NetworkInputs {
            color: &color,
            depth: &depth,
            dilated_motion: &prep.dilated_motion,
            features: &prep.features,
            history: &history,
            feedback: Some(&feedback),
        },
    );
    let input = Image::new(w, h, 16, input.data.iter().flatten().copied().collect());
    let new_history = resolve(
        f,
        &ResolveInputs { color: &color, dilated_motion: &prep.dilated_motion, params: &params, history: &history },
        rounding,
    );
    let mut out = vec![
        ("color".into(), color),
        ("depth".into(), depth),
        ("motion".into(), motion),
        ("prev_depth".into(), prev_depth),
        ("history".into(), history),
        ("feedback".into(), feedback),
        ("params".into(), params),
        ("expected.prepare.dilated_motion".into(), prep.dilated_motion),
        ("expected.prepare.features".into(), prep.features),
        ("expected.prepare.depth".into(), prep.depth),
        ("expected.taau_params".into(), taau),
        ("expected.input".into(), input),
        ("expected.resolve.history".into(), new_history),
    ];
    if f.has_reactive {
        out.push(("reactive".into(), reactive));
    }
    out
}

fn fixture_bytes() -> Vec<u8> {
    let mut tensors: Vec<(String, Vec<u8>, Vec<usize>)> = Vec::new();
    let mut meta_cases = Vec::new();
    for case in cases() {
        let f = &case.frame;
        meta_cases.push(format!(
            concat!(
                r#"{{"name": "{}", "frame": {{"render_size": [{}, {}], "display_size": [{}, {}], "#,
                r#""prev_render_size": [{}, {}], "reset": {}, "jitter": [{:?}, {:?}], "exposure": {:?}, "#,
                r#""motion_scale": [{:?}, {:?}], "depth_inverted": {}, "has_reactive": {}}}, "#,
                r#""f16_rounding": "nearest_even"}}"#
            ),
            case.name,
            f.render_size[0],
            f.render_size[1],
            f.display_size[0],
            f.display_size[1],
            f.prev_render_size[0],
            f.prev_render_size[1],
            f.reset,
            f.jitter[0],
            f.jitter[1],
            f.exposure,
            f.motion_scale[0],
            f.motion_scale[1],
            f.depth_inverted,
            f.has_reactive
        ));
        for (key, image) in case_tensors(&case) {
            let shape = vec![image.height() as usize, image.width() as usize, image.channels()];
            let bytes = image.data().iter().flat_map(|v| v.to_le_bytes()).collect();
            tensors.push((format!("{}.{key}", case.name), bytes, shape));
        }
    }
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(name, bytes, shape)| (name.clone(), TensorView::new(Dtype::F32, shape.clone(), bytes).unwrap()))
        .collect();
    let meta = HashMap::from([
        ("format".to_owned(), "quantsr-parity".to_owned()),
        ("version".to_owned(), "1".to_owned()),
        ("cases".to_owned(), format!("[{}]", meta_cases.join(", "))),
    ]);
    safetensors::serialize(views, Some(meta)).unwrap()
}

#[test]
fn the_committed_parity_fixture_is_what_the_cpu_reference_computes() {
    let bytes = fixture_bytes();
    let path = fixture_path();
    if std::env::var_os("QUANTSR_WRITE_PARITY_FIXTURE").is_some() {
        std::fs::write(&path, &bytes).unwrap();
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // Compared by content: the header's metadata order is not fixed.
    let stale = |what: &str| {
        panic!(
            "{} is stale ({what}): the CPU reference changed. Rewrite it with QUANTSR_WRITE_PARITY_FIXTURE=1 \
             and check that the torch graph still agrees (make parity)",
            path.display()
        )
    };
    let (_, old_meta) = safetensors::SafeTensors::read_metadata(&committed).unwrap();
    let (_, new_meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let cases = |m: &safetensors::tensor::Metadata| m.metadata().as_ref().and_then(|m| m.get("cases").cloned());
    if cases(&old_meta) != cases(&new_meta) {
        stale("the cases differ");
    }
    let old = safetensors::SafeTensors::deserialize(&committed).unwrap();
    let new = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names = new.names();
    names.sort();
    let mut old_names = old.names();
    old_names.sort();
    if names != old_names {
        stale("the tensors differ");
    }
    for name in names {
        let (a, b) = (old.tensor(name).unwrap(), new.tensor(name).unwrap());
        if a.shape() != b.shape() || a.data() != b.data() {
            stale(name);
        }
    }
}

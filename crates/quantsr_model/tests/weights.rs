//! The weight-file loader: the trained model loads with the shapes and sizes NETWORK.md gives,
//! and every way a file can be wrong is a `ModelError` naming the file and the tensor or field.
//! Bad files are made by code: a small synthetic model, serialised with the safetensors crate,
//! then edited.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use quantsr_model::weights::{ACCUMULATOR_LIMIT, LAYER_NAMES};
use quantsr_model::{ModelError, ModelFile, NetworkKind, layer_specs};
use safetensors::Dtype;
use safetensors::tensor::TensorView;

/// The trained weight file.
fn model_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/models/quantsr.safetensors")
}

#[test]
fn trained_model_loads_with_the_specified_shapes() {
    let path = model_path();
    let model = ModelFile::load(&path).unwrap_or_else(|e| panic!("{e} (run `python -m training export`)"));
    assert_eq!(model.version, "1");
    for kind in NetworkKind::ALL {
        let net = model.network(kind);
        assert_eq!(net.kind, kind);
        let names: Vec<&str> = net.layers.iter().map(|l| l.spec.name).collect();
        let expected: Vec<&str> = LAYER_NAMES.into_iter().filter(|n| *n != "f0" || kind.full_res_width() > 0).collect();
        assert_eq!(names, expected);
        assert_eq!(net.has_full_res(), kind.full_res_width() > 0);
        for (layer, spec) in net.layers.iter().zip(layer_specs(kind, kind.full_res_width())) {
            assert_eq!(layer.spec, spec);
            assert_eq!((layer.weight.len(), layer.weight_q.len()), (spec.weight_len(), spec.weight_len()));
            assert_eq!((layer.bias.len(), layer.weight_scale.len()), (spec.cout, spec.cout));
        }
        assert_eq!(net.layer("d1").act_scale, net.input_scale);
        assert_eq!(net.layer("head").act_scale, net.input_scale);
        assert_eq!(net.layer("u1").out_scale, net.input_scale);
        if net.has_full_res() {
            assert_eq!((net.layer("f0").act_scale, net.layer("f0").out_scale), (net.input_scale, net.input_scale));
        }
        assert_eq!(net.layer("head").out_scale, net.output_scale);
        assert_eq!(net.layer("e3").out_scale, net.layer("u2").act_scale);
    }
    // The `architecture` metadata training wrote agrees with the specs.
    for kind in NetworkKind::ALL {
        let arch = &model.architecture[kind.name()];
        assert_eq!(arch["parameters"].as_u64(), Some(model.network(kind).parameter_count() as u64));
        assert_eq!(arch["macs_per_render_pixel"].as_f64(), Some(model.network(kind).macs_per_render_pixel()));
    }
    for rung in ["f32", "f16", "int8", "lite-int8", "taau"] {
        let psnr = model.val_psnr.get(rung).unwrap_or_else(|| panic!("val_psnr has no `{rung}`"));
        assert!(psnr.is_finite() && *psnr > 10.0, "val_psnr[{rung}] = {psnr}");
    }
}

#[test]
fn network_sizes_match_network_md() {
    let model = ModelFile::from_bytes(&synthetic_model(), "synthetic").unwrap();
    // NETWORK.md: full ≈ 86 k parameters, ≈ 6.4 k MAC per render pixel (2.3 k of them in `f0`);
    // lite 21.5 k parameters and 1 288 MAC per render pixel, under 0.35× full's.
    assert_eq!(model.full.parameter_count(), 86_352);
    assert_eq!(model.full.macs_per_render_pixel(), 6_432.0);
    assert_eq!(model.lite.parameter_count(), 21_544);
    assert_eq!(model.lite.macs_per_render_pixel(), 1_288.0);
    assert!(model.lite.macs_per_render_pixel() < 0.35 * model.full.macs_per_render_pixel());
}

#[test]
fn a_file_from_before_the_full_resolution_layer_still_loads() {
    let (t, meta) = synthetic_tensors_with(|_| 0);
    let model = ModelFile::from_bytes(&serialize(&t, meta), "old.safetensors").unwrap();
    assert!(!model.full.has_full_res());
    assert_eq!(model.full.layers.len(), 10);
    assert_eq!((model.full.parameter_count(), model.full.macs_per_render_pixel()), (83_776, 3_872.0));
    // A head wider than the file's f0 says is an error naming the tensor.
    let e = load_err(&edit(|t, _| {
        t.remove("full.f0.weight");
    }));
    assert_names(&e, &["bad.safetensors", "full.head.weight"]);
}

#[test]
fn requantisation_constants_are_computed_in_f32_like_torch() {
    let model = ModelFile::from_bytes(&synthetic_model(), "synthetic").unwrap();
    let layer = model.full.layer("e2a");
    let (bias_q, multiplier) = (layer.bias_q(), layer.multiplier());
    for c in 0..layer.spec.cout {
        let s = layer.act_scale * layer.weight_scale[c];
        assert_eq!(bias_q[c], (layer.bias[c] / s).round_ties_even() as i32);
        assert_eq!(multiplier[c], s / layer.out_scale);
    }
    // Ties round to even.
    let mut tie = layer.clone();
    tie.act_scale = 1.0;
    (tie.weight_scale[0], tie.weight_scale[1], tie.bias[0], tie.bias[1]) = (1.0, 1.0, 2.5, -3.5);
    assert_eq!(&tie.bias_q()[..2], &[2, -4]);
}

// ---------------------------------------------------------------------------------------------
// Bad files
// ---------------------------------------------------------------------------------------------

#[test]
fn synthetic_model_is_valid() {
    let model = ModelFile::from_bytes(&synthetic_model(), "synthetic.safetensors").unwrap();
    assert_eq!(model.val_psnr["int8"], 30.5);
}

#[test]
fn truncated_file_is_rejected() {
    let bytes = synthetic_model();
    for len in [0, 4, 8, 100, bytes.len() / 2, bytes.len() - 1] {
        let e = load_err(&bytes[..len]);
        assert!(matches!(e, ModelError::Safetensors { .. }), "{len} bytes: {e}");
        assert_names(&e, &["bad.safetensors", "safetensors"]);
    }
}

#[test]
fn file_that_is_not_safetensors_is_rejected() {
    for bytes in [&b"PK\x03\x04 this is a zip file, not a model"[..], &[0xff; 64][..], &[][..]] {
        let e = load_err(bytes);
        assert!(matches!(e, ModelError::Safetensors { .. }), "{e}");
        assert_names(&e, &["bad.safetensors", "not a valid safetensors file"]);
    }
    // A huge declared header length must be an error, not an allocation or a panic.
    let mut bytes = u64::MAX.to_le_bytes().to_vec();
    bytes.extend_from_slice(b"{}");
    assert!(matches!(load_err(&bytes), ModelError::Safetensors { .. }));
}

#[test]
fn missing_file_names_the_path() {
    let e = ModelFile::load(std::path::Path::new("/nonexistent/quantsr.safetensors")).unwrap_err();
    assert!(matches!(e, ModelError::Io { .. }), "{e}");
    assert_names(&e, &["/nonexistent/quantsr.safetensors"]);
}

#[test]
fn wrong_format_metadata_is_rejected() {
    let e = load_err(&edit(|_, meta| drop(meta.insert("format".into(), "quantsr-model-fixture".into()))));
    assert!(matches!(e, ModelError::Format { .. }), "{e}");
    assert_names(&e, &["bad.safetensors", "`format`", "quantsr-model-fixture", "\"quantsr-model\""]);

    let e = load_err(&edit(|_, meta| meta.clear()));
    assert_names(&e, &["bad.safetensors", "`format` is missing"]);
}

#[test]
fn unknown_version_is_rejected_with_the_supported_ones() {
    let e = load_err(&edit(|_, meta| drop(meta.insert("version".into(), "2".into()))));
    assert!(matches!(e, ModelError::Version { .. }), "{e}");
    assert_names(&e, &["bad.safetensors", "`version`", "\"2\"", "version(s) 1"]);

    let e = load_err(&edit(|_, meta| drop(meta.remove("version"))));
    assert_names(&e, &["bad.safetensors", "`version` is missing"]);
}

#[test]
fn bad_val_psnr_and_architecture_metadata_are_rejected() {
    let e = load_err(&edit(|_, meta| drop(meta.remove("val_psnr"))));
    assert!(matches!(e, ModelError::MissingMetadata { key: "val_psnr", .. }), "{e}");
    assert_names(&e, &["bad.safetensors", "`val_psnr`"]);

    for bad in ["not json", "[1, 2]", r#"{"f32": "high"}"#] {
        let e = load_err(&edit(|_, meta| drop(meta.insert("val_psnr".into(), bad.into()))));
        assert!(matches!(e, ModelError::InvalidMetadata { key: "val_psnr", .. }), "{bad}: {e}");
        assert_names(&e, &["bad.safetensors", "`val_psnr`"]);
    }

    let e = load_err(&edit(|_, meta| drop(meta.insert("architecture".into(), "{truncated".into()))));
    assert!(matches!(e, ModelError::InvalidMetadata { key: "architecture", .. }), "{e}");
    assert_names(&e, &["bad.safetensors", "`architecture`"]);
}

#[test]
fn missing_tensor_is_named() {
    for name in ["full.e2b.weight", "lite.head.weight_q", "lite.u1.act_scale", "full.output_scale"] {
        let e = load_err(&edit(|t, _| drop(t.remove(name))));
        assert!(matches!(e, ModelError::MissingTensor { .. }), "{name}: {e}");
        assert_names(&e, &["bad.safetensors", &format!("`{name}`"), "missing"]);
    }
}

#[test]
fn extra_tensors_are_ignored() {
    let bytes = edit(|t, _| drop(t.insert("full.notes".into(), (Dtype::U8, vec![3], vec![1, 2, 3]))));
    ModelFile::from_bytes(&bytes, "extra").unwrap();
}

#[test]
fn wrong_dtype_is_named() {
    let e = load_err(&edit(|t, _| {
        t.get_mut("full.d3.weight_q").unwrap().0 = Dtype::U8;
    }));
    assert!(matches!(e, ModelError::WrongDtype { .. }), "{e}");
    assert_names(&e, &["bad.safetensors", "`full.d3.weight_q`", "U8", "expected I8"]);

    // f32 bias stored as f16 (half the bytes).
    let e = load_err(&edit(|t, _| {
        let b = t.get_mut("lite.e1.bias").unwrap();
        (b.0, b.2) = (Dtype::F16, b.2[..b.2.len() / 2].to_vec());
    }));
    assert_names(&e, &["bad.safetensors", "`lite.e1.bias`", "F16", "expected F32"]);
}

#[test]
fn wrong_shape_is_named_with_both_shapes() {
    // Transposed [in, out, kh, kw] weight for d2 (16 → 32).
    let e = load_err(&edit(|t, _| t.get_mut("full.d2.weight").unwrap().1 = vec![16, 32, 2, 2]));
    assert!(matches!(e, ModelError::WrongShape { .. }), "{e}");
    assert_names(&e, &["bad.safetensors", "`full.d2.weight`", "[16, 32, 2, 2]", "expected [32, 16, 2, 2]"]);

    // The scalar scale as a 0-d tensor.
    let e = load_err(&edit(|t, _| t.get_mut("lite.input_scale").unwrap().1 = vec![]));
    assert_names(&e, &["bad.safetensors", "`lite.input_scale`", "[]", "expected [1]"]);
}

#[test]
fn non_finite_weights_and_biases_are_rejected() {
    for (name, index, value) in [("full.e3.weight", 77, f32::NAN), ("lite.head.bias", 3, f32::INFINITY)] {
        let e = load_err(&edit(|t, _| set_f32(t, name, index, value)));
        assert!(matches!(e, ModelError::NonFinite { .. }), "{name}: {e}");
        assert_names(&e, &["bad.safetensors", &format!("`{name}`"), &format!("index {index}")]);
    }
}

#[test]
fn invalid_scales_are_rejected() {
    let cases = [
        ("full.u2.weight_scale", 5, f32::NAN),
        ("full.e1.act_scale", 0, 0.0),
        ("lite.d2.weight_scale", 0, -0.01),
        ("full.input_scale", 0, f32::INFINITY),
        ("lite.output_scale", 0, -1.0),
    ];
    for (name, index, value) in cases {
        let e = load_err(&edit(|t, _| set_f32(t, name, index, value)));
        assert!(matches!(e, ModelError::InvalidScale { .. }), "{name}: {e}");
        assert_names(&e, &["bad.safetensors", &format!("`{name}`"), "finite and > 0"]);
    }
}

#[test]
fn input_scale_must_be_shared_with_d1_and_the_head() {
    for name in ["full.head.act_scale", "lite.d1.act_scale"] {
        let e = load_err(&edit(|t, _| set_f32(t, name, 0, 0.02)));
        assert!(matches!(e, ModelError::ScaleMismatch { .. }), "{name}: {e}");
        let input = format!("`{}.input_scale`", &name[..4]);
        assert_names(&e, &["bad.safetensors", &format!("`{name}`"), &input]);
    }
}

#[test]
fn accumulator_that_could_reach_two_to_the_24_is_rejected() {
    // bias_q = 1000 / (0.01 · s_w) with s_w ≤ 0.5/127: far beyond 2^24.
    let e = load_err(&edit(|t, _| set_f32(t, "full.u1.bias", 2, 1000.0)));
    assert!(matches!(e, ModelError::AccumulatorOverflow { channel: 2, .. }), "{e}");
    assert_names(&e, &["bad.safetensors", "`full.u1`", "channel 2", "2^24"]);

    // A tiny input scale makes even a modest bias overflow its accumulator scale.
    let e = load_err(&edit(|t, _| {
        for name in ["lite.input_scale", "lite.d1.act_scale", "lite.head.act_scale"] {
            set_f32(t, name, 0, 1e-30);
        }
    }));
    assert!(matches!(e, ModelError::AccumulatorOverflow { .. }), "{e}");
    assert_names(&e, &["bad.safetensors", "`lite.d1`"]);
}

#[test]
fn int8_weights_alone_cannot_reach_the_accumulator_limit() {
    // Only the pre-scaled bias can push a layer past 2^24: even full e3 (64·9 = 576 taps of
    // ±127 against ±128 inputs) stays below it.
    for kind in NetworkKind::ALL {
        for spec in layer_specs(kind, kind.full_res_width()) {
            let worst = (spec.cin * spec.kernel * spec.kernel * 127 * 128) as f64;
            assert!(worst < ACCUMULATOR_LIMIT, "{} {}: {worst}", kind.name(), spec.name);
        }
    }
}

#[test]
fn arbitrary_byte_corruption_never_panics() {
    let bytes = synthetic_model();
    // Half the corruptions land in the length prefix and JSON header, half anywhere.
    let header_end = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for round in 0..400 {
        let mut bad = bytes.clone();
        for _ in 0..3 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let span = if round % 2 == 0 { header_end } else { bad.len() };
            bad[(state % span as u64) as usize] = (state >> 32) as u8;
        }
        // Any result is fine, as long as it is a result.
        let _ = ModelFile::from_bytes(&bad, "fuzz");
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers: a synthetic model and edits of it
// ---------------------------------------------------------------------------------------------

/// A tensor as stored: dtype, shape, little-endian bytes.
type RawTensor = (Dtype, Vec<usize>, Vec<u8>);

/// A valid weight file of deterministic pseudo-random weights: weights in ±0.5, biases in ±0.1,
/// `weight_q`/`weight_scale` derived from the weights as training does, every activation scale
/// 0.01, output scale 0.05.
fn synthetic_tensors() -> (BTreeMap<String, RawTensor>, HashMap<String, String>) {
    synthetic_tensors_with(NetworkKind::full_res_width)
}

/// [`synthetic_tensors`] with an `f0` of `full_res(kind)` channels per network (none when 0).
fn synthetic_tensors_with(
    full_res: impl Fn(NetworkKind) -> usize,
) -> (BTreeMap<String, RawTensor>, HashMap<String, String>) {
    let mut state = 1u32;
    let mut uniform = move || {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
    };
    let f32s = |shape: Vec<usize>, v: &[f32]| (Dtype::F32, shape, v.iter().flat_map(|x| x.to_le_bytes()).collect());
    let mut t = BTreeMap::new();
    for kind in NetworkKind::ALL {
        let n = kind.name();
        for spec in layer_specs(kind, full_res(kind)) {
            let w: Vec<f32> = (0..spec.weight_len()).map(|_| uniform()).collect();
            let b: Vec<f32> = (0..spec.cout).map(|_| uniform() * 0.2).collect();
            let taps = spec.weight_len() / spec.cout;
            let s: Vec<f32> = w.chunks(taps).map(|c| c.iter().fold(0.0f32, |m, x| m.max(x.abs())) / 127.0).collect();
            let q: Vec<u8> =
                w.iter().enumerate().map(|(i, x)| (x / s[i / taps]).round_ties_even() as i8 as u8).collect();
            let l = spec.name;
            t.insert(format!("{n}.{l}.weight"), f32s(spec.weight_shape().to_vec(), &w));
            t.insert(format!("{n}.{l}.bias"), f32s(vec![spec.cout], &b));
            t.insert(format!("{n}.{l}.weight_q"), (Dtype::I8, spec.weight_shape().to_vec(), q));
            t.insert(format!("{n}.{l}.weight_scale"), f32s(vec![spec.cout], &s));
            t.insert(format!("{n}.{l}.act_scale"), f32s(vec![1], &[0.01]));
        }
        t.insert(format!("{n}.input_scale"), f32s(vec![1], &[0.01]));
        t.insert(format!("{n}.output_scale"), f32s(vec![1], &[0.05]));
    }
    let meta = [
        ("format", "quantsr-model"),
        ("version", "1"),
        ("architecture", r#"{"full": {"kind": "full"}, "lite": {"kind": "lite"}}"#),
        ("val_psnr", r#"{"f32": 31.0, "f16": 31.0, "int8": 30.5, "lite-int8": 29.0, "taau": 28.0}"#),
    ];
    (t, meta.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
}

fn serialize(tensors: &BTreeMap<String, RawTensor>, meta: HashMap<String, String>) -> Vec<u8> {
    // TensorView checks the byte count against the shape; build those that break it by hand.
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(name, (dtype, shape, data))| (name.clone(), TensorView::new(*dtype, shape.clone(), data).unwrap()))
        .collect();
    safetensors::serialize(views, Some(meta)).unwrap()
}

fn synthetic_model() -> Vec<u8> {
    let (t, meta) = synthetic_tensors();
    serialize(&t, meta)
}

/// The synthetic model after `f` edited its tensors and metadata. A shape edit that changes the
/// element count is compensated in the data (zeros appended or bytes cut) so the file stays a
/// valid safetensors file and the loader's own check is what fails.
fn edit(f: impl FnOnce(&mut BTreeMap<String, RawTensor>, &mut HashMap<String, String>)) -> Vec<u8> {
    let (mut t, mut meta) = synthetic_tensors();
    f(&mut t, &mut meta);
    for (dtype, shape, data) in t.values_mut() {
        let bytes = shape.iter().product::<usize>() * dtype.bitsize() / 8;
        data.resize(bytes, 0);
    }
    serialize(&t, meta)
}

fn set_f32(t: &mut BTreeMap<String, RawTensor>, name: &str, index: usize, value: f32) {
    let data = &mut t.get_mut(name).unwrap().2;
    data[4 * index..4 * index + 4].copy_from_slice(&value.to_le_bytes());
}

fn load_err(bytes: &[u8]) -> ModelError {
    match ModelFile::from_bytes(bytes, "bad.safetensors") {
        Ok(_) => panic!("a bad file loaded"),
        Err(e) => e,
    }
}

/// The error's message contains every part.
fn assert_names(e: &ModelError, parts: &[&str]) {
    let message = e.to_string();
    for part in parts {
        assert!(message.contains(part), "`{message}` does not mention {part}");
    }
}

//! The CPU forward passes against the model fixture training wrote with torch
//! (`training/export.py: export_fixture`), for both networks, on an even-sized and an
//! odd-sized input. Tolerances, per rung:
//!
//! - `f32` raw and params: max |Δ| ≤ 1e-4 · max(1, max |expected|): only the summation order
//!   differs from torch's.
//! - `f16` raw: max |Δ| ≤ 1e-2 · max(1, max |expected|): a different f32 summation order can
//!   flip an f16 rounding of an intermediate activation, which then propagates.
//! - `int8`: every quantised activation (`N.X.int8.q.L`) and the dequantised head output
//!   (`N.X.int8.raw`) exact (as numbers: torch's raw output has −0 where the head's q rounds to
//!   0 from below); `N.X.int8.params` within 2 ulps (the inputs are equal, only
//!   Rust's `exp`/`tanh` and torch's vectorised sigmoid/tanh may differ in the last bit(s)).

use std::collections::BTreeMap;
use std::path::PathBuf;

use quantsr_model::fixture::FIXTURE_INPUTS;
use quantsr_model::{ModelFile, ModelFixture, NetworkKind, Tensor, activate, forward_f16, forward_f32, forward_int8};

/// `assets/models/NAME`: the committed model and the fixture `make train` wrote with it.
fn model_asset(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/models").join(name)
}

fn load() -> (ModelFile, ModelFixture) {
    let model = ModelFile::load(&model_asset("quantsr.safetensors")).unwrap_or_else(|e| panic!("{e}"));
    let fixture = ModelFixture::load(&model_asset("fixture.safetensors")).unwrap_or_else(|e| panic!("{e}"));
    (model, fixture)
}

/// Largest |a − b| and the tolerance scale max(1, max |expected|).
fn max_error(got: &Tensor, expected: &Tensor) -> (f32, f32) {
    assert_eq!(got.shape(), expected.shape());
    let err = got.data.iter().zip(&expected.data).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    let scale = expected.data.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    (err, scale)
}

/// Distance in units in the last place between two finite f32 of any sign.
fn ulps(a: f32, b: f32) -> u32 {
    let key = |x: f32| {
        let bits = x.to_bits() as i32;
        if bits < 0 { i32::MIN.wrapping_sub(bits) } else { bits }
    };
    key(a).abs_diff(key(b))
}

fn check_close(what: &str, got: &Tensor, expected: &Tensor, relative: f32) {
    let (err, scale) = max_error(got, expected);
    eprintln!("{what}: max |Δ| = {err:.3e} (scale {scale:.3}, relative {:.3e})", err / scale);
    assert!(err <= relative * scale, "{what}: max |Δ| {err} exceeds {relative} · {scale}");
}

#[test]
fn f32_forward_matches_torch() {
    let (model, fixture) = load();
    for kind in NetworkKind::ALL {
        for x in FIXTURE_INPUTS {
            let input = fixture.tensor_f32(x).unwrap();
            let raw = forward_f32(model.network(kind), &input);
            let key = format!("{}.{x}.f32", kind.name());
            check_close(&format!("{key}.raw"), &raw, &fixture.tensor_f32(&format!("{key}.raw")).unwrap(), 1e-4);
            let params = activate(&raw);
            check_close(
                &format!("{key}.params"),
                &params,
                &fixture.tensor_f32(&format!("{key}.params")).unwrap(),
                1e-4,
            );
        }
    }
}

#[test]
fn f16_forward_matches_torch_emulation() {
    let (model, fixture) = load();
    for kind in NetworkKind::ALL {
        for x in FIXTURE_INPUTS {
            let raw = forward_f16(model.network(kind), &fixture.tensor_f32(x).unwrap());
            let key = format!("{}.{x}.f16.raw", kind.name());
            check_close(&key, &raw, &fixture.tensor_f32(&key).unwrap(), 1e-2);
            // The rung stores f16: every output is an f16 value.
            assert!(raw.data.iter().all(|&v| half::f16::from_f32(v).to_f32() == v));
        }
    }
}

#[test]
fn int8_forward_matches_torch_bit_exactly() {
    let (model, fixture) = load();
    for kind in NetworkKind::ALL {
        for x in FIXTURE_INPUTS {
            let key = format!("{}.{x}.int8", kind.name());
            let mut keep = BTreeMap::new();
            let raw = forward_int8(model.network(kind), &fixture.tensor_f32(x).unwrap(), Some(&mut keep));
            // The input and every layer this network has (the full-resolution layer is optional).
            let network = model.network(kind);
            let layers: Vec<&str> =
                std::iter::once("input").chain(network.layers.iter().map(|l| l.spec.name)).collect();
            assert_eq!(keep.len(), layers.len(), "{key}: layers kept");
            for layer in layers {
                let expected = fixture.tensor_i8(&format!("{key}.q.{layer}")).unwrap();
                let got = &keep[layer];
                assert_eq!(got.shape(), expected.shape(), "{key}.q.{layer}");
                let wrong = got.data.iter().zip(&expected.data).filter(|(a, b)| a != b).count();
                assert_eq!(wrong, 0, "{key}.q.{layer}: {wrong} of {} values differ", got.data.len());
            }
            let expected_raw = fixture.tensor_f32(&format!("{key}.raw")).unwrap();
            assert_eq!(raw.shape(), expected_raw.shape());
            // Equal as numbers: torch keeps the sign of a head output that rounds to −0 (q is an
            // i8 0 either way); the int8 pipeline has no −0.
            let bad: Vec<_> = raw.data.iter().zip(&expected_raw.data).filter(|(a, b)| a != b).take(5).collect();
            assert!(bad.is_empty(), "{key}.raw: {bad:?}");

            let params = activate(&raw);
            let expected_params = fixture.tensor_f32(&format!("{key}.params")).unwrap();
            let worst = params.data.iter().zip(&expected_params.data).map(|(&a, &b)| ulps(a, b)).max().unwrap();
            eprintln!("{key}.params: max {worst} ulp");
            assert!(worst <= 2, "{key}.params: {worst} ulps from torch");
        }
    }
}

#[test]
fn fixture_was_made_from_this_weight_file() {
    let (_, fixture) = load();
    let bytes = std::fs::read(model_asset("quantsr.safetensors")).unwrap();
    let digest: String = sha256(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(fixture.metadata("format"), Some("quantsr-model-fixture"));
    assert_eq!(
        fixture.metadata("weights_sha256"),
        Some(digest.as_str()),
        "the fixture is stale: re-run `python -m training export`"
    );
}

#[test]
fn fixture_reader_names_missing_and_mistyped_tensors() {
    let (_, fixture) = load();
    let e = fixture.tensor_f32("full.input.f64.raw").unwrap_err();
    assert!(e.to_string().contains("fixture.safetensors") && e.to_string().contains("`full.input.f64.raw` is missing"));
    let e = fixture.tensor_f32("full.input.int8.q.d1").unwrap_err();
    assert!(e.to_string().contains("dtype I8, expected F32"), "{e}");
}

#[test]
fn sha256_matches_the_standard_test_vectors() {
    let hex = |d: [u8; 32]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(hex(sha256(b"")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(hex(sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    let two_blocks = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_eq!(hex(sha256(two_blocks)), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/// SHA-256 (FIPS 180-4), to check the fixture's `weights_sha256` without a dependency.
fn sha256(message: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
        0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
        0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
        0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
        0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
        0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
        0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] =
        [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    let mut padded = message.to_vec();
    padded.push(0x80);
    while padded.len() % 64 != 56 {
        padded.push(0);
    }
    padded.extend_from_slice(&(message.len() as u64 * 8).to_be_bytes());
    for block in padded.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh.wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            (hh, g, f, e, d, c, b, a) = (g, f, e, d.wrapping_add(t1), c, b, a, t1.wrapping_add(t2));
        }
        for (state, v) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *state = state.wrapping_add(v);
        }
    }
    let mut out = [0u8; 32];
    for (chunk, v) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&v.to_be_bytes());
    }
    out
}

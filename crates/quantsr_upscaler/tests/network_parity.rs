//! The WGSL network kernels of every rung against the CPU reference (`quantsr_model::network`),
//! layer by layer, on the model fixture's inputs (an even and an odd size) and on random inputs.
//!
//! Tolerances (max |Δ| relative to max(1, max |expected|) of the tensor compared):
//! - `f32`: every intermediate tensor ≤ 1e-4 (only the summation order differs).
//! - `f16`: every intermediate tensor ≤ 1e-2 (f16 products and storage; the device may round
//!   stores toward zero, the reference to nearest).
//! - `int8`: every intermediate tensor bit-exact: integer products summed in f32 are exact
//!   below 2^24 (the loader checks the bound) and the requantisation is the same f32 multiply
//!   and half-to-even rounding.
//! - The parameters the head writes are stored as f16 (as resolve reads them): within 2e-3 of
//!   the activated reference, relative to each channel's range (f16 has 11 significant bits and
//!   lavapipe rounds toward zero); the int8 rungs within the same bound (their raw output is
//!   exact, only the activation and the f16 store differ). The `f16` rung's head already
//!   carries its f16 products' error, so its parameters get 5e-3 (session-6 weights: 2.4e-3
//!   on the feedback channel 14).

use std::collections::BTreeMap;

use quantsr_gpu::test_gpu;
use quantsr_model::{ModelFile, ModelFixture, Tensor, activate, forward_int8, layers_f16, layers_f32};
use quantsr_upscaler::{KernelVariant, Math, NetworkProbe, Rung};

fn model() -> std::sync::Arc<ModelFile> {
    ModelFile::embedded()
}

fn fixture() -> ModelFixture {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/models/fixture.safetensors");
    ModelFixture::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn relative_error(got: &Tensor, expected: &Tensor) -> f32 {
    assert_eq!(got.shape(), expected.shape());
    let scale = expected.data.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    got.data.iter().zip(&expected.data).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max) / scale
}

fn random_input(width: usize, height: usize, seed: u64) -> Tensor {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    // Each channel roughly in its real range (NETWORK.md), some beyond the int8 input scale.
    Tensor::from_fn(16, height, width, |c, _, _| match c {
        9 => next() * 2.5,
        10 | 11 => next() - 0.5,
        14 | 15 => next() * 2.0 - 1.0,
        _ => next(),
    })
}

fn check_params(rung: Rung, got: &Tensor, raw: &Tensor, tolerance: f32) {
    let expected = activate(raw);
    for c in 0..15 {
        let channel = |t: &Tensor| Tensor::from_fn(1, t.height, t.width, |_, y, x| t.get(c, y, x));
        let err = relative_error(&channel(got), &channel(&expected));
        assert!(err <= tolerance, "{rung}: parameter channel {c} differs by {err} (relative), allowed {tolerance}");
    }
}

/// Largest tensor the tests run: one probe per rung serves every test (building the full
/// network's kernels takes seconds on lavapipe).
const MAX_SIZE: [u32; 2] = [40, 24];

/// The shared probe of `rung`, locked: tests run in parallel and a probe's buffers hold one
/// run at a time.
fn probe(rung: Rung) -> std::sync::MutexGuard<'static, NetworkProbe> {
    type Probes = Vec<(Rung, std::sync::Mutex<NetworkProbe>)>;
    static PROBES: std::sync::OnceLock<Probes> = std::sync::OnceLock::new();
    let probes = PROBES.get_or_init(|| {
        let ctx = test_gpu();
        let model = model();
        rungs()
            .into_iter()
            .map(|r| {
                let probe = NetworkProbe::new(&ctx, &model, r, MAX_SIZE).unwrap_or_else(|e| panic!("{r}: {e}"));
                (r, std::sync::Mutex::new(probe))
            })
            .collect()
    });
    let probe = &probes.iter().find(|(r, _)| *r == rung).expect("a probe per rung").1;
    probe.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn check_rung(rung: Rung, input: &Tensor, what: &str) {
    check_probe(&probe(rung), rung, Tolerance::of(rung, false), input, what);
}

/// What a probe's tensors and parameters may differ from the CPU reference by.
#[derive(Debug, Clone, Copy)]
struct Tolerance {
    tensors: f32,
    params: f32,
}

impl Tolerance {
    /// The bounds of the module docs; `f16_packed` when some layer accumulates in f16.
    fn of(rung: Rung, f16_packed: bool) -> Self {
        match rung {
            Rung::F32 => Self { tensors: 1e-4, params: 2e-3 },
            Rung::F16 if f16_packed => Self { tensors: F16_PACKED_TENSORS, params: F16_PACKED_PARAMS },
            Rung::F16 => Self { tensors: 1e-2, params: 5e-3 },
            _ => Self { tensors: 0.0, params: 2e-3 },
        }
    }
}

/// Bounds of the f16 variants that sum a kernel tap's products in f16 ([`Math::F16Packed`]):
/// up to 64 roundings per tap instead of one per four products.
const F16_PACKED_TENSORS: f32 = 2e-2;
const F16_PACKED_PARAMS: f32 = 1e-2;

fn check_probe(probe: &NetworkProbe, rung: Rung, tol: Tolerance, input: &Tensor, what: &str) {
    let model = model();
    let (kind, _) = rung.network().expect("a neural rung");
    let net = model.network(kind);
    let out = probe.run(input).unwrap_or_else(|e| panic!("{rung}: {e}"));
    let (expected, raw): (BTreeMap<String, Tensor>, Tensor) = match rung {
        Rung::F32 | Rung::F16 => {
            let mut layers = if rung == Rung::F32 { layers_f32(net, input) } else { layers_f16(net, input) };
            let raw = layers.remove("head").unwrap();
            (layers, raw)
        }
        _ => {
            let mut keep = BTreeMap::new();
            let raw = forward_int8(net, input, Some(&mut keep));
            keep.remove("head");
            (keep.into_iter().map(|(k, v)| (k, v.map(f32::from))).collect(), raw)
        }
    };
    let tolerance = tol.tensors;
    for (name, want) in &expected {
        if name == "input" && rung.is_neural() && tolerance > 0.0 {
            continue;
        }
        let got = &out.tensors[name];
        let err = relative_error(got, want);
        assert!(err <= tolerance, "{rung} on {what}: tensor `{name}` differs by {err} (relative), allowed {tolerance}");
    }
    check_params(rung, &out.params, &raw, tol.params);
}

fn rungs() -> Vec<Rung> {
    let ctx = test_gpu();
    let mut r = vec![Rung::F32, Rung::Int8, Rung::LiteInt8];
    if ctx.caps.shader_f16 {
        r.push(Rung::F16);
    }
    r
}

#[test]
fn every_rung_matches_the_cpu_reference_on_the_fixture_inputs() {
    let fixture = fixture();
    for name in quantsr_model::fixture::FIXTURE_INPUTS {
        let input = fixture.tensor_f32(name).unwrap();
        for rung in rungs() {
            check_rung(rung, &input, name);
        }
    }
}

#[test]
fn every_rung_matches_the_cpu_reference_on_random_inputs_of_odd_sizes() {
    for (i, (w, h)) in [(37, 21), (16, 9), (8, 8), (4, 5)].into_iter().enumerate() {
        let input = random_input(w, h, i as u64 + 7);
        for rung in rungs() {
            check_rung(rung, &input, &format!("random {w}x{h}"));
        }
    }
}

#[test]
fn the_int8_rung_matches_the_fixture_written_by_torch_bit_for_bit() {
    let fixture = fixture();
    for (rung, kind) in [(Rung::Int8, "full"), (Rung::LiteInt8, "lite")] {
        for name in quantsr_model::fixture::FIXTURE_INPUTS {
            let q_input = fixture.tensor_i8(&format!("{kind}.{name}.int8.q.input")).unwrap();
            let out = probe(rung).run_quantized(&q_input).unwrap();
            let layers = model().network(rung.network().expect("a network rung").0).layers.clone();
            for layer in layers.iter().map(|l| l.spec.name).filter(|n| *n != "head") {
                let want = fixture.tensor_i8(&format!("{kind}.{name}.int8.q.{layer}")).unwrap().map(f32::from);
                assert_eq!(out.tensors[layer], want, "{rung} on {name}: layer {layer} is not bit-exact with torch");
            }
        }
    }
}

/// Every candidate the autotuner may pick for every layer, against the CPU reference on the
/// fixture inputs and an odd size: probe `c` runs candidate `c` of each layer (wrapping for
/// layers with fewer), so every candidate of every layer runs in some probe. The integer
/// variants are bit-exact, so switching between them changes no output.
#[test]
fn every_kernel_variant_matches_the_cpu_reference() {
    let ctx = test_gpu();
    let model = model();
    let fixture = fixture();
    let mut inputs: Vec<(String, Tensor)> = quantsr_model::fixture::FIXTURE_INPUTS
        .iter()
        .map(|name| ((*name).to_owned(), fixture.tensor_f32(name).unwrap()))
        .collect();
    inputs.push(("random 37x21".to_owned(), random_input(37, 21, 11)));
    for rung in rungs() {
        let (kind, precision) = rung.network().expect("a neural rung");
        let net = model.network(kind);
        let candidates: Vec<Vec<KernelVariant>> =
            net.layers.iter().map(|l| KernelVariant::candidates(precision, &l.spec, l.spec.name == "head")).collect();
        let most = candidates.iter().map(Vec::len).max().unwrap();
        assert!(most > 1 || rung == Rung::F32, "{rung}: the autotuner has nothing to choose from");
        for c in 1..most {
            let variants: Vec<KernelVariant> = candidates.iter().map(|v| v[c % v.len()]).collect();
            let names: Vec<String> = variants.iter().map(KernelVariant::name).collect();
            let probe = NetworkProbe::with_variants(&ctx, &model, rung, MAX_SIZE, Some(&variants))
                .unwrap_or_else(|e| panic!("{rung} {names:?}: {e}"));
            assert_eq!(probe.variants().into_iter().map(|(_, v)| v).collect::<Vec<_>>(), variants);
            let packed = variants.iter().any(|v| v.math == Math::F16Packed);
            for (what, input) in &inputs {
                check_probe(&probe, rung, Tolerance::of(rung, packed), input, &format!("{what}, variants {names:?}"));
            }
        }
    }
}

#[test]
fn variant_names_round_trip_and_stale_ones_are_refused() {
    let model = model();
    for rung in rungs() {
        let (kind, precision) = rung.network().unwrap();
        for l in &model.network(kind).layers {
            let head = l.spec.name == "head";
            for v in KernelVariant::candidates(precision, &l.spec, head) {
                assert_eq!(KernelVariant::parse(&v.name()), Some(v));
                assert!(v.fits(precision, &l.spec, head), "{rung} {}: {} does not fit", l.spec.name, v.name());
            }
        }
    }
    let head = model.network(quantsr_model::NetworkKind::Full).layer("head");
    let split = KernelVariant {
        block: 8,
        ..KernelVariant::default_for(quantsr_model::NetworkPrecision::F32, &head.spec, true)
    };
    assert!(!split.fits(quantsr_model::NetworkPrecision::F32, &head.spec, true), "the head needs all 16 outputs");
    let dot4 = KernelVariant { math: Math::Int8Dot4, ..split };
    assert!(!dot4.fits(quantsr_model::NetworkPrecision::F32, &head.spec, true), "int8 math in an f32 rung");
    for bad in ["", "dot4", "dot4.p1.o8", "dot4.p1.o8.w8", "fp64.p1.o8.w8x8", "dot4.p1.o8.w8x8.x"] {
        assert_eq!(KernelVariant::parse(bad), None, "{bad:?}");
    }
}

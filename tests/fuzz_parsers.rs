//! Property tests of everything that reads files a user hands quantsr: the sequence manifest,
//! the camera-path JSON and the weight file. Valid inputs are mutated at random (bytes
//! flipped, spans deleted or duplicated, hostile tokens spliced in, truncation) and each
//! parser must answer `Ok` or `Err` — never panic, hang or accept a value it would later
//! choke on. CI runs a bounded pass; `QUANTSR_FUZZ_ITERATIONS=1000000 cargo test --release
//! --test fuzz_parsers -- --nocapture` runs longer by hand.

use std::path::Path;

use quantsr::ModelFile;
use quantsr::scenes::CameraPath;
use quantsr::sequence::Manifest;

/// Tokens that break parsers and validators: numbers out of range, wrong types, structure.
const HOSTILE: &[&str] = &[
    "-1",
    "0",
    "-0.0",
    "1e309",
    "-1e309",
    "NaN",
    "null",
    "true",
    "[]",
    "{}",
    "\"\"",
    "\"x\"",
    "4294967296",
    "18446744073709551616",
    "1e-320",
    "[1,2,3]",
    "{\"a\":1}",
    "\\u0000",
    "\"",
    ",",
    ":",
    "]",
    "}",
];

fn iterations(default: u64) -> u64 {
    std::env::var("QUANTSR_FUZZ_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// xorshift64: reproducible randomness without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One to four random edits of `input`.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1).min(out.len());
        match rng.below(6) {
            0 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                out[i] = rng.next() as u8;
            }
            1 => {
                let end = (at + 1 + rng.below(16)).min(out.len());
                out.drain(at..end);
            }
            2 => {
                let end = (at + 1 + rng.below(32)).min(out.len());
                let span = out[at..end].to_vec();
                out.splice(at..at, span);
            }
            3 | 4 => {
                // Replace the number or token at `at` with a hostile one.
                let end = out[at..].iter().position(|b| b",]}".contains(b)).map_or(out.len(), |p| at + p);
                let token = HOSTILE[rng.below(HOSTILE.len())].as_bytes();
                out.splice(at..end, token.iter().copied());
            }
            _ => out.truncate(at),
        }
    }
    out
}

/// Feeds `iterations` mutants of `valid` to `parse`; returns how many it accepted.
fn fuzz(name: &str, valid: &[u8], iterations: u64, seed: u64, mut parse: impl FnMut(&[u8]) -> bool) -> u64 {
    assert!(parse(valid), "{name}: the valid input must parse");
    let mut rng = Rng(seed);
    let start = std::time::Instant::now();
    let mut accepted = 0;
    for _ in 0..iterations {
        let mutant = mutate(&mut rng, valid);
        accepted += u64::from(parse(&mutant));
    }
    println!(
        "{name}: {iterations} mutants in {:.1} s, {accepted} accepted, none panicked",
        start.elapsed().as_secs_f64()
    );
    accepted
}

const MANIFEST: &str = r#"{ "format": "quantsr-sequence", "version": 1,
  "render_size": [64, 36], "display_size": [128, 72],
  "depth": { "inverted": true, "infinite": false, "near": 0.1, "far": 500.0 },
  "fov_y": 1.0, "fps": 60,
  "frames": [
    { "jitter": [0.25, -0.25], "reset": true, "render_size": [64, 36], "exposure": 1.0, "frame_time_ms": 16.667 },
    { "jitter": [-0.125, 0.375], "reset": false, "render_size": [48, 27], "exposure": 0.5, "frame_time_ms": 16.667 },
    { "jitter": [0.0, 0.0], "reset": false }
  ] }"#;

#[test]
fn sequence_manifests_never_panic_and_accepted_ones_are_valid() {
    let accepted = fuzz("manifest", MANIFEST.as_bytes(), iterations(20_000), 0x9e37_79b9_7f4a_7c15, |bytes| {
        let text = String::from_utf8_lossy(bytes);
        match Manifest::from_json(&text, Path::new("fuzz/sequence.json")) {
            Ok(m) => {
                // Whatever is accepted is usable: sizes within the header, finite numbers.
                let h = &m.header;
                assert!(h.render_size.iter().all(|&v| v > 0) && h.display_size.iter().all(|&v| v > 0));
                for f in &m.frames {
                    assert!(f.jitter.iter().all(|v| v.is_finite()), "{f:?}");
                    assert!(f.exposure.is_finite(), "{f:?}");
                    let rs = f.render_size.unwrap_or(h.render_size);
                    assert!(rs[0] <= h.render_size[0] && rs[1] <= h.render_size[1] && rs[0] > 0 && rs[1] > 0);
                }
                true
            }
            Err(e) => {
                assert!(e.to_string().contains("sequence.json"), "the error does not name the file: {e}");
                false
            }
        }
    });
    assert!(accepted > 0, "no mutant was valid: the mutations are too destructive to test acceptance");
}

const CAMERA_PATH: &str = r#"{"fov_y": 1.0, "keyframes": [
  {"t": 0.0, "position": [0, 1.5, 5], "target": [0, 1, 0]},
  {"t": 1.0, "position": [2, 1.5, 4], "target": [0, 1, 0]},
  {"t": 2.0, "position": [3, 2.0, 1], "target": [0, 1, 0], "cut": true},
  {"t": 3.5, "position": [-1, 1.0, 3], "target": [0, 0.5, 0]}
]}"#;

#[test]
fn camera_paths_never_panic_and_accepted_ones_sample_finite_poses() {
    fuzz("camera path", CAMERA_PATH.as_bytes(), iterations(20_000), 0x2545_f491_4f6c_dd1d, |bytes| {
        let text = String::from_utf8_lossy(bytes);
        match CameraPath::from_json(&text, "fuzz.json") {
            Ok(path) => {
                let d = path.duration();
                for t in [0.0, 0.37 * d, d, d + 1.0] {
                    let view = path.sample(t).view();
                    assert!(view.is_finite(), "t = {t}: a non-finite view from an accepted path\n{text}");
                }
                true
            }
            Err(e) => {
                assert!(e.to_string().contains("fuzz.json"), "the error does not name the file: {e}");
                false
            }
        }
    });
}

#[test]
fn weight_files_never_panic() {
    // The built-in model's bytes: mutations in the length prefix and JSON header are the
    // interesting ones; the loader's own tests corrupt tensor data.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/models/quantsr.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    let header_end = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let (header, data) = bytes.split_at(header_end);
    fuzz("weights", header, iterations(300), 0x5851_f42d_4c95_7f2d, |mutant| {
        let mut file = mutant.to_vec();
        file.extend_from_slice(data);
        match ModelFile::from_bytes(&file, "fuzz.safetensors") {
            Ok(_) => true,
            Err(e) => {
                assert!(e.to_string().contains("fuzz.safetensors"), "the error does not name the file: {e}");
                false
            }
        }
    });
}

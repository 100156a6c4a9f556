//! The autotuner at `Upscaler::new`: it picks among the candidates the parity tests cover, its
//! cache round-trips, a corrupt cache is ignored (and rewritten), and `off` runs the defaults.

use std::path::PathBuf;

use quantsr_gpu::test_gpu;
use quantsr_model::ModelFile;
use quantsr_upscaler::{Autotune, KernelVariant, QualityMode, Rung, Upscaler, UpscalerDescriptor};

/// A fresh cache path for one test (its folder does not exist yet).
fn cache_path(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("quantsr-autotune-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("autotune.json")
}

/// The int8 rungs only, at a small size: tuning times every candidate of every layer.
fn upscaler(mode: Autotune, cache: &std::path::Path) -> Upscaler {
    let mut desc =
        UpscalerDescriptor::for_mode([96, 54], QualityMode::Performance).with_rungs(&[Rung::Int8, Rung::LiteInt8]);
    desc.autotune = mode;
    desc.autotune_cache = Some(cache.to_owned());
    Upscaler::new(&test_gpu(), desc).unwrap_or_else(|e| panic!("{e}"))
}

fn candidates_of(rung: Rung, layer: &str) -> Vec<KernelVariant> {
    let (kind, precision) = rung.network().unwrap();
    let model = ModelFile::embedded();
    let spec = &model.network(kind).layer(layer).spec;
    KernelVariant::candidates(precision, spec, layer == "head")
}

#[test]
fn tuned_choices_are_candidates_and_the_cache_round_trips() {
    let path = cache_path("round-trip");
    let tuned = upscaler(Autotune::Full, &path).kernel_variants();
    assert_eq!(tuned.len(), 2, "both int8 rungs are built");
    for (rung, layers) in &tuned {
        assert_eq!(layers.len(), 10, "{rung}: every layer has a variant");
        for (layer, v) in layers {
            assert!(candidates_of(*rung, layer).contains(v), "{rung} {layer}: {} is not a tested candidate", v.name());
        }
    }
    let text = std::fs::read_to_string(&path).expect("the tuning was cached");
    let json: serde_json::Value = serde_json::from_str(&text).expect("the cache is JSON");
    assert_eq!(json["entries"].as_object().map(|e| e.len()), Some(2), "one entry per rung: {text}");
    let cached = upscaler(Autotune::Cached, &path).kernel_variants();
    assert_eq!(cached, tuned, "a second start takes the cached choice");
}

#[test]
fn a_corrupt_cache_is_ignored_and_rewritten() {
    let path = cache_path("corrupt");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"{\"version\": 1, \"entries\": {\"x\": 3").unwrap();
    let tuned = upscaler(Autotune::Cached, &path).kernel_variants();
    assert_eq!(tuned.len(), 2);
    let text = std::fs::read_to_string(&path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).expect("the corrupt cache was replaced by a valid one");
    assert_eq!(json["entries"].as_object().map(|e| e.len()), Some(2));
}

#[test]
fn off_runs_the_default_kernels_and_writes_no_cache() {
    let path = cache_path("off");
    for (rung, layers) in upscaler(Autotune::Off, &path).kernel_variants() {
        for (layer, v) in layers {
            assert_eq!(v, candidates_of(rung, layer)[0], "{rung} {layer}: off must run the default variant");
        }
    }
    assert!(!path.exists(), "off times nothing, so it caches nothing");
}

#[test]
fn the_mode_parses_from_its_name() {
    for mode in Autotune::ALL {
        assert_eq!(mode.name().parse::<Autotune>(), Ok(mode));
    }
    assert!("fast".parse::<Autotune>().unwrap_err().contains("off, cached or full"));
}

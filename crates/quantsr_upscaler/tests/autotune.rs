//! The autotuner at `Upscaler::new`: it picks among the candidates the parity tests cover, its
//! cache round-trips, a corrupt cache is ignored (and rewritten), and `off` runs the defaults.

use std::path::PathBuf;

use quantsr_gpu::test_gpu;
use quantsr_model::ModelFile;
use quantsr_upscaler::{Autotune, KernelVariant, QualityMode, Rung, Upscaler, UpscalerDescriptor, kernel_sources};

/// A fresh cache path for one test (its folder does not exist yet).
fn cache_path(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("quantsr-autotune-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("autotune.json")
}

/// The int8 rungs only, at a small size: tuning times every candidate of every layer.
fn upscaler(mode: Autotune, cache: &std::path::Path) -> Upscaler {
    upscaler_at([96, 54], mode, cache)
}

fn upscaler_at(display: [u32; 2], mode: Autotune, cache: &std::path::Path) -> Upscaler {
    let mut desc =
        UpscalerDescriptor::for_mode(display, QualityMode::Performance).with_rungs(&[Rung::Int8, Rung::LiteInt8]);
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
    let model = ModelFile::embedded();
    for (rung, layers) in &tuned {
        let network = model.network(rung.network().unwrap().0);
        assert_eq!(layers.len(), network.layers.len(), "{rung}: every layer has a variant");
        for (layer, v) in layers {
            assert!(candidates_of(*rung, layer).contains(v), "{rung} {layer}: {} is not a tested candidate", v.name());
        }
    }
    let text = std::fs::read_to_string(&path).expect("the tuning was cached");
    let json: serde_json::Value = serde_json::from_str(&text).expect("the cache is JSON");
    assert_eq!(json["entries"].as_object().map(|e| e.len()), Some(2), "one entry per rung: {text}");
    let cached = upscaler(Autotune::Cached, &path).kernel_variants();
    assert_eq!(cached, tuned, "a second start takes the cached choice");
    // A slightly different size (a resized window) is the same size class: nothing is timed.
    let resized = upscaler_at([100, 56], Autotune::Cached, &path).kernel_variants();
    assert_eq!(resized, tuned, "a nearby size takes the cached choice");
    let entries = |p: &std::path::Path| {
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        json["entries"].as_object().map_or(0, |e| e.len())
    };
    assert_eq!(entries(&path), 2, "no new entry for a nearby size");
}

#[test]
fn a_stale_cache_is_ignored_and_rewritten() {
    let path = cache_path("stale");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, br#"{"version": 1, "entries": {"old key": {"d1": "i8u.p1.o16.w8x8"}}}"#).unwrap();
    upscaler(Autotune::Cached, &path);
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json["version"], 2);
    assert!(json["entries"].get("old key").is_none(), "the stale entries are gone: {json}");
    assert_eq!(json["entries"].as_object().map(|e| e.len()), Some(2));
}

#[test]
fn a_corrupt_cache_is_ignored_and_rewritten() {
    let path = cache_path("corrupt");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"{\"version\": 2, \"entries\": {\"x\": 3").unwrap();
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

#[test]
fn every_dumped_kernel_is_valid_wgsl_named_by_its_variant() {
    let ctx = test_gpu();
    let model = ModelFile::embedded();
    for rung in Rung::ALL.into_iter().filter(|r| r.is_neural()) {
        let (kind, precision) = rung.network().unwrap();
        let net = model.network(kind);
        let sources = kernel_sources(net, rung, None).unwrap_or_else(|e| panic!("{rung}: {e}"));
        assert_eq!(sources[0].0, "input.wgsl");
        for layer in &net.layers {
            let v = KernelVariant::default_for(precision, &layer.spec, layer.spec.name == "head");
            let suffix = format!(".{}.wgsl", v.name());
            assert!(
                sources.iter().any(|(n, _)| n.starts_with(&format!("{}.", layer.spec.name)) && n.ends_with(&suffix)),
                "{rung}: no kernel of layer {} in {}",
                layer.spec.name,
                v.name()
            );
        }
        for (name, source) in sources {
            quantsr_gpu::validate_wgsl(&name, source, ctx.device.features()).unwrap_or_else(|e| panic!("{rung}: {e}"));
        }
    }
}

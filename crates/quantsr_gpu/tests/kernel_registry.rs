//! Every WGSL entry point of the shader tree has exactly one row in `quantsr_gpu::KERNELS`, and
//! every row points at code that exists: a host module that names the shader, a CPU reference
//! function, and a test file that calls it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use quantsr_gpu::{KERNELS, SHADER_FILES, load_shader};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// (shader, entry point) of every entry point the embedded tree declares.
fn entry_points() -> Vec<(String, String)> {
    let mut out = Vec::new();
    // Files without a stage attribute are includes, which do not parse on their own.
    let stages = ["@compute", "@vertex", "@fragment"];
    for (path, _) in SHADER_FILES.iter().filter(|(_, text)| stages.iter().any(|s| text.contains(s))) {
        let source = load_shader(path).unwrap();
        let module = naga::front::wgsl::parse_str(&source).unwrap_or_else(|e| panic!("{path}: {e}"));
        out.extend(module.entry_points.iter().map(|e| (path.to_string(), e.name.clone())));
    }
    out
}

#[test]
fn every_entry_point_has_one_host_module_and_one_cpu_reference() {
    let mut rows: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for k in KERNELS {
        *rows.entry((k.wgsl, k.entry)).or_default() += 1;
    }
    let found = entry_points();
    assert!(found.len() >= 20, "only {} entry points found in the shader tree", found.len());
    for (wgsl, entry) in &found {
        let n = rows.get(&(wgsl.as_str(), entry.as_str())).copied().unwrap_or(0);
        assert_eq!(n, 1, "{wgsl}:{entry} has {n} rows in quantsr_gpu::KERNELS (crates/quantsr_gpu/src/registry.rs)");
    }
    for k in KERNELS {
        assert!(
            found.iter().any(|(w, e)| w == k.wgsl && e == k.entry),
            "KERNELS lists {}:{}, which the shader tree does not declare",
            k.wgsl,
            k.entry
        );
        let host = read(k.host);
        assert!(host.contains(k.wgsl), "{}: the host module never names {}", k.host, k.wgsl);
        let (file, function) = k.reference;
        let reference = read(file);
        assert!(reference.contains(&format!("fn {function}(")), "{file} has no fn {function}");
        let test = read(k.compared_in);
        let shader_name = k.wgsl.rsplit('/').next().expect("a file name");
        assert!(
            reference.contains(shader_name) || test.contains(shader_name),
            "neither {file} nor {} says it checks {}",
            k.compared_in,
            k.wgsl
        );
        let used = test.matches(&format!("{function}(")).count() > usize::from(file == k.compared_in);
        let calls_pipeline = test.contains("CpuUpscaler") && file.contains("quantsr_model/src/cpu/");
        assert!(used || calls_pipeline, "{}: never calls {function} ({}:{})", k.compared_in, k.wgsl, k.entry);
    }
}

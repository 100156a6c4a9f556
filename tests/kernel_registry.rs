//! Every WGSL entry point has exactly one host module and one CPU reference (or a stated reason
//! why it cannot have one), so a new kernel cannot forget either: adding an entry point to a
//! shader without a row here fails this test. The network's layer kernels are generated at run
//! time, not files; their host is `quantsr_upscaler/src/network/` and their reference
//! `quantsr_model/src/network.rs` (`network_parity` tests).

use std::collections::BTreeSet;
use std::path::Path;

use quantsr::gpu;

/// Where the CPU reference of a kernel lives, or why it has none.
enum Reference {
    /// A file holding the reference; it names the shader it is the oracle for.
    File(&'static str),
    /// The kernel's output is checked another way, or it has none to check.
    None(&'static str),
}

/// (shader under `shaders/`, entry point, host module, CPU reference).
const KERNELS: &[(&str, &str, &str, Reference)] = {
    use Reference::{File, None};
    &[
        (
            "upscaler/prepare.wgsl",
            "main",
            "crates/quantsr_upscaler/src/passes.rs",
            File("crates/quantsr_model/src/cpu/prepare.rs"),
        ),
        (
            "upscaler/taau_params.wgsl",
            "main",
            "crates/quantsr_upscaler/src/passes.rs",
            File("crates/quantsr_model/src/cpu/taau_params.rs"),
        ),
        (
            "upscaler/resolve.wgsl",
            "main",
            "crates/quantsr_upscaler/src/passes.rs",
            File("crates/quantsr_model/src/cpu/resolve.rs"),
        ),
        (
            "upscaler/sharpen.wgsl",
            "main",
            "crates/quantsr_upscaler/src/passes.rs",
            File("crates/quantsr_model/src/cpu/sharpen.rs"),
        ),
        (
            "network/input.wgsl",
            "main",
            "crates/quantsr_upscaler/src/network/mod.rs",
            File("crates/quantsr_model/src/cpu/network_input.rs"),
        ),
        (
            "baselines/spatial.wgsl",
            "bilinear",
            "crates/quantsr_eval/src/spatial.rs",
            File("crates/quantsr_eval/src/spatial_cpu.rs"),
        ),
        (
            "baselines/spatial.wgsl",
            "bicubic",
            "crates/quantsr_eval/src/spatial.rs",
            File("crates/quantsr_eval/src/spatial_cpu.rs"),
        ),
        (
            "baselines/easu.wgsl",
            "easu",
            "crates/quantsr_eval/src/spatial.rs",
            File("crates/quantsr_eval/src/spatial_cpu.rs"),
        ),
        (
            "scenes/accumulate.wgsl",
            "accumulate",
            "crates/quantsr_scenes/src/accumulate.rs",
            File("crates/quantsr_scenes/src/accumulate.rs"),
        ),
        (
            "scenes/accumulate.wgsl",
            "finish",
            "crates/quantsr_scenes/src/accumulate.rs",
            File("crates/quantsr_scenes/src/accumulate.rs"),
        ),
        (
            "scenes/raster.wgsl",
            "vs_main",
            "crates/quantsr_scenes/src/renderer.rs",
            None(
                "the test scenes' rasteriser: its depth and motion vectors are checked against the camera's analytic ones (quantsr_scenes tests/motion_vectors.rs)",
            ),
        ),
        ("scenes/raster.wgsl", "fs_inputs", "crates/quantsr_scenes/src/renderer.rs", None("as vs_main")),
        ("scenes/raster.wgsl", "fs_color", "crates/quantsr_scenes/src/renderer.rs", None("as vs_main")),
        ("shared/axpy.wgsl", "main", "crates/quantsr_gpu/src/selftest.rs", File("crates/quantsr_gpu/src/selftest.rs")),
        (
            "shared/probe_f16.wgsl",
            "main",
            "crates/quantsr_gpu/src/selftest.rs",
            File("crates/quantsr_gpu/src/selftest.rs"),
        ),
        (
            "shared/probe_int8.wgsl",
            "main",
            "crates/quantsr_gpu/src/selftest.rs",
            File("crates/quantsr_gpu/src/selftest.rs"),
        ),
        (
            "shared/fma_peak.wgsl",
            "main",
            "crates/quantsr_gpu/src/peak.rs",
            None("a throughput probe: only its time is read"),
        ),
        (
            "shared/fma_peak_f16.wgsl",
            "main",
            "crates/quantsr_gpu/src/peak.rs",
            None("a throughput probe: only its time is read"),
        ),
        (
            "shared/dot4_peak.wgsl",
            "main",
            "crates/quantsr_gpu/src/peak.rs",
            None("a throughput probe: only its time is read"),
        ),
        (
            "shared/synthetic_load.wgsl",
            "main",
            "crates/quantsr_monitor/src/load_pass.rs",
            None("a stand-in for a renderer's work: only its time is read"),
        ),
        (
            "viewer/present.wgsl",
            "vs_main",
            "crates/quantsr_viewer/src/present.rs",
            None("draws the viewer's window; checked by its screenshot test under Xvfb"),
        ),
        ("viewer/present.wgsl", "fs_main", "crates/quantsr_viewer/src/present.rs", None("as vs_main")),
    ]
};

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e} (a row of KERNELS names a file that does not exist)"))
}

#[test]
fn every_entry_point_has_one_host_module_and_one_cpu_reference() {
    let mut in_tree = BTreeSet::new();
    for (path, text) in gpu::SHADER_FILES {
        if !["@compute", "@vertex", "@fragment"].iter().any(|stage| text.contains(stage)) {
            continue;
        }
        let shader = gpu::load_shader(path)
            .and_then(|src| gpu::validate_wgsl(path, src, gpu::all_shader_features()))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        for entry in &shader.module.entry_points {
            in_tree.insert((path.to_string(), entry.name.clone()));
        }
    }
    let mut registered = BTreeSet::new();
    for (shader, entry, host, reference) in KERNELS {
        assert!(registered.insert((shader.to_string(), entry.to_string())), "{shader}::{entry} is registered twice");
        assert!(read(host).contains(shader), "{host} does not load {shader}");
        match reference {
            Reference::File(file) => {
                let name = shader.rsplit('/').next().expect("a file name");
                let text = read(file);
                assert!(text.contains(name), "{file} does not say it is the reference of {shader}");
            }
            Reference::None(why) => {
                assert!(!why.is_empty(), "{shader}::{entry}: a kernel without a reference says why")
            }
        }
    }
    let missing: Vec<_> = in_tree.difference(&registered).collect();
    let stale: Vec<_> = registered.difference(&in_tree).collect();
    assert!(missing.is_empty(), "entry points with no row in KERNELS: {missing:?}");
    assert!(stale.is_empty(), "rows of KERNELS for entry points that do not exist: {stale:?}");
}

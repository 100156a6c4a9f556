//! Where every WGSL entry point's host code and CPU reference live: the one table a newcomer
//! (and the `kernel_registry` test) reads to go from a shader to the Rust that drives it and
//! the plain-Rust code it is compared with. A new entry point without a row here fails that
//! test, so no kernel can forget its host module or its reference.
//!
//! Paths are relative to the repository root; `shaders/` is implied for `wgsl`.

/// One WGSL entry point and the code around it.
#[derive(Debug, Clone, Copy)]
pub struct KernelEntry {
    /// The shader, under `shaders/`.
    pub wgsl: &'static str,
    /// The entry point's name.
    pub entry: &'static str,
    /// The Rust module that builds, binds and dispatches it (it names `wgsl`).
    pub host: &'static str,
    /// The file holding the CPU reference, and the function in it.
    pub reference: (&'static str, &'static str),
    /// Where the two are compared: a test file that calls the reference function (or the CPU
    /// pipeline that does), or the self-test `quantsr info` runs, itself asserted by a test.
    pub compared_in: &'static str,
}

const fn entry(
    wgsl: &'static str,
    entry: &'static str,
    host: &'static str,
    reference: (&'static str, &'static str),
    compared_in: &'static str,
) -> KernelEntry {
    KernelEntry { wgsl, entry, host, reference, compared_in }
}

const CPU_PARITY: &str = "crates/quantsr_upscaler/tests/cpu_parity.rs";
const SPATIAL: (&str, &str) = ("crates/quantsr_eval/src/spatial_cpu.rs", "upscale");
const SHARED_TESTS: &str = "crates/quantsr_gpu/tests/shared_kernels.rs";
/// The probes compare themselves in `run_selftests` (what `quantsr info` runs), which
/// `shared_kernels.rs` asserts.
const SELFTEST: &str = "crates/quantsr_gpu/src/selftest.rs";

/// Every entry point of the shader tree. The network's per-layer kernels are generated, not
/// files: `crates/quantsr_upscaler/src/network/codegen.rs` writes them, `quantsr info
/// --dump-kernels DIR` shows them, and `crates/quantsr_upscaler/tests/network_parity.rs`
/// compares them with `quantsr_model::network` (`crates/quantsr_model/src/network.rs`).
pub const KERNELS: &[KernelEntry] = &[
    // The frame pipeline, in order.
    entry(
        "upscaler/prepare.wgsl",
        "main",
        "crates/quantsr_upscaler/src/passes/prepare.rs",
        ("crates/quantsr_model/src/cpu/prepare.rs", "prepare"),
        CPU_PARITY,
    ),
    entry(
        "upscaler/taau_params.wgsl",
        "main",
        "crates/quantsr_upscaler/src/passes/taau_params.rs",
        ("crates/quantsr_model/src/cpu/taau_params.rs", "taau_params"),
        CPU_PARITY,
    ),
    entry(
        "network/input.wgsl",
        "main",
        "crates/quantsr_upscaler/src/network/mod.rs",
        ("crates/quantsr_model/src/cpu/network_input.rs", "network_input"),
        CPU_PARITY,
    ),
    entry(
        "upscaler/resolve.wgsl",
        "main",
        "crates/quantsr_upscaler/src/passes/resolve.rs",
        ("crates/quantsr_model/src/cpu/resolve.rs", "resolve"),
        CPU_PARITY,
    ),
    entry(
        "upscaler/sharpen.wgsl",
        "main",
        "crates/quantsr_upscaler/src/passes/sharpen.rs",
        ("crates/quantsr_model/src/cpu/sharpen.rs", "sharpen"),
        CPU_PARITY,
    ),
    // The spatial baselines.
    entry(
        "baselines/spatial.wgsl",
        "bilinear",
        "crates/quantsr_eval/src/spatial.rs",
        SPATIAL,
        "crates/quantsr_eval/tests/spatial_parity.rs",
    ),
    entry(
        "baselines/spatial.wgsl",
        "bicubic",
        "crates/quantsr_eval/src/spatial.rs",
        SPATIAL,
        "crates/quantsr_eval/tests/spatial_parity.rs",
    ),
    entry(
        "baselines/easu.wgsl",
        "easu",
        "crates/quantsr_eval/src/spatial.rs",
        SPATIAL,
        "crates/quantsr_eval/tests/spatial_parity.rs",
    ),
    // Scene rendering: the rasterizer's depth and motion vectors are checked by reprojecting
    // its ground truth through the CPU camera (`eye_distance`), not by a CPU rasterizer.
    entry(
        "scenes/raster.wgsl",
        "vs_main",
        "crates/quantsr_scenes/src/renderer.rs",
        ("crates/quantsr_scenes/tests/motion_vectors.rs", "eye_distance"),
        "crates/quantsr_scenes/tests/motion_vectors.rs",
    ),
    entry(
        "scenes/raster.wgsl",
        "fs_inputs",
        "crates/quantsr_scenes/src/renderer.rs",
        ("crates/quantsr_scenes/tests/motion_vectors.rs", "warp_psnr"),
        "crates/quantsr_scenes/tests/motion_vectors.rs",
    ),
    entry(
        "scenes/raster.wgsl",
        "fs_color",
        "crates/quantsr_scenes/src/renderer.rs",
        ("crates/quantsr_scenes/tests/motion_vectors.rs", "warp_psnr"),
        "crates/quantsr_scenes/tests/motion_vectors.rs",
    ),
    entry(
        "scenes/accumulate.wgsl",
        "accumulate",
        "crates/quantsr_scenes/src/accumulate.rs",
        ("crates/quantsr_scenes/src/accumulate.rs", "accumulate_cpu"),
        "crates/quantsr_scenes/tests/accumulate.rs",
    ),
    entry(
        "scenes/accumulate.wgsl",
        "finish",
        "crates/quantsr_scenes/src/accumulate.rs",
        ("crates/quantsr_scenes/src/accumulate.rs", "accumulate_cpu"),
        "crates/quantsr_scenes/tests/accumulate.rs",
    ),
    // The viewer's display transform (its tests sit in the module).
    entry(
        "viewer/present.wgsl",
        "vs_main",
        "crates/quantsr_viewer/src/present.rs",
        ("crates/quantsr_viewer/src/present.rs", "srgb_oetf"),
        "crates/quantsr_viewer/src/present.rs",
    ),
    entry(
        "viewer/present.wgsl",
        "fs_main",
        "crates/quantsr_viewer/src/present.rs",
        ("crates/quantsr_viewer/src/present.rs", "srgb_oetf"),
        "crates/quantsr_viewer/src/present.rs",
    ),
    // Device probes and measurements.
    entry(
        "shared/axpy.wgsl",
        "main",
        "crates/quantsr_gpu/src/selftest.rs",
        ("crates/quantsr_gpu/src/selftest.rs", "axpy_cpu"),
        SELFTEST,
    ),
    entry(
        "shared/probe_f16.wgsl",
        "main",
        "crates/quantsr_gpu/src/selftest.rs",
        ("crates/quantsr_gpu/src/selftest.rs", "f16_probe_cpu"),
        SELFTEST,
    ),
    entry(
        "shared/probe_int8.wgsl",
        "main",
        "crates/quantsr_gpu/src/selftest.rs",
        ("crates/quantsr_gpu/src/selftest.rs", "int8_probe_cpu"),
        SELFTEST,
    ),
    entry(
        "shared/fma_peak.wgsl",
        "main",
        "crates/quantsr_gpu/src/peak.rs",
        (SHARED_TESTS, "fma_chains_cpu"),
        SHARED_TESTS,
    ),
    entry(
        "shared/fma_peak_f16.wgsl",
        "main",
        "crates/quantsr_gpu/src/peak.rs",
        (SHARED_TESTS, "fma_chains_cpu"),
        SHARED_TESTS,
    ),
    entry(
        "shared/dot4_peak.wgsl",
        "main",
        "crates/quantsr_gpu/src/peak.rs",
        (SHARED_TESTS, "dot4_peak_cpu"),
        SHARED_TESTS,
    ),
    entry(
        "shared/synthetic_load.wgsl",
        "main",
        "crates/quantsr_monitor/src/load_pass.rs",
        (SHARED_TESTS, "synthetic_load_cpu"),
        SHARED_TESTS,
    ),
];

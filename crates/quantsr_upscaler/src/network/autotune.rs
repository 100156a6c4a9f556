//! Picks each layer's kernel variant by timing the candidates on the device at hand, as cuDNN's
//! benchmark mode does: what is fastest on lavapipe (int8 storage with f32 math) is not what is
//! fastest on a GPU with packed f16 and DP4a, so no variant is chosen by assumption.
//!
//! Runs at `Upscaler::new`, per rung and layer, at the descriptor's largest render size. The
//! choice is cached on disk per adapter, driver, model, rung and render size (by powers of two
//! of its pixel count)
//! (`$QUANTSR_CACHE_DIR`, else `$XDG_CACHE_HOME/quantsr`, else `~/.cache/quantsr`, file
//! `autotune.json`), so a second start builds the chosen kernels without timing anything. A
//! corrupt or stale cache is ignored with a warning and rewritten.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use quantsr_gpu::{GpuContext, GpuError};
use quantsr_model::{Network, NetworkPrecision};
use quantsr_monitor::Rung;
use serde::{Deserialize, Serialize};

use super::codegen::KernelVariant;
use super::graph::{layer_nodes, level_size};
use super::{LayerBindings, LayerKernel, NetworkRung};
use crate::UpscalerError;
use crate::uniforms::FrameUniforms;

/// Whether and how the layer kernels are tuned when an `Upscaler` is created. The default
/// comes from the environment variable `QUANTSR_AUTOTUNE` (`off`, `cached` or `full`), else
/// [`Autotune::Cached`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Autotune {
    /// Every layer runs its default variant (the kernels tuned on lavapipe); nothing is timed.
    Off,
    /// Use the cached choice for this adapter, driver, model and render size; time the
    /// candidates only where the cache has none, and cache the result.
    #[default]
    Cached,
    /// Time every candidate again, ignoring (and then replacing) the cached choice.
    Full,
}

impl Autotune {
    /// Every mode, as named on the command line and in `QUANTSR_AUTOTUNE`.
    pub const ALL: [Autotune; 3] = [Autotune::Off, Autotune::Cached, Autotune::Full];

    /// `off`, `cached` or `full`.
    pub const fn name(self) -> &'static str {
        match self {
            Autotune::Off => "off",
            Autotune::Cached => "cached",
            Autotune::Full => "full",
        }
    }

    /// The mode `QUANTSR_AUTOTUNE` asks for; [`Autotune::Cached`] when it is unset, and (with a
    /// warning naming the variable) when it holds anything else.
    pub fn from_env() -> Self {
        match std::env::var("QUANTSR_AUTOTUNE") {
            Err(_) => Autotune::default(),
            Ok(v) => v.parse().unwrap_or_else(|e: String| {
                log::warn!("QUANTSR_AUTOTUNE: {e}; using `cached`");
                Autotune::default()
            }),
        }
    }
}

impl std::str::FromStr for Autotune {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Autotune::ALL
            .into_iter()
            .find(|m| m.name() == s.trim())
            .ok_or_else(|| format!("unknown autotune mode {s:?} (use off, cached or full)"))
    }
}

/// Version of the cache's contents: bumped whenever the generated kernels or the key change,
/// so choices timed on older kernels are not reused.
const CACHE_VERSION: u32 = 2;

/// The on-disk cache: for each key (adapter, driver, model, rung, size), the variant name of
/// every layer.
#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    entries: BTreeMap<String, BTreeMap<String, String>>,
}

/// The autotune cache file, read once per `Upscaler::new` and written back when a tuning
/// added to it.
pub struct TuneCache {
    path: Option<PathBuf>,
    file: CacheFile,
    dirty: bool,
}

impl TuneCache {
    /// The user's cache file (see the module docs); empty when there is none or it cannot be
    /// read as a cache of this version (with a warning naming the file).
    pub fn open() -> Self {
        let path = cache_dir().map(|d| d.join("autotune.json"));
        let file = path.as_deref().map(read_cache).unwrap_or_default();
        Self { path, file, dirty: false }
    }

    /// A cache at `path` (tests).
    pub fn at(path: &Path) -> Self {
        Self { path: Some(path.to_owned()), file: read_cache(path), dirty: false }
    }

    /// Writes the cache back if a tuning added to it (atomically: a temporary file renamed over
    /// the old one). A failure is only a warning: the next start tunes again.
    pub fn save(&mut self) {
        let (Some(path), true) = (&self.path, self.dirty) else { return };
        self.file.version = CACHE_VERSION;
        let result = (|| -> Result<(), Box<dyn std::error::Error>> {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            Ok(quantsr_core::write_bytes_atomically(path, serde_json::to_vec_pretty(&self.file)?)?)
        })();
        match result {
            Ok(()) => self.dirty = false,
            Err(e) => log::warn!("autotune cache {}: not written ({e})", path.display()),
        }
    }

    fn get(&self, key: &str) -> Option<&BTreeMap<String, String>> {
        self.file.entries.get(key)
    }

    fn put(&mut self, key: String, choice: BTreeMap<String, String>) {
        self.file.entries.insert(key, choice);
        self.dirty = true;
    }
}

fn cache_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("QUANTSR_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("quantsr")))
        .or_else(|| var("HOME").map(|h| h.join(".cache").join("quantsr")))
}

fn read_cache(path: &Path) -> CacheFile {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return CacheFile::default(),
        Err(e) => {
            log::warn!("autotune cache {}: cannot be read ({e}); tuning again", path.display());
            return CacheFile::default();
        }
    };
    match serde_json::from_slice::<CacheFile>(&bytes) {
        Ok(f) if f.version == CACHE_VERSION => f,
        Ok(f) => {
            log::warn!(
                "autotune cache {}: version {} is stale (this build writes {CACHE_VERSION}); tuning again",
                path.display(),
                f.version
            );
            CacheFile::default()
        }
        Err(e) => {
            log::warn!("autotune cache {}: corrupt ({e}); ignoring it and tuning again", path.display());
            CacheFile::default()
        }
    }
}

/// What identifies a tuning: the device and driver, the network's weights (they are baked into
/// the kernels), the rung and the render size it was timed at, as a power-of-two bucket of its
/// pixel count (within a factor √2 either way the same kernels win, and a window resized a
/// little does not tune again).
fn cache_key(ctx: &GpuContext, net: &Network, rung: Rung, size: [u32; 2]) -> String {
    let pixels = (f64::from(size[0]) * f64::from(size[1])).max(1.0);
    let i = &ctx.info;
    format!(
        "{} [{:04x}:{:04x}] {:?} {} {} | model {:016x} | {} | ~2^{} px",
        i.name,
        i.vendor,
        i.device,
        i.backend,
        i.driver,
        i.driver_info,
        network_hash(net),
        rung.name(),
        pixels.log2().round()
    )
}

/// FNV-1a over every weight, bias and scale of `net`.
fn network_hash(net: &Network) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |v: f32| {
        for b in v.to_bits().to_le_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(net.input_scale);
    eat(net.output_scale);
    for l in &net.layers {
        l.weight.iter().chain(&l.bias).chain(&l.weight_scale).copied().for_each(&mut eat);
        eat(l.act_scale);
        eat(l.out_scale);
    }
    h
}

/// Builds `rung`'s network with each layer's variant chosen as `mode` says, timing at `size`.
pub(crate) fn build_rung(
    ctx: &GpuContext,
    rung: Rung,
    net: &Network,
    bindings: &LayerBindings<'_>,
    size: [u32; 2],
    mode: Autotune,
    cache: &mut TuneCache,
) -> Result<NetworkRung, UpscalerError> {
    if mode == Autotune::Off {
        return NetworkRung::with_variants(ctx, rung, net, bindings, None);
    }
    let (_, precision) = rung.network().expect("a neural rung");
    let key = cache_key(ctx, net, rung, size);
    if mode == Autotune::Cached
        && let Some(choice) = cache.get(&key)
    {
        // In LAYER_NAMES order, as `with_variants` takes them.
        let cached: Option<Vec<KernelVariant>> =
            net.layers.iter().map(|l| choice.get(l.spec.name).and_then(|v| KernelVariant::parse(v))).collect();
        match cached.map(|v| NetworkRung::with_variants(ctx, rung, net, bindings, Some(&v))) {
            None => log::warn!("autotune cache: the entry for {rung} names unknown variants; tuning again"),
            Some(Err(UpscalerError::RungUnavailable { why, .. })) => {
                log::warn!("autotune cache: the entry for {rung} is stale ({why}); tuning again");
            }
            Some(built) => return built,
        }
    }
    let nodes = layer_nodes(net);

    let start = Instant::now();
    fill_tensors(ctx, bindings, precision);
    let set_size = |size: [u32; 2]| {
        ctx.queue.write_buffer(
            bindings.uniforms,
            0,
            bytemuck::bytes_of(&FrameUniforms { render_size: size, ..Default::default() }),
        );
    };
    // Agreement is checked on a small odd-sized frame (edges and partial workgroups included):
    // at a 4K display the full tensors are hundreds of MB, and copying one back per candidate
    // took minutes on a GPU whose kernels run in milliseconds.
    let check_size = [size[0].min(CHECK_SIZE[0]), size[1].min(CHECK_SIZE[1])];
    let mut layers = Vec::new();
    let mut choice = BTreeMap::new();
    for node in nodes {
        let spec = &net.layers[node.layer].spec;
        let candidates = KernelVariant::candidates(precision, spec, node.output.is_none());
        // The default must build; another candidate the device refuses (a limit, a driver
        // bug) is left out of the race rather than failing the upscaler.
        let mut built = Vec::new();
        for (i, v) in candidates.into_iter().enumerate() {
            match LayerKernel::new(ctx, rung, net, node.clone(), v, bindings) {
                Ok(k) => built.push(k),
                Err(e) if i > 0 => log::warn!("autotune {rung} {}: {} left out: {e}", spec.name, v.name()),
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(output) = node.output {
            let [w, h] = level_size(check_size, node.level);
            let len = w as usize * h as usize * spec.cout * element_bytes(precision);
            set_size(check_size);
            built = agreeing_with_default(ctx, built, &bindings.tensors.buffers[output], len, precision, check_size)?;
        }
        set_size(size);
        let times = time_candidates(ctx, &built, size)?;
        let best = (0..built.len()).min_by(|&a, &b| times[a].total_cmp(&times[b])).expect("at least one candidate");
        log::debug!(
            "autotune {rung} {}: {}",
            spec.name,
            built
                .iter()
                .zip(&times)
                .map(|(k, t)| format!("{} {t:.3} ms", k.variant.name()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let kernel = built.into_iter().nth(best).expect("best is an index of built");
        choice.insert(spec.name.to_owned(), kernel.variant.name());
        layers.push(kernel);
    }
    log::info!(
        "autotune {rung} at {}x{}: {} in {:.1} s",
        size[0],
        size[1],
        choice.iter().map(|(l, v)| format!("{l} {v}")).collect::<Vec<_>>().join(", "),
        start.elapsed().as_secs_f64()
    );
    cache.put(key, choice);
    Ok(NetworkRung::new(ctx, rung, net, layers)?)
}

/// Fills every activation tensor with deterministic values in [−1, 1] at `precision` (int8:
/// any byte), so the candidates are timed and compared on data like a frame's, never on NaNs.
fn fill_tensors(ctx: &GpuContext, bindings: &LayerBindings<'_>, precision: NetworkPrecision) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for buffer in &bindings.tensors.buffers {
        let bytes: Vec<u8> = match precision {
            NetworkPrecision::F32 => (0..buffer.size() / 4)
                .flat_map(|_| ((next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0).to_le_bytes())
                .collect(),
            NetworkPrecision::F16 => (0..buffer.size() / 2)
                .flat_map(|_| half::f16::from_f32((next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0).to_le_bytes())
                .collect(),
            NetworkPrecision::Int8 => (0..buffer.size()).map(|_| (next() >> 56) as u8).collect(),
        };
        ctx.queue.write_buffer(buffer, 0, &bytes);
    }
}

/// Bytes of one stored activation at `precision`.
fn element_bytes(precision: NetworkPrecision) -> usize {
    match precision {
        NetworkPrecision::F32 => 4,
        NetworkPrecision::F16 => 2,
        NetworkPrecision::Int8 => 1,
    }
}

/// Keeps the candidates whose output agrees with the default's (the first) on the tensors as
/// they are: int8 bit for bit, f32 within 1e-4 and f16 within 2e-2 of the output's largest
/// magnitude (the parity tests' bounds against the CPU reference). A variant the device
/// miscompiles is never picked, however fast. `len` bytes of `output` are compared.
fn agreeing_with_default(
    ctx: &GpuContext,
    kernels: Vec<LayerKernel>,
    output: &wgpu::Buffer,
    len: usize,
    precision: NetworkPrecision,
    size: [u32; 2],
) -> Result<Vec<LayerKernel>, GpuError> {
    let run = |k: &LayerKernel| -> Result<Vec<u8>, GpuError> {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            k.record(&mut pass, 0, size);
        }
        ctx.queue.submit([encoder.finish()]);
        let mut bytes: Vec<u8> = quantsr_gpu::read_buffer_prefix(ctx, output, len as u64)?;
        bytes.truncate(len);
        Ok(bytes)
    };
    let values = |b: &[u8]| -> Vec<f32> {
        match precision {
            NetworkPrecision::F32 => b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
            NetworkPrecision::F16 => {
                b.chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32()).collect()
            }
            NetworkPrecision::Int8 => b.iter().map(|&v| f32::from(v as i8)).collect(),
        }
    };
    let mut kernels = kernels.into_iter();
    let default = kernels.next().expect("the default variant comes first");
    let expected = run(&default)?;
    let want = values(&expected);
    let scale = want.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    let tolerance = match precision {
        NetworkPrecision::F32 => 1e-4,
        NetworkPrecision::F16 => 2e-2,
        NetworkPrecision::Int8 => 0.0,
    } * scale;
    let mut kept = vec![default];
    for k in kernels {
        let got = values(&run(&k)?);
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, |m, d| if d.is_nan() { f32::INFINITY } else { m.max(d) });
        if worst <= tolerance {
            kept.push(k);
        } else {
            log::warn!(
                "autotune: {} disagrees with the default kernel by {worst} on this device; left out",
                k.variant.name()
            );
        }
    }
    Ok(kept)
}

/// Largest frame, in render pixels, on which candidates are checked against the default: odd,
/// so every level has partial workgroups, and over 64 px so each level spans several groups.
const CHECK_SIZE: [u32; 2] = [197, 111];

/// Rounds of timing per candidate: candidates are timed in turn within each round, so a clock
/// that rises during the tuning favours none of them, and each keeps its best round.
const ROUNDS: usize = 3;

/// Wall-clock budget of one timed submission, in milliseconds: enough dispatches are recorded
/// into it that the submission's own overhead is small beside them.
const SUBMISSION_MS: f64 = 2.0;

/// Milliseconds per dispatch of each candidate at `size`: GPU timestamps around the pass
/// where the device has them and they are plausible (at least half the submission's wall
/// clock: some drivers write them before the work has run), wall clock otherwise.
fn time_candidates(ctx: &GpuContext, kernels: &[LayerKernel], size: [u32; 2]) -> Result<Vec<f64>, GpuError> {
    let timer = quantsr_gpu::PassTimer::new(ctx);
    let time = |k: &LayerKernel, repeats: u32| -> Result<f64, GpuError> {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        {
            let timestamp_writes = timer.as_ref().map(quantsr_gpu::PassTimer::writes);
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes });
            for _ in 0..repeats {
                k.record(&mut pass, 0, size);
            }
        }
        Ok(quantsr_gpu::submit_and_time(ctx, timer.as_ref(), encoder)?.ms() / f64::from(repeats))
    };
    // The first dispatch compiles the kernel on some drivers: it is never timed.
    let repeats: Vec<u32> = kernels
        .iter()
        .map(|k| {
            time(k, 1)?;
            let once = time(k, 1)?;
            Ok((SUBMISSION_MS / once.max(1e-3)).ceil().clamp(1.0, 64.0) as u32)
        })
        .collect::<Result<_, GpuError>>()?;
    let mut best = vec![f64::MAX; kernels.len()];
    for _ in 0..ROUNDS {
        for (i, k) in kernels.iter().enumerate() {
            best[i] = best[i].min(time(k, repeats[i])?);
        }
    }
    Ok(best)
}

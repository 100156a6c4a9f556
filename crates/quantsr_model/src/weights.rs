//! The weight file (`assets/models/quantsr.safetensors`, training/NETWORK.md "Weight file"):
//! the network description shared by training, the CPU reference and the WGSL rungs, and a
//! loader that validates everything the engine relies on before any of it reaches a GPU buffer.
//!
//! One file holds both networks (`full` and `lite`). Per network `N` and layer `L` it has
//! `N.L.weight` f32 `[out, in, kh, kw]`, `N.L.bias` f32 `[out]`, `N.L.weight_q` i8 (same shape
//! as the weight), `N.L.weight_scale` f32 `[out]`, `N.L.act_scale` f32 `[1]` (the scale of the
//! layer's *input*), and `N.input_scale`, `N.output_scale` f32 `[1]`. The scale of a layer's
//! output is the `act_scale` of the layer that reads it, or `N.output_scale` for the head
//! (`training/export.py: int8_from_file`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::ModelError;
use crate::tensor::Tensor;
use crate::tensor_file::{self, TensorFile};

/// The layers a network may have, in the order they run (and the order of [`Network::layers`]);
/// `f0` only in a network that has the full-resolution layer ([`NetworkKind::full_res_width`]).
pub const LAYER_NAMES: [&str; 11] = ["d1", "e1", "d2", "e2a", "e2b", "d3", "e3", "u2", "u1", "f0", "head"];

/// Channels of the network's input tensor (NETWORK.md "Input tensor"), in both networks; the
/// CPU input builder (`cpu::network_input`) re-exports it.
pub const INPUT_CHANNELS: usize = 16;

/// Channels of the network's output (NETWORK.md "Output"), in both networks.
pub const OUTPUT_CHANNELS: usize = 16;

/// The metadata `format` of a weight file.
pub const MODEL_FORMAT: &str = "quantsr-model";

/// The metadata `version`s of weight files this build reads.
pub const SUPPORTED_MODEL_VERSIONS: &[&str] = &["1"];

/// The largest magnitude (exclusive) an int8 layer's accumulator may reach: below 2^24 an f32
/// holds every integer exactly, so a GPU that sums the integer products in f32 (or converts the
/// i32 sum to f32 before requantising) gets the same result as the i32 pipeline.
pub const ACCUMULATOR_LIMIT: f64 = 16_777_216.0;

/// Which of the two networks in the weight file: the controller's `f32`/`f16`/`int8` rungs run
/// `Full`, the `lite-int8` rung runs `Lite`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NetworkKind {
    /// The full-width network (≈ 86 k parameters, 6 432 MAC per render pixel).
    Full,
    /// Every inner width halved (≈ 21.5 k parameters, 1 288 MAC per render pixel).
    Lite,
}

impl NetworkKind {
    /// Both kinds, in the order the weight file lists them.
    pub const ALL: [Self; 2] = [Self::Full, Self::Lite];

    /// The tensor-name prefix in the weight file (`"full"`, `"lite"`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Lite => "lite",
        }
    }

    /// What the inner widths (16, 32, 64) are divided by; input and output keep 16 channels.
    pub fn width_divisor(self) -> usize {
        match self {
            Self::Full => 1,
            Self::Lite => 2,
        }
    }

    /// Channels of `f0` in the networks training builds today (`FULL_RES_WIDTH` in
    /// training/model.py): 16 in `full`, none in `lite`. A weight file says what it has, so a
    /// file from before `f0` existed still loads.
    pub fn full_res_width(self) -> usize {
        match self {
            Self::Full => 16,
            Self::Lite => 0,
        }
    }
}

/// One convolution of the graph: its shape and the resolution it runs at. All convolutions
/// have a bias; 3×3 ones have zero padding 1 on every side, 2×2 and 1×1 none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerSpec {
    /// The layer's name (one of [`LAYER_NAMES`]).
    pub name: &'static str,
    /// Input channels (the concatenated total for `u2`, `u1`, `head`).
    pub cin: usize,
    /// Output channels.
    pub cout: usize,
    /// Kernel side (1, 2 or 3).
    pub kernel: usize,
    /// Stride (1 or 2).
    pub stride: usize,
    /// Whether a ReLU follows (every layer but the head).
    pub relu: bool,
    /// The pyramid level the layer's output lives at: `1 / 2^level` of the render resolution
    /// per side (0 for the head, 3 for `d3` and `e3`).
    pub level: u32,
}

impl LayerSpec {
    /// Zero padding on every side: 1 for 3×3 kernels, 0 otherwise.
    pub fn padding(&self) -> usize {
        if self.kernel == 3 { 1 } else { 0 }
    }

    /// The weight tensor's shape `[out, in, kh, kw]`.
    pub fn weight_shape(&self) -> [usize; 4] {
        [self.cout, self.cin, self.kernel, self.kernel]
    }

    /// Number of weights (`out · in · k · k`).
    pub fn weight_len(&self) -> usize {
        self.cout * self.cin * self.kernel * self.kernel
    }

    /// Weights plus biases.
    pub fn parameter_count(&self) -> usize {
        self.weight_len() + self.cout
    }

    /// Multiply-accumulates per output texel (all output channels).
    pub fn macs_per_output_texel(&self) -> usize {
        self.weight_len()
    }

    /// The output side for an input side `n`: `floor((n + 2·pad − k) / stride) + 1`, 0 when the
    /// kernel does not fit (so 2×2 stride 2 gives floor(n/2), 3×3 stride 2 gives ceil(n/2)).
    pub fn output_size(&self, n: usize) -> usize {
        let padded = n + 2 * self.padding();
        if padded < self.kernel { 0 } else { (padded - self.kernel) / self.stride + 1 }
    }
}

/// The layers of network `kind` with an `f0` of `full_res` channels (none when 0), in
/// [`LAYER_NAMES`] order, as `training/model.py: layer_specs` lists them.
pub fn layer_specs(kind: NetworkKind, full_res: usize) -> Vec<LayerSpec> {
    let div = kind.width_divisor();
    let (c1, c2, c3) = (16 / div, 32 / div, 64 / div);
    let spec = |name, cin, cout, kernel, stride, level| LayerSpec {
        name,
        cin,
        cout,
        kernel,
        stride,
        relu: name != "head",
        level,
    };
    let mut specs = vec![
        spec("d1", INPUT_CHANNELS, c1, 2, 2, 1),
        spec("e1", c1, c1, 3, 1, 1),
        spec("d2", c1, c2, 2, 2, 2),
        spec("e2a", c2, c2, 3, 1, 2),
        spec("e2b", c2, c2, 3, 1, 2),
        spec("d3", c2, c3, 3, 2, 3),
        spec("e3", c3, c3, 3, 1, 3),
        spec("u2", c3 + c2, c2, 1, 1, 2),
        spec("u1", c2 + c1, c1, 1, 1, 1),
    ];
    if full_res > 0 {
        specs.push(spec("f0", INPUT_CHANNELS, full_res, 3, 1, 0));
    }
    specs.push(spec("head", c1 + INPUT_CHANNELS + full_res, OUTPUT_CHANNELS, 1, 1, 0));
    specs
}

/// The layer whose input scale is layer `name`'s output scale (`None` for the head, whose
/// output scale is the network's `output_scale`), as `training/export.py: int8_from_file`.
fn consumer(name: &str) -> Option<&'static str> {
    Some(match name {
        "d1" => "e1",
        "e1" => "d2",
        "d2" => "e2a",
        "e2a" => "e2b",
        "e2b" => "d3",
        "d3" => "e3",
        "e3" => "u2",
        "u2" => "u1",
        "u1" | "f0" => "head",
        _ => return None,
    })
}

/// One layer's weights in every form a rung needs: f32 for the `f32`/`f16` rungs, per-channel
/// int8 with its scales for the `int8` rungs.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// The layer's shape.
    pub spec: LayerSpec,
    /// f32 weights, `[out][in][kh][kw]` row-major.
    pub weight: Vec<f32>,
    /// f32 biases, `[out]`.
    pub bias: Vec<f32>,
    /// int8 weights, same layout as `weight`; `weight ≈ weight_q · weight_scale[out]`.
    pub weight_q: Vec<i8>,
    /// Per-output-channel weight scale `s_w[c] = max|w[c]| / 127` (1 for an all-zero channel).
    pub weight_scale: Vec<f32>,
    /// Scale of this layer's int8 input (`N.L.act_scale`).
    pub act_scale: f32,
    /// Scale of this layer's int8 output: the `act_scale` of the layer that reads it, or the
    /// network's `output_scale` for the head.
    pub out_scale: f32,
}

impl Layer {
    /// The bias pre-scaled to the i32 accumulator: `round_half_even(bias[c] / (act_scale ·
    /// weight_scale[c]))`, the product and quotient in f32 as torch computes them
    /// (`training/export.py: int8_from_file`). Saturates at the i32 range; a loaded file is
    /// checked to stay within ±2^24.
    pub fn bias_q(&self) -> Vec<i32> {
        self.bias_q_f32().into_iter().map(|b| b as i32).collect()
    }

    /// [`Self::bias_q`] before the conversion to an integer (exact: an f32 is an integer above
    /// 2^23 and non-finite only when the bias overflows the accumulator's scale).
    fn bias_q_f32(&self) -> Vec<f32> {
        self.bias.iter().zip(&self.weight_scale).map(|(&b, &s)| (b / (self.act_scale * s)).round_ties_even()).collect()
    }

    /// The per-channel requantisation multiplier `M[c] = act_scale · weight_scale[c] / out_scale`
    /// in f32, in that order: `q_out = clamp(round_half_even(f32(acc) · M[c]), lo, 127)`.
    pub fn multiplier(&self) -> Vec<f32> {
        self.weight_scale.iter().map(|&s| (self.act_scale * s) / self.out_scale).collect()
    }
}

/// One network (`full` or `lite`), ready to run on any rung.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// Which network this is.
    pub kind: NetworkKind,
    /// The layers in [`LAYER_NAMES`] order.
    pub layers: Vec<Layer>,
    /// Scale of the int8 input tensor (also `d1`'s, `f0`'s and the head's `act_scale`).
    pub input_scale: f32,
    /// Scale of the head's int8 output, which the int8 rungs dequantise before the activations.
    pub output_scale: f32,
}

impl Network {
    /// The int8 rungs' network input: `clamp(round_half_even(x / input_scale), −128, 127)`
    /// (the division in f32), as the input pass quantises it.
    pub fn quantize_input(&self, input: &Tensor) -> Tensor<i8> {
        input.map(|x| (x / self.input_scale).round_ties_even().clamp(-128.0, 127.0) as i8)
    }

    /// Whether the network has the full-resolution layer `f0`, whose features the head reads
    /// after the input.
    pub fn has_full_res(&self) -> bool {
        self.layers.iter().any(|l| l.spec.name == "f0")
    }

    /// The layer called `name`.
    ///
    /// # Panics
    /// If the network has no layer `name` (a loaded network has every name of [`LAYER_NAMES`]
    /// but, where it has no full-resolution layer, `f0`).
    pub fn layer(&self, name: &str) -> &Layer {
        self.layers
            .iter()
            .find(|layer| layer.spec.name == name)
            .unwrap_or_else(|| panic!("the {} network has no layer `{name}`", self.kind.name()))
    }

    /// Multiply-accumulates per render pixel, every layer weighted by the fraction of render
    /// pixels it runs at (`training/model.py: macs_per_pixel`): what a rung costs per pixel.
    pub fn macs_per_render_pixel(&self) -> f64 {
        self.layers.iter().map(|l| l.spec.macs_per_output_texel() as f64 / f64::from(1u32 << (2 * l.spec.level))).sum()
    }

    /// Weights plus biases over all layers (the f32 parameters training optimises).
    pub fn parameter_count(&self) -> usize {
        self.layers.iter().map(|l| l.spec.parameter_count()).sum()
    }
}

/// A loaded and validated weight file: both networks and the metadata the controller reads.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFile {
    /// Metadata `version` (one of [`SUPPORTED_MODEL_VERSIONS`]).
    pub version: String,
    /// The `full` network.
    pub full: Network,
    /// The `lite` network.
    pub lite: Network,
    /// Metadata `val_psnr`: validation PSNR in dB per rung (`f32`, `f16`, `int8`, `lite-int8`,
    /// `taau`), which orders the controller's rungs by quality.
    pub val_psnr: BTreeMap<String, f64>,
    /// Metadata `architecture`: the NETWORK.md tables per network, as training wrote them
    /// (informational; the loader checks shapes against [`layer_specs`] instead).
    pub architecture: serde_json::Value,
    /// All metadata as stored (also `created`, `training`, …).
    pub metadata: BTreeMap<String, String>,
}

/// The weight file built into quantsr (`assets/models/quantsr.safetensors`), so the library,
/// the CLI and the viewer run the trained networks without any file at run time.
pub const EMBEDDED_MODEL: &[u8] = include_bytes!("../../../assets/models/quantsr.safetensors");

impl ModelFile {
    /// The built-in model ([`EMBEDDED_MODEL`]), parsed once per process and shared.
    ///
    /// # Panics
    /// If the embedded file does not validate: the build shipped a broken model (the crate's
    /// tests load it, so a release cannot).
    pub fn embedded() -> std::sync::Arc<ModelFile> {
        static MODEL: std::sync::OnceLock<std::sync::Arc<ModelFile>> = std::sync::OnceLock::new();
        MODEL
            .get_or_init(|| {
                let model = ModelFile::from_bytes(EMBEDDED_MODEL, "assets/models/quantsr.safetensors (embedded)");
                std::sync::Arc::new(model.unwrap_or_else(|e| panic!("the embedded model is invalid: {e}")))
            })
            .clone()
    }

    /// Reads and validates the weight file at `path`; errors name the path.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let bytes = tensor_file::read(path)?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    /// Validates a weight file held in memory (an embedded asset, a test's synthetic file);
    /// `source` names it in error messages. Never panics, whatever the bytes.
    pub fn from_bytes(bytes: &[u8], source: &str) -> Result<Self, ModelError> {
        let file = TensorFile::parse(bytes, source)?;
        file.expect_format(MODEL_FORMAT)?;
        let version = file.expect_version(SUPPORTED_MODEL_VERSIONS)?;
        let val_psnr = serde_json::from_str::<BTreeMap<String, f64>>(file.required_metadata("val_psnr")?)
            .map_err(|e| invalid_metadata(source, "val_psnr", format!("not a JSON object of rung → number ({e})")))?;
        let architecture = serde_json::from_str::<serde_json::Value>(file.required_metadata("architecture")?)
            .map_err(|e| invalid_metadata(source, "architecture", format!("not JSON ({e})")))?;
        Ok(Self {
            version,
            full: read_network(&file, NetworkKind::Full)?,
            lite: read_network(&file, NetworkKind::Lite)?,
            val_psnr,
            architecture,
            metadata: file.metadata.clone(),
        })
    }

    /// The network of kind `kind`.
    pub fn network(&self, kind: NetworkKind) -> &Network {
        match kind {
            NetworkKind::Full => &self.full,
            NetworkKind::Lite => &self.lite,
        }
    }
}

fn invalid_metadata(source: &str, key: &'static str, reason: String) -> ModelError {
    ModelError::InvalidMetadata { file: source.to_owned(), key, reason }
}

/// Reads and validates network `kind` from `file`.
fn read_network(file: &TensorFile<'_>, kind: NetworkKind) -> Result<Network, ModelError> {
    let prefix = kind.name();
    let scale = |name: String| -> Result<f32, ModelError> {
        let values = file.f32s(&name, &[1])?;
        check_scales(file.source, &name, &values)?;
        Ok(values[0])
    };
    let input_scale = scale(format!("{prefix}.input_scale"))?;
    let output_scale = scale(format!("{prefix}.output_scale"))?;
    // `f0` is optional: its weight tensor's output channels say how wide it is.
    let full_res = match file.tensor(&format!("{prefix}.f0.weight"), safetensors::Dtype::F32) {
        Ok(view) => view.shape().first().copied().unwrap_or(0),
        Err(ModelError::MissingTensor { .. }) => 0,
        Err(e) => return Err(e),
    };
    let specs = layer_specs(kind, full_res);
    let mut act_scales = BTreeMap::new();
    for spec in &specs {
        act_scales.insert(spec.name, scale(format!("{prefix}.{}.act_scale", spec.name))?);
    }
    for tied in ["d1", "f0", "head"].into_iter().filter(|t| act_scales.contains_key(t)) {
        if act_scales[tied].to_bits() != input_scale.to_bits() {
            return Err(ModelError::ScaleMismatch {
                file: file.source.to_owned(),
                tensor: format!("{prefix}.{tied}.act_scale"),
                value: act_scales[tied],
                expected_tensor: format!("{prefix}.input_scale"),
                expected: input_scale,
            });
        }
    }

    let mut layers = Vec::with_capacity(specs.len());
    for spec in specs {
        let name = |field: &str| format!("{prefix}.{}.{field}", spec.name);
        let weight = file.f32s(&name("weight"), &spec.weight_shape())?;
        check_finite(file.source, &name("weight"), &weight)?;
        let bias = file.f32s(&name("bias"), &[spec.cout])?;
        check_finite(file.source, &name("bias"), &bias)?;
        let weight_q = file.i8s(&name("weight_q"), &spec.weight_shape())?;
        let weight_scale = file.f32s(&name("weight_scale"), &[spec.cout])?;
        check_scales(file.source, &name("weight_scale"), &weight_scale)?;
        let out_scale = consumer(spec.name).map_or(output_scale, |c| act_scales[c]);
        let layer = Layer { spec, weight, bias, weight_q, weight_scale, act_scale: act_scales[spec.name], out_scale };
        check_accumulator(file.source, prefix, &layer)?;
        layers.push(layer);
    }
    Ok(Network { kind, layers, input_scale, output_scale })
}

/// Weights and biases must be finite.
fn check_finite(source: &str, tensor: &str, values: &[f32]) -> Result<(), ModelError> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(ModelError::NonFinite {
            file: source.to_owned(),
            tensor: tensor.to_owned(),
            index,
            value: values[index],
        }),
    }
}

/// Scales must be finite and positive (they divide and multiply every activation).
fn check_scales(source: &str, tensor: &str, values: &[f32]) -> Result<(), ModelError> {
    match values.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
        None => Ok(()),
        Some(index) => Err(ModelError::InvalidScale {
            file: source.to_owned(),
            tensor: tensor.to_owned(),
            index,
            value: values[index],
        }),
    }
}

/// Every output channel's accumulator stays below [`ACCUMULATOR_LIMIT`] for any int8 input:
/// `|bias_q[c]| + 128 · Σ_k |weight_q[c, k]| < 2^24`.
fn check_accumulator(source: &str, prefix: &str, layer: &Layer) -> Result<(), ModelError> {
    let taps = layer.spec.cin * layer.spec.kernel * layer.spec.kernel;
    for (channel, (bias_q, weights)) in
        layer.bias_q_f32().into_iter().zip(layer.weight_q.chunks_exact(taps)).enumerate()
    {
        let weight_sum: i64 = weights.iter().map(|&w| i64::from(w).abs()).sum();
        // Not finite when the bias overflows its scale (NaN for 0 / 0): rejected too.
        let bound = f64::from(bias_q).abs() + 128.0 * weight_sum as f64;
        if bound.is_nan() || bound >= ACCUMULATOR_LIMIT {
            return Err(ModelError::AccumulatorOverflow {
                file: source.to_owned(),
                layer: format!("{prefix}.{}", layer.spec.name),
                channel,
                bound,
                bias_q,
            });
        }
    }
    Ok(())
}

//! Generates the WGSL of one network layer in one [`KernelVariant`], with the weights baked in
//! as literals.
//!
//! On lavapipe (and on most GPUs) the convolution kernels are limited by loads: weights read from
//! a buffer cost as much as the activations. Baked as compile-time constants they cost nothing,
//! which measured 10× faster than a weight buffer (../shared/LAVAPIPE.md). Each invocation
//! computes a block of output channels for `pixels` neighbouring pixels, so every activation
//! loaded feeds `4 · block` multiply-adds per pixel.
//!
//! The code is unrolled: per kernel tap and group of four input channels, one `mat4x4` of
//! weights times the loaded `vec4` of activations per block of four output channels, or, for
//! [`Math::Int8Dot4`], four `dot4I8Packed` of the packed activations with packed weight words.
//! Which math and layout runs is the autotuner's choice (`network::autotune`); every variant
//! computes the same function (the integer ones bit for bit).

use std::fmt::Write as _;

use quantsr_model::{Layer, LayerSpec, NetworkPrecision};

use super::graph::{LayerNode, Source};

/// How a layer's kernel multiplies: which instructions, and where the sums are kept. Every
/// math of a precision computes the same function; the integer ones bit for bit, the f16 ones
/// within the tolerances the parity tests state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Math {
    /// f32 `mat4x4 * vec4` multiply-adds (the `f32` precision).
    F32,
    /// f16 `mat4x4<f16> * vec4<f16>` products, each group of four widened into an f32 sum: the
    /// fewest f16 roundings, and what won on lavapipe, where f16 math is no faster.
    F16Widen,
    /// Packed f16 multiply-add chains: one kernel tap's products accumulated in `vec4<f16>`,
    /// widened into the f32 sum once per tap. Twice the f32 rate where the GPU has packed f16.
    F16Packed,
    /// int8 activations unpacked to f32, integer products summed exactly in f32: the loads are
    /// what costs on lavapipe, and they stay 4 bytes per 4 channels.
    Int8Unpack,
    /// `dot4I8Packed` of four packed activations and four packed weights into i32 sums (DP4a on
    /// GPUs: four multiply-adds per instruction). Exact, as [`Math::Int8Unpack`].
    Int8Dot4,
}

impl Math {
    /// The precision this math belongs to.
    pub const fn precision(self) -> NetworkPrecision {
        match self {
            Math::F32 => NetworkPrecision::F32,
            Math::F16Widen | Math::F16Packed => NetworkPrecision::F16,
            Math::Int8Unpack | Math::Int8Dot4 => NetworkPrecision::Int8,
        }
    }

    /// Every math of `precision`, the default (today's kernels) first.
    pub fn of(precision: NetworkPrecision) -> &'static [Math] {
        match precision {
            NetworkPrecision::F32 => &[Math::F32],
            NetworkPrecision::F16 => &[Math::F16Widen, Math::F16Packed],
            NetworkPrecision::Int8 => &[Math::Int8Unpack, Math::Int8Dot4],
        }
    }

    /// Short name in variant names (`quantsr info`, `bench --layers`, the autotune cache).
    pub const fn name(self) -> &'static str {
        match self {
            Math::F32 => "f32",
            Math::F16Widen => "f16w",
            Math::F16Packed => "f16p",
            Math::Int8Unpack => "i8u",
            Math::Int8Dot4 => "dot4",
        }
    }
}

/// One way of generating a layer's kernel: its math and its layout. The autotuner
/// (`network::autotune`) times the candidates of every layer on the device and keeps the
/// fastest; [`KernelVariant::default_for`] is what runs without tuning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KernelVariant {
    /// The arithmetic.
    pub math: Math,
    /// Neighbouring output pixels per invocation (along x): more amortises each weight.
    pub pixels: u32,
    /// Output channels per invocation (a multiple of 4); the layer's outputs are split into
    /// blocks along the dispatch's z, so smaller blocks launch more invocations (fills a large
    /// GPU at the coarse levels of the U-Net).
    pub block: usize,
    /// Workgroup shape, in invocations.
    pub workgroup: [u32; 2],
}

impl KernelVariant {
    /// The kernel quantsr ran before tuning existed, tuned on lavapipe: f32, f16 products
    /// widened, or int8 unpacked to f32; two pixels per invocation where the unrolled code stays
    /// small, up to 16 outputs per block, 8×8 workgroups.
    pub fn default_for(precision: NetworkPrecision, spec: &LayerSpec, head: bool) -> Self {
        let block = output_block(spec, head);
        let weights_per_block = spec.kernel * spec.kernel * spec.cin * block;
        // Two pixels amortise the weights' constants for float math in the small layers; the
        // int8 kernels measured fastest with one (LAVAPIPE.md), and so do the wide float layers,
        // whose unrolled code for two pixels outgrows a CPU device's instruction cache.
        let pixels = match precision {
            NetworkPrecision::F32 | NetworkPrecision::F16 if weights_per_block <= 2304 => 2,
            _ => 1,
        };
        Self { math: Math::of(precision)[0], pixels, block, workgroup: WORKGROUP }
    }

    /// The variants the autotuner times for a layer, the default first: every math of the
    /// precision on the default layout, and each of them with the outputs split in half (more,
    /// smaller invocations) or, for the head (whose epilogue needs all 16 outputs at once), with
    /// a wide 32×2 workgroup.
    pub fn candidates(precision: NetworkPrecision, spec: &LayerSpec, head: bool) -> Vec<Self> {
        let base = Self::default_for(precision, spec, head);
        let mut out = Vec::new();
        for &math in Math::of(precision) {
            let plain = Self { math, ..base };
            out.push(plain);
            let other = if head || base.block < 8 {
                Self { workgroup: [32, 2], ..plain }
            } else {
                Self { block: base.block / 2, pixels: 1, ..plain }
            };
            out.push(other);
        }
        out
    }

    /// `math.pPIXELS.oBLOCK.wXxY`, e.g. `dot4.p1.o8.w8x8`: how reports and the cache name it.
    pub fn name(&self) -> String {
        format!("{}.p{}.o{}.w{}x{}", self.math.name(), self.pixels, self.block, self.workgroup[0], self.workgroup[1])
    }

    /// Parses [`KernelVariant::name`]; `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        let mut parts = name.split('.');
        let math_name = parts.next()?;
        let math = [Math::F32, Math::F16Widen, Math::F16Packed, Math::Int8Unpack, Math::Int8Dot4]
            .into_iter()
            .find(|m| m.name() == math_name)?;
        let pixels = parts.next()?.strip_prefix('p')?.parse().ok()?;
        let block = parts.next()?.strip_prefix('o')?.parse().ok()?;
        let (x, y) = parts.next()?.strip_prefix('w')?.split_once('x')?;
        let workgroup = [x.parse().ok()?, y.parse().ok()?];
        (parts.next().is_none()).then_some(Self { math, pixels, block, workgroup })
    }

    /// Whether this variant can compute `spec` (as the head, if `head`) at `precision`: the
    /// tuner's cache is read back through this, so a stale entry can never build a wrong kernel.
    pub fn fits(&self, precision: NetworkPrecision, spec: &LayerSpec, head: bool) -> bool {
        let [x, y] = self.workgroup;
        self.math.precision() == precision
            && (1..=4).contains(&self.pixels)
            && self.block >= 4
            && self.block.is_multiple_of(4)
            && self.block <= OUTPUT_BLOCK.max(spec.cout)
            && spec.cout.is_multiple_of(self.block)
            && (!head || self.block == spec.cout)
            && x > 0
            && y > 0
            && x * y <= 256
    }
}

/// Activation-storage include of a precision (`shaders/network/act_*.wgsl`).
pub(crate) fn act_include(precision: NetworkPrecision) -> &'static str {
    match precision {
        NetworkPrecision::F32 => "network/act_f32.wgsl",
        NetworkPrecision::F16 => "network/act_f16.wgsl",
        NetworkPrecision::Int8 => "network/act_int8.wgsl",
    }
}

/// Bytes of one stored group of four channels at a precision.
pub(crate) fn group_bytes(precision: NetworkPrecision) -> u64 {
    match precision {
        NetworkPrecision::F32 => 16,
        NetworkPrecision::F16 => 8,
        NetworkPrecision::Int8 => 4,
    }
}

/// Most output channels computed per invocation by default (a larger layer is split into
/// blocks along the dispatch's z).
pub(crate) const OUTPUT_BLOCK: usize = 16;

/// Most weights one block's unrolled code multiplies by: on a CPU device (lavapipe) a block's
/// code runs once per 8 invocations and must stay in the instruction cache. Measured at
/// 480×270: the 64-channel 3×3 layer ran 3.6× faster (int8) with 8 outputs per block (4608
/// weights, a pipeline each) than with 16; 4 outputs per block were slower again.
pub(crate) const BLOCK_WEIGHTS: usize = 4608;

/// Default output channels per invocation of a layer: 16, or 8 where 16 would unroll more than
/// [`BLOCK_WEIGHTS`] weights. The head computes all 16 at once: its epilogue needs them
/// together.
pub(crate) fn output_block(spec: &LayerSpec, head: bool) -> usize {
    if head {
        return spec.cout;
    }
    let per_output = spec.kernel * spec.kernel * spec.cin;
    let block = if per_output * OUTPUT_BLOCK > BLOCK_WEIGHTS { OUTPUT_BLOCK / 2 } else { OUTPUT_BLOCK };
    block.min(spec.cout)
}

/// Blocks beyond this many get a pipeline each instead of a `switch` in one module: a switch
/// over 4 blocks ran at half the speed of 4 pipelines on lavapipe, and LLVM's time to compile
/// one module grows much faster than its size (16 cases took over 20 minutes).
pub(crate) const SWITCH_BLOCKS: u32 = 2;

/// Default workgroup shape of the layer kernels, in invocations.
pub(crate) const WORKGROUP: [u32; 2] = [8, 8];

/// How the layer's result leaves the kernel.
pub(crate) enum Output {
    /// Into the activation tensor `dst` (binding after the sources), with ReLU.
    Tensor,
    /// The head: activations of training/NETWORK.md into the parameter textures.
    Head {
        /// Dequantisation scale of the head's int8 output (int8 rungs).
        output_scale: f32,
    },
}

/// An f32 literal that WGSL parses back to exactly `v` (through f64, which holds it exactly).
fn lit(v: f32) -> String {
    let s = format!("{:?}", f64::from(v));
    if s.contains(['.', 'e', 'E']) { s } else { format!("{s}.0") }
}

/// A weight literal at a precision: f16 values rounded to nearest even, int8 values as the
/// integers they are.
fn weight_lit(precision: NetworkPrecision, layer: &Layer, index: usize) -> String {
    match precision {
        NetworkPrecision::F32 => lit(layer.weight[index]),
        NetworkPrecision::F16 => lit(half::f16::from_f32(layer.weight[index]).to_f32()),
        NetworkPrecision::Int8 => format!("{}.0", layer.weight_q[index]),
    }
}

/// Four int8 weights as one `u32` literal, the first in the lowest byte (`unpack4xI8`'s order,
/// which is how activations are packed).
fn packed_weights_lit(layer: &Layer, indices: [usize; 4]) -> String {
    let word = u32::from_le_bytes(indices.map(|i| layer.weight_q[i] as u8));
    format!("0x{word:08x}u")
}

/// The WGSL of `node` in `variant`: one entry point `main`, bindings 0 frame uniforms, then one
/// storage buffer per source, then the output (tensor or the four head textures).
pub(crate) fn layer_kernel(
    variant: &KernelVariant,
    node: &LayerNode,
    layer: &Layer,
    output: &Output,
    only_block: Option<usize>,
) -> String {
    let spec = &layer.spec;
    let math = variant.math;
    let precision = math.precision();
    let px = variant.pixels as usize;
    let (cin, cout, k) = (spec.cin, spec.cout, spec.kernel);
    let head = matches!(output, Output::Head { .. });
    let block = variant.block;
    let blocks = cout.div_ceil(block);
    let pad = if k == 3 { 1 } else { 0 };
    let stride = spec.stride as i32;
    let f16 = precision == NetworkPrecision::F16;
    let dot4 = math == Math::Int8Dot4;
    let vec = if f16 { "vec4<f16>" } else { "vec4<f32>" };
    let mat = if f16 { "mat4x4<f16>" } else { "mat4x4<f32>" };
    // The accumulators' type: exact i32 sums for dot4, f32 otherwise.
    let acc = if dot4 { "vec4<i32>" } else { "vec4<f32>" };
    let bias_q = layer.bias_q();
    let multiplier = layer.multiplier();
    let weight_index = |o: usize, i: usize, ky: usize, kx: usize| ((o * cin + i) * k + ky) * k + kx;

    let mut s = String::new();
    let _ =
        writeln!(s, "// Generated by quantsr_upscaler::network::codegen: layer `{}`, {}.", spec.name, variant.name());
    let _ = writeln!(s, "#include \"{}\"", act_include(precision));
    s.push_str("#include \"network/common.wgsl\"\n\n");
    s.push_str("@group(0) @binding(0) var<uniform> frame: FrameUniforms;\n");
    for (i, _) in node.sources.iter().enumerate() {
        let _ = writeln!(s, "@group(0) @binding({}) var<storage, read> src{i}: array<Act>;", i + 1);
    }
    let out_binding = node.sources.len() + 1;
    if head {
        for (i, name) in ["params", "beta_lo", "beta_hi", "params_extra"].iter().enumerate() {
            let _ = writeln!(
                s,
                "@group(0) @binding({}) var {name}: texture_storage_2d<rgba16float, write>;",
                out_binding + i
            );
        }
    } else {
        let _ = writeln!(s, "@group(0) @binding({out_binding}) var<storage, read_write> dst: array<Act>;");
    }
    s.push('\n');

    for b in (0..blocks).filter(|b| only_block.is_none_or(|o| o == *b)) {
        let co0 = b * block;
        let groups = (block.min(cout - co0)) / 4;
        let _ = writeln!(s, "fn block{b}(x0: u32, y: u32, out_size: vec2<u32>) {{");
        // Accumulators, initialised with the bias.
        for p in 0..px {
            for j in 0..groups {
                let c = co0 + 4 * j;
                let init: Vec<String> = (c..c + 4)
                    .map(|o| match math {
                        Math::Int8Dot4 => format!("{}", bias_q[o]),
                        Math::Int8Unpack => format!("{}.0", bias_q[o]),
                        Math::F16Widen | Math::F16Packed => lit(half::f16::from_f32(layer.bias[o]).to_f32()),
                        Math::F32 => lit(layer.bias[o]),
                    })
                    .collect();
                let _ = writeln!(s, "    var a{p}_{j} = {acc}({});", init.join(", "));
            }
        }
        let mut ci_base = 0usize;
        for (si, src) in node.sources.iter().enumerate() {
            let g4 = src.channels / 4;
            let _ = writeln!(s, "    let size{si} = level_size({}u);", src.level);
            let taps: Vec<(i32, i32)> = (0..k as i32).flat_map(|ky| (0..k as i32).map(move |kx| (ky, kx))).collect();
            for &(ky, kx) in &taps {
                let _ = writeln!(s, "    {{");
                for p in 0..px {
                    let (q, check) = source_coord(src, p, ky - pad, kx - pad, stride, &format!("size{si}"));
                    let _ = writeln!(s, "        let q{p} = {q};");
                    let _ = writeln!(s, "        let ok{p} = {check};");
                    let _ = writeln!(s, "        let i{p} = tensor_index(q{p}, size{si}, {g4}u, 0u);");
                    if math == Math::F16Packed {
                        for j in 0..groups {
                            let _ = writeln!(s, "        var t{p}_{j} = vec4<f16>(0.0);");
                        }
                    }
                }
                // Each group of four input channels is loaded right before the multiply-adds
                // that use it, so only one vec4 per pixel is live (loading all of them first
                // spilled registers in the wide layers).
                for c4 in 0..g4 {
                    for p in 0..px {
                        let load = if dot4 {
                            format!("select(0u, src{si}[i{p} + {c4}u], ok{p})")
                        } else {
                            format!("select({vec}(0.0), act_load(src{si}[i{p} + {c4}u]), ok{p})")
                        };
                        let _ = writeln!(s, "        let v{p}_{c4} = {load};");
                    }
                    let (ky, kx) = (ky as usize, kx as usize);
                    for j in 0..groups {
                        let o0 = co0 + 4 * j;
                        let i0 = ci_base + 4 * c4;
                        if dot4 {
                            // Row r: output channel o0 + r against input channels i0..i0 + 4.
                            let rows: Vec<String> = (0..4)
                                .map(|r| {
                                    packed_weights_lit(
                                        layer,
                                        [0, 1, 2, 3].map(|e| weight_index(o0 + r, i0 + e, ky, kx)),
                                    )
                                })
                                .collect();
                            for p in 0..px {
                                let dots: Vec<String> =
                                    rows.iter().map(|w| format!("dot4I8Packed(v{p}_{c4}, {w})")).collect();
                                let _ = writeln!(s, "        a{p}_{j} += vec4<i32>({});", dots.join(", "));
                            }
                            continue;
                        }
                        // Column `e` multiplies input channel i0 + e; row `r` is output channel o0 + r.
                        let mut vals = Vec::with_capacity(16);
                        for e in 0..4 {
                            for r in 0..4 {
                                vals.push(weight_lit(precision, layer, weight_index(o0 + r, i0 + e, ky, kx)));
                            }
                        }
                        let _ = writeln!(s, "        let m{c4}_{j} = {mat}({});", vals.join(", "));
                        for p in 0..px {
                            let prod = format!("m{c4}_{j} * v{p}_{c4}");
                            let line = match math {
                                Math::F16Widen => format!("a{p}_{j} += vec4<f32>({prod});"),
                                Math::F16Packed => format!("t{p}_{j} += {prod};"),
                                _ => format!("a{p}_{j} += {prod};"),
                            };
                            let _ = writeln!(s, "        {line}");
                        }
                    }
                }
                if math == Math::F16Packed {
                    for p in 0..px {
                        for j in 0..groups {
                            let _ = writeln!(s, "        a{p}_{j} += vec4<f32>(t{p}_{j});");
                        }
                    }
                }
                let _ = writeln!(s, "    }}");
            }
            ci_base += src.channels;
        }
        // Epilogue: store every pixel of the invocation that lies inside the output.
        let sum = |p: usize, j: usize| if dot4 { format!("vec4<f32>(a{p}_{j})") } else { format!("a{p}_{j}") };
        for p in 0..px {
            let _ = writeln!(s, "    if x0 + {p}u < out_size.x {{");
            if head {
                let _ = writeln!(s, "        let p = vec2<i32>(vec2<u32>(x0 + {p}u, y));");
                for j in 0..4 {
                    let raw = match (precision, output) {
                        (NetworkPrecision::Int8, Output::Head { output_scale }) => {
                            let m = vec4_lit(&multiplier[4 * j..4 * j + 4]);
                            format!(
                                "clamp(round({} * {m}), vec4<f32>(-128.0), vec4<f32>(127.0)) * {}",
                                sum(p, j),
                                lit(*output_scale)
                            )
                        }
                        _ => sum(p, j),
                    };
                    let _ = writeln!(s, "        let r{j} = finite4({raw});");
                }
                s.push_str(
                    "        textureStore(params, p, vec4<f32>(0.2 + 0.8 * sigmoid(r0.x), sigmoid(r0.y), \
                     0.5 + 3.0 * sigmoid(r0.z), 1.0 + 31.0 * sigmoid(r0.w)));\n",
                );
                s.push_str("        textureStore(beta_lo, p, clamp(r1, vec4<f32>(-4.0), vec4<f32>(4.0)));\n");
                s.push_str("        textureStore(beta_hi, p, clamp(r2, vec4<f32>(-4.0), vec4<f32>(4.0)));\n");
                s.push_str(
                    "        textureStore(params_extra, p, vec4<f32>(clamp(r3.x, -4.0, 4.0), tanh(r3.y), tanh(r3.z), 0.0));\n",
                );
            } else {
                let _ = writeln!(s, "        let o = ((y * out_size.x + x0 + {p}u) * {}u) + {}u;", cout / 4, co0 / 4);
                for j in 0..groups {
                    let store = match precision {
                        NetworkPrecision::Int8 => {
                            let m = vec4_lit(&multiplier[co0 + 4 * j..co0 + 4 * j + 4]);
                            let lo = if spec.relu { "0.0" } else { "-128.0" };
                            format!("act_requantize({}, {m}, {lo})", sum(p, j))
                        }
                        _ => format!("act_pack(max(a{p}_{j}, vec4<f32>(0.0)))"),
                    };
                    let _ = writeln!(s, "        dst[o + {j}u] = {store};");
                }
            }
            s.push_str("    }\n");
        }
        s.push_str("}\n\n");
    }

    if head {
        s.push_str("fn sigmoid(x: f32) -> f32 {\n    return 1.0 / (1.0 + exp(-x));\n}\n\n");
    }
    let _ = writeln!(s, "@compute @workgroup_size({}, {})", variant.workgroup[0], variant.workgroup[1]);
    s.push_str("fn main(@builtin(global_invocation_id) id: vec3<u32>) {\n");
    let _ = writeln!(s, "    let out_size = level_size({}u);", node.level);
    let _ = writeln!(s, "    let x0 = id.x * {px}u;");
    s.push_str("    if x0 >= out_size.x || id.y >= out_size.y {\n        return;\n    }\n");
    if let Some(b) = only_block {
        let _ = writeln!(s, "    block{b}(x0, id.y, out_size);");
    } else if blocks == 1 {
        s.push_str("    block0(x0, id.y, out_size);\n");
    } else {
        s.push_str("    switch id.z {\n");
        for b in 0..blocks {
            let _ = writeln!(s, "        case {b}u: {{ block{b}(x0, id.y, out_size); }}");
        }
        s.push_str("        default: {}\n    }\n");
    }
    s.push_str("}\n");
    s
}

/// Number of output-channel blocks (the dispatch's z) of a layer in `variant`.
pub(crate) fn block_count(layer: &Layer, variant: &KernelVariant) -> u32 {
    layer.spec.cout.div_ceil(variant.block) as u32
}

fn vec4_lit(v: &[f32]) -> String {
    format!("vec4<f32>({})", v.iter().map(|&x| lit(x)).collect::<Vec<_>>().join(", "))
}

/// The WGSL expression of the source coordinate `q{p}` read by output pixel (x0 + p, y) at tap
/// offset (dy, dx) and its validity test, for a source whose size is the WGSL value `size`.
fn source_coord(src: &Source, p: usize, dy: i32, dx: i32, stride: i32, size: &str) -> (String, String) {
    if src.upsample {
        // Nearest ×2 from a coarser level; an empty level (tiny render sizes) reads zero.
        (format!("up_coord(vec2<u32>(x0 + {p}u, y), {size})"), format!("all({size} > vec2<u32>(0u))"))
    } else if dy == 0 && dx == 0 && stride == 1 {
        (format!("vec2<i32>(vec2<u32>(x0 + {p}u, y))"), "true".to_owned())
    } else {
        (
            format!("vec2<i32>(vec2<u32>(x0 + {p}u, y)) * {stride} + vec2<i32>({dx}, {dy})"),
            format!("inside(q{p}, {size})"),
        )
    }
}

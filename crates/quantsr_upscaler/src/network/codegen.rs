//! Generates the WGSL of one network layer for one rung, with the weights baked in as literals.
//!
//! On lavapipe (and on most GPUs) the convolution kernels are limited by loads: weights read from
//! a buffer cost as much as the activations. Baked as compile-time constants they cost nothing,
//! which measured 10× faster than a weight buffer (../shared/LAVAPIPE.md). Each invocation
//! computes a block of output channels for `pixels` neighbouring pixels, so every activation
//! loaded feeds `4 · block` multiply-adds per pixel.
//!
//! The code is unrolled: per kernel tap and group of four input channels, one `mat4x4` of
//! weights times the loaded `vec4` of activations per block of four output channels.

use std::fmt::Write as _;

use quantsr_model::Layer;

use super::graph::{LayerNode, Source};

/// Precision of a neural rung's kernels and activations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Precision {
    /// f32 weights, activations and math.
    F32,
    /// f16 weights, activations and products, sums of four products accumulated in f32.
    F16,
    /// int8 weights and activations, exact integer sums, requantised per layer.
    Int8,
}

impl Precision {
    /// The activation-storage include of this precision (`shaders/network/act_*.wgsl`).
    pub(crate) fn act_include(self) -> &'static str {
        match self {
            Precision::F32 => "network/act_f32.wgsl",
            Precision::F16 => "network/act_f16.wgsl",
            Precision::Int8 => "network/act_int8.wgsl",
        }
    }

    /// Bytes of one stored group of four channels.
    pub(crate) fn group_bytes(self) -> u64 {
        match self {
            Precision::F32 => 16,
            Precision::F16 => 8,
            Precision::Int8 => 4,
        }
    }

    /// Pixels per invocation of a layer: two amortise the weights' constants for float math
    /// in the small layers; the int8 kernels measured fastest with one (LAVAPIPE.md), and so do
    /// the wide float layers, whose unrolled code for two pixels outgrows a CPU device's
    /// instruction cache (more than 2304 weights per block).
    pub(crate) fn pixels(self, spec: &quantsr_model::LayerSpec, head: bool) -> u32 {
        let weights_per_block = spec.kernel * spec.kernel * spec.cin * output_block(spec, head);
        match self {
            Precision::F32 | Precision::F16 if weights_per_block <= 2304 => 2,
            _ => 1,
        }
    }
}

/// Most output channels computed per invocation (a larger layer is split into blocks along the
/// dispatch's z).
pub(crate) const OUTPUT_BLOCK: usize = 16;

/// Most weights one block's unrolled code multiplies by: on a CPU device (lavapipe) a block's
/// code runs once per 8 invocations and must stay in the instruction cache. Measured at
/// 480×270: the 64-channel 3×3 layer ran 3.6× faster (int8) with 8 outputs per block (4608
/// weights, a pipeline each) than with 16; 4 outputs per block were slower again.
pub(crate) const BLOCK_WEIGHTS: usize = 4608;

/// Output channels per invocation of a layer: 16, or 8 where 16 would unroll more than
/// [`BLOCK_WEIGHTS`] weights. The head computes all 16 at once: its epilogue needs them
/// together.
pub(crate) fn output_block(spec: &quantsr_model::LayerSpec, head: bool) -> usize {
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

/// Workgroup shape of every layer kernel, in invocations.
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

/// A weight literal in the rung's precision: f16 values rounded to nearest even, int8 values
/// as the integers they are.
fn weight_lit(precision: Precision, layer: &Layer, index: usize) -> String {
    match precision {
        Precision::F32 => lit(layer.weight[index]),
        Precision::F16 => lit(half::f16::from_f32(layer.weight[index]).to_f32()),
        Precision::Int8 => format!("{}.0", layer.weight_q[index]),
    }
}

/// The WGSL of `node` at `precision`: one entry point `main`, bindings 0 frame uniforms, then one
/// storage buffer per source, then the output (tensor or the four head textures).
pub(crate) fn layer_kernel(
    precision: Precision,
    node: &LayerNode,
    layer: &Layer,
    output: &Output,
    only_block: Option<usize>,
) -> String {
    let spec = &layer.spec;
    let px = precision.pixels(&layer.spec, matches!(output, Output::Head { .. })) as usize;
    let (cin, cout, k) = (spec.cin, spec.cout, spec.kernel);
    let head = matches!(output, Output::Head { .. });
    let block = output_block(spec, head);
    let blocks = cout.div_ceil(block);
    let pad = if k == 3 { 1 } else { 0 };
    let stride = spec.stride as i32;
    let vec = if precision == Precision::F16 { "vec4<f16>" } else { "vec4<f32>" };
    let mat = if precision == Precision::F16 { "mat4x4<f16>" } else { "mat4x4<f32>" };
    let bias_q = layer.bias_q();
    let multiplier = layer.multiplier();

    let mut s = String::new();
    let _ = writeln!(s, "// Generated by quantsr_upscaler::network::codegen: layer `{}` ({:?}).", spec.name, precision);
    let _ = writeln!(s, "#include \"{}\"", precision.act_include());
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
                    .map(|o| match precision {
                        Precision::F32 => lit(layer.bias[o]),
                        Precision::F16 => lit(half::f16::from_f32(layer.bias[o]).to_f32()),
                        Precision::Int8 => format!("{}.0", bias_q[o]),
                    })
                    .collect();
                let _ = writeln!(s, "    var a{p}_{j} = vec4<f32>({});", init.join(", "));
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
                    let (q, check) = source_coord(src, p, ky - pad, kx - pad, stride);
                    let _ = writeln!(s, "        let q{p} = {};", q.replace('S', &format!("size{si}")));
                    let _ = writeln!(
                        s,
                        "        let ok{p} = {};",
                        check.replace("Q", &format!("q{p}")).replace("S", &format!("size{si}"))
                    );
                    let _ = writeln!(s, "        let i{p} = tensor_index(q{p}, size{si}, {g4}u, 0u);");
                }
                // Each group of four input channels is loaded right before the multiply-adds
                // that use it, so only one vec4 per pixel is live (loading all of them first
                // spilled registers in the wide layers).
                for c4 in 0..g4 {
                    for p in 0..px {
                        let _ = writeln!(
                            s,
                            "        let v{p}_{c4} = select({vec}(0.0), act_load(src{si}[i{p} + {c4}u]), ok{p});"
                        );
                    }
                    for j in 0..groups {
                        // Column `e` multiplies input channel 4·c4 + e; row `r` is output channel 4·j + r.
                        let mut vals = Vec::with_capacity(16);
                        for e in 0..4 {
                            for r in 0..4 {
                                let o = co0 + 4 * j + r;
                                let i = ci_base + 4 * c4 + e;
                                let idx = ((o * cin + i) * k + ky as usize) * k + kx as usize;
                                vals.push(weight_lit(precision, layer, idx));
                            }
                        }
                        let _ = writeln!(s, "        let m{c4}_{j} = {mat}({});", vals.join(", "));
                        for p in 0..px {
                            let prod = format!("m{c4}_{j} * v{p}_{c4}");
                            let prod = if precision == Precision::F16 { format!("vec4<f32>({prod})") } else { prod };
                            let _ = writeln!(s, "        a{p}_{j} += {prod};");
                        }
                    }
                }
                let _ = writeln!(s, "    }}");
            }
            ci_base += src.channels;
        }
        // Epilogue: store every pixel of the invocation that lies inside the output.
        for p in 0..px {
            let _ = writeln!(s, "    if x0 + {p}u < out_size.x {{");
            if head {
                let _ = writeln!(s, "        let p = vec2<i32>(vec2<u32>(x0 + {p}u, y));");
                for j in 0..4 {
                    let raw = match (precision, output) {
                        (Precision::Int8, Output::Head { output_scale }) => {
                            let m = vec4_lit(&multiplier[4 * j..4 * j + 4]);
                            format!(
                                "clamp(round(a{p}_{j} * {m}), vec4<f32>(-128.0), vec4<f32>(127.0)) * {}",
                                lit(*output_scale)
                            )
                        }
                        _ => format!("a{p}_{j}"),
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
                        Precision::Int8 => {
                            let m = vec4_lit(&multiplier[co0 + 4 * j..co0 + 4 * j + 4]);
                            let lo = if spec.relu { "0.0" } else { "-128.0" };
                            format!("act_requantize(a{p}_{j}, {m}, {lo})")
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
    let _ = writeln!(s, "@compute @workgroup_size({}, {})", WORKGROUP[0], WORKGROUP[1]);
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

/// Number of output-channel blocks (the dispatch's z) of a layer.
pub(crate) fn block_count(layer: &Layer, head: bool) -> u32 {
    layer.spec.cout.div_ceil(output_block(&layer.spec, head)) as u32
}

fn vec4_lit(v: &[f32]) -> String {
    format!("vec4<f32>({})", v.iter().map(|&x| lit(x)).collect::<Vec<_>>().join(", "))
}

/// The WGSL expression of the source coordinate read by output pixel (x0 + p, y) at tap offset
/// (dy, dx) and its validity test, with `Q` (the coordinate) and `S` (the source's size) as
/// placeholders.
fn source_coord(src: &Source, p: usize, dy: i32, dx: i32, stride: i32) -> (String, &'static str) {
    if src.upsample {
        // Nearest ×2 from a coarser level; an empty level (tiny render sizes) reads zero.
        (format!("up_coord(vec2<u32>(x0 + {p}u, y), S)"), "all(S > vec2<u32>(0u))")
    } else if dy == 0 && dx == 0 && stride == 1 {
        (format!("vec2<i32>(vec2<u32>(x0 + {p}u, y))"), "true")
    } else {
        (format!("vec2<i32>(vec2<u32>(x0 + {p}u, y)) * {stride} + vec2<i32>({dx}, {dy})"), "inside(Q, S)")
    }
}

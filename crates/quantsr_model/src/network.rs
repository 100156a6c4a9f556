//! CPU reference forward passes of the parameter network, one per precision rung: the oracle
//! the WGSL network kernels (`shaders/network/`) are tested against, and the Rust twin of
//! `training/model.py` (`run_graph`, `forward_f16`, `forward_int8`) that the model fixture
//! checks. Written for clarity, not speed: plain loops over CHW tensors.
//!
//! The graph (NETWORK.md "Architecture"):
//!
//! ```text
//! d1 = conv2x2 s2 (input)         ½      e2b = conv3x3 (e2a)  ¼
//! e1 = conv3x3 (d1)               ½      d3  = conv3x3 s2 (e2b), zero pad 1: ceil(n/2)   ⅛
//! d2 = conv2x2 s2 (e1)            ¼      e3  = conv3x3 (d3)   ⅛
//! e2a = conv3x3 (d2)              ¼
//! u2   = conv1x1 (cat(up(e3) to e2b's size, e2b))
//! u1   = conv1x1 (cat(up(u2) to e1's size, e1))
//! f0   = conv3x3 (input)          1      (only in a network with the full-resolution layer)
//! head = conv1x1 (cat(up(u1) to the input's size, input[, f0])), no ReLU
//! ```
//!
//! 2×2 stride-2 convolutions have no padding (an odd last row/column is dropped); 3×3 ones
//! have zero padding 1. Upsampling to a size: output texel `y` reads input texel
//! `min(y / 2, n_in − 1)` (likewise `x`), which crops or repeats the last row/column.
//!
//! Every convolution output is accumulated as `bias[co]`, then for each input channel `ci`
//! (outer), each kernel row `ky`, each kernel column `kx` (inner): `acc += w · x`, skipping
//! taps in the zero padding. The f32 result differs from torch's (whose summation order is
//! its own) by rounding only.

use std::collections::BTreeMap;

use crate::cpu::network_input::InputTensor;
use crate::tensor::Tensor;
use crate::weights::{INPUT_CHANNELS, Layer, LayerSpec, Network, OUTPUT_CHANNELS};

impl From<&InputTensor> for Tensor {
    /// The network input built by [`crate::cpu::network_input`] (HWC, one 16-vector per render
    /// pixel) in the CHW layout the forward passes take.
    fn from(input: &InputTensor) -> Self {
        let [width, height] = input.size.map(|s| s as usize);
        Self::from_fn(INPUT_CHANNELS, height, width, |c, y, x| input.data[y * width + x][c])
    }
}

/// Nearest ×2 upsampling to `height × width`: texel `(y, x)` reads
/// `(min(y / 2, h_in − 1), min(x / 2, w_in − 1))` (`training/model.py: up_to`).
fn upsample_to<T: Copy + Default>(t: &Tensor<T>, height: usize, width: usize) -> Tensor<T> {
    Tensor::from_fn(t.channels, height, width, |c, y, x| t.get(c, (y / 2).min(t.height - 1), (x / 2).min(t.width - 1)))
}

/// The channels of `a` followed by those of `b` (same height and width).
fn concat<T: Copy + Default>(a: &Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
    assert_eq!((a.height, a.width), (b.height, b.width), "concatenated tensors differ in size");
    let mut data = a.data.clone();
    data.extend_from_slice(&b.data);
    Tensor { channels: a.channels + b.channels, height: a.height, width: a.width, data }
}

/// Calls `tap(ci, ky, kx, value)` for every kernel tap of output texel `(oy, ox)` whose input
/// texel lies inside `input` (taps in the zero padding contribute nothing and are skipped), in
/// the accumulation order: input channel outer, kernel row, kernel column inner.
fn for_each_tap<T: Copy + Default>(
    spec: &LayerSpec,
    input: &Tensor<T>,
    oy: usize,
    ox: usize,
    mut tap: impl FnMut(usize, usize, usize, T),
) {
    for ci in 0..spec.cin {
        for ky in 0..spec.kernel {
            // Input row oy·stride + ky − pad, skipped when outside the tensor.
            let Some(iy) = (oy * spec.stride + ky).checked_sub(spec.padding()).filter(|&iy| iy < input.height) else {
                continue;
            };
            for kx in 0..spec.kernel {
                let Some(ix) = (ox * spec.stride + kx).checked_sub(spec.padding()).filter(|&ix| ix < input.width)
                else {
                    continue;
                };
                tap(ci, ky, kx, input.get(ci, iy, ix));
            }
        }
    }
}

/// Convolution with f32 `weight` `[out][in][kh][kw]` and `bias`, accumulated in f32 in the
/// module's order; no activation.
fn conv_f32(spec: &LayerSpec, weight: &[f32], bias: &[f32], input: &Tensor) -> Tensor {
    assert_eq!(input.channels, spec.cin, "layer `{}` reads {} channels", spec.name, spec.cin);
    let k = spec.kernel;
    Tensor::from_fn(spec.cout, spec.output_size(input.height), spec.output_size(input.width), |co, oy, ox| {
        let mut acc = bias[co];
        for_each_tap(spec, input, oy, ox, |ci, ky, kx, x| acc += weight[((co * spec.cin + ci) * k + ky) * k + kx] * x);
        acc
    })
}

/// Convolution of int8 weights and activations: `bias_q[co] + Σ w_q · x_q`, exact (i64; a
/// loaded network keeps it below 2^24 in magnitude).
fn conv_i8(spec: &LayerSpec, weight_q: &[i8], bias_q: &[i32], input: &Tensor<i8>) -> Tensor<i64> {
    assert_eq!(input.channels, spec.cin, "layer `{}` reads {} channels", spec.name, spec.cin);
    let k = spec.kernel;
    Tensor::from_fn(spec.cout, spec.output_size(input.height), spec.output_size(input.width), |co, oy, ox| {
        let mut acc = i64::from(bias_q[co]);
        for_each_tap(spec, input, oy, ox, |ci, ky, kx, x| {
            acc += i64::from(weight_q[((co * spec.cin + ci) * k + ky) * k + kx]) * i64::from(x);
        });
        acc
    })
}

/// The U-Net dataflow (`training/model.py: run_graph`): `layer(l, t)` runs layer `l` (its
/// convolution and activation) on `t`; `input` is already in the rung's representation.
fn run_graph<T: Copy + Default>(
    net: &Network,
    input: &Tensor<T>,
    mut layer: impl FnMut(&Layer, &Tensor<T>) -> Tensor<T>,
) -> Tensor<T> {
    let mut run = |name: &str, t: &Tensor<T>| layer(net.layer(name), t);
    let d1 = run("d1", input);
    let e1 = run("e1", &d1);
    let d2 = run("d2", &e1);
    let e2a = run("e2a", &d2);
    let e2b = run("e2b", &e2a);
    let d3 = run("d3", &e2b);
    let e3 = run("e3", &d3);
    let u2 = run("u2", &concat(&upsample_to(&e3, e2b.height, e2b.width), &e2b));
    let u1 = run("u1", &concat(&upsample_to(&u2, e1.height, e1.width), &e1));
    let mut head_input = concat(&upsample_to(&u1, input.height, input.width), input);
    if net.has_full_res() {
        head_input = concat(&head_input, &run("f0", input));
    }
    run("head", &head_input)
}

/// Input checks shared by the forward passes.
fn check_input(input: &Tensor) {
    assert_eq!(input.channels, INPUT_CHANNELS, "the network reads {INPUT_CHANNELS} input channels");
    assert!(
        input.height >= 4 && input.width >= 4,
        "the network needs at least 4×4 render pixels (got {}×{}): smaller inputs leave the ¼ level empty",
        input.width,
        input.height
    );
}

/// The `f32` rung: the network's raw head output (16 channels, before [`activate`]) at the
/// input's size, everything in f32. The reference for the f32 WGSL kernels and for
/// `N.X.f32.raw` in the model fixture.
///
/// # Panics
/// If `input` does not have 16 channels or a side is below 4.
pub fn forward_f32(net: &Network, input: &Tensor) -> Tensor {
    layers_f32(net, input).remove("head").expect("the graph ends in the head")
}

/// Every layer's output of the `f32` rung by name (`"d1"` … `"u1"`, `"f0"`, and `"head"` before the
/// activations): the per-layer oracle of the GPU kernels.
///
/// # Panics
/// If `input` does not have 16 channels or a side is below 4.
pub fn layers_f32(net: &Network, input: &Tensor) -> BTreeMap<String, Tensor> {
    check_input(input);
    let mut kept = BTreeMap::new();
    let head = run_graph(net, input, |layer, t| {
        let y = conv_f32(&layer.spec, &layer.weight, &layer.bias, t);
        let y = if layer.spec.relu { y.map(|v| v.max(0.0)) } else { y };
        kept.insert(layer.spec.name.to_owned(), y.clone());
        y
    });
    kept.insert("head".to_owned(), head);
    kept
}

/// `value` rounded to the nearest f16 (ties to even), back as f32.
fn to_f16(value: f32) -> f32 {
    half::f16::from_f32(value).to_f32()
}

/// The `f16` rung as `training/model.py: forward_f16` emulates it: weights, biases, the input
/// and every layer's output (after the ReLU) rounded to f16, round to nearest even; products
/// summed in f32. Returns the head output (rounded to f16, as the rung stores it).
///
/// # Panics
/// If `input` does not have 16 channels or a side is below 4.
pub fn forward_f16(net: &Network, input: &Tensor) -> Tensor {
    layers_f16(net, input).remove("head").expect("the graph ends in the head")
}

/// Every layer's output of the `f16` rung by name, as [`layers_f32`].
///
/// # Panics
/// If `input` does not have 16 channels or a side is below 4.
pub fn layers_f16(net: &Network, input: &Tensor) -> BTreeMap<String, Tensor> {
    check_input(input);
    let mut kept = BTreeMap::new();
    let head = run_graph(net, &input.map(to_f16), |layer, t| {
        let weight: Vec<f32> = layer.weight.iter().copied().map(to_f16).collect();
        let bias: Vec<f32> = layer.bias.iter().copied().map(to_f16).collect();
        let y = conv_f32(&layer.spec, &weight, &bias, t);
        let y = y.map(|v| to_f16(if layer.spec.relu { v.max(0.0) } else { v }));
        kept.insert(layer.spec.name.to_owned(), y.clone());
        y
    });
    kept.insert("head".to_owned(), head);
    kept
}

/// The `int8` rungs, bit for bit as `training/model.py: forward_int8` (and the WGSL kernels):
/// the input quantised by [`Network::quantize_input`]; per layer `acc = bias_q[c] + Σ w_q · x_q` exactly,
/// converted to f32, `q = clamp(round_half_even(acc · M[c]), lo, 127)` in f32 with
/// `M` = [`Layer::multiplier`] and `lo` = 0 after a ReLU, −128 for the head; the head's int8
/// output times `output_scale` is returned (the raw output the activations read).
///
/// `keep`, when given, receives the quantised input under `"input"` and every layer's int8
/// output under its name (`"d1"` … `"head"`): the fixture's `N.X.int8.q.L` tensors.
///
/// # Panics
/// If `input` does not have 16 channels or a side is below 4.
pub fn forward_int8(net: &Network, input: &Tensor, keep: Option<&mut BTreeMap<String, Tensor<i8>>>) -> Tensor {
    check_input(input);
    let mut kept = BTreeMap::new();
    let q_input = net.quantize_input(input);
    kept.insert("input".to_owned(), q_input.clone());
    let head = run_graph(net, &q_input, |layer, t| {
        let acc = conv_i8(&layer.spec, &layer.weight_q, &layer.bias_q(), t);
        let multiplier = layer.multiplier();
        let lo = if layer.spec.relu { 0.0 } else { -128.0 };
        let q = Tensor::from_fn(acc.channels, acc.height, acc.width, |c, y, x| {
            // i64 → f32 rounds to nearest even, as torch's f64 → f32 does (exact below 2^24).
            (acc.get(c, y, x) as f32 * multiplier[c]).round_ties_even().clamp(lo, 127.0) as i8
        });
        kept.insert(layer.spec.name.to_owned(), q.clone());
        q
    });
    if let Some(keep) = keep {
        keep.extend(kept);
    }
    head.map(|q| f32::from(q) * net.output_scale)
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// The output activations of NETWORK.md "Output" (`training/pipeline.py: activate`), per
/// channel: σ = 0.2 + 0.8·sigmoid, trust = sigmoid, γ = 0.5 + 3·sigmoid, max frames =
/// 1 + 31·sigmoid, β (4–12) = clamp(o, −4, 4), feedback (13–14) = tanh, channel 15 = 0. This
/// turns any rung's raw output into what resolve reads.
///
/// # Panics
/// If `raw` does not have 16 channels.
pub fn activate(raw: &Tensor) -> Tensor {
    assert_eq!(raw.channels, OUTPUT_CHANNELS, "the network writes {OUTPUT_CHANNELS} output channels");
    Tensor::from_fn(raw.channels, raw.height, raw.width, |c, y, x| {
        let o = raw.get(c, y, x);
        match c {
            0 => 0.2 + 0.8 * sigmoid(o),
            1 => sigmoid(o),
            2 => 0.5 + 3.0 * sigmoid(o),
            3 => 1.0 + 31.0 * sigmoid(o),
            4..=12 => o.clamp(-4.0, 4.0),
            13 | 14 => o.tanh(),
            _ => 0.0,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::{NetworkKind, layer_specs};

    #[test]
    fn output_sizes_follow_the_padding_rules() {
        let specs = layer_specs(NetworkKind::Full, 16);
        let [d1, e1, .., d3, _, _, _, f0, head] = specs[..] else { panic!("full has 11 layers") };
        assert_eq!((d1.output_size(11), d1.output_size(12), d1.output_size(1)), (5, 6, 0));
        assert_eq!((e1.output_size(5), f0.output_size(5), head.output_size(5)), (5, 5, 5));
        assert_eq!((d3.output_size(5), d3.output_size(6), d3.output_size(1)), (3, 3, 1));
    }

    #[test]
    fn upsampling_repeats_the_last_row_when_the_skip_is_longer() {
        let t = Tensor::from_vec(1, 2, 1, vec![1.0f32, 2.0]);
        assert_eq!(upsample_to(&t, 5, 1).data, vec![1.0, 1.0, 2.0, 2.0, 2.0]);
        assert_eq!(upsample_to(&t, 3, 2).data, vec![1.0, 1.0, 1.0, 1.0, 2.0, 2.0]);
    }

    #[test]
    fn padded_stride_two_convolution_skips_taps_outside_the_input() {
        // 3×3 stride 2 on a 2×2 input of ones with unit weights: output 1×1 sees the 2×2
        // input in its lower-right 2×2 taps.
        let spec = LayerSpec { name: "t", cin: 1, cout: 1, kernel: 3, stride: 2, relu: true, level: 0 };
        let out = conv_f32(&spec, &[1.0; 9], &[0.5], &Tensor::from_vec(1, 2, 2, vec![1.0; 4]));
        assert_eq!((out.shape(), out.data), ([1, 1, 1], vec![4.5]));
    }

    #[test]
    fn activations_hit_their_ranges() {
        let raw = Tensor::from_fn(16, 1, 2, |_, _, x| if x == 0 { -100.0 } else { 100.0 });
        let p = activate(&raw);
        let lo: Vec<f32> = (0..16).map(|c| p.get(c, 0, 0)).collect();
        let hi: Vec<f32> = (0..16).map(|c| p.get(c, 0, 1)).collect();
        assert_eq!(&lo[..4], &[0.2, 0.0, 0.5, 1.0]);
        assert_eq!(&hi[..4], &[1.0, 1.0, 3.5, 32.0]);
        assert!(lo[4..13].iter().all(|&b| b == -4.0) && hi[4..13].iter().all(|&b| b == 4.0));
        assert_eq!((lo[13], hi[14], lo[15], hi[15]), (-1.0, 1.0, 0.0, 0.0));
    }
}

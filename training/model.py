"""The `full` and `lite` parameter networks of NETWORK.md, their fake-quantised (QAT) and
f16-emulated forwards, and a bit-exact emulation of the engine's int8 integer pipeline.

Graph (NETWORK.md "Architecture"): 2x2 stride-2 convolutions without padding (an odd last
row/column is dropped), 3x3 convolutions with zero padding 1 on every side (so the 3x3 stride-2
``d3`` gives ceil(n/2)), nearest x2 upsampling *to the skip's size*: output texel y reads input
texel min(y // 2, n_in − 1), which crops when the upsampled side is longer and repeats the last
row/column when a 2x2 downsample dropped one.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Callable, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

INPUT_CHANNELS = 16
OUTPUT_CHANNELS = 16
UNUSED_OUTPUT = 15
LAYERS = ("d1", "e1", "d2", "e2a", "e2b", "d3", "e3", "u2", "u1", "f0", "head")

# Channels of `f0`, the 3x3 convolution at full render resolution whose features the head reads
# beside the input (0: the network has no `f0`, as every network before it). It gives the head
# the local structure of the current samples (edge direction, aliasing) that the half-resolution
# branch averages away; the lite network goes without it to stay a quarter of the cost.
FULL_RES_WIDTH = {"full": 16, "lite": 0}


def layer_specs(width_div: int = 1, full_res: int = 0) -> list[tuple[str, int, int, int, int]]:
    """(name, in, out, kernel, stride) for a network whose widths are divided by width_div, with
    an `f0` of `full_res` channels (none when 0)."""
    c1, c2, c3 = 16 // width_div, 32 // width_div, 64 // width_div
    f0 = [("f0", INPUT_CHANNELS, full_res, 3, 1)] if full_res else []
    return [
        ("d1", INPUT_CHANNELS, c1, 2, 2),
        ("e1", c1, c1, 3, 1),
        ("d2", c1, c2, 2, 2),
        ("e2a", c2, c2, 3, 1),
        ("e2b", c2, c2, 3, 1),
        ("d3", c2, c3, 3, 2),
        ("e3", c3, c3, 3, 1),
        ("u2", c3 + c2, c2, 1, 1),
        ("u1", c2 + c1, c1, 1, 1),
        *f0,
        ("head", c1 + INPUT_CHANNELS + full_res, OUTPUT_CHANNELS, 1, 1),
    ]


WIDTH_DIV = {"full": 1, "lite": 2}

# Activation quantisation points: each layer's output, plus the input tensor. Concatenated
# tensors share a scale (NETWORK.md), which ties these groups together.
SCALE_GROUPS = {
    "input": ("input", "u1", "f0"),  # head: cat(up(u1), input, f0); f0 reads the input
    "e1": ("e1", "u2"),  # u1: cat(up(u2), e1)
    "e2b": ("e2b", "e3"),  # u2: cat(up(e3), e2b)
}
# Scale of each layer's input, by the tensor (group representative) it reads.
LAYER_INPUT = {
    "d1": "input",
    "e1": "d1",
    "d2": "e1",
    "e2a": "d2",
    "e2b": "e2a",
    "d3": "e2b",
    "e3": "d3",
    "u2": "e2b",
    "u1": "e1",
    "f0": "input",
    "head": "input",
}
# Scale of each layer's output, by tensor name (group representative).
LAYER_OUTPUT = {
    "d1": "d1",
    "e1": "e1",
    "d2": "d2",
    "e2a": "e2a",
    "e2b": "e2b",
    "d3": "d3",
    "e3": "e2b",
    "u2": "e1",
    "u1": "input",
    "f0": "input",
    "head": "output",
}


# What each layer reads (concatenated in this order).
LAYER_SOURCES = {
    "d1": ["input"],
    "e1": ["d1"],
    "d2": ["e1"],
    "e2a": ["d2"],
    "e2b": ["e2a"],
    "d3": ["e2b"],
    "e3": ["d3"],
    "u2": ["up(e3)", "e2b"],
    "u1": ["up(u2)", "e1"],
    "f0": ["input"],
    "head": ["up(u1)", "input"],  # then "f0" when the network has it
}


def layer_sources(name: str, has_f0: bool) -> list[str]:
    """What layer `name` reads, in concatenation order, in a network with or without `f0`."""
    return LAYER_SOURCES[name] + (["f0"] if name == "head" and has_f0 else [])


def group_of(name: str) -> str:
    for rep, members in SCALE_GROUPS.items():
        if name in members:
            return rep
    return name


def up_to(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Nearest x2 upsampling to (h, w): texel (y, x) reads (min(y//2, h_in−1), min(x//2, w_in−1))."""
    hi, wi = x.shape[2], x.shape[3]
    iy = torch.clamp(torch.arange(h) // 2, max=hi - 1)
    ix = torch.clamp(torch.arange(w) // 2, max=wi - 1)
    return x.index_select(2, iy).index_select(3, ix)


class ParamNet(nn.Module):
    """One network of NETWORK.md (`full` or `lite`)."""

    def __init__(self, kind: str = "full", full_res: Optional[int] = None):
        super().__init__()
        self.kind = kind
        self.full_res = FULL_RES_WIDTH[kind] if full_res is None else full_res
        self.specs = layer_specs(WIDTH_DIV[kind], self.full_res)
        self.convs = nn.ModuleDict()
        for name, cin, cout, k, s in self.specs:
            self.convs[name] = nn.Conv2d(cin, cout, k, stride=s, padding=1 if k == 3 else 0, bias=True)
        self.reset_head()

    def reset_head(self) -> None:
        """Small head weights and biases that start near the taau heuristics at 2x: σ ≈ 0.3,
        trust ≈ 0.95, γ = 2, max frames ≈ 16, β = 0, feedback 0; the unused channel is zero."""
        head = self.convs["head"]
        with torch.no_grad():
            head.weight.mul_(0.1)
            b = torch.zeros(OUTPUT_CHANNELS)
            b[0] = math.log(0.125 / 0.875)
            b[1] = math.log(0.95 / 0.05)
            b[2] = 0.0
            b[3] = math.log((15 / 31) / (16 / 31))
            head.bias.copy_(b)
        self.zero_unused()

    def zero_unused(self) -> None:
        head = self.convs["head"]
        with torch.no_grad():
            head.weight[UNUSED_OUTPUT].zero_()
            head.bias[UNUSED_OUTPUT].zero_()
        if head.weight.grad is not None:
            head.weight.grad[UNUSED_OUTPUT].zero_()
            head.bias.grad[UNUSED_OUTPUT].zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return run_graph(
            x, lambda name, t: F.relu(self.convs[name](t)) if name != "head" else self.convs[name](t), has_f0=self.has_f0
        )

    @property
    def has_f0(self) -> bool:
        return self.full_res > 0

    def architecture(self) -> dict:
        """The NETWORK.md tables as JSON-able data (for the weight file's metadata)."""
        layers = []
        for name, cin, cout, k, s in self.specs:
            layers.append(
                {
                    "name": name,
                    "in": cin,
                    "out": cout,
                    "kernel": k,
                    "stride": s,
                    "padding": 1 if k == 3 else 0,
                    "relu": name != "head",
                    "inputs": layer_sources(name, self.has_f0),
                }
            )
        return {
            "kind": self.kind,
            "input_channels": INPUT_CHANNELS,
            "output_channels": OUTPUT_CHANNELS,
            "parameters": count_params(self),
            "macs_per_render_pixel": macs_per_pixel(self.specs),
            "upsample": "nearest x2 to the skip's size: src = min(dst // 2, n_in - 1)",
            "layers": layers,
        }


def count_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def macs_per_pixel(specs) -> float:
    scale = {"d1": 4, "e1": 4, "d2": 16, "e2a": 16, "e2b": 16, "d3": 64, "e3": 64, "u2": 16, "u1": 4, "f0": 1, "head": 1}
    return sum(cin * cout * k * k / scale[name] for name, cin, cout, k, _ in specs)


def run_graph(
    x: torch.Tensor, layer: Callable[[str, torch.Tensor], torch.Tensor], q_in=None, has_f0: bool = False
) -> torch.Tensor:
    """The U-Net dataflow. ``layer(name, t)`` applies conv (+ReLU) of one layer; ``q_in`` maps
    the input tensor to its quantised form (identity when None); ``has_f0``: the network has the
    full-resolution layer `f0`, whose output the head reads after the input."""
    xi = x if q_in is None else q_in(x)
    d1 = layer("d1", xi)
    e1 = layer("e1", d1)
    d2 = layer("d2", e1)
    e2a = layer("e2a", d2)
    e2b = layer("e2b", e2a)
    d3 = layer("d3", e2b)
    e3 = layer("e3", d3)
    u2 = layer("u2", torch.cat([up_to(e3, e2b.shape[2], e2b.shape[3]), e2b], 1))
    u1 = layer("u1", torch.cat([up_to(u2, e1.shape[2], e1.shape[3]), e1], 1))
    parts = [up_to(u1, xi.shape[2], xi.shape[3]), xi]
    if has_f0:
        parts.append(layer("f0", xi))
    return layer("head", torch.cat(parts, 1))


def conv_args(conv: nn.Conv2d) -> dict:
    return {"stride": conv.stride, "padding": conv.padding}


# --------------------------------------------------------------------------------------------
# Quantisation
# --------------------------------------------------------------------------------------------


def weight_scale(w: torch.Tensor) -> torch.Tensor:
    """Per output channel s_w = max|w[c]| / 127 (f32); an all-zero channel (the unused head
    output) gets 1 so its q is 0 rather than 0/0."""
    m = w.detach().abs().flatten(1).amax(1)
    s = m / 127.0
    return torch.where(m > 0, s, torch.ones_like(s)).float()


def quantize_weight(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    s = weight_scale(w)
    q = torch.round(w.detach().float() / s.view(-1, 1, 1, 1))
    return q.to(torch.int8), s


def ste_round(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.round(x) - x).detach()


def fake_quant(x: torch.Tensor, s: torch.Tensor, lo: float, hi: float = 127.0) -> torch.Tensor:
    """clamp(round(x / s), lo, hi) · s with a straight-through gradient inside the range."""
    return ste_round(torch.clamp(x / s, lo, hi)) * s


@dataclass
class QuantScales:
    """Calibrated activation scales per tensor (group representatives) + 'output'."""

    scales: dict[str, float]

    def tensor(self, name: str) -> torch.Tensor:
        return torch.tensor(self.scales[group_of(name) if name != "output" else "output"], dtype=torch.float32)

    def layer_in(self, layer: str) -> torch.Tensor:
        return self.tensor(LAYER_INPUT[layer])

    def layer_out(self, layer: str) -> torch.Tensor:
        return self.tensor(LAYER_OUTPUT[layer])

    def to_json(self) -> str:
        return json.dumps(self.scales)


def forward_fake_quant(net: ParamNet, x: torch.Tensor, qs: QuantScales) -> torch.Tensor:
    """QAT forward: int8 weights per channel, int8 activations per tensor, bias quantised to the
    accumulator's scale, requantisation after every layer; f32 arithmetic with STE gradients.
    Returns the dequantised head output (raw, before activations)."""

    def layer(name: str, t: torch.Tensor) -> torch.Tensor:
        conv = net.convs[name]
        s_in = qs.layer_in(name)
        s_w = weight_scale(conv.weight)
        wq = ste_round(conv.weight / s_w.view(-1, 1, 1, 1)) * s_w.view(-1, 1, 1, 1)
        s_acc = s_in * s_w
        bq = ste_round(conv.bias / s_acc) * s_acc
        y = F.conv2d(t, wq, bq, **conv_args(conv))
        s_out = qs.layer_out(name)
        return fake_quant(y, s_out, 0.0 if name != "head" else -128.0)

    return run_graph(x, layer, q_in=lambda t: fake_quant(t, qs.tensor("input"), -128.0), has_f0=net.has_f0)


def forward_f16(net: ParamNet, x: torch.Tensor) -> torch.Tensor:
    """The f16 rung emulated: weights, biases, the input and every layer's output rounded to f16
    (products accumulated in f32)."""

    def h(t: torch.Tensor) -> torch.Tensor:
        return t.to(torch.float16).float()

    def layer(name: str, t: torch.Tensor) -> torch.Tensor:
        conv = net.convs[name]
        y = F.conv2d(t, h(conv.weight), h(conv.bias), **conv_args(conv))
        return h(F.relu(y) if name != "head" else y)

    return run_graph(x, layer, q_in=h, has_f0=net.has_f0)


@dataclass
class Int8Net:
    """What the int8 rung runs: i8 weights, f32 per-channel weight scales, i32 biases, f32
    requantisation multipliers, per-layer input/output scales."""

    kind: str
    weight_q: dict[str, torch.Tensor]  # int8 [out, in, kh, kw]
    weight_scale: dict[str, torch.Tensor]  # f32 [out]
    bias_q: dict[str, torch.Tensor]  # int64 holding i32 values [out]
    multiplier: dict[str, torch.Tensor]  # f32 [out]
    act_scale: dict[str, torch.Tensor]  # f32 [1]: scale of the layer's input
    out_scale: dict[str, torch.Tensor]  # f32 [1]
    input_scale: torch.Tensor
    output_scale: torch.Tensor
    conv: dict[str, dict]

    @property
    def has_f0(self) -> bool:
        return "f0" in self.weight_q


def build_int8(net: ParamNet, qs: QuantScales) -> Int8Net:
    wq, ws, bq, mult, a_in, a_out, cargs = {}, {}, {}, {}, {}, {}, {}
    for name, *_ in net.specs:
        conv = net.convs[name]
        q, s = quantize_weight(conv.weight)
        s_in = qs.layer_in(name).reshape(1)
        s_out = qs.layer_out(name).reshape(1)
        wq[name], ws[name] = q, s
        bq[name] = torch.round(conv.bias.detach().float() / (s_in * s)).to(torch.int64)
        mult[name] = ((s_in * s) / s_out).float()
        a_in[name], a_out[name] = s_in, s_out
        cargs[name] = conv_args(conv)
    return Int8Net(
        kind=net.kind,
        weight_q=wq,
        weight_scale=ws,
        bias_q=bq,
        multiplier=mult,
        act_scale=a_in,
        out_scale=a_out,
        input_scale=qs.tensor("input").reshape(1),
        output_scale=qs.tensor("output").reshape(1),
        conv=cargs,
    )


def forward_int8(q: Int8Net, x: torch.Tensor, keep: Optional[dict] = None) -> torch.Tensor:
    """The engine's integer pipeline, bit for bit: i8 input, i32 accumulation (exact in f64),
    requantise ``clamp(round_half_even(f32(acc) · M[c]), lo, 127)`` in f32, the head's i8 output
    dequantised to f32. ``keep`` collects each layer's i8 output when given."""

    def layer(name: str, t: torch.Tensor) -> torch.Tensor:
        acc = F.conv2d(t.double(), q.weight_q[name].double(), q.bias_q[name].double(), **q.conv[name])
        acc32 = acc.float()  # i32 → f32 conversion (round to nearest even above 2^24)
        y = torch.round(acc32 * q.multiplier[name].view(1, -1, 1, 1))
        y = torch.clamp(y, 0.0 if name != "head" else -128.0, 127.0)
        if keep is not None:
            keep[name] = y.to(torch.int8)
        return y

    def q_in(t: torch.Tensor) -> torch.Tensor:
        y = torch.clamp(torch.round(t.float() / q.input_scale), -128.0, 127.0)
        if keep is not None:
            keep["input"] = y.to(torch.int8)
        return y

    head = run_graph(x, layer, q_in=q_in, has_f0=q.has_f0)
    return head * q.output_scale


# --------------------------------------------------------------------------------------------
# Calibration
# --------------------------------------------------------------------------------------------


class Calibrator:
    """Collects |activation| samples at every quantisation point (subsampled) and turns them
    into 99.99th-percentile scales / 127, shared within concatenation groups."""

    def __init__(self, percentile: float = 99.99, max_samples: int = 2_000_000):
        self.percentile = percentile
        self.max_samples = max_samples
        self.gen = torch.Generator().manual_seed(0)
        self.samples: dict[str, list[torch.Tensor]] = {}
        self.count: dict[str, int] = {}

    def add(self, name: str, t: torch.Tensor) -> None:
        # Samples are kept in CPU memory, where the seeded generator draws from them.
        v = t.detach().float().abs().flatten().cpu()
        budget = self.max_samples // 8
        if v.numel() > budget:
            v = v[torch.randint(0, v.numel(), (budget,), generator=self.gen, device="cpu")]
        self.samples.setdefault(name, []).append(v)
        self.count[name] = self.count.get(name, 0) + v.numel()
        if self.count[name] > self.max_samples:
            allv = torch.cat(self.samples[name])
            keep = allv[torch.randperm(allv.numel(), generator=self.gen, device="cpu")[: self.max_samples // 2]]
            self.samples[name] = [keep]
            self.count[name] = keep.numel()

    def observe(self, net: ParamNet, x: torch.Tensor) -> None:
        self.add("input", x)

        def layer(name: str, t: torch.Tensor) -> torch.Tensor:
            conv = net.convs[name]
            y = conv(t)
            y = F.relu(y) if name != "head" else y
            self.add(name if name != "head" else "output", y)
            return y

        with torch.no_grad():
            run_graph(x.float(), layer, has_f0=net.has_f0)

    def percentiles(self) -> dict[str, float]:
        import numpy as np

        return {name: float(np.percentile(torch.cat(parts).numpy(), self.percentile)) for name, parts in self.samples.items()}

    def scales(self) -> QuantScales:
        raw = {name: max(p, 1e-6) / 127.0 for name, p in self.percentiles().items()}
        out = {}
        for name, s in raw.items():
            rep = group_of(name) if name != "output" else "output"
            out[rep] = max(out.get(rep, 0.0), s)
        # Scales are stored as f32: round once so every consumer sees the same value.
        out = {k: float(torch.tensor(v, dtype=torch.float32)) for k, v in out.items()}
        return QuantScales(out)


# Layers whose output is concatenated with another tensor, the tensor whose range it is matched
# to, and the consumer that reads the concatenation.
EQUALIZE = (("e3", "e2b", "u2"), ("u2", "e1", "u1"), ("u1", "input", "head"), ("f0", "input", "head"))


def concat_channels(net: ParamNet, consumer: str, part: str) -> slice:
    """The input channels of `consumer` that come from `part` of its concatenation."""
    widths = {"input": INPUT_CHANNELS}
    widths.update({name: cout for name, _, cout, *_ in net.specs})
    start = 0
    for src in layer_sources(consumer, net.has_f0):
        name = src[3:-1] if src.startswith("up(") else src
        if name == part:
            return slice(start, start + widths[name])
        start += widths[name]
    raise KeyError(f"{consumer} does not read {part}")


def equalize_concat_ranges(net: ParamNet, percentiles: dict[str, float]) -> dict[str, float]:
    """Rescales every computed part of a concatenation so its calibrated range matches the
    skip's: ReLU(k·z) = k·ReLU(z), so multiplying a layer's weights and bias by k and dividing
    the consumer's weights for those channels by k leaves the f32 function unchanged, while the
    shared int8 scale (the max of the parts') no longer wastes the skip's resolution, above all
    the input tensor's, which shares its scale with u1 and f0 at the head. Returns the factors."""
    factors = {}
    with torch.no_grad():
        for layer, skip, consumer in EQUALIZE:
            if layer not in net.convs:
                continue
            p_layer, p_skip = percentiles.get(layer, 0.0), percentiles.get(skip, 0.0)
            if p_layer <= 0 or p_skip <= 0:
                continue
            k = p_skip / p_layer
            conv = net.convs[layer]
            conv.weight.mul_(k)
            conv.bias.mul_(k)
            net.convs[consumer].weight[:, concat_channels(net, consumer, layer)].div_(k)
            factors[layer] = k
    return factors

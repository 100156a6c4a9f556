"""Writes the weight file (`assets/models/quantsr.safetensors`, NETWORK.md "Weight file") and a
small fixture with reference outputs for the Rust CPU reference's tests."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .model import (
    LAYER_INPUT,
    LAYER_OUTPUT,
    Int8Net,
    ParamNet,
    QuantScales,
    build_int8,
    forward_f16,
    forward_int8,
)
from .pipeline import activate

FORMAT = "quantsr-model"
VERSION = "1"


def weight_tensors(prefix: str, net: ParamNet, q: Int8Net) -> dict[str, torch.Tensor]:
    t: dict[str, torch.Tensor] = {}
    for name, *_ in net.specs:
        conv = net.convs[name]
        t[f"{prefix}.{name}.weight"] = conv.weight.detach().float().contiguous()
        t[f"{prefix}.{name}.bias"] = conv.bias.detach().float().contiguous()
        t[f"{prefix}.{name}.weight_q"] = q.weight_q[name].contiguous()
        t[f"{prefix}.{name}.weight_scale"] = q.weight_scale[name].float().contiguous()
        t[f"{prefix}.{name}.act_scale"] = q.act_scale[name].float().reshape(1).contiguous()
    t[f"{prefix}.input_scale"] = q.input_scale.float().reshape(1).contiguous()
    t[f"{prefix}.output_scale"] = q.output_scale.float().reshape(1).contiguous()
    return t


def export_weights(
    path: Path,
    nets: dict[str, tuple[ParamNet, QuantScales]],
    val_psnr: dict,
    extra: dict | None = None,
) -> dict:
    tensors: dict[str, torch.Tensor] = {}
    arch = {}
    for prefix, (net, qs) in nets.items():
        q = build_int8(net, qs)
        tensors.update(weight_tensors(prefix, net, q))
        a = net.architecture()
        a["activation_scales"] = {
            "layer_input": {k: LAYER_INPUT[k] for k in LAYER_INPUT},
            "layer_output": {k: LAYER_OUTPUT[k] for k in LAYER_OUTPUT},
            "values": qs.scales,
        }
        arch[prefix] = a
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": json.dumps(arch),
        "val_psnr": json.dumps(val_psnr),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if extra:
        meta.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in extra.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata=meta)
    return {"path": str(path), "bytes": path.stat().st_size, "tensors": len(tensors)}


def load_weights(path: Path) -> tuple[dict[str, ParamNet], dict[str, Int8Net], dict]:
    """Reads a weight file back into networks and their int8 forms (round trip check)."""
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    t = load_file(str(path))
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: format {meta.get('format')!r} is not {FORMAT!r}")
    nets, qnets = {}, {}
    for prefix in ("full", "lite"):
        f0 = t.get(f"{prefix}.f0.weight")
        net = ParamNet(prefix, full_res=0 if f0 is None else f0.shape[0])
        sd = {}
        for name, *_ in net.specs:
            sd[f"convs.{name}.weight"] = t[f"{prefix}.{name}.weight"]
            sd[f"convs.{name}.bias"] = t[f"{prefix}.{name}.bias"]
        net.load_state_dict(sd)
        nets[prefix] = net
        qnets[prefix] = int8_from_file(prefix, net, t)
    return nets, qnets, meta


def grow_from(net: ParamNet, path: Path) -> dict:
    """Starts `net` (a `full` network) from the `full` network of the weight file at `path`:
    every layer the file has is copied; a layer it lacks keeps its random initialisation, and
    the head's weights for that layer's channels are zero, so the grown network computes exactly
    what the file's does until training teaches the head to use the new features. Returns what
    was copied and what is new."""
    nets, _, _ = load_weights(path)
    old = nets[net.kind]
    copied, new = [], []
    with torch.no_grad():
        for name, *_ in net.specs:
            conv = net.convs[name]
            if name not in old.convs:
                new.append(name)
                continue
            src = old.convs[name]
            if name == "head":
                # The file's head reads cat(up(u1), input); the grown one appends f0's channels.
                conv.weight.zero_()
                conv.weight[:, : src.weight.shape[1]].copy_(src.weight)
            else:
                conv.weight.copy_(src.weight)
            conv.bias.copy_(src.bias)
            copied.append(name)
    return {"copied": copied, "new": new}


def lite_from(path: Path) -> tuple[ParamNet, dict[str, float]]:
    """The weight file's `lite` network and its activation scales (QuantScales' keys), to keep
    it unchanged in a grown file."""
    from .model import LAYER_INPUT, group_of

    nets, _, _ = load_weights(path)
    t = load_file(str(path))
    lite = nets["lite"]
    scales = {group_of(LAYER_INPUT[name]): float(t[f"lite.{name}.act_scale"]) for name, *_ in lite.specs}
    scales["output"] = float(t["lite.output_scale"])
    return lite, scales


def int8_from_file(prefix: str, net: ParamNet, t: dict) -> Int8Net:
    """An Int8Net built only from what the file holds, as the engine would build it."""
    wq, ws, bq, mult, a_in, a_out, cargs = {}, {}, {}, {}, {}, {}, {}
    for name, *_ in net.specs:
        wq[name] = t[f"{prefix}.{name}.weight_q"]
        ws[name] = t[f"{prefix}.{name}.weight_scale"]
        s_in = t[f"{prefix}.{name}.act_scale"]
        # The output scale of a layer is the input scale of what reads it.
        consumer = {"d1": "e1", "e1": "d2", "d2": "e2a", "e2a": "e2b", "e2b": "d3", "d3": "e3", "e3": "u2",
                    "u2": "u1", "u1": "head", "f0": "head"}.get(name)
        s_out = t[f"{prefix}.{consumer}.act_scale"] if consumer else t[f"{prefix}.output_scale"]
        bq[name] = torch.round(t[f"{prefix}.{name}.bias"] / (s_in * ws[name])).to(torch.int64)
        mult[name] = (s_in * ws[name]) / s_out
        a_in[name], a_out[name] = s_in, s_out
        conv = net.convs[name]
        cargs[name] = {"stride": conv.stride, "padding": conv.padding}
    return Int8Net(prefix, wq, ws, bq, mult, a_in, a_out, t[f"{prefix}.input_scale"], t[f"{prefix}.output_scale"], cargs)


def random_input(h: int, w: int, seed: int) -> torch.Tensor:
    """A plausible input tensor (each channel in its real range, a few values beyond)."""
    g = torch.Generator().manual_seed(seed)
    u = lambda *s: torch.rand(*s, generator=g)  # noqa: E731
    x = torch.zeros(16, h, w)
    x[0:3] = u(3, h, w) * 0.95
    x[3] = (u(h, w) > 0.7).float() * u(h, w)
    x[4] = (u(h, w) > 0.8).float() * u(h, w)
    x[5] = x[0] * 0.2126 + x[1] * 0.7152 + x[2] * 0.0722
    x[6:9] = u(3, h, w) * 0.95
    x[9] = u(h, w) * 2.0
    x[10] = u(1).item() - 0.5
    x[11] = u(1).item() - 0.5
    x[12] = u(h, w) ** 3
    x[13] = (u(h, w) > 0.8).float() * u(h, w)
    x[14:16] = u(2, h, w) * 2.0 - 1.0
    return x


def export_fixture(path: Path, weights: Path) -> dict:
    """Reference outputs of the exported networks on random inputs, read back from the weight
    file so they test exactly what the engine loads. Layout: README.md "Fixtures"."""
    nets, qnets, _ = load_weights(weights)
    tensors: dict[str, torch.Tensor] = {}
    inputs = {"input": random_input(12, 20, 1), "input_odd": random_input(11, 19, 2)}
    for key, x in inputs.items():
        tensors[key] = x.contiguous()
    for prefix in ("full", "lite"):
        net, q = nets[prefix], qnets[prefix]
        for key, x in inputs.items():
            xb = x[None]
            with torch.no_grad():
                raw = net(xb)
                tensors[f"{prefix}.{key}.f32.raw"] = raw[0].contiguous()
                tensors[f"{prefix}.{key}.f32.params"] = activate(raw)[0].contiguous()
                raw16 = forward_f16(net, xb)
                tensors[f"{prefix}.{key}.f16.raw"] = raw16[0].contiguous()
                keep: dict = {}
                rawq = forward_int8(q, xb, keep)
                tensors[f"{prefix}.{key}.int8.raw"] = rawq[0].contiguous()
                tensors[f"{prefix}.{key}.int8.params"] = activate(rawq)[0].contiguous()
                for name, v in keep.items():
                    tensors[f"{prefix}.{key}.int8.q.{name}"] = v[0].contiguous()
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    meta = {
        "format": "quantsr-model-fixture",
        "version": "1",
        "weights": weights.name,
        "weights_sha256": digest,
        "layout": "CHW, no batch dimension",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata=meta)
    return {"path": str(path), "bytes": path.stat().st_size, "tensors": len(tensors)}

"""Parity of the torch pipeline with the Rust CPU reference (and so with the WGSL passes).

`python -m training parity FIXTURE.safetensors` reads a fixture exported from the Rust side
(layout in README.md "Parity fixture"), runs prepare, the input tensor, taau_params and resolve
in torch on the same inputs, and compares every expected tensor it finds. `--make-example`
writes such a fixture from the torch pipeline itself, as a worked example of the layout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from .pipeline import Frame, network_input, prepare, resolve, store_f16, taau_params

FORMAT = "quantsr-parity"

# Largest |torch − Rust| accepted per tensor. Exact f32 arithmetic where the passes store f32;
# f16-stored textures within a couple of f16 steps (values below 1: 2^-11 each); the input
# tensor and history are built from f16 textures and sampled with many taps.
TOLERANCE = {
    "prepare.dilated_motion": 0.0,
    "prepare.depth": 0.0,
    "prepare.features": 1e-3,
    "taau_params": 2e-3,
    "input": 2e-3,
    "resolve.history": 2e-3,
}


def hwc_to_nchw(t: torch.Tensor) -> torch.Tensor:
    return t.float().permute(2, 0, 1)[None].contiguous()


def nchw_to_hwc(t: torch.Tensor) -> torch.Tensor:
    return t[0].permute(1, 2, 0).contiguous()


def frame_from_json(c: dict) -> Frame:
    return Frame(
        render_size=tuple(c["render_size"]),
        display_size=tuple(c["display_size"]),
        prev_render_size=tuple(c["prev_render_size"]),
        reset=torch.tensor([bool(c["reset"])]),
        jitter=torch.tensor([c["jitter"]], dtype=torch.float32),
        exposure=torch.tensor([float(c.get("exposure", 1.0))], dtype=torch.float32),
        depth_inverted=bool(c.get("depth_inverted", True)),
        has_reactive=bool(c.get("has_reactive", False)),
        motion_scale=tuple(c.get("motion_scale", (1.0, 1.0))),
    )


def run_case(case: dict, get) -> dict[str, torch.Tensor]:
    """Computes every output the case's inputs allow, HWC like the fixture."""
    frame = frame_from_json(case["frame"])
    f16 = case.get("f16_rounding", "nearest_even")
    color = hwc_to_nchw(get("color"))[:, :3]
    depth = hwc_to_nchw(get("depth"))[:, :1]
    motion = hwc_to_nchw(get("motion"))[:, :2]
    reactive = hwc_to_nchw(get("reactive"))[:, :1] if frame.has_reactive else None
    prev_depth = hwc_to_nchw(get("prev_depth"))[:, :1]
    prep = prepare(frame, color, depth, motion, reactive, prev_depth, f16)
    out = {
        "prepare.dilated_motion": nchw_to_hwc(prep.dilated_motion),
        "prepare.features": nchw_to_hwc(prep.features),
        "prepare.depth": nchw_to_hwc(prep.depth),
    }
    taau = store_f16(taau_params(frame, prep.features), f16)
    out["taau_params"] = nchw_to_hwc(taau[:, :4])
    history = hwc_to_nchw(get("history"))
    fb = get("feedback", None)
    feedback = hwc_to_nchw(fb)[:, :2] if fb is not None else torch.zeros(1, 2, *frame.prev_render_size[::-1])
    out["input"] = nchw_to_hwc(network_input(frame, prep, history, feedback))
    p = get("params", None)
    params = hwc_to_nchw(p) if p is not None else taau
    out["resolve.history"] = nchw_to_hwc(resolve(frame, color, prep.dilated_motion, params, history, f16))
    return out


def check(path: Path, verbose: bool = True) -> dict:
    with safe_open(str(path), "pt") as f:
        meta = f.metadata() or {}
        names = set(f.keys())
        tensors = {k: f.get_tensor(k) for k in names}
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: metadata format is {meta.get('format')!r}, expected {FORMAT!r}")
    cases = json.loads(meta["cases"])
    report = {"fixture": str(path), "cases": {}, "ok": True}
    for case in cases:
        name = case["name"]

        def get(key, default=KeyError):
            k = f"{name}.{key}"
            if k in tensors:
                return tensors[k]
            if default is KeyError:
                raise KeyError(f"{path}: case {name!r} has no tensor {k!r}")
            return default

        got = run_case(case, get)
        rows = {}
        for key, tol in TOLERANCE.items():
            k = f"{name}.expected.{key}"
            if k not in tensors:
                continue
            want = tensors[k].float()
            have = got[key]
            c = min(want.shape[-1], have.shape[-1])
            if want.shape[:-1] != have.shape[:-1]:
                rows[key] = {"ok": False, "error": f"shape {tuple(want.shape)} vs {tuple(have.shape)}"}
                report["ok"] = False
                continue
            diff = (want[..., :c] - have[..., :c]).abs()
            worst = float(diff.max()) if diff.numel() else 0.0
            idx = tuple(int(i) for i in torch.nonzero(diff == diff.max())[0]) if diff.numel() else ()
            ok = worst <= tol
            rows[key] = {"ok": ok, "max_abs": worst, "tolerance": tol, "worst_at_yxc": idx, "mean_abs": float(diff.mean())}
            report["ok"] &= ok
        report["cases"][name] = rows
        if verbose:
            for key, r in rows.items():
                status = "ok  " if r["ok"] else "FAIL"
                detail = r.get("error") or f"max |Δ| {r['max_abs']:.3g} (tol {r['tolerance']:.0e}) at {r['worst_at_yxc']}"
                print(f"{status} {name:>12} {key:<24} {detail}")
    if verbose:
        print("parity:", "ok" if report["ok"] else "FAILED")
    return report


def make_example(path: Path, seed: int = 0) -> None:
    """A fixture in the expected layout with torch's own outputs (a worked example)."""
    g = torch.Generator().manual_seed(seed)
    h, w, H, W, hp, wp = 9, 13, 18, 26, 8, 12
    cases, tensors = [], {}
    for name, reset, has_reactive in (("moving", False, True), ("reset", True, False)):
        frame = {
            "render_size": [w, h],
            "display_size": [W, H],
            "prev_render_size": [wp, hp],
            "reset": reset,
            "jitter": [0.125, -0.3125],
            "exposure": 1.5,
            "motion_scale": [1.0, 1.0],
            "depth_inverted": True,
            "has_reactive": has_reactive,
        }
        cases.append({"name": name, "frame": frame, "f16_rounding": "nearest_even"})
        r = lambda *s: torch.rand(*s, generator=g)  # noqa: E731
        t = {
            "color": r(h, w, 4) * 3.0,
            "depth": r(h, w, 1) * 0.5 + 0.01,
            "motion": (r(h, w, 2) - 0.5) * 0.1,
            "prev_depth": r(hp, wp, 1) * 20.0,
            "history": torch.cat([r(H, W, 3) * 0.99, r(H, W, 1) * 16], -1),
            "feedback": r(hp, wp, 2) * 2 - 1,
            "params": torch.cat(
                [0.2 + r(h, w, 1), r(h, w, 1), 0.5 + 3 * r(h, w, 1), 1 + 31 * r(h, w, 1), 8 * r(h, w, 9) - 4,
                 2 * r(h, w, 2) - 1, torch.zeros(h, w, 1)], -1),
        }
        if has_reactive:
            t["reactive"] = r(h, w, 1)
        out = run_case(cases[-1], lambda k, d=KeyError, t=t: t[k] if k in t or d is KeyError else d)
        for k, v in t.items():
            tensors[f"{name}.{k}"] = v.contiguous()
        for k, v in out.items():
            tensors[f"{name}.expected.{k}"] = v.contiguous()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata={"format": FORMAT, "version": "1", "cases": json.dumps(cases)})


def main(path: Path) -> int:
    rep = check(path)
    return 0 if rep["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))

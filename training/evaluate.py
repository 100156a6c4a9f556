"""Validation on the held-out sequences, every rung through the same torch pipeline:
`taau` (the heuristics, β = 0), `f32`, `f16` (emulated), `int8` (the integer pipeline, bit-exact
emulation), `lite-f32` and `lite-int8`. Metrics as `quantsr eval` computes them: per frame
after the display transform, warm-up frames (the first 8 after the start and after each reset)
excluded, means of per-frame dB values."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import torch

from . import data as D
from .losses import psnr, ssim_luma, tpsnr
from .model import Int8Net, ParamNet, forward_f16, forward_int8
from .pipeline import State, activate, display_transform, run_frame


def rung_fns(full: Optional[ParamNet], lite: Optional[ParamNet], full_q: Optional[Int8Net], lite_q: Optional[Int8Net]):
    fns: dict[str, Optional[Callable]] = {"taau": None}
    if full is not None:
        fns["f32"] = lambda x, *_: activate(full(x))
        fns["f16"] = lambda x, *_: activate(forward_f16(full, x))
    if full_q is not None:
        fns["int8"] = lambda x, *_: activate(forward_int8(full_q, x))
    if lite is not None:
        fns["lite-f32"] = lambda x, *_: activate(lite(x))
    if lite_q is not None:
        fns["lite-int8"] = lambda x, *_: activate(forward_int8(lite_q, x))
    return fns


def run_sequence(seq: D.Sequence, params_fn, f16: str = "nearest_even", keep_outputs: bool = False):
    """The upscaler over a whole sequence (batch of one); yields per-frame display images."""
    crop = D.whole(seq)
    state = None
    outs = []
    with torch.no_grad():
        for i in range(len(seq)):
            fr = D.batch_frame([crop], i)
            if state is None:
                state = State.fresh(1, fr.display_size)
            out, state, _ = run_frame(params_fn, fr, state, f16=f16)
            outs.append((out, fr.gt, bool(fr.reset[0])))
    return outs


def sequence_metrics(outs, warmup: int) -> dict:
    since = None
    scored = {"psnr": [], "ssim": [], "tpsnr": []}
    prev = None
    for out, gt, reset in outs:
        since = 0 if (since is None or reset) else since + 1
        od, gd = display_transform(out), display_transform(gt)
        if since >= warmup:
            scored["psnr"].append(psnr(od, gd))
            scored["ssim"].append(ssim_luma(od, gd))
            if prev is not None and not reset:
                scored["tpsnr"].append(tpsnr(prev[0], od, prev[1], gd))
        prev = (od, gd)
    res = {k: (float(np.mean(v)) if v else None) for k, v in scored.items()}
    res["frames"] = len(scored["psnr"])
    return res


def validate(seqs: list[D.Sequence], fns: dict, warmup: int, progress: bool = True) -> dict:
    from tqdm import tqdm

    results: dict = {"per_sequence": {}, "mean": {}, "seconds": {}}
    jobs = [(r, s) for r in fns for s in seqs]
    bar = tqdm(jobs, desc="validate", unit="seq", disable=not progress, file=sys.stdout)
    for rung, seq in bar:
        bar.set_postfix_str(f"{rung} {seq.name}")
        t0 = time.time()
        m = sequence_metrics(run_sequence(seq, fns[rung]), warmup)
        results["per_sequence"].setdefault(rung, {})[seq.name] = m
        results["seconds"][rung] = results["seconds"].get(rung, 0.0) + time.time() - t0
    for rung, per in results["per_sequence"].items():
        results["mean"][rung] = {
            k: float(np.mean([v[k] for v in per.values() if v[k] is not None]))
            for k in ("psnr", "ssim", "tpsnr")
            if any(v[k] is not None for v in per.values())
        }
    return results


def check_taau(folder: Path, f16: str = "toward_zero") -> dict:
    """Runs `quantsr upscale --method taau` (the real GPU pipeline, lavapipe here) on a sequence
    and compares its frames with the torch taau pipeline: an end-to-end parity check of
    prepare + taau_params + resolve + output. lavapipe rounds f16 toward zero."""
    from .data import ensure_binary, read_exr, render_env

    binary = ensure_binary()
    seq = D.load_sequence(folder)
    outs = run_sequence(seq, None, f16=f16)
    tmp = Path(tempfile.mkdtemp(prefix="quantsr-taau-"))
    try:
        t0 = time.time()
        cmd = [str(binary), "upscale", "--seq", str(folder), "--method", "taau", "--sharpness", "0", "--format", "exr", "--out", str(tmp)]
        res = subprocess.run(cmd, env=render_env(), capture_output=True, text=True)
        if res.returncode != 0:
            return {"ok": False, "error": res.stderr[-1500:]}
        gpu_s = time.time() - t0
        per = []
        worst = 0.0
        for i, (out, _gt, _r) in enumerate(outs):
            ch = read_exr(tmp / f"{i:05d}.exr")
            ref = torch.from_numpy(np.stack([ch["R"], ch["G"], ch["B"]]))[None]
            a, b = display_transform(out.to(torch.float16).float()), display_transform(ref)
            per.append(psnr(a, b))
            worst = max(worst, float((a - b).abs().max()))
        return {
            # Identical up to f16 rounding of the history and output: far above 60 dB.
            "ok": min(per) >= 60.0,
            "sequence": folder.name,
            "frames": len(per),
            "psnr_torch_vs_engine_min": min(per),
            "psnr_torch_vs_engine_mean": float(np.mean(per)),
            "max_abs_display_diff": worst,
            "engine_seconds": gpu_s,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

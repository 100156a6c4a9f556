"""Recurrent training over clips with truncated backprop: the f32 `full` network, its int8
quantisation-aware fine-tuning, the `lite` network distilled from it, and lite's QAT.

A batch is B crops of sequences that share sizes (same ratio, or the same dynamic-resolution
schedule), run frame by frame through prepare → network → resolve with the upscaler's state.
Each optimiser step covers one clip of `cfg.clip` frames; the state is detached between clips
(truncated backprop) and carried on for `cfg.clips_per_episode` clips before new crops are
drawn. Episodes start with a reset at a random frame, and clips get extra random resets.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import torch

from . import data as D
from . import device
from .config import Config, PhaseConfig
from .losses import frame_loss
from .model import Calibrator, ParamNet, QuantScales, equalize_concat_ranges, forward_fake_quant
from .pipeline import State, activate, run_frame

# --------------------------------------------------------------------------------------------
# Forward functions: what produces the parameters for a frame
# --------------------------------------------------------------------------------------------


def f32_forward(net: ParamNet, bf16: bool) -> Callable:
    def fn(x, frame=None, prep=None):
        xc = x.contiguous(memory_format=torch.channels_last)
        with device.autocast(bf16):
            raw = net(xc)
        return activate(raw.float().contiguous())

    return fn


def fq_forward(net: ParamNet, qs: QuantScales) -> Callable:
    def fn(x, frame=None, prep=None):
        return activate(forward_fake_quant(net, x, qs))

    return fn


# --------------------------------------------------------------------------------------------
# Episodes
# --------------------------------------------------------------------------------------------


@dataclass
class Episode:
    crops: list
    t: int
    end: int
    state: Optional[State]
    prev: Optional[tuple]


class Sampler:
    """Draws episodes group by group (a group = sequences whose frames have equal sizes)."""

    def __init__(self, seqs: list[D.Sequence], cfg: Config, batch: int, seed: int):
        self.cfg = cfg
        self.batch = batch
        self.rng = random.Random(seed)
        groups: dict = {}
        for s in seqs:
            groups.setdefault(D.group_key(s), []).append(s)
        self.groups = list(groups.values())
        self.weights = [len(g) * (cfg.large_weight if g[0].display_size[0] >= 960 else 1.0) for g in self.groups]
        self.active: dict[int, Episode] = {}

    def episode(self) -> tuple[int, Episode]:
        g = self.rng.choices(range(len(self.groups)), weights=self.weights)[0]
        ep = self.active.get(g)
        if ep is None or ep.t >= ep.end:
            seqs = self.groups[g]
            n_frames = len(seqs[0])
            span = min(n_frames, self.cfg.clip * self.cfg.clips_per_episode)
            t0 = self.rng.randrange(0, n_frames - span + 1)
            # Dynamic-resolution sequences are used whole, so fewer fit in a batch.
            b = self.batch if not seqs[0].dynamic else max(1, self.batch // 4)
            crops = [D.make_crop(self.rng.choice(seqs), self.cfg.crop, self.cfg, self.rng) for _ in range(b)]
            ep = Episode(crops=crops, t=t0, end=t0 + span, state=None, prev=None)
            self.active[g] = ep
        return g, ep


def run_clip(
    ep: Episode,
    params_fn: Callable,
    cfg: Config,
    rng: random.Random,
    extra_loss: Optional[Callable] = None,
    mse: float = 0.0,
) -> tuple[torch.Tensor, dict]:
    """Runs the next clip of an episode with gradients; returns the mean loss and its parts.
    `mse` weighs the optional squared-error term (`PhaseConfig.loss_mse`)."""
    n = len(ep.crops)
    frames = list(range(ep.t, min(ep.t + cfg.clip, ep.end)))
    resets = [[False] * n for _ in frames]
    for k in range(n):
        if rng.random() < cfg.reset_prob:
            resets[rng.randrange(len(frames))][k] = True
    if ep.state is None:  # an episode starts with no history: a reset
        resets[0] = [True] * n
    total = None
    parts_sum: dict = {}
    state = ep.state
    for j, i in enumerate(frames):
        fr = D.batch_frame(ep.crops, i, resets[j])
        if state is None:
            state = State.fresh(n, fr.display_size)
        out, state, aux = run_frame(params_fn, fr, state)
        loss, parts, cur = frame_loss(
            out, fr.gt, ep.prev, ~fr.reset, cfg.loss_ssim, cfg.loss_temporal, cfg.loss_tonemapped, mse
        )
        if extra_loss is not None:
            xl, xparts = extra_loss(aux)
            loss = loss + xl
            parts.update(xparts)
        ep.prev = cur
        total = loss if total is None else total + loss
        for k, v in parts.items():
            parts_sum[k] = parts_sum.get(k, 0.0) + v
    ep.t = frames[-1] + 1
    ep.state = state.detach()
    m = len(frames)
    return total / m, {k: v / m for k, v in parts_sum.items()}


# --------------------------------------------------------------------------------------------
# Phases
# --------------------------------------------------------------------------------------------


def lr_at(progress: float, lr: float) -> float:
    warm = 0.03
    if progress < warm:
        return lr * (0.1 + 0.9 * progress / warm)
    p = (progress - warm) / (1 - warm)
    return lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))


def train_phase(
    name: str,
    net: ParamNet,
    make_fn: Callable[[ParamNet], Callable],
    seqs: list[D.Sequence],
    cfg: Config,
    phase: PhaseConfig,
    extra_loss: Optional[Callable] = None,
    extra_state: Optional[dict] = None,
    seed: int = 0,
) -> dict:
    """Runs one phase with checkpoints in cfg.run_dir; resumes from `<name>.ckpt.pt` and skips
    when `<name>.pt` exists. With `phase.ema`, the saved weights are the moving average, and
    `net` holds them on return. Returns the phase record (log, time)."""
    from tqdm import tqdm

    run = cfg.run_dir
    run.mkdir(parents=True, exist_ok=True)
    done_path = run / f"{name}.pt"
    ckpt_path = run / f"{name}.ckpt.pt"
    if done_path.exists():
        blob = device.load(done_path)
        net.load_state_dict(blob["model"])
        print(f"[{name}] already trained ({blob['record']['steps']} steps): {done_path}", flush=True)
        return blob["record"]

    opt = torch.optim.Adam(net.parameters(), lr=phase.lr)
    log: list[dict] = []
    step = 0
    elapsed_before = 0.0
    avg = {k: v.detach().clone() for k, v in net.state_dict().items()} if phase.ema > 0 else None
    if ckpt_path.exists():
        blob = device.load(ckpt_path)
        net.load_state_dict(blob["model"])
        opt.load_state_dict(blob["opt"])
        log, step, elapsed_before = blob["log"], blob["step"], blob["elapsed"]
        if avg is not None:
            avg = blob["avg"]
        print(f"[{name}] resuming at step {step}", flush=True)

    net.train()
    sampler = Sampler(seqs, cfg, phase.batch, seed=seed + step)
    rng = random.Random(seed * 7919 + step)
    t_start = time.time()
    budget = phase.minutes * 60.0
    bar = tqdm(total=phase.steps, initial=step, desc=f"train {name}", unit="step", file=sys.stdout, smoothing=0.05)
    params_fn = make_fn(net)
    loss_avg = None
    while step < phase.steps:
        elapsed = elapsed_before + time.time() - t_start
        if elapsed >= budget:
            print(f"\n[{name}] time budget of {phase.minutes} min reached at step {step}", flush=True)
            break
        progress = max(step / phase.steps, elapsed / budget)
        lr = lr_at(progress, phase.lr)
        for g in opt.param_groups:
            g["lr"] = lr
        _, ep = sampler.episode()
        loss, parts = run_clip(ep, params_fn, cfg, rng, extra_loss, phase.loss_mse)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        net.zero_unused()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        net.zero_unused()
        if avg is not None:
            # The usual warm-up of the decay, so the starting weights fade out early.
            decay = min(phase.ema, (1 + step) / (10 + step))
            with torch.no_grad():
                for k, v in net.state_dict().items():
                    avg[k].lerp_(v, 1.0 - decay)
        step += 1
        lv = float(loss)
        loss_avg = lv if loss_avg is None else 0.95 * loss_avg + 0.05 * lv
        log.append({"step": step, "loss": lv, "lr": lr, "time": elapsed_before + time.time() - t_start, **parts})
        bar.update(1)
        if step % cfg.log_every == 0 or step == 1:
            bar.set_postfix(loss=f"{loss_avg:.4f}", l1=f"{parts['l1']:.4f}", ssim=f"{parts['ssim']:.3f}", lr=f"{lr:.1e}")
        if step % cfg.ckpt_every == 0:
            tmp = ckpt_path.with_suffix(".tmp")
            torch.save(
                {
                    "model": net.state_dict(),
                    "opt": opt.state_dict(),
                    "log": log,
                    "step": step,
                    "elapsed": elapsed_before + time.time() - t_start,
                    "avg": avg,
                },
                tmp,
            )
            tmp.replace(ckpt_path)
    bar.close()
    if avg is not None:
        net.load_state_dict(avg)
    record = {
        "name": name,
        "steps": step,
        "seconds": elapsed_before + time.time() - t_start,
        "log": log,
        "kind": net.kind,
    }
    blob = {"model": net.state_dict(), "record": record}
    if extra_state:
        blob.update(extra_state)
    torch.save(blob, done_path)
    if ckpt_path.exists():
        ckpt_path.unlink()
    print(f"[{name}] {step} steps in {record['seconds'] / 60:.1f} min, last loss {log[-1]['loss'] if log else float('nan'):.4f}")
    return record


def calibrate(
    net: ParamNet, seqs: list[D.Sequence], cfg: Config, clips: int, seed: int = 123, equalize: bool = True
) -> QuantScales:
    """Activation scales from the f32 network run on `clips` training clips (recurrent, so the
    history and feedback channels hold what they hold at inference). With `equalize`, the
    concatenated branches are first rescaled to their skip's range (function unchanged), then
    calibrated again."""
    if equalize:
        cal = collect(net, seqs, cfg, clips, seed)
        factors = equalize_concat_ranges(net, cal.percentiles())
        print(f"[{net.kind}] equalised concatenation ranges: " + ", ".join(f"{k}×{v:.3g}" for k, v in factors.items()))
    return collect(net, seqs, cfg, clips, seed).scales()


def collect(net: ParamNet, seqs: list[D.Sequence], cfg: Config, clips: int, seed: int) -> Calibrator:
    from tqdm import tqdm

    cal = Calibrator()
    net.eval()
    fn = f32_forward(net, bf16=False)

    def observe(x, frame=None, prep=None):
        cal.observe(net, x)
        return fn(x)

    sampler = Sampler(seqs, cfg, cfg.full.batch, seed=seed)
    rng = random.Random(seed)
    with torch.no_grad():
        for _ in tqdm(range(clips), desc=f"calibrate {net.kind}", unit="clip", file=sys.stdout):
            _, ep = sampler.episode()
            run_clip(ep, observe, cfg, rng)
    return cal


def distill_loss(teacher_fn: Callable, student_fn_holder: dict, weight: float = 1.0) -> Callable:
    """L1 between the student's and the teacher's parameters on the student's own input tensor
    (channels 0–12, normalised to comparable ranges; the feedback channels stay free)."""
    norm = torch.tensor([1 / 0.8, 1.0, 1 / 3.0, 1 / 31.0] + [1 / 8.0] * 9).view(1, 13, 1, 1)

    def fn(aux):
        x = aux["input"]
        with torch.no_grad():
            t = teacher_fn(x)[:, :13]
        s = aux["params"][:, :13]
        d = ((s - t).abs() * norm).mean()
        return weight * d, {"distill": float(d)}

    return fn


def save_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1))

"""Training data: rendering sequences with `quantsr render`, reading them (sequence format v1,
ARCHITECTURE §6), caching them as tensors, and cutting them into batches of crops with their history.
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
import random
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from .config import REPO, Config, SeqSpec
from .device import to_device
from .pipeline import FrameInputs

# `QUANTSR_BIN` points at another build (a stripped binary carried to a GPU machine).
QUANTSR = Path(os.environ.get("QUANTSR_BIN") or REPO / "target" / "release" / "quantsr")
CACHE_VERSION = 1


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def ensure_binary() -> Path:
    if not QUANTSR.exists():
        print(f"{QUANTSR} is missing: cargo build --release -p quantsr_cli", flush=True)
        subprocess.run(["cargo", "build", "--release", "-p", "quantsr_cli"], cwd=REPO, check=True)
    return QUANTSR


def render_env() -> dict:
    env = dict(os.environ)
    # Mesa's window-system probing complains when this is unset, even headless (see Makefile).
    runtime = env.get("XDG_RUNTIME_DIR") or f"/tmp/quantsr-runtime-{os.getuid()}"
    os.makedirs(runtime, mode=0o700, exist_ok=True)
    env["XDG_RUNTIME_DIR"] = runtime
    return env


def render(spec: SeqSpec, out: Path) -> None:
    binary = ensure_binary()
    tmp = out.with_name(out.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    cmd = [str(binary), "render", *spec.args(), "--out", str(tmp)]
    res = subprocess.run(cmd, env=render_env(), capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"render of {spec.name} failed ({' '.join(cmd)}):\n{res.stderr[-2000:]}")
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    (out / "spec.json").write_text(json.dumps(spec.as_dict(), default=str))


def spec_matches(spec: SeqSpec, folder: Path) -> bool:
    f = folder / "spec.json"
    if not (folder / "sequence.json").exists() or not f.exists():
        return False
    return json.loads(f.read_text()) == json.loads(json.dumps(spec.as_dict(), default=str))


def gen_data(cfg: Config, progress=True) -> dict:
    """Renders every training and validation sequence of `cfg` that is not on disk yet, and
    caches each as tensors. Returns timing."""
    from tqdm import tqdm

    t0 = time.time()
    jobs = [("train", s) for s in cfg.train] + [("val", s) for s in cfg.val]
    todo = [(split, s) for split, s in jobs if not spec_matches(s, cfg.data_dir / split / s.name)]
    bar = tqdm(total=len(todo), desc="gen-data: render", unit="seq", disable=not progress or not todo, file=sys.stdout)
    with ThreadPoolExecutor(max_workers=cfg.render_jobs) as pool:
        for _ in pool.map(lambda job: render(job[1], cfg.data_dir / job[0] / job[1].name), todo):
            bar.update(1)
    bar.close()
    t_render = time.time() - t0
    folders = [cfg.data_dir / split / spec.name for split, spec in jobs]
    bar = tqdm(total=len(folders), desc="gen-data: cache", unit="seq", disable=not progress, file=sys.stdout)
    if cfg.render_jobs > 1:
        # Reading EXR is CPU-bound: one process per job writes its cache.pt.
        with ProcessPoolExecutor(max_workers=cfg.render_jobs, mp_context=mp.get_context("spawn")) as pool:
            for _ in pool.map(cache_sequence, folders):
                bar.update(1)
    else:
        for f in folders:
            cache_sequence(f)
            bar.update(1)
    bar.close()
    return {"rendered": len(todo), "sequences": len(jobs), "render_s": t_render, "total_s": time.time() - t0}


# --------------------------------------------------------------------------------------------
# Reading (format v1)
# --------------------------------------------------------------------------------------------


def read_exr(path: Path) -> dict[str, np.ndarray]:
    """Channels of an EXR by name (R, G, B, A, Y, ...), each (h, w) float32."""
    import OpenEXR

    if not path.exists():
        raise FileNotFoundError(f"{path}: missing")
    with OpenEXR.File(str(path), separate_channels=True) as f:
        return {k: np.asarray(v.pixels, dtype=np.float32) for k, v in f.channels().items()}


def first_channel(ch: dict[str, np.ndarray], path: Path) -> np.ndarray:
    for k in ("R", "Y"):
        if k in ch:
            return ch[k]
    raise ValueError(f"{path}: no R or Y channel (has {sorted(ch)})")


@dataclass
class Sequence:
    name: str
    display_size: tuple[int, int]
    depth_inverted: bool
    color: list[torch.Tensor]  # (3, h, w) f32
    depth: list[torch.Tensor]  # (1, h, w) f32
    motion: list[torch.Tensor]  # (2, h, w) f32
    reactive: Optional[list[torch.Tensor]]  # (1, h, w) f16
    gt: list[torch.Tensor]  # (3, H, W) f16
    jitter: list[tuple[float, float]]
    reset: list[bool]
    exposure: list[float]
    dynamic: bool

    def __len__(self) -> int:
        return len(self.color)

    def render_size(self, i: int) -> tuple[int, int]:
        return (self.color[i].shape[2], self.color[i].shape[1])


def load_sequence(folder: Path) -> Sequence:
    """Reads a sequence folder, through `cache.pt` beside it when that is current."""
    cache = folder / "cache.pt"
    manifest = folder / "sequence.json"
    if cache.exists() and cache.stat().st_mtime >= manifest.stat().st_mtime:
        blob = torch.load(cache, weights_only=False, map_location="cpu")
        if blob.get("version") == CACHE_VERSION:
            return Sequence(**blob["seq"])
    meta = json.loads(manifest.read_text())
    if meta.get("format") != "quantsr-sequence":
        raise ValueError(f"{manifest}: format is {meta.get('format')!r}, not 'quantsr-sequence'")
    rs_default = tuple(meta["render_size"])
    ds = tuple(meta["display_size"])
    frames = meta["frames"]
    color, depth, motion, gt, jit, reset, expo = [], [], [], [], [], [], []
    reactive: list[torch.Tensor] = []
    has_reactive = (folder / "frames" / "00000.reactive.exr").exists()
    dynamic = False
    for i, fm in enumerate(frames):
        stem = folder / "frames" / f"{i:05d}"
        rs = tuple(fm.get("render_size") or rs_default)
        dynamic |= rs != rs_default
        c = read_exr(Path(f"{stem}.color.exr"))
        color.append(torch.from_numpy(np.stack([c["R"], c["G"], c["B"]])))
        p = Path(f"{stem}.depth.exr")
        depth.append(torch.from_numpy(first_channel(read_exr(p), p)[None].copy()))
        m = read_exr(Path(f"{stem}.motion.exr"))
        motion.append(torch.from_numpy(np.stack([m["R"], m["G"]])))
        g = read_exr(Path(f"{stem}.gt.exr"))
        gt.append(torch.from_numpy(np.stack([g["R"], g["G"], g["B"]])).half())
        if has_reactive:
            p = Path(f"{stem}.reactive.exr")
            reactive.append(torch.from_numpy(first_channel(read_exr(p), p)[None].copy()).half())
        if color[-1].shape[1:] != (rs[1], rs[0]):
            raise ValueError(f"{stem}.color.exr: {tuple(color[-1].shape[1:])} is not the render size {rs}")
        jit.append(tuple(float(v) for v in fm["jitter"]))
        reset.append(bool(fm.get("reset", False)) or i == 0)
        expo.append(float(fm.get("exposure", 1.0)))
    seq = dict(
        name=folder.name,
        display_size=ds,
        depth_inverted=bool(meta["depth"]["inverted"]),
        color=color,
        depth=depth,
        motion=motion,
        reactive=reactive if has_reactive else None,
        gt=gt,
        jitter=jit,
        reset=reset,
        exposure=expo,
        dynamic=dynamic,
    )
    torch.save({"version": CACHE_VERSION, "seq": seq}, cache)
    return Sequence(**seq)


def cache_sequence(folder: Path) -> None:
    """Writes `folder`'s cache.pt if it is not current (a worker of gen-data)."""
    load_sequence(folder)


_SPLITS: dict = {}


def load_split(cfg: Config, split: str) -> list[Sequence]:
    """The split's sequences, read once per process (the steps of `all` share them)."""
    specs = cfg.train if split == "train" else cfg.val
    key = (str(cfg.data_dir), split, tuple(s.name for s in specs))
    if key not in _SPLITS:
        _SPLITS[key] = [load_sequence(cfg.data_dir / split / s.name) for s in specs]
    return _SPLITS[key]


# --------------------------------------------------------------------------------------------
# Batches of crops
# --------------------------------------------------------------------------------------------


@dataclass
class Crop:
    """A crop of one sequence: render rectangle origin/size (static resolution only; dynamic
    sequences are used whole), its display rectangle, and flips."""

    seq: Sequence
    x0: int
    y0: int
    w: int
    h: int
    flip_x: bool
    flip_y: bool
    gain: float
    full: bool = False  # the whole frame, whatever its render size

    def render_rect(self, i: int) -> tuple[int, int, int, int]:
        if self.full:
            rw, rh = self.seq.render_size(i)
            return (0, 0, rw, rh)
        return (self.x0, self.y0, self.w, self.h)

    def display_rect(self, i: int) -> tuple[int, int, int, int]:
        if self.full:
            return (0, 0, *self.seq.display_size)
        rw, rh = self.seq.render_size(i)
        dw, dh = self.seq.display_size
        return (self.x0 * dw // rw, self.y0 * dh // rh, self.w * dw // rw, self.h * dh // rh)


def crop_step(render: int, display: int) -> int:
    """Smallest render-pixel step whose display image is a whole number of pixels."""
    return render // math.gcd(render, display)


def group_key(seq: Sequence) -> tuple:
    if seq.dynamic:
        return ("dynamic", seq.display_size, tuple(seq.render_size(i) for i in range(len(seq))))
    return ("static", seq.display_size, seq.render_size(0), len(seq))


def make_crop(seq: Sequence, crop: int, cfg: Config, rng: random.Random) -> Crop:
    """A random crop of about crop x crop display pixels (a whole frame when dynamic)."""
    rw, rh = seq.render_size(0)
    fx = rng.random() < cfg.flip_prob
    fy = rng.random() < cfg.flip_prob * 0.5
    gain = 2.0 ** rng.uniform(-cfg.exposure_jitter / 2, cfg.exposure_jitter / 2)
    if seq.dynamic:
        return Crop(seq, 0, 0, rw, rh, fx, fy, gain, full=True)
    dw, dh = seq.display_size
    sx, sy = crop_step(rw, dw), crop_step(rh, dh)
    # `crop` is the display side: the render crop is crop / ratio, in whole steps.
    cw = max(sx, min(crop * rw // dw, rw) // sx * sx)
    ch = max(sy, min(crop * rh // dh, rh) // sy * sy)
    x0 = rng.randrange(0, (rw - cw) // sx + 1) * sx
    y0 = rng.randrange(0, (rh - ch) // sy + 1) * sy
    return Crop(seq, x0, y0, cw, ch, fx, fy, gain)


def crop_frame(c: Crop, i: int) -> dict:
    s = c.seq
    rw, rh = s.render_size(i)
    x0, y0, cw, ch = c.render_rect(i)
    sl = (slice(None), slice(y0, y0 + ch), slice(x0, x0 + cw))
    X0, Y0, W, H = c.display_rect(i)
    col = s.color[i][sl] * c.gain
    dep = s.depth[i][sl]
    mot = s.motion[i][sl].clone()
    # Motion in the crop's UV units: uv_crop = (uv · r − origin) / crop size.
    if (cw, ch) != (rw, rh):
        mot[0] *= rw / cw
        mot[1] *= rh / ch
    rea = s.reactive[i][sl].float() if s.reactive is not None else None
    gt = s.gt[i][:, Y0 : Y0 + H, X0 : X0 + W].float() * c.gain
    jx, jy = s.jitter[i]
    if c.flip_x:
        col, dep, gt = col.flip(-1), dep.flip(-1), gt.flip(-1)
        mot = mot.flip(-1)
        mot[0] = -mot[0]
        rea = rea.flip(-1) if rea is not None else None
        jx = -jx
    if c.flip_y:
        col, dep, gt = col.flip(-2), dep.flip(-2), gt.flip(-2)
        mot = mot.flip(-2)
        mot[1] = -mot[1]
        rea = rea.flip(-2) if rea is not None else None
        jy = -jy
    return dict(color=col, depth=dep, motion=mot, reactive=rea, gt=gt, jitter=(jx, jy), display=(W, H))


def batch_frame(crops: list[Crop], i: int, resets: Optional[list[bool]] = None) -> FrameInputs:
    parts = [crop_frame(c, i) for c in crops]
    any_reactive = any(p["reactive"] is not None for p in parts)
    reactive = None
    if any_reactive:
        reactive = torch.stack(
            [p["reactive"] if p["reactive"] is not None else torch.zeros_like(p["depth"]) for p in parts]
        )
    reset = [c.seq.reset[i] or (resets[k] if resets else False) for k, c in enumerate(crops)]
    return FrameInputs(
        color=to_device(torch.stack([p["color"] for p in parts]).contiguous()),
        depth=to_device(torch.stack([p["depth"] for p in parts]).contiguous()),
        motion=to_device(torch.stack([p["motion"] for p in parts]).contiguous()),
        reactive=to_device(reactive),
        jitter=torch.tensor([p["jitter"] for p in parts], dtype=torch.float32),
        reset=torch.tensor(reset, dtype=torch.bool),
        exposure=torch.tensor([c.seq.exposure[i] for c in crops], dtype=torch.float32),
        display_size=parts[0]["display"],
        gt=to_device(torch.stack([p["gt"] for p in parts]).contiguous()),
        depth_inverted=crops[0].seq.depth_inverted,
        extra={"data_reset": torch.tensor([c.seq.reset[i] for c in crops])},
    )


def whole(seq: Sequence) -> Crop:
    rw, rh = seq.render_size(0)
    return Crop(seq, 0, 0, rw, rh, False, False, 1.0, full=True)

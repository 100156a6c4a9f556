"""Differentiable torch versions of the frame pipeline: prepare, the network input tensor,
the taau heuristics and resolve, batched over (N, C, H, W).

Every function is a line-by-line port of the WGSL pass (``shaders/upscaler/*.wgsl``) and of its
CPU oracle (``crates/quantsr_model/src/cpu/*.rs``): the same f32 operations in the same order,
integer texel addressing with clamping done by index arithmetic and ``torch.gather`` (never
``grid_sample``), the same clamps and the same f16 storage of the ``rgba16float`` textures.
Only NaN handling of the inputs that training data never contains is simplified where noted.

Conventions: images are float32 NCHW holding exactly the texture's valid rectangle (a
render-resolution tensor is the frame's ``render_size``); sizes are ``(w, h)`` like the Rust
``[u32; 2]``; per-item frame constants (jitter, reset, exposure) are tensors over N.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import torch
import torch.nn.functional as F

LUMA = (0.2126, 0.7152, 0.0722)
HALF_MAX = 65504.0

# Resolve's history-accumulation "sample weight" is the largest Gaussian weight of the 3x3 (a
# sample on the pixel centre counts as one frame). NETWORK.md multiplies each resolve weight by
# exp(beta_k) but does not say whether that factor enters this coverage weight; including it
# would let max(w) reach e^4 and the blend factor exceed 1, so it is left out here. Flip this
# if the Rust/WGSL side decides otherwise (the parity test will tell).
WMAX_INCLUDES_BETA = False


# --------------------------------------------------------------------------------------------
# f16 storage
# --------------------------------------------------------------------------------------------


def round_f16(x: torch.Tensor, mode: str = "nearest_even") -> torch.Tensor:
    """``x`` rounded to f16 as a device stores it into an ``rgba16float`` texture, as f32.

    ``nearest_even`` is IEEE's default (most GPUs); ``toward_zero`` is lavapipe's (the largest f16
    not greater in magnitude, overflow saturating at 65504), as ``F16Rounding`` in image.rs.
    """
    nearest = x.to(torch.float16)
    if mode == "toward_zero":
        bits = nearest.view(torch.int16)
        back = (nearest.float().abs() > x.abs()) & (x != 0)
        nearest = torch.where(back, (bits - 1).view(torch.float16), nearest)
    elif mode != "nearest_even":
        raise ValueError(f"unknown f16 rounding {mode!r}")
    return nearest.float()


def store_f16(x: torch.Tensor, mode: Optional[str]) -> torch.Tensor:
    """f16 storage with a straight-through gradient; ``mode=None`` keeps f32."""
    if mode is None:
        return x
    if not x.requires_grad:
        return round_f16(x, mode)
    return x + (round_f16(x.detach(), mode) - x).detach()


# --------------------------------------------------------------------------------------------
# common.wgsl
# --------------------------------------------------------------------------------------------


@dataclass
class Frame:
    """``FrameUniforms`` for a batch: sizes shared, jitter/reset/exposure per item."""

    render_size: tuple[int, int]  # (w, h)
    display_size: tuple[int, int]  # (W, H)
    prev_render_size: tuple[int, int]  # (w, h) of the previous frame, (1, 1) before the first
    reset: torch.Tensor  # (N,) bool
    jitter: torch.Tensor  # (N, 2) f32, render pixels
    exposure: torch.Tensor  # (N,) f32, as given
    depth_inverted: bool = True
    has_reactive: bool = True
    motion_scale: tuple[float, float] = (1.0, 1.0)


def exposure_value(e: torch.Tensor) -> torch.Tensor:
    """The exposure the kernels use: the given value when in (1e-8, 1e8), else 1."""
    ok = (e == e) & (e > 1e-8) & (e < 1e8)
    return torch.where(ok, e, torch.ones_like(e))


def sanitize(c: torch.Tensor) -> torch.Tensor:
    """NaN and |v| > 3e38 become 0, then clamp to [0, 65504] (per component)."""
    keep = (c == c) & (c.abs() <= 3.0e38)
    c = torch.where(keep, c, 0.0)
    return torch.clamp(c, 0.0, HALF_MAX)


def max3(c: torch.Tensor) -> torch.Tensor:
    """``max(max(c.x, c.y), c.z)`` over channel dim 1, keepdim."""
    return torch.maximum(torch.maximum(c[:, 0:1], c[:, 1:2]), c[:, 2:3])


def tonemap(c: torch.Tensor) -> torch.Tensor:
    return c / (1.0 + max3(c))


def inverse_tonemap(c: torch.Tensor) -> torch.Tensor:
    return c / torch.clamp(1.0 - max3(c), min=1.0 / HALF_MAX)


def luma(c: torch.Tensor) -> torch.Tensor:
    return c[:, 0:1] * LUMA[0] + c[:, 1:2] * LUMA[1] + c[:, 2:3] * LUMA[2]


def rgb_to_ycocg(c: torch.Tensor) -> torch.Tensor:
    r, g, b = c[:, 0:1], c[:, 1:2], c[:, 2:3]
    return torch.cat([0.25 * r + 0.5 * g + 0.25 * b, 0.5 * r - 0.5 * b, -0.25 * r + 0.5 * g - 0.25 * b], 1)


def ycocg_to_rgb(c: torch.Tensor) -> torch.Tensor:
    y, co, cg = c[:, 0:1], c[:, 1:2], c[:, 2:3]
    return torch.cat([y + co - cg, y + cg, y - co - cg], 1)


def inverse_depth(d: torch.Tensor, inverted: bool) -> torch.Tensor:
    v = d if inverted else 1.0 - d
    return torch.clamp(v, min=1e-7)


def smoothstep(e0: float, e1: float, x: torch.Tensor) -> torch.Tensor:
    e0_ = torch.tensor(e0, dtype=torch.float32)
    e1_ = torch.tensor(e1, dtype=torch.float32)
    t = torch.clamp((x - e0_) / (e1_ - e0_), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def mix(a, b, t):
    return a * (1.0 - t) + b * t


def srgb_oetf(x: torch.Tensor) -> torch.Tensor:
    """The display transform's curve (quantsr_eval): linear below 0.0031308, 1 from 1 on."""
    lin = 12.92 * x
    powr = 1.055 * torch.pow(torch.clamp(x, min=0.0031308), 1.0 / 2.4) - 0.055
    return torch.where(x <= 0.0031308, lin, torch.where(x >= 1.0, torch.ones_like(x), powr))


def display_transform(x: torch.Tensor) -> torch.Tensor:
    """``srgb_oetf(clamp(x, 0, 1))`` with NaN as 0, what every metric compares."""
    x = torch.where(x == x, x, 0.0)
    return srgb_oetf(torch.clamp(x, 0.0, 1.0))


# --------------------------------------------------------------------------------------------
# Texel addressing
# --------------------------------------------------------------------------------------------


def pixel_grid(w: int, h: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Integer pixel coordinates (x, y) as (1, h, w) int64 tensors."""
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    return xs[None], ys[None]


def gather(img: torch.Tensor, ix: torch.Tensor, iy: torch.Tensor) -> torch.Tensor:
    """``textureLoad(img, (ix, iy))`` for integer maps ix, iy of shape (N or 1, h, w) already in
    range; returns (N, C, h, w)."""
    n, c, hh, ww = img.shape
    idx = iy * ww + ix
    if idx.shape[0] != n:
        idx = idx.expand(n, -1, -1)
    h, w = idx.shape[1], idx.shape[2]
    flat = img.reshape(n, c, hh * ww)
    return torch.gather(flat, 2, idx.reshape(n, 1, h * w).expand(n, c, h * w)).reshape(n, c, h, w)


def clamp_index(i: torch.Tensor, size: int) -> torch.Tensor:
    return torch.clamp(i, 0, size - 1)


def shifted(img: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """``textureLoad(img, clamp(p + (dx, dy)))`` for every pixel p (replicate at the edges)."""
    pad = F.pad(img, (1, 1, 1, 1), mode="replicate")
    h, w = img.shape[2], img.shape[3]
    return pad[:, :, 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]


def f32(v) -> torch.Tensor:
    return torch.tensor(v, dtype=torch.float32)


# --------------------------------------------------------------------------------------------
# prepare.wgsl
# --------------------------------------------------------------------------------------------


@dataclass
class Prepared:
    dilated_motion: torch.Tensor  # (N, 2, h, w) UV units
    features: torch.Tensor  # (N, 4, h, w): disocclusion, reactive, tonemapped luma, 0 (f16)
    depth: torch.Tensor  # (N, 1, h, w): inverse depth of the nearest in 3x3 (for the next frame)
    inv_depth: torch.Tensor  # (N, 1, h, w): this pixel's own inverse depth (for input ch 13)
    current: torch.Tensor  # (N, 3, h, w): tonemap(sanitize(color * exposure))


def load_depth(depth: torch.Tensor) -> torch.Tensor:
    return torch.where(depth == depth, torch.clamp(depth, 0.0, 1.0), 0.0)


def prepare(
    frame: Frame,
    color: torch.Tensor,
    depth: torch.Tensor,
    motion: torch.Tensor,
    reactive: Optional[torch.Tensor],
    prev_depth: torch.Tensor,
    f16: Optional[str] = "nearest_even",
) -> Prepared:
    """prepare for every render pixel. ``color`` (N,3,h,w) linear before exposure, ``depth``
    (N,1,h,w) device depth, ``motion`` (N,2,h,w) before ``motion_scale``, ``reactive``
    (N,1,h,w) or None, ``prev_depth`` (N,1,hp,wp) the previous frame's ``Prepared.depth``."""
    w, h = frame.render_size
    n = color.shape[0]
    inv = frame.depth_inverted
    wd = inverse_depth(load_depth(depth), inv)
    # Closest depth in 3x3, the pixel itself first, then row-major; strictly greater wins.
    best_w = wd
    best_m = motion
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            wq = shifted(wd, dx, dy)
            upd = wq > best_w
            best_w = torch.where(upd, wq, best_w)
            best_m = torch.where(upd, shifted(motion, dx, dy), best_m)
    ms = torch.tensor(frame.motion_scale, dtype=torch.float32).view(1, 2, 1, 1)
    mv = best_m * ms
    bad = (mv != mv).any(1, keepdim=True) | (mv.abs() > 4.0).any(1, keepdim=True)
    mv = torch.where(bad, torch.zeros_like(mv), mv)

    xs, ys = pixel_grid(w, h)
    uvx = (xs.float() + 0.5) / f32(float(w))
    uvy = (ys.float() + 0.5) / f32(float(h))
    pux = uvx[:, None] + mv[:, 0:1]
    puy = uvy[:, None] + mv[:, 1:2]
    inside = (pux >= 0.0) & (puy >= 0.0) & (pux <= 1.0) & (puy <= 1.0)

    pw, ph = frame.prev_render_size
    ppx = pux * f32(float(pw)) - 0.5
    ppy = puy * f32(float(ph)) - 0.5
    bx = torch.floor(ppx).long()[:, 0]
    by = torch.floor(ppy).long()[:, 0]
    nearest = torch.ones_like(best_w)
    for j in range(4):
        qx = clamp_index(bx + (j & 1), pw)
        qy = clamp_index(by + (j >> 1), ph)
        w_prev = gather(prev_depth, qx, qy)
        diff = (w_prev - best_w).abs() / torch.clamp(torch.maximum(w_prev, best_w), min=1e-7)
        nearest = torch.minimum(nearest, torch.where(w_prev == w_prev, diff, torch.ones_like(diff)))
    keep = (~frame.reset).view(n, 1, 1, 1) & inside
    disocclusion = torch.where(keep, smoothstep(0.06, 0.14, nearest), torch.ones_like(nearest))

    if frame.has_reactive and reactive is not None:
        r = torch.where(reactive == reactive, torch.clamp(reactive, 0.0, 1.0), 0.0)
    else:
        r = torch.zeros_like(disocclusion)
    e = exposure_value(frame.exposure).view(n, 1, 1, 1)
    c = sanitize(color * e)
    t = tonemap(c)
    features = torch.cat([disocclusion, r, luma(t), torch.zeros_like(r)], 1)
    features = store_f16(features, f16)
    return Prepared(dilated_motion=mv, features=features, depth=best_w, inv_depth=wd, current=t)


# --------------------------------------------------------------------------------------------
# History and feedback sampling
# --------------------------------------------------------------------------------------------


def catmull_rom_weights(t: torch.Tensor) -> list[torch.Tensor]:
    t2 = t * t
    t3 = t2 * t
    return [
        0.5 * (-t3 + 2.0 * t2 - t),
        0.5 * (3.0 * t3 - 5.0 * t2 + 2.0),
        0.5 * (-3.0 * t3 + 4.0 * t2 + t),
        0.5 * (t3 - t2),
    ]


def sample_history(history: torch.Tensor, posx: torch.Tensor, posy: torch.Tensor) -> torch.Tensor:
    """resolve.wgsl ``sample_history``: colour by 4x4 Catmull-Rom clamped to the range of the
    inner 2x2 taps, weight (alpha) from the nearest texel. ``history`` (N,4,H,W); ``pos*``
    (N,h,w) in display pixels (centres at +0.5). Returns (N,4,h,w)."""
    H, W = history.shape[2], history.shape[3]
    x = posx - 0.5
    y = posy - 0.5
    fx_floor = torch.floor(x)
    fy_floor = torch.floor(y)
    bx = fx_floor.long()
    by = fy_floor.long()
    fx = (x - fx_floor)[:, None]
    fy = (y - fy_floor)[:, None]
    wx = catmull_rom_weights(fx)
    wy = catmull_rom_weights(fy)
    rgb = history[:, :3]
    color = None
    lo = hi = None
    for j in range(4):
        qy = clamp_index(by + (j - 1), H)
        for i in range(4):
            qx = clamp_index(bx + (i - 1), W)
            hv = gather(rgb, qx, qy)
            term = (wx[i] * wy[j]) * hv
            color = term if color is None else color + term
            if 1 <= i <= 2 and 1 <= j <= 2:
                # lo starts at 1 and hi at 0, as in the kernel.
                lo = torch.clamp(hv, max=1.0) if lo is None else torch.minimum(lo, hv)
                hi = torch.clamp(hv, min=0.0) if hi is None else torch.maximum(hi, hv)
    color = torch.minimum(torch.maximum(color, lo), hi)
    nx = clamp_index(torch.floor(posx).long(), W)
    ny = clamp_index(torch.floor(posy).long(), H)
    weight = gather(history[:, 3:4], nx, ny)
    return torch.cat([color, weight], 1)


def sample_bilinear(img: torch.Tensor, posx: torch.Tensor, posy: torch.Tensor) -> torch.Tensor:
    """Bilinear at ``pos`` in texels (centres at +0.5) with clamped loads:
    x = pos − 0.5, base = floor(x), f = fract; ((1−fx)(1−fy)·v00 + fx(1−fy)·v10) + (1−fx)fy·v01
    + fx·fy·v11. ``img`` (N,C,hp,wp), ``pos*`` (N,h,w)."""
    hp, wp = img.shape[2], img.shape[3]
    x = posx - 0.5
    y = posy - 0.5
    flx = torch.floor(x)
    fly = torch.floor(y)
    fx = (x - flx)[:, None]
    fy = (y - fly)[:, None]
    x0 = flx.long()
    y0 = fly.long()
    qx0, qx1 = clamp_index(x0, wp), clamp_index(x0 + 1, wp)
    qy0, qy1 = clamp_index(y0, hp), clamp_index(y0 + 1, hp)
    v00 = gather(img, qx0, qy0)
    v10 = gather(img, qx1, qy0)
    v01 = gather(img, qx0, qy1)
    v11 = gather(img, qx1, qy1)
    return (1.0 - fx) * (1.0 - fy) * v00 + fx * (1.0 - fy) * v10 + (1.0 - fx) * fy * v01 + fx * fy * v11


# --------------------------------------------------------------------------------------------
# The network input tensor (NETWORK.md)
# --------------------------------------------------------------------------------------------


def depth_discontinuity(wd: torch.Tensor) -> torch.Tensor:
    """max over the 3x3 (clamped addressing) of |w_q − w_p| / max(w_q, w_p), clamped to 1."""
    out = torch.zeros_like(wd)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            wq = shifted(wd, dx, dy)
            out = torch.maximum(out, (wq - wd).abs() / torch.maximum(wq, wd))
    return torch.clamp(out, max=1.0)


def network_input(
    frame: Frame,
    prep: Prepared,
    history: torch.Tensor,
    feedback: torch.Tensor,
) -> torch.Tensor:
    """The 16-channel input tensor per render pixel (NETWORK.md). ``history`` (N,4,H,W) is the
    previous history, ``feedback`` (N,2,hp,wp) the previous frame's feedback channels."""
    w, h = frame.render_size
    W, H = frame.display_size
    pw, ph = frame.prev_render_size
    n = prep.current.shape[0]
    mv = prep.dilated_motion
    xs, ys = pixel_grid(w, h)
    uvx = (xs.float() + 0.5) / f32(float(w))
    uvy = (ys.float() + 0.5) / f32(float(h))
    pux = uvx + mv[:, 0]
    puy = uvy + mv[:, 1]
    on = (~frame.reset).view(n, 1, 1) & (pux >= 0.0) & (puy >= 0.0) & (pux <= 1.0) & (puy <= 1.0)
    on4 = on[:, None]
    hist = sample_history(history, pux * f32(float(W)), puy * f32(float(H)))
    hist = torch.where(on4, hist, 0.0)
    fb = sample_bilinear(feedback, pux * f32(float(pw)), puy * f32(float(ph)))
    fb = torch.where(on4, fb, 0.0)
    jit = frame.jitter.view(n, 2, 1, 1).expand(n, 2, h, w)
    mpx = mv[:, 0:1] * f32(float(w))
    mpy = mv[:, 1:2] * f32(float(h))
    motion_len = torch.clamp(torch.sqrt(mpx * mpx + mpy * mpy) / 8.0, max=1.0)
    cur = prep.current
    return torch.cat(
        [
            cur,
            prep.features[:, 0:1],
            prep.features[:, 1:2],
            luma(cur),
            hist[:, :3],
            hist[:, 3:4] / 16.0,
            jit,
            motion_len,
            depth_discontinuity(prep.inv_depth),
            fb,
        ],
        1,
    )


# --------------------------------------------------------------------------------------------
# Parameters: the network's activations and the taau heuristics
# --------------------------------------------------------------------------------------------


def activate(raw: torch.Tensor) -> torch.Tensor:
    """NETWORK.md output activations: (N,16,h,w) raw → σ, trust, γ, max frames, β0..8, fb0..1, 0."""
    o = raw.float()
    return torch.cat(
        [
            0.2 + 0.8 * torch.sigmoid(o[:, 0:1]),
            torch.sigmoid(o[:, 1:2]),
            0.5 + 3.0 * torch.sigmoid(o[:, 2:3]),
            1.0 + 31.0 * torch.sigmoid(o[:, 3:4]),
            torch.clamp(o[:, 4:13], -4.0, 4.0),
            torch.tanh(o[:, 13:15]),
            torch.zeros_like(o[:, 15:16]),
        ],
        1,
    )


def taau_params(frame: Frame, features: torch.Tensor) -> torch.Tensor:
    """taau_params.wgsl as a 16-channel parameter tensor (β = 0, feedback = 0)."""
    disocc, reactive = features[:, 0:1], features[:, 1:2]
    trust = (1.0 - disocc) * (1.0 - reactive)
    ratio = f32(float(frame.display_size[0])) / f32(float(frame.render_size[0]))
    base = torch.clamp(f32(0.6) / ratio, 0.2, 0.5)
    sigma = mix(base, f32(0.75), torch.maximum(disocc, reactive))
    gamma = torch.full_like(disocc, 2.0)
    max_frames = mix(f32(16.0), f32(2.0), reactive)
    zeros = torch.zeros_like(disocc).expand(-1, 12, -1, -1)
    return torch.cat([sigma, trust, gamma, max_frames, zeros], 1)


# --------------------------------------------------------------------------------------------
# resolve.wgsl
# --------------------------------------------------------------------------------------------


def resolve(
    frame: Frame,
    color: torch.Tensor,
    dilated_motion: torch.Tensor,
    params: torch.Tensor,
    history: torch.Tensor,
    f16: Optional[str] = "nearest_even",
) -> torch.Tensor:
    """resolve for every display pixel. ``color`` (N,3,h,w) linear before exposure,
    ``dilated_motion`` (N,2,h,w), ``params`` (N,C,h,w) with σ, trust, γ, max frames and (when
    C ≥ 13) β0..8 in channels 4–12, ``history`` (N,4,H,W). Returns the new history (N,4,H,W).

    Per-sample values that depend only on the render texel (tonemapped colour, its YCoCg and
    square, finiteness; exp(β)) are computed once per texel and gathered, which gives the same
    numbers as computing them per display pixel."""
    w, h = frame.render_size
    W, H = frame.display_size
    n = color.shape[0]
    xs, ys = pixel_grid(W, H)
    uvx = ((xs.float() + 0.5) / f32(float(W))).expand(n, -1, -1)
    uvy = ((ys.float() + 0.5) / f32(float(H))).expand(n, -1, -1)
    rx = uvx * f32(float(w))
    ry = uvy * f32(float(h))
    jx = frame.jitter[:, 0].view(n, 1, 1)
    jy = frame.jitter[:, 1].view(n, 1, 1)
    k0x = clamp_index(torch.floor(rx + jx).long(), w)
    k0y = clamp_index(torch.floor(ry + jy).long(), h)
    has_beta = params.shape[1] >= 13
    if has_beta:
        params = torch.cat([params[:, :4], torch.exp(torch.clamp(params[:, 4:13], -4.0, 4.0))], 1)
    # split (not slicing) so the backward is one cat instead of a zero-filled tensor per slice.
    prm = gather(params[:, :13] if has_beta else params[:, :4], k0x, k0y).split(1, dim=1)
    sigma = torch.clamp(prm[0], 0.2, 2.0)
    trust = torch.clamp(prm[1], 0.0, 1.0)
    gamma = torch.clamp(prm[2], 0.25, 4.0)
    max_frames = torch.clamp(prm[3], 1.0, 64.0)
    e = exposure_value(frame.exposure).view(n, 1, 1, 1)
    two_ss = (2.0 * sigma) * sigma

    with torch.no_grad():
        raw = color * e
        finite = ((raw == raw) & (raw.abs() <= 3.0e38)).all(1, keepdim=True)
        c = tonemap(sanitize(raw))
        yc = rgb_to_ycocg(c)
        src = torch.cat([c, yc, yc * yc, finite.float()], 1)

    sum_c = wsum = wmax = None
    m1 = m2 = cnt = None
    tap = 0
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            kx = k0x + dx
            ky = k0y + dy
            inside = (kx >= 0) & (ky >= 0) & (kx < w) & (ky < h)
            smp = gather(src, clamp_index(kx, w), clamp_index(ky, h))
            vf = (inside[:, None] & (smp[:, 9:10] > 0.0)).float()
            ddx = ((kx.float() + 0.5) - jx) - rx
            ddy = ((ky.float() + 0.5) - jy) - ry
            dd = (ddx * ddx + ddy * ddy)[:, None]
            g = torch.exp(-dd / two_ss) * vf
            wk = g * prm[4 + tap] if has_beta else g
            gm = wk if WMAX_INCLUDES_BETA else g
            cs = smp[:, 0:3]
            if sum_c is None:
                sum_c, wsum, wmax = wk * cs, wk, gm
                m1, m2, cnt = smp[:, 3:6] * vf, smp[:, 6:9] * vf, vf
            else:
                sum_c = sum_c + wk * cs
                wsum = wsum + wk
                wmax = torch.maximum(wmax, gm)
                m1 = m1 + smp[:, 3:6] * vf
                m2 = m2 + smp[:, 6:9] * vf
                cnt = cnt + vf
            tap += 1

    mvs = gather(dilated_motion, clamp_index(torch.floor(rx).long(), w), clamp_index(torch.floor(ry).long(), h))
    pux = uvx + mvs[:, 0]
    puy = uvy + mvs[:, 1]
    on = (pux >= 0.0) & (puy >= 0.0) & (pux <= 1.0) & (puy <= 1.0)
    use = ((~frame.reset).view(n, 1, 1) & on)[:, None] & (trust > 0.0)
    hist = sample_history(history, pux * f32(float(W)), puy * f32(float(H)))
    hist_ok = ((hist == hist).all(1, keepdim=True)) & (hist[:, :3].abs() <= 3.0e38).all(1, keepdim=True)
    hist = torch.where(use & hist_ok, hist, 0.0)
    h_rgb, h_a = hist[:, :3], hist[:, 3:4]

    none = (wsum <= 0.0) | (cnt == 0.0)
    with torch.no_grad():
        safe_cnt = torch.clamp(cnt, min=1.0)
        mean = m1 / safe_cnt
        sd = torch.sqrt(torch.clamp(m2 / safe_cnt - mean * mean, min=0.0))
    current = sum_c / torch.where(none, 1.0, wsum)
    extent = gamma * sd + 1.0 / 1024.0
    hd = rgb_to_ycocg(h_rgb) - mean
    ratio = hd.abs() / extent
    scale = torch.clamp(max3(ratio), min=1.0)
    rectified = ycocg_to_rgb(mean + hd / scale)
    history_weight = torch.minimum(h_a * trust, max_frames)
    sample_weight = torch.clamp(wmax, min=0.05)
    weight = torch.minimum(history_weight + sample_weight, max_frames)
    alpha = torch.where(history_weight <= 0.0, 1.0, sample_weight / weight)
    result = rectified * (1.0 - alpha) + current * alpha
    result = torch.where(none, h_rgb, result)
    weight = torch.where(none, h_a, weight)
    result = torch.where(result == result, result, 0.0)
    result = torch.clamp(result, 0.0, 0.9995)
    weight = torch.where(weight == weight, weight, 0.0)
    return store_f16(torch.cat([result, weight], 1), f16)


def output_linear(frame: Frame, history: torch.Tensor) -> torch.Tensor:
    """The output pass without sharpening: inverse tonemap of history, exposure removed."""
    n = history.shape[0]
    e = exposure_value(frame.exposure).view(n, 1, 1, 1)
    return sanitize(inverse_tonemap(history[:, :3]) / e)


# --------------------------------------------------------------------------------------------
# The recurrent state and one whole frame
# --------------------------------------------------------------------------------------------


@dataclass
class State:
    """What the upscaler keeps between frames (per batch item)."""

    history: torch.Tensor  # (N, 4, H, W) tonemapped rgb + length in frames (f16 storage)
    feedback: torch.Tensor  # (N, 2, hp, wp) at the previous render size
    prev_depth: torch.Tensor  # (N, 1, hp, wp) inverse depth of the previous frame
    prev_render_size: tuple[int, int] = (1, 1)

    @staticmethod
    def fresh(n: int, display_size: tuple[int, int]) -> "State":
        W, H = display_size
        return State(
            history=torch.zeros(n, 4, H, W),
            feedback=torch.zeros(n, 2, 1, 1),
            prev_depth=torch.zeros(n, 1, 1, 1),
            prev_render_size=(1, 1),
        )

    def detach(self) -> "State":
        return State(self.history.detach(), self.feedback.detach(), self.prev_depth.detach(), self.prev_render_size)


@dataclass
class FrameInputs:
    """One frame for a batch: render-resolution inputs and per-item constants."""

    color: torch.Tensor  # (N, 3, h, w)
    depth: torch.Tensor  # (N, 1, h, w)
    motion: torch.Tensor  # (N, 2, h, w)
    reactive: Optional[torch.Tensor]  # (N, 1, h, w)
    jitter: torch.Tensor  # (N, 2)
    reset: torch.Tensor  # (N,) bool
    exposure: torch.Tensor  # (N,)
    display_size: tuple[int, int]
    gt: Optional[torch.Tensor] = None  # (N, 3, H, W) linear
    depth_inverted: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def render_size(self) -> tuple[int, int]:
        return (self.color.shape[3], self.color.shape[2])


def run_frame(params_fn, fr: FrameInputs, state: State, f16: Optional[str] = "nearest_even"):
    """prepare → parameters → resolve for one frame. ``params_fn(x, frame, prep)`` returns the
    16-channel activated parameters (``None`` selects the taau heuristics). Returns
    ``(output_linear, new_state, aux)``."""
    frame = Frame(
        render_size=fr.render_size,
        display_size=fr.display_size,
        prev_render_size=state.prev_render_size,
        reset=fr.reset,
        jitter=fr.jitter,
        exposure=fr.exposure,
        depth_inverted=fr.depth_inverted,
        has_reactive=fr.reactive is not None,
    )
    prep = prepare(frame, fr.color, fr.depth, fr.motion, fr.reactive, state.prev_depth, f16)
    if params_fn is None:
        x = None
        params = store_f16(taau_params(frame, prep.features), f16)
    else:
        x = network_input(frame, prep, state.history, state.feedback)
        params = store_f16(params_fn(x, frame, prep), f16)
    history = resolve(frame, fr.color, prep.dilated_motion, params, state.history, f16)
    new_state = State(
        history=history,
        feedback=params[:, 13:15],
        prev_depth=prep.depth,
        prev_render_size=fr.render_size,
    )
    return output_linear(frame, history), new_state, {"input": x, "params": params, "prep": prep}

"""Losses and metrics, all after the display transform srgb_oetf(clamp(x, 0, 1)) that
`quantsr eval` measures in (ARCHITECTURE §7)."""

from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F

from .pipeline import display_transform, luma, tonemap

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
C1 = 0.01**2
C2 = 0.03**2


def gaussian_1d() -> torch.Tensor:
    r = SSIM_WINDOW // 2
    x = torch.arange(SSIM_WINDOW, dtype=torch.float64) - r
    g = torch.exp(-x * x / (2 * SSIM_SIGMA**2))
    return (g / g.sum()).float()


_WIN: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}


def ssim_map(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-pixel SSIM over the valid region (no padding), 11x11 Gaussian σ 1.5 (applied as two
    separable passes), per channel."""
    c = a.shape[1]
    k = 5 * c
    if k not in _WIN:
        g = gaussian_1d()
        _WIN[k] = (g.view(1, 1, 1, -1).expand(k, 1, 1, SSIM_WINDOW).contiguous(),
                   g.view(1, 1, -1, 1).expand(k, 1, SSIM_WINDOW, 1).contiguous())
    wx, wy = _WIN[k]
    t = torch.cat([a, b, a * a, b * b, a * b], 1)
    m = F.conv2d(F.conv2d(t, wx, groups=k), wy, groups=k)
    mu_a, mu_b, e_aa, e_bb, e_ab = m.split(c, dim=1)
    saa = e_aa - mu_a * mu_a
    sbb = e_bb - mu_b * mu_b
    sab = e_ab - mu_a * mu_b
    num = (2 * mu_a * mu_b + C1) * (2 * sab + C2)
    den = (mu_a * mu_a + mu_b * mu_b + C1) * (saa + sbb + C2)
    return num / den


def frame_loss(
    out: torch.Tensor,
    gt: torch.Tensor,
    prev: Optional[tuple[torch.Tensor, torch.Tensor]],
    temporal_mask: Optional[torch.Tensor],
    w_ssim: float,
    w_temporal: float,
    w_tonemapped: float,
    w_mse: float = 0.0,
) -> tuple[torch.Tensor, dict, tuple[torch.Tensor, torch.Tensor]]:
    """L1 + w_ssim·(1 − SSIM) on display values, + w_tonemapped·L1 in the reversible tonemap
    (keeps a gradient where the display clamps HDR), + w_mse·MSE on display values,
    + w_temporal·|(o_t − o_{t−1}) − (g_t − g_{t−1})|.
    ``prev`` is the previous frame's (output, ground truth) in display space; ``temporal_mask``
    (N,) says which items have a previous frame of the same shot."""
    od = display_transform(out)
    gd = display_transform(gt)
    l1 = (od - gd).abs().mean()
    ss = ssim_map(od, gd).mean()
    tm = (tonemap(out) - tonemap(gt)).abs().mean()
    loss = l1 + w_ssim * (1.0 - ss) + w_tonemapped * tm
    if w_mse > 0:
        loss = loss + w_mse * ((od - gd) ** 2).mean()
    temporal = torch.zeros(())
    if prev is not None and w_temporal > 0 and temporal_mask is not None and bool(temporal_mask.any()):
        po, pg = prev
        d = ((od - po) - (gd - pg)).abs().mean((1, 2, 3))
        m = temporal_mask.float()
        temporal = (d * m).sum() / m.sum()
        loss = loss + w_temporal * temporal
    parts = {"l1": float(l1), "ssim": float(ss), "temporal": float(temporal), "tonemapped": float(tm)}
    return loss, parts, (od.detach(), gd)


# --------------------------------------------------------------------------------------------
# Metrics as quantsr eval computes them
# --------------------------------------------------------------------------------------------


def psnr(a_disp: torch.Tensor, b_disp: torch.Tensor) -> float:
    mse = float(((a_disp.double() - b_disp.double()) ** 2).mean())
    return min(100.0, -10.0 * math.log10(mse)) if mse > 0 else 100.0


def ssim_luma(a_disp: torch.Tensor, b_disp: torch.Tensor) -> float:
    return float(ssim_map(luma(a_disp).double().float(), luma(b_disp).float()).mean())


def tpsnr(pa: torch.Tensor, a: torch.Tensor, pb: torch.Tensor, b: torch.Tensor) -> float:
    mse = float((((a.double() - pa.double()) - (b.double() - pb.double())) ** 2).mean())
    return min(100.0, -10.0 * math.log10(mse)) if mse > 0 else 100.0

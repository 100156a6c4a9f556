"""Where the training runs: the CPU (the reproducible default of `make train`) or CUDA.

`use` makes the chosen device torch's default, so every tensor the pipeline creates lands
there; sequences stay in CPU memory and each batch is moved over (`to_device`). Files are
loaded onto the current device (`load`), whatever device wrote them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch


def use(name: str) -> torch.device:
    """Selects `auto` (CUDA when torch sees a GPU, else the CPU), `cpu` or `cuda[:N]`."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(name)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: torch sees no CUDA GPU (torch.cuda.is_available() is False)")
        # Dynamic-resolution clips change shape every frame: no per-shape cuDNN benchmarking.
        torch.backends.cudnn.benchmark = False
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        # Every factory call without a device (the pipeline has many) must land on the GPU.
        # This installs a torch-function mode that costs Python time on every op, which
        # doubled the CPU's step time: the CPU, torch's own default, goes without it.
        torch.set_default_device(dev)
    elif torch.get_default_device().type != "cpu":
        torch.set_default_device(None)  # back to torch's own default, without the mode
    return dev


def current() -> torch.device:
    return torch.get_default_device()


def to_device(t: torch.Tensor | None) -> torch.Tensor | None:
    """`t` on the current device (a no-op on the CPU); non-blocking from CPU memory."""
    if t is None:
        return None
    return t.to(current(), non_blocking=True)


def load(path: Path | str) -> Any:
    """`torch.load` of a file written on any device, onto the current one."""
    return torch.load(path, weights_only=False, map_location=current())


def autocast(enabled: bool):
    """bf16 autocast on the current device's type."""
    return torch.autocast(current().type, dtype=torch.bfloat16, enabled=enabled)

"""The peer in `quantsr bench`'s comparison: PyTorch CPU inference of the same networks on the
same machine and input size, so the ratio (ours / PyTorch) can be reported.

    training/.venv/bin/python -m training.peer_bench --render 480x270 [--json out.json]

Times the forward of `full` and `lite` read from the committed weight file (f32, and bf16
autocast where the CPU has it), batch 1, channels_last, `torch.inference_mode`, after warm-up;
prints the median and p95 milliseconds and the achieved GFLOP/s (2 FLOPs per multiply-add, as
`quantsr bench` counts them)."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

from .config import REPO  # noqa: E402
from .export import load_weights  # noqa: E402
from .model import macs_per_pixel  # noqa: E402


def time_forward(fn, x: torch.Tensor, frames: int, warmup: int) -> list[float]:
    times = []
    with torch.inference_mode():
        for i in range(warmup + frames):
            t0 = time.perf_counter()
            fn(x)
            dt = (time.perf_counter() - t0) * 1e3
            if i >= warmup:
                times.append(dt)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", type=Path, default=REPO / "assets" / "models" / "quantsr.safetensors")
    ap.add_argument("--render", default="480x270", help="render size WxH (960x540 display at 2x: 480x270)")
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    w, h = (int(v) for v in args.render.lower().split("x"))
    nets, _, _ = load_weights(args.weights)
    x = torch.rand(1, 16, h, w).contiguous(memory_format=torch.channels_last)
    rows = []
    for kind, net in nets.items():
        net = net.eval().to(memory_format=torch.channels_last)
        gflop = 2.0 * macs_per_pixel(net.specs) * w * h / 1e9
        variants = [("f32", net)]
        if torch.backends.mkldnn.is_available():

            def bf16(t, net=net):
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    return net(t)

            variants.append(("bf16-autocast", bf16))
        for name, fn in variants:
            t = time_forward(fn, x, args.frames, args.warmup)
            med = statistics.median(t)
            p95 = sorted(t)[min(len(t) - 1, round(0.95 * (len(t) - 1)))]
            rows.append({"network": kind, "precision": name, "median_ms": med, "p95_ms": p95,
                         "gflop": gflop, "gflops": gflop / (med / 1e3)})
            print(f"{kind:<5} {name:<14} median {med:8.2f} ms  p95 {p95:8.2f} ms  {gflop / (med / 1e3):6.1f} GFLOP/s")
    report = {"torch": torch.__version__, "threads": args.threads, "render_size": [w, h], "results": rows}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""The training report: loss curves (PNG), validation metrics per rung, timings (JSON and a
short Markdown summary)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def smooth(v: list[float], k: int) -> np.ndarray:
    a = np.asarray(v, dtype=np.float64)
    if len(a) < 3 or k <= 1:
        return a
    k = min(k, len(a))
    c = np.cumsum(np.insert(a, 0, 0.0))
    s = (c[k:] - c[:-k]) / k
    return np.concatenate([a[: k - 1] * 0 + s[0], s])


def loss_png(phases: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in phases if phases[n].get("log")]
    if not names:
        return
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.4), squeeze=False)
    for ax, name in zip(axes[0], names):
        log = phases[name]["log"]
        steps = [r["step"] for r in log]
        k = max(1, len(log) // 40)
        ax.plot(steps, [r["loss"] for r in log], color="0.8", lw=0.6)
        ax.plot(steps, smooth([r["loss"] for r in log], k), label="total", lw=1.4)
        for key in ("l1", "temporal", "tonemapped", "distill"):
            if key in log[0] and any(r.get(key) for r in log):
                ax.plot(steps, smooth([r[key] for r in log], k), label=key, lw=1.0)
        if "ssim" in log[0]:
            ax.plot(steps, smooth([1 - r["ssim"] for r in log], k), label="1 − SSIM", lw=1.0)
        ax.set_title(f"{name} ({phases[name]['seconds'] / 60:.1f} min)")
        ax.set_xlabel("step (one clip)")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(out_dir: Path, phases: dict, validation: dict | None, timings: dict, extra: dict) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    loss_png(phases, out_dir / "loss_curves.png")
    summary = {
        "phases": {
            n: {
                # A phase kept from an earlier weight file (`reuse_lite`) ran no steps here.
                "steps": p.get("steps", 0),
                "kept_from": p.get("from"),
                "minutes": p["seconds"] / 60,
                "final_loss": float(np.mean([r["loss"] for r in p["log"][-20:]])) if p.get("log") else None,
                "first_loss": float(np.mean([r["loss"] for r in p["log"][:20]])) if p.get("log") else None,
            }
            for n, p in phases.items()
        },
        "validation": validation,
        "timings_s": timings,
        **extra,
    }
    (out_dir / "report.json").write_text(json.dumps(summary, indent=1))
    lines = ["# quantsr training report", ""]
    if validation:
        lines += ["## Validation (held-out sequences; means over scored frames)", ""]
        lines += ["| rung | PSNR dB | SSIM | tPSNR dB |", "|---|---|---|---|"]
        for rung, m in validation["mean"].items():
            lines.append(
                f"| {rung} | {m.get('psnr', float('nan')):.2f} | {m.get('ssim', float('nan')):.4f} | "
                f"{m.get('tpsnr', float('nan')):.2f} |"
            )
        lines += ["", "### Per sequence (PSNR dB)", ""]
        seqs = sorted({s for per in validation["per_sequence"].values() for s in per})
        rungs = list(validation["per_sequence"])
        lines += ["| sequence | " + " | ".join(rungs) + " |", "|---" * (len(rungs) + 1) + "|"]
        for s in seqs:
            vals = [validation["per_sequence"][r].get(s, {}).get("psnr") for r in rungs]
            lines.append(f"| {s} | " + " | ".join(f"{v:.2f}" if v is not None else "–" for v in vals) + " |")
    lines += ["", "## Phases", "", "| phase | steps | minutes | first loss | final loss |", "|---|---|---|---|---|"]
    for n, p in summary["phases"].items():
        fl = f"{p['first_loss']:.4f}" if p["first_loss"] is not None else "–"
        ll = f"{p['final_loss']:.4f}" if p["final_loss"] is not None else "–"
        lines.append(f"| {n} | {p['steps']} | {p['minutes']:.1f} | {fl} | {ll} |")
    lines += ["", "## Wall time per step of `python -m training all`", ""]
    for k, v in timings.items():
        lines.append(f"- {k}: {v / 60:.1f} min")
    for k, v in extra.items():
        lines += ["", f"## {k}", "", "```json", json.dumps(v, indent=1), "```"]
    lines += ["", "![loss curves](loss_curves.png)", ""]
    (out_dir / "README.md").write_text("\n".join(lines))
    return summary

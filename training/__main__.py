"""`python -m training [--quick | --preset NAME] [--device D] COMMAND`: the whole training pipeline, end to end.

Commands (each skips work already done in the run folder; `all` runs them in order):
  gen-data     render the training and validation sequences with `quantsr render`, cache them
  train        the f32 `full` network (recurrent clips, truncated backprop, bf16 autocast), then
               its annealing phase (low learning rate, squared-error term, weight average)
  qat          calibrate activation scales, quantisation-aware fine-tuning for int8
  distill      the `lite` network distilled from `full`, then its own QAT
  validate     PSNR/SSIM/tPSNR per rung on the held-out sequences (torch pipeline)
  export       the weight file (with val_psnr) and the model fixture for the Rust tests
  check-taau   torch taau pipeline vs `quantsr upscale --method taau` on a validation sequence
  selftest     crops, flips, int8 emulation, odd sizes, parity round trip (part of --quick all)
  report       loss curves PNG, metrics and timings under the report folder
  all          all of the above
  parity FILE  compare the torch pipeline with a fixture exported from the Rust side
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

# OpenMP threads that spin while waiting collapse throughput by 10x when another process holds
# a core (measured here: 21 s vs 2 s per step); they must sleep instead. Set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

from . import device
from .config import PRESETS, REPO, Config, get_config


# The f32 `full` network that QAT, distillation and the report start from: the annealed one.
FULL_F32 = "full_anneal"


def load_done(cfg: Config, name: str) -> dict:
    path = cfg.run_dir / f"{name}.pt"
    if not path.exists():
        raise SystemExit(f"{path} is missing: run the step that makes it first (python -m training all)")
    return device.load(path)


def cmd_gen_data(cfg: Config, args) -> dict:
    from .data import gen_data

    return gen_data(cfg)


def cmd_train(cfg: Config, args) -> dict:
    from .data import load_split
    from .model import ParamNet
    from .train import f32_forward, train_phase

    seqs = load_split(cfg, "train")
    torch.manual_seed(0)
    net = ParamNet("full")
    if cfg.init_weights:
        from .export import grow_from

        print(f"growing full from {cfg.init_weights}: {grow_from(net, init_snapshot(cfg))}", flush=True)
    net = net.to(memory_format=torch.channels_last)
    fn = lambda n: f32_forward(n, cfg.bf16)  # noqa: E731
    rec = train_phase("full", net, fn, seqs, cfg, cfg.full, seed=1)
    rec_a = train_phase(FULL_F32, net, fn, seqs, cfg, cfg.anneal, seed=5)
    return {"full": rec["seconds"], FULL_F32: rec_a["seconds"]}


def qat_phase(cfg: Config, name: str, net, seqs, phase, extra_loss=None, seed=0) -> dict:
    from .model import QuantScales
    from .train import calibrate, fq_forward, train_phase

    done = cfg.run_dir / f"{name}.pt"
    if done.exists():
        blob = device.load(done)
        net.load_state_dict(blob["model"])
        return blob["record"]
    net = net.to(memory_format=torch.contiguous_format)
    calib = cfg.run_dir / f"{name}.calib.pt"
    if calib.exists():  # resuming: the equalised weights and scales QAT started from
        blob = device.load(calib)
        net.load_state_dict(blob["model"])
        qs = QuantScales(blob["scales"])
    else:
        qs = calibrate(net, seqs, cfg, cfg.calib_clips)
        torch.save({"model": net.state_dict(), "scales": qs.scales}, calib)
    print(f"[{name}] activation scales: " + ", ".join(f"{k}={v:.4g}" for k, v in qs.scales.items()), flush=True)
    return train_phase(
        name, net, lambda n: fq_forward(n, qs), seqs, cfg, phase, extra_loss=extra_loss,
        extra_state={"scales": qs.scales}, seed=seed,
    )


def cmd_qat(cfg: Config, args) -> dict:
    from .data import load_split
    from .model import ParamNet

    seqs = load_split(cfg, "train")
    net = ParamNet("full")
    net.load_state_dict(load_done(cfg, FULL_F32)["model"])
    return qat_phase(cfg, "full_qat", net, seqs, cfg.qat, seed=2)


def teacher(cfg: Config):
    from .model import ParamNet
    from .train import f32_forward

    t = ParamNet("full")
    t.load_state_dict(load_done(cfg, FULL_F32)["model"])
    t.eval()
    return f32_forward(t.to(memory_format=torch.channels_last), cfg.bf16)


def cmd_distill(cfg: Config, args) -> dict:
    from .data import load_split
    from .model import ParamNet
    from .train import distill_loss, f32_forward, train_phase

    if cfg.reuse_lite:
        from .export import lite_from

        done = cfg.run_dir / "lite_qat.pt"
        if not done.exists():
            net, scales = lite_from(init_snapshot(cfg))
            torch.save({"model": net.state_dict(), "scales": scales, "record": {"seconds": 0.0, "from": str(cfg.init_weights)}}, done)
        print(f"lite: kept from {cfg.init_weights}", flush=True)
        return {"lite": 0.0, "lite_qat": 0.0}
    seqs = load_split(cfg, "train")
    t_fn = teacher(cfg)
    torch.manual_seed(1)
    lite = ParamNet("lite").to(memory_format=torch.channels_last)
    rec = train_phase(
        "lite", lite, lambda n: f32_forward(n, cfg.bf16), seqs, cfg, cfg.distill,
        extra_loss=distill_loss(t_fn, {}, cfg.distill_weight), seed=3,
    )
    rec_a = train_phase(
        "lite_anneal", lite, lambda n: f32_forward(n, cfg.bf16), seqs, cfg, cfg.lite_anneal,
        extra_loss=distill_loss(t_fn, {}, cfg.distill_weight), seed=6,
    )
    rec_q = qat_phase(cfg, "lite_qat", lite, seqs, cfg.lite_qat, extra_loss=distill_loss(t_fn, {}, 0.5 * cfg.distill_weight), seed=4)
    return {"lite": rec["seconds"], "lite_anneal": rec_a["seconds"], "lite_qat": rec_q["seconds"]}


def trained_models(cfg: Config):
    from .model import ParamNet, QuantScales, build_int8

    out = {}
    for name, kind in (("full_qat", "full"), ("lite_qat", "lite")):
        blob = load_done(cfg, name)
        net = ParamNet(kind)
        net.load_state_dict(blob["model"])
        net.eval()
        qs = QuantScales(blob["scales"])
        out[kind] = (net, qs, build_int8(net, qs))
    pre = ParamNet("full")
    pre.load_state_dict(load_done(cfg, FULL_F32)["model"])
    pre.eval()
    return out, pre


def cmd_validate(cfg: Config, args) -> dict:
    from .data import load_split
    from .evaluate import rung_fns, validate
    from .pipeline import activate

    seqs = load_split(cfg, "val")
    models, pre = trained_models(cfg)
    (full, _, fq), (lite, _, lq) = models["full"], models["lite"]
    fns = rung_fns(full, lite, fq, lq)
    fns["f32-before-qat"] = lambda x, *_: activate(pre(x))
    res = validate(seqs, fns, cfg.val_frames_skip)
    path = cfg.run_dir / "validation.json"
    path.write_text(json.dumps(res, indent=1))
    for rung, m in res["mean"].items():
        print(f"  {rung:>15}: PSNR {m['psnr']:.2f} dB  SSIM {m['ssim']:.4f}  tPSNR {m.get('tpsnr', float('nan')):.2f} dB")
    return res


def cmd_export(cfg: Config, args) -> dict:
    from .export import export_fixture, export_weights, load_weights
    from .model import forward_int8

    # The file, its round trip and the fixture are made on the CPU, as the Rust side reads them.
    device.use("cpu")
    path = cfg.run_dir / "validation.json"
    if not path.exists():
        cmd_validate(cfg, args)
    val = json.loads(path.read_text())
    models, _ = trained_models(cfg)
    # The rungs of ARCHITECTURE §4, which the controller orders by this (lite-f32 is not a rung).
    rung_names = ("f32", "f16", "int8", "lite-int8", "taau")
    val_psnr = {r: round(val["mean"][r]["psnr"], 3) for r in rung_names if r in val["mean"]}
    weights = cfg.models_dir / "quantsr.safetensors"
    info = export_weights(
        weights,
        {k: (net, qs) for k, (net, qs, _) in models.items()},
        val_psnr,
        extra={"training": training_record(cfg)},
    )
    # Round trip: what the file holds must run exactly as what was validated.
    _, qnets, _ = load_weights(weights)
    x = torch.rand(1, 16, 13, 21)
    for kind, (_, _, q) in models.items():
        a, b = forward_int8(q, x), forward_int8(qnets[kind], x)
        if not torch.equal(a, b):
            raise SystemExit(f"{kind}: int8 forward from the file differs from the validated one")
    info["fixture"] = export_fixture(cfg.models_dir / "fixture.safetensors", weights)
    info["val_psnr"] = val_psnr
    # f16: the weights must be finite in f16 and the emulated f16 rung as good as f32.
    for kind, (net, _, _) in models.items():
        big = max(float(p.detach().abs().max()) for p in net.parameters())
        if big >= 65504:
            print(f"WARNING: {kind} has a weight of magnitude {big}, beyond f16")
    if "f16" in val_psnr and val_psnr["f16"] < val_psnr["f32"] - 0.1:
        print(f"WARNING: f16 loses {val_psnr['f32'] - val_psnr['f16']:.2f} dB against f32")
    if "int8" in val_psnr and val_psnr["int8"] < val_psnr["f32"] - 1.0:
        print(f"WARNING: int8 loses {val_psnr['f32'] - val_psnr['int8']:.2f} dB against f32")
    print(json.dumps(info, indent=1))
    return info


def training_record(cfg: Config) -> dict:
    """What the weight file records of the run that made it (metadata `training`)."""
    import hashlib

    rec = {"preset": cfg.name, "val_sequences": [s.name for s in cfg.val]}
    if cfg.init_weights:
        rec["grown_from"] = {
            "file": str(cfg.init_weights.relative_to(REPO)),
            "sha256": hashlib.sha256(init_snapshot(cfg).read_bytes()).hexdigest(),
        }
    return rec


def init_snapshot(cfg: Config) -> Path:
    """A copy of `cfg.init_weights` in the run folder, taken once: the export overwrites the file
    a `grow` run starts from, and a resumed run must start from the same weights."""
    import shutil

    snap = cfg.run_dir / "init.safetensors"
    if not snap.exists():
        shutil.copyfile(cfg.init_weights, snap)
    return snap


def cmd_check_taau(cfg: Config, args) -> dict:
    from .evaluate import check_taau

    results = {}
    for spec in cfg.val[:2]:
        r = check_taau(cfg.data_dir / "val" / spec.name)
        results[spec.name] = r
        print(json.dumps(r))
    (cfg.run_dir / "check_taau.json").write_text(json.dumps(results, indent=1))
    return results


def cmd_report(cfg: Config, args) -> dict:
    from .report import write_report

    phases = {}
    for name in ("full", FULL_F32, "full_qat", "lite", "lite_anneal", "lite_qat"):
        p = cfg.run_dir / f"{name}.pt"
        if p.exists():
            phases[name] = device.load(p)["record"]
    val_path = cfg.run_dir / "validation.json"
    val = json.loads(val_path.read_text()) if val_path.exists() else None
    tpath = cfg.run_dir / "timings.json"
    timings = json.loads(tpath.read_text()) if tpath.exists() else {}
    extra = {}
    cpath = cfg.run_dir / "check_taau.json"
    if cpath.exists():
        extra["taau parity with the engine"] = json.loads(cpath.read_text())
    from .model import ParamNet, count_params, macs_per_pixel

    extra["networks"] = {
        k: {"parameters": count_params(ParamNet(k)), "macs_per_render_pixel": macs_per_pixel(ParamNet(k).specs)}
        for k in ("full", "lite")
    }
    extra["machine"] = {"threads": torch.get_num_threads(), "torch": torch.__version__, "cpus": os.cpu_count()}
    s = write_report(cfg.report_dir, phases, val, timings, extra)
    print(f"report: {cfg.report_dir}/README.md, report.json, loss_curves.png")
    return s


def cmd_selftest(cfg: Config, args) -> dict:
    from .selftest import run

    if not run(cfg):
        raise SystemExit("selftest failed")
    return {}


STEPS = [
    ("gen-data", cmd_gen_data),
    ("train", cmd_train),
    ("qat", cmd_qat),
    ("distill", cmd_distill),
    ("validate", cmd_validate),
    ("export", cmd_export),
    ("check-taau", cmd_check_taau),
    ("selftest", cmd_selftest),
    ("report", cmd_report),
]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny data and few steps: a smoke test of every step (minutes)")
    ap.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="full",
        help="full (make train), quick (= --quick), large (960x540 data, faster motion; a GPU recipe), "
        "grow (full grown from the committed weights: new layers such as f0 start without effect)",
    )
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default 1: see training/README.md)")
    ap.add_argument(
        "--device",
        default="cpu",
        help="cpu (default, what `make train` reproduces), cuda, or auto (cuda when torch sees a GPU)",
    )
    ap.add_argument("--no-bf16", action="store_true", help="train in f32 instead of bf16 autocast")
    ap.add_argument("command", help="a step, a comma-separated list of steps, all or parity (see above)")
    ap.add_argument("fixture", nargs="?", help="parity: the fixture file (safetensors)")
    ap.add_argument("--make-example", action="store_true", help="parity: write an example fixture to FILE instead")
    args = ap.parse_intermixed_args(argv)

    if args.command == "parity":
        from . import parity

        if not args.fixture:
            ap.error("parity needs a fixture file")
        if args.make_example:
            parity.make_example(Path(args.fixture))
            print(f"wrote {args.fixture}")
        return parity.main(Path(args.fixture))

    cfg = get_config("quick" if args.quick else args.preset)
    if args.threads:
        cfg.threads = args.threads
    if args.no_bf16:
        cfg.bf16 = False
    torch.set_num_threads(cfg.threads)
    print(f"device: {device.use(args.device)}", flush=True)
    cfg.run_dir.mkdir(parents=True, exist_ok=True)
    if args.command == "all":
        # The selftest is part of the smoke test; the full run has no use for it.
        steps = [s for s in STEPS if s[0] != "report" and (s[0] != "selftest" or args.quick)]
    else:
        wanted = args.command.split(",")
        unknown = [w for w in wanted if w not in dict(STEPS)]
        if unknown:
            ap.error(f"unknown step {', '.join(unknown)} (steps: {', '.join(s for s, _ in STEPS)}, all, parity)")
        steps = [s for s in STEPS if s[0] in wanted]
    tpath = cfg.run_dir / "timings.json"
    # `all` starts the timings afresh (steps already done take no time); a single command
    # updates its own entry.
    timings = json.loads(tpath.read_text()) if tpath.exists() and args.command != "all" else {}
    t_all = time.time()
    for name, fn in steps:
        print(f"=== {name} ({cfg.name}) ===", flush=True)
        t0 = time.time()
        fn(cfg, args)
        timings[name] = time.time() - t0
        tpath.write_text(json.dumps(timings, indent=1))
    if args.command == "all":
        timings["all"] = time.time() - t_all
        tpath.write_text(json.dumps(timings, indent=1))
        cmd_report(cfg, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

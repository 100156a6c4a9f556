"""Self-checks of the training code that need no trained model (run by `--quick all`, or alone
as `python -m training [--quick] selftest` once gen-data has run):

- crops: the pipeline on a crop equals the whole-frame pipeline inside the crop;
- flips: the flip augmentation (jitter and motion negated) commutes with the pipeline;
- int8: the fake-quantised (QAT) forward equals the integer pipeline bit for bit;
- graph: odd sizes run and keep their size; the unused output channel is zero;
- parity: a fixture in the Rust→Python layout round-trips through `parity`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch

from . import data as D
from .config import Config
from .losses import psnr
from .model import Calibrator, ParamNet, build_int8, forward_fake_quant, forward_int8
from .pipeline import State, display_transform, run_frame


def check(cond: bool, what: str, results: list) -> None:
    results.append((cond, what))
    print(("ok   " if cond else "FAIL ") + what, flush=True)


def run(cfg: Config) -> bool:
    res: list = []
    seqs = D.load_split(cfg, "train")
    static = [s for s in seqs if not s.dynamic]
    # Crops against whole frames (first 3 frames, away from the crop's border).
    for s in static[:2]:
        rw, rh = s.render_size(0)
        step_x = D.crop_step(rw, s.display_size[0])
        step_y = D.crop_step(rh, s.display_size[1])
        cw = min(32, rw - 2 * step_x) // step_x * step_x
        chh = min(32, rh - 2 * step_y) // step_y * step_y
        c = D.Crop(s, step_x * 2, step_y * 2, cw, chh, False, False, 1.0)
        X0, Y0, W, H = c.display_rect(0)
        sf = sc = None
        worst = 0.0
        for i in range(3):
            ff, fc = D.batch_frame([D.whole(s)], i), D.batch_frame([c], i)
            sf = sf or State.fresh(1, ff.display_size)
            sc = sc or State.fresh(1, fc.display_size)
            with torch.no_grad():
                of, sf, _ = run_frame(None, ff, sf)
                oc, sc, _ = run_frame(None, fc, sc)
            m = 6
            d = (of[:, :, Y0 : Y0 + H, X0 : X0 + W] - oc).abs()[:, :, m:-m, m:-m]
            worst = max(worst, float(d.max()))
        check(worst < 2e-3, f"crop of {s.name} matches the whole frame inside (max |Δ| {worst:.2g})", res)
    # Flip equivariance over a whole sequence.
    s = seqs[0]
    rw, rh = s.render_size(0)
    a = D.Crop(s, 0, 0, rw, rh, False, False, 1.0, full=True)
    b = D.Crop(s, 0, 0, rw, rh, True, True, 1.0, full=True)
    sa = sb = None
    with torch.no_grad():
        for i in range(len(s)):
            fa, fb = D.batch_frame([a], i), D.batch_frame([b], i)
            sa = sa or State.fresh(1, fa.display_size)
            sb = sb or State.fresh(1, fb.display_size)
            oa, sa, _ = run_frame(None, fa, sa)
            ob, sb, _ = run_frame(None, fb, sb)
    p = psnr(display_transform(oa), display_transform(ob.flip(-1).flip(-2)))
    check(p > 45.0, f"flipped {s.name} flips back to the same output ({p:.1f} dB)", res)
    # Fake quant == integer pipeline, on real inputs, with calibrated scales.
    torch.manual_seed(0)
    for kind in ("full", "lite"):
        net = ParamNet(kind).eval()
        cal = Calibrator()
        xs = []
        st = None
        with torch.no_grad():
            for i in range(min(4, len(s))):
                fr = D.batch_frame([a], i)
                st = st or State.fresh(1, fr.display_size)
                from .pipeline import activate

                _, st, aux = run_frame(lambda x, *_: activate(net(x)), fr, st)
                cal.observe(net, aux["input"])
                xs.append(aux["input"])
            qs = cal.scales()
            q = build_int8(net, qs)
            same = all(torch.equal(forward_fake_quant(net, x, qs), forward_int8(q, x)) for x in xs)
        check(same, f"{kind}: fake-quant forward equals the int8 integer pipeline", res)
        for h, w in ((11, 19), (12, 20), (7, 5)):
            y = net(torch.rand(1, 16, h, w))
            check(tuple(y.shape) == (1, 16, h, w), f"{kind}: {h}x{w} input gives a {h}x{w} output", res)
        check(bool((net(torch.rand(1, 16, 8, 8))[:, 15] == 0).all()), f"{kind}: output 15 is zero", res)
    # Parity fixture round trip.
    from . import parity

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "parity.safetensors"
        parity.make_example(path)
        check(parity.check(path, verbose=False)["ok"], "parity fixture round-trips", res)
    ok = all(c for c, _ in res)
    print(f"selftest: {sum(c for c, _ in res)} passed, {sum(not c for c, _ in res)} failed")
    return ok

"""What the pipeline renders, trains and measures: the `full` preset (the real run, about two
hours on a 2-core machine) and the `quick` preset (the same steps on tiny data, minutes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

TRAINING_DIR = Path(__file__).resolve().parent
REPO = TRAINING_DIR.parent

# Scenes the network trains on, and the held-out ones it is validated on (never trained on).
TRAIN_SCENES = ["interior", "thin", "fast_objects", "highlights", "cut_rotation", "particles"]
# `yard` layouts (one per seed) put the other scenes' building blocks in new arrangements, so
# the network learns the failure modes rather than a handful of layouts.
TRAIN_YARD_SEEDS = range(1, 31)
TRAIN_GLTF = ["assets/gltf/BoxTextured/BoxTextured.gltf", "assets/gltf/TextureTransformTest/TextureTransformTest.gltf"]
VAL_SCENES = ["patterns", "level"]
VAL_GLTF = ["assets/gltf/ClearCoatTest/ClearCoatTest.gltf"]


@dataclass
class SeqSpec:
    """One `quantsr render` invocation."""

    name: str
    scene: str | None = None
    gltf: str | None = None
    seed: int = 0
    scale: float = 2.0
    dynamic: bool = False
    frames: int = 32
    display: tuple[int, int] = (384, 216)
    spp: int = 16
    # Timeline rate: below 60 the same camera path moves 60/fps times as far per frame.
    fps: int = 60
    half: bool = False  # colour and ground truth stored as f16 EXR (large displays)

    def args(self) -> list[str]:
        src = ["--scene", self.scene] if self.scene else ["--gltf", str(REPO / self.gltf)]
        a = src + [
            "--frames",
            str(self.frames),
            "--display",
            f"{self.display[0]}x{self.display[1]}",
            "--scale",
            str(self.scale),
            "--spp",
            str(self.spp),
            "--seed",
            str(self.seed),
        ]
        if self.fps != 60:
            a += ["--fps", str(self.fps)]
        if self.dynamic:
            a.append("--dynamic-resolution")
        if self.half:
            a.append("--half")
        return a

    def as_dict(self) -> dict:
        """What `spec.json` records; fields at their defaults are left out, so adding a field
        does not invalidate sequences rendered before it existed."""
        d = {k: v for k, v in self.__dict__.items() if k not in ("fps", "half") or v != SeqSpec.__dataclass_fields__[k].default}
        return d


@dataclass
class PhaseConfig:
    """A training phase stops at `steps` or after `minutes`, whichever comes first."""

    steps: int
    minutes: float
    lr: float
    batch: int = 4
    # Decay of an exponential moving average of the weights, which the phase keeps instead of
    # its last weights (0: off). Averaging evens out the step-to-step wander that makes
    # networks of equal training loss differ by ~1 dB on a held-out scene.
    ema: float = 0.0
    # Weight of a squared-error term in display space beside the L1 (0: off); PSNR is a
    # squared-error measure, and L1 alone under-weights the large errors at edges and highlights.
    loss_mse: float = 0.0


@dataclass
class Config:
    name: str
    train: list[SeqSpec]
    val: list[SeqSpec]
    full: PhaseConfig
    anneal: PhaseConfig  # continues `full` at a low learning rate with weight averaging
    qat: PhaseConfig
    distill: PhaseConfig
    # Continues `distill` at a low learning rate with weight averaging and the squared-error
    # term, as `anneal` does for `full` (measured +0.16 dB on validation for the lite network).
    lite_anneal: PhaseConfig
    lite_qat: PhaseConfig
    clip: int = 8  # frames per truncated-backprop clip
    clips_per_episode: int = 4  # clips a batch of crops runs through before new crops are drawn
    crop: int = 128  # display-resolution crop side (the render crop is crop / ratio)
    calib_clips: int = 24
    reset_prob: float = 0.15  # per clip: a random frame of it gets the reset flag
    flip_prob: float = 0.5
    exposure_jitter: float = 1.0  # log2 range of random brightness (colour and ground truth)
    loss_ssim: float = 0.1
    loss_temporal: float = 0.5
    loss_tonemapped: float = 0.25
    # Weight of the lite network's L1 to the full network's parameters (distillation) beside its
    # own image loss; its QAT uses half of it. At 1.0 the lite network chased parameters it has
    # not the capacity to produce (the full network's `f0` detail) and validated 0.33 dB lower.
    distill_weight: float = 0.25
    val_frames_skip: int = 8
    # Torch CPU threads. The layers are too small to split: on 2 cores one thread ran 0.93 s per
    # full-network step, two sleeping OpenMP threads 1.55 s, two spinning ones 0.72 s (and 10x
    # slower as soon as another process wants a core).
    threads: int = 1
    bf16: bool = True
    data_dir: Path = field(default_factory=lambda: TRAINING_DIR / "data" / "full")
    run_dir: Path = field(default_factory=lambda: TRAINING_DIR / "runs" / "full")
    report_dir: Path = field(default_factory=lambda: TRAINING_DIR / "report")
    models_dir: Path = field(default_factory=lambda: REPO / "assets" / "models")
    log_every: int = 10
    ckpt_every: int = 100
    render_jobs: int = 1  # `quantsr render` processes at once (gen-data)
    # Sampling weight of a sequence at 960x540 display or more against a thumbnail one: the
    # sizes users run are where the network failed, so they get about half the batches.
    large_weight: float = 2.0
    # A weight file the `full` network starts from instead of random weights (`grow`): layers
    # the file has are copied, a layer it lacks starts so that the network's output is the
    # file's. With `reuse_lite`, the file's `lite` network (same architecture) is kept as is.
    init_weights: Path | None = None
    reuse_lite: bool = False


def full_config() -> Config:
    train: list[SeqSpec] = []
    for scene in TRAIN_SCENES:
        for seed in (1, 2):
            for scale in (1.5, 2.0, 3.0):
                train.append(SeqSpec(f"{scene}_s{seed}_x{scale}", scene=scene, seed=seed, scale=scale))
        train.append(SeqSpec(f"{scene}_s3_x2.0", scene=scene, seed=3, scale=2.0))
        # Dynamic resolution: the render size swings by up to 30 % every frame.
        train.append(SeqSpec(f"{scene}_s4_x2.0_dyn", scene=scene, seed=4, scale=2.0, dynamic=True))
    for path in TRAIN_GLTF:
        stem = Path(path).stem
        for seed, scale in ((1, 1.5), (2, 2.0), (3, 3.0)):
            train.append(SeqSpec(f"gltf_{stem}_s{seed}_x{scale}", gltf=path, seed=seed, scale=scale))
    # 2x, the ratio issue 5's bar measures, twice as often as the others; every 10th dynamic.
    for seed in TRAIN_YARD_SEEDS:
        dynamic = seed % 10 == 0
        scale = 2.0 if dynamic else (1.5, 2.0, 3.0, 2.0)[seed % 4]
        name = f"yard_s{seed}_x{scale}" + ("_dyn" if dynamic else "")
        train.append(SeqSpec(name, scene="yard", seed=seed, scale=scale, dynamic=dynamic))
    # Held out: scenes never trained on, as authored (seed 0), 40 frames (32 scored).
    val: list[SeqSpec] = []
    for scale in (1.5, 2.0, 3.0):
        val.append(SeqSpec(f"level_x{scale}", scene="level", seed=0, scale=scale, frames=40))
    val.append(SeqSpec("patterns_x2.0", scene="patterns", seed=0, scale=2.0, frames=40))
    for path in VAL_GLTF:
        val.append(SeqSpec(f"gltf_{Path(path).stem}_x2.0", gltf=path, seed=0, scale=2.0, frames=40))
    val.append(SeqSpec("level_x2.0_dyn", scene="level", seed=0, scale=2.0, frames=40, dynamic=True))
    big_train, big_val = large_display_specs()
    train += big_train
    val += big_val
    return Config(
        name="full",
        train=train,
        val=val,
        # Step counts bound the phases (the minutes are a safety cap), so a run is the same recipe
        # on any machine; they are what the session-6 time budgets reached at 2 threads.
        full=PhaseConfig(steps=1100, minutes=120, lr=2e-3, batch=4),
        anneal=PhaseConfig(steps=500, minutes=60, lr=3e-4, batch=4, ema=0.995, loss_mse=30.0),
        qat=PhaseConfig(steps=150, minutes=30, lr=2e-4, batch=4, loss_mse=30.0),
        distill=PhaseConfig(steps=450, minutes=60, lr=2e-3, batch=4),
        lite_anneal=PhaseConfig(steps=400, minutes=60, lr=3e-4, batch=4, ema=0.995, loss_mse=30.0),
        lite_qat=PhaseConfig(steps=120, minutes=30, lr=2e-4, batch=4),
    )


def quick_config() -> Config:
    d = (192, 108)
    train = [
        SeqSpec("interior_s1_x2.0", scene="interior", seed=1, scale=2.0, frames=12, display=d, spp=4),
        SeqSpec("particles_s2_x1.5", scene="particles", seed=2, scale=1.5, frames=12, display=d, spp=4),
        SeqSpec("cut_rotation_s3_x3.0", scene="cut_rotation", seed=3, scale=3.0, frames=12, display=d, spp=4),
        SeqSpec("thin_s4_x2.0_dyn", scene="thin", seed=4, scale=2.0, dynamic=True, frames=12, display=d, spp=4),
        SeqSpec("yard_s5_x2.0", scene="yard", seed=5, scale=2.0, frames=12, display=d, spp=4),
    ]
    val = [
        SeqSpec("patterns_x2.0", scene="patterns", seed=0, scale=2.0, frames=12, display=d, spp=4),
        SeqSpec(
            "gltf_ClearCoatTest_x2.0", gltf=VAL_GLTF[0], seed=0, scale=2.0, frames=12, display=d, spp=4
        ),
    ]
    return Config(
        name="quick",
        train=train,
        val=val,
        full=PhaseConfig(steps=30, minutes=3, lr=2e-3, batch=2),
        anneal=PhaseConfig(steps=8, minutes=1, lr=3e-4, batch=2, ema=0.8, loss_mse=30.0),
        qat=PhaseConfig(steps=8, minutes=1, lr=2e-4, batch=2, loss_mse=30.0),
        distill=PhaseConfig(steps=12, minutes=1.5, lr=2e-3, batch=2),
        lite_anneal=PhaseConfig(steps=6, minutes=1, lr=3e-4, batch=2, ema=0.8, loss_mse=30.0),
        lite_qat=PhaseConfig(steps=6, minutes=1, lr=2e-4, batch=2),
        clip=4,
        clips_per_episode=2,
        crop=48,
        calib_clips=4,
        val_frames_skip=4,
        data_dir=TRAINING_DIR / "data" / "quick",
        run_dir=TRAINING_DIR / "runs" / "quick",
        report_dir=TRAINING_DIR / "runs" / "quick" / "report",
        models_dir=TRAINING_DIR / "runs" / "quick" / "models",
        log_every=2,
        ckpt_every=10,
    )




def large_display_specs() -> tuple[list[SeqSpec], list[SeqSpec]]:
    """Training and held-out sequences at a size users run (960x540 display), with the camera
    paths played up to 3x faster per frame (`fps` 30 and 20), so motion reaches 16+ render px
    per frame and edges are as long as a game's, not a thumbnail's."""
    big = (960, 540)
    fpss = (60, 30, 20)
    train: list[SeqSpec] = []
    k = 0
    for scene in TRAIN_SCENES:
        for seed in (5, 6):
            scale, fps = (1.5, 2.0, 3.0)[k % 3], fpss[(k // 3 + k) % 3]
            train.append(
                SeqSpec(f"{scene}_s{seed}_x{scale}_f{fps}_960", scene=scene, seed=seed, scale=scale, fps=fps, display=big, half=True)
            )
            k += 1
    for seed in range(31, 51):
        scale, fps = (2.0, 1.5, 2.0, 3.0)[seed % 4], fpss[seed % 3]
        train.append(SeqSpec(f"yard_s{seed}_x{scale}_f{fps}_960", scene="yard", seed=seed, scale=scale, fps=fps, display=big, half=True))
    for path, seed, fps in ((TRAIN_GLTF[0], 4, 30), (TRAIN_GLTF[1], 5, 20)):
        train.append(SeqSpec(f"gltf_{Path(path).stem}_s{seed}_x2.0_f{fps}_960", gltf=path, seed=seed, scale=2.0, fps=fps, display=big, half=True))
    # Held out, 24 frames (16 scored): `level` 3x faster, and `patterns`.
    val = [
        SeqSpec("level_x2.0_f20_960", scene="level", seed=0, scale=2.0, fps=20, frames=24, display=big, half=True),
        SeqSpec("patterns_x2.0_960", scene="patterns", seed=0, scale=2.0, frames=24, display=big, half=True),
    ]
    return train, val


def large_config() -> Config:
    """`full`'s data and steps with 4x the batch and 1.5x the crop: for a GPU (`--device
    cuda`), where a step costs about what a CPU step does (launch-bound, measured 0.5 s on an
    H200) but carries 7x the pixels."""
    cfg = full_config()
    cfg.name = "large"
    cfg.crop = 192
    for phase in (cfg.full, cfg.anneal, cfg.qat, cfg.distill, cfg.lite_anneal, cfg.lite_qat):
        phase.batch = 16
        phase.minutes *= 2
    cfg.data_dir = TRAINING_DIR / "data" / "full"  # the same sequences as `full`
    cfg.run_dir = TRAINING_DIR / "runs" / "large"
    # Promoted to assets/ by hand once `quantsr eval` on held-out content says it is better.
    cfg.report_dir = cfg.run_dir / "report"
    cfg.models_dir = cfg.run_dir / "models"
    return cfg


def grow_config() -> Config:
    """`full`'s data with the `full` network grown from the committed weights: the file's layers
    are copied, a layer the architecture has and the file lacks (`f0`, for a file from before
    2026-12-05) starts without effect, and a shorter schedule teaches the head to use it; `lite`
    is the file's. Reproducible from the weight file it starts from (recorded in the new file's
    metadata), in about 45 minutes."""
    cfg = full_config()
    cfg.name = "grow"
    cfg.full = PhaseConfig(steps=400, minutes=40, lr=1e-3, batch=4)
    cfg.anneal = PhaseConfig(steps=400, minutes=40, lr=3e-4, batch=4, ema=0.995, loss_mse=30.0)
    cfg.init_weights = REPO / "assets" / "models" / "quantsr.safetensors"
    cfg.reuse_lite = True
    cfg.data_dir = TRAINING_DIR / "data" / "full"  # the same sequences as `full`
    cfg.run_dir = TRAINING_DIR / "runs" / "grow"
    return cfg


PRESETS = {"full": full_config, "quick": quick_config, "large": large_config, "grow": grow_config}


def get_config(preset: str) -> Config:
    return PRESETS[preset]()

"""The training settings of Photo to Sketch, and the limits every part of the tool shares."""

from __future__ import annotations

import dataclasses

from core.configs import setting

SIZES = (256, 512)
STYLES = ("pencil", "dodge-and-burn", "xdog")
ARCHITECTURES = ("unet", "plain")
MIN_PAIRS = 4  # fewer cannot be split into training and validation pairs
MIN_PHOTO_SIDE = 32
MAX_ZIP_MEMBERS = 20_000
MAX_ZIP_BYTES = 2_000_000_000  # uncompressed; a larger upload is refused before anything is read
PREVIEW_PAIRS = 3
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"}
FOLDER_NAMES = (("photos", "sketches"), ("a", "b"))


@dataclasses.dataclass
class SketchConfig:
    """Every training setting, each declared once (``core.configs.setting``): sketch-train's options
    and the Train tab's widgets are derived from here."""

    size: int = setting(256, "training crop side in pixels", label="Model size", choices=SIZES)
    architecture: str = setting(
        "unet",
        "unet (skip connections from each encoder level, default) or plain (the design's autoencoder)",
        choices=ARCHITECTURES,
    )
    width: int = setting(
        16,
        "filters of the first level, doubled per level (the design's plain model: 64)",
        label="Filters at the first level",
        options=(8, 12, 16, 24, 32, 64),
    )
    depth: int = setting(
        4, "levels down, each halving the picture (the design: 3)", label="Levels down", options=(2, 3, 4, 5)
    )
    perceptual: float = setting(
        0.0,
        "weight of the VGG19 feature loss added to MAE (default 0: MAE alone)",
        label="Perceptual loss weight (0 = MAE alone)",
        low=0.0,
        high=3.0,
        step=0.25,
    )
    epochs: int = setting(
        30,
        "the most epochs to train; early stopping usually ends sooner",
        label="Epochs (at most; early stopping may end sooner)",
        low=1,
        high=100,
    )
    batch_size: int = setting(16, "pairs per step", options=(4, 8, 16, 32, 64))
    learning_rate: float = setting(
        1e-3,
        "Adam's learning rate, as in the design",
        label="Learning rate (Adam)",
        options=(1e-4, 3e-4, 1e-3, 3e-3, 1e-2),
    )
    patience: int = setting(
        5,
        "epochs without a better validation MAE before training stops",
        label="Patience (epochs without improvement)",
        low=1,
        high=20,
    )
    validation_split: float = setting(
        0.15, "share of source photos (or uploaded pairs) held out, never cropped into training"
    )
    flip: bool = True  # random horizontal flips, same for photo and sketch (the command line's --no-flip)
    rotate: float = setting(
        10.0,
        "largest random rotation, degrees (the same for photo and sketch)",
        label="Random rotation up to (degrees)",
        low=0,
        high=30,
        step=1.0,
    )
    data: str = setting(
        "", "zip of pairs: photos/ and sketches/ (or A/ and B/) with matching names (default: the built-in pairs)"
    )
    style: str = setting(
        "pencil",
        "what draws the built-in targets: the slow pencil drawing (default) or a quick filter",
        label="What draws the targets",
        choices=STYLES,
    )
    pairs: int = setting(
        320, "crops cut from the photos or uploaded pairs", label="Crops to train on", options=(32, 64, 160, 320, 640)
    )
    init: str = setting("", "start from these weights (.keras or .weights.h5), e.g. the 256 model for 512")
    seed: int = setting(0, "the random seed (crops, flips, weights)")

    def __post_init__(self) -> None:
        if self.size not in SIZES:
            raise ValueError(f"size must be one of {SIZES}, not {self.size}.")
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {', '.join(ARCHITECTURES)}, not {self.architecture!r}.")
        if not 4 <= self.width <= 256:
            raise ValueError("width must be between 4 and 256 filters.")
        if not 2 <= self.depth <= 6:
            raise ValueError("depth must be between 2 and 6 levels.")
        if not 0 <= self.perceptual <= 100:
            raise ValueError("perceptual must be between 0 (off) and 100.")
        if self.epochs < 1:
            raise ValueError("epochs must be at least 1.")
        if not 1 <= self.batch_size <= 256:
            raise ValueError("batch_size must be between 1 and 256.")
        if not 0 < self.learning_rate <= 0.1:
            raise ValueError("learning_rate must be above 0 and at most 0.1.")
        if self.patience < 1:
            raise ValueError("patience must be at least 1 epoch.")
        if not 0.05 <= self.validation_split <= 0.5:
            raise ValueError("validation_split must be between 0.05 and 0.5.")
        if not 0 <= self.rotate <= 45:
            raise ValueError("rotate must be between 0 and 45 degrees.")
        if self.style not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}, not {self.style!r}.")
        if self.pairs < MIN_PAIRS:
            raise ValueError(f"pairs must be at least {MIN_PAIRS}.")


# --- what a training costs, said before Start (core/jobs/estimates.py) --------------------------
# Work is counted in pair-epochs at 256 px (a 512 px pair is four); the perceptual term about
# doubles a step. The first guess stands until trainings have finished on the server: 320 crops
# take about 15 s an epoch at 256 px with the U-Net on 2 CPU cores (bench/results/sketch.txt).
FIRST_GUESS_SECONDS_PER_PAIR_EPOCH = {"cpu": 0.047, "mps": 0.01, "cuda": 0.003}
START_SECONDS = 25.0  # TensorFlow loading and the built-in pairs drawn by the slow pencil method


def plan(config: SketchConfig):
    """The work of a training that runs all its epochs (early stopping may end it sooner)."""
    from core.jobs.estimates import Plan

    work = config.epochs * config.pairs * (config.size / 256) ** 2 * (2.0 if config.perceptual else 1.0)
    kind = f"{config.architecture}-{config.width}-{config.depth}-{config.batch_size}"
    return Plan(work=work, kind=kind, start_seconds=START_SECONDS)

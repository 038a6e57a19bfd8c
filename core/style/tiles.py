"""Tiles for big pictures: where each step's tiles go, a seam measure, and what a size costs.

Past the device's size cap (and for print sizes, 2048 px and up), the picture is first
optimised whole at a size the device holds, then refined at full size in tiles. Each step lays
a grid of tile cores over the picture shifted by a new random offset, so no tile border stays
in one place long enough to leave a seam; each core is seen with a margin of context around it
(the network's receptive field), and only the core takes that tile's gradient. Light: numpy only.
"""

from __future__ import annotations

import os

import numpy as np

from core.style.config import StyleConfig

MARGIN = 32  # context pixels around each core; the VGG layers used see this far and more
TILE = {"cpu": 384, "mps": 768, "cuda": 1024}  # core side per device: one tile's activations fit easily
LARGEST = 8192  # longest side the tiled mode takes at all
# Seconds per megapixel per step, measured with bench/style.py (CPU: this 2-core machine; the GPU
# figure is a placeholder until bench/gpu.py has run on one). Used only to tell the user before
# a run starts how long it will take.
SECONDS_PER_MEGAPIXEL_STEP = {"cpu": 4.5, "mps": 1.0, "cuda": 0.05}


def fit_size(image, size: int) -> tuple[int, int]:
    """(width, height) of ``image`` (a PIL picture) with its longer side at ``size`` px."""
    scale = size / max(image.size)
    return max(1, round(image.width * scale)), max(1, round(image.height * scale))


def check_tiled(config: StyleConfig, shape: tuple[int, int], device_type: str) -> None:
    """Refuse, before anything starts, a tiled size the device cannot hold (with the figures)."""
    if config.size > LARGEST:
        raise ValueError(f"{config.size} px is over the tiled mode's largest size, {LARGEST} px.")
    if config.region_styles:
        raise ValueError("Regional style and the tiled mode do not work together yet: choose one.")
    cost = estimate(shape, config.steps - config.steps // 2, device_type)
    free = available_memory(device_type)
    if free is not None and cost["bytes"] > 0.8 * free:
        raise ValueError(
            f"A tiled run at {shape[0]}x{shape[1]} px needs about {cost['bytes'] / 2**30:.1f} GB, and "
            f"this {device_type.upper()} has {free / 2**30:.1f} GB free: choose a smaller size."
        )


def tile_boxes(height: int, width: int, tile: int, offset: tuple[int, int], margin: int = MARGIN):
    """[(core, context)] for one step, each box (top, left, bottom, right): the cores tile the
    picture exactly once (no pixel twice, none missed); the grid is shifted by ``offset``."""
    if tile < 1:
        raise ValueError("tile must be at least 1 px.")
    offset_y, offset_x = offset[0] % tile, offset[1] % tile
    rows = sorted({0, height, *range(offset_y, height, tile)})
    columns = sorted({0, width, *range(offset_x, width, tile)})
    boxes = []
    for top, bottom in zip(rows, rows[1:]):
        for left, right in zip(columns, columns[1:]):
            context = (
                max(0, top - margin),
                max(0, left - margin),
                min(height, bottom + margin),
                min(width, right + margin),
            )
            boxes.append(((top, left, bottom, right), context))
    return boxes


def offsets(steps: int, tile: int, seed: int = 0) -> list[tuple[int, int]]:
    """A new random grid offset for every step (the same for a seed)."""
    generator = np.random.default_rng(seed)
    return [(int(y), int(x)) for y, x in generator.integers(0, tile, size=(steps, 2))]


def seam_score(picture: np.ndarray, period: int | None = None) -> float:
    """How much the strongest column or row edge stands out: the largest mean absolute step
    between neighbouring columns (or rows) over the median one. A seam (a tile border that never
    moved) shows as one line much sharper than the rest; on a seamless picture this stays near
    the ratio a natural picture has. With ``period``, only lines at multiples of it are compared
    with the median (the borders of a fixed grid)."""
    grey = np.asarray(picture, np.float32)
    grey = grey.mean(axis=2) if grey.ndim == 3 else grey
    scores = []
    for steps in (np.abs(np.diff(grey, axis=1)).mean(axis=0), np.abs(np.diff(grey, axis=0)).mean(axis=1)):
        lines = steps[period - 1 :: period] if period else steps
        scores.append(float(lines.max() / max(np.median(steps), 1e-6)))
    return max(scores)


def estimate(size: tuple[int, int], steps: int, device_type: str) -> dict:
    """What a tiled run at ``size`` (width, height) will cost: seconds and memory."""
    width, height = size
    megapixels = width * height / 1e6
    tile = TILE.get(device_type, TILE["cpu"])
    # The picture, its gradient, Adam's two moments and the content picture (float32, 3 channels),
    # plus one tile's VGG activations and their gradients (about 1.2 kB per context pixel).
    picture_bytes = 5 * 3 * 4 * width * height
    tile_bytes = 1200 * (tile + 2 * MARGIN) ** 2
    return {
        "seconds": SECONDS_PER_MEGAPIXEL_STEP.get(device_type, 9.0) * megapixels * steps,
        "bytes": picture_bytes + tile_bytes,
        "tile": tile,
    }


def available_memory(device_type: str) -> int | None:
    """Free memory on the device, in bytes (None where it cannot be told)."""
    if device_type == "cuda":
        import torch

        return int(torch.cuda.mem_get_info()[0])
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None

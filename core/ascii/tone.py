"""Grey levels to ink: resampling, local contrast, levels, polarity and line art.

Before matching, a photo's tones are prepared the way a printer would: local contrast (CLAHE,
adaptive histogram equalisation), a stretch of the 2nd-98th percentiles to the full range and
a mild S-curve (contrast 1.5). Glyphs can only grey a cell by a quarter at most (the densest,
'@', inks about 25% of it), so text has far less tonal range than a photo; spending that range
on the picture's local structure rather than on its overall lighting is what keeps faces and
edges readable. A picture with few mid-tones (a drawing, a logo, text) is line art instead.

Everything here is NumPy and Pillow, but for local contrast: importing OpenCV costs a
one-picture command line 20-40 ms, so it is imported only when CLAHE runs (photos with local
contrast on; line art and ``local_contrast=0`` never load it). A NumPy CLAHE was tried: it
matched OpenCV within one grey level, but took 3-5 ms a picture at 80-100 columns against
OpenCV's 0.5 ms, and 35 ms against 4 ms at 320 columns, so batches lost more than the import.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from core.ascii import AsciiConfig

LEVELS_PERCENTILES = (2.0, 98.0)  # auto levels: these percentiles of the picture become white and black
CLAHE_TILES = 8  # local contrast works on an 8 x 8 grid of tiles, whatever the picture's size
LINE_ART_MIDTONES = 0.2  # a picture with fewer mid-tones than this (of its pixels) is line art
# Auto polarity: a picture whose median grey lies below this (0-255) is drawn light on dark.
# Calibrated on the bench set (bench/ascii.py): see choose_polarity.
SCREEN_BELOW_MEDIAN = 24


def grey(pixels: np.ndarray) -> np.ndarray:
    """Luminance (uint8) of an RGB or grey uint8 array: Pillow's ITU-R 601-2 conversion, the same
    one ``images.load_image(grey=True)`` uses, so a grey file and its RGB original give the same
    text (and twice as fast as the same sum in NumPy)."""
    return pixels if pixels.ndim == 2 else np.asarray(Image.fromarray(pixels).convert("L"))


def histogram(grey_pixels: np.ndarray) -> np.ndarray:
    """Counts of the 256 grey levels (float64)."""
    return np.bincount(grey_pixels.ravel(), minlength=256).astype(np.float64)


def resample(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A uint8 picture at ``size`` (width, height): area-averaged where it shrinks, bilinear
    where it has to grow (a picture with fewer pixels than the text has samples)."""
    height, width = pixels.shape[:2]
    if (width, height) == tuple(size):
        return pixels
    shrinking = size[0] <= width and size[1] <= height
    filter = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(pixels).resize(size, filter))


def local_contrast(pixels: np.ndarray, clip_limit: float, tiles: int = CLAHE_TILES) -> np.ndarray:
    """Contrast-limited adaptive histogram equalisation (CLAHE) of a grey uint8 picture, by
    OpenCV, imported here and only here (see the module docstring)."""
    import cv2

    return cv2.createCLAHE(clipLimit=float(clip_limit), tileGridSize=(tiles, tiles)).apply(pixels)


def is_line_art(counts: np.ndarray) -> bool:
    """True for a nearly two-tone picture (a drawing, a logo, text), from its grey histogram:
    few pixels sit between 20% and 80% of its range. The bench photos have 42-95% such
    mid-tones, pictures of glyphs under 10%."""
    used = np.flatnonzero(counts)
    low, high = used[0], used[-1]
    middle = counts[int(np.ceil(low + 0.2 * (high - low))):int(low + 0.8 * (high - low)) + 1]
    return bool(middle.sum() < LINE_ART_MIDTONES * counts.sum())


def choose_polarity(counts: np.ndarray, config: AsciiConfig) -> tuple[str, str]:
    """(paper | screen, why) for the picture whose grey histogram is ``counts``.

    The rule for auto: the tone that covers most of the picture is its background, and a
    background should cost no ink, so that the glyphs go to the subject. When more than half
    the picture is darker than SCREEN_BELOW_MEDIAN (a night sky, a low-key portrait, a dark
    stage), the text is drawn light on a dark screen; otherwise dark on light paper. Dark ink
    on paper would fill such a picture with dense glyphs and leave its bright subject as the
    only blank, which is how a night sky became a wall of ``BBBBMB@``.
    """
    if config.polarity != "auto":
        return config.polarity, "as set"
    cumulative = np.cumsum(counts)
    median = int(np.searchsorted(cumulative, cumulative[-1] / 2))
    if median < SCREEN_BELOW_MEDIAN:
        return "screen", (f"half the picture is darker than grey {median} of 255, so its background is "
                          "dark: light glyphs on a dark ground spend the ink on the bright subject")
    return "paper", (f"half the picture is lighter than grey {median} of 255: dark ink on light paper "
                     "draws its darker subject")


def tone_curve(counts: np.ndarray, config: AsciiConfig, polarity: str) -> np.ndarray:
    """Ink for each of the 256 grey levels, given the grey histogram it is levelled by (float32).
    On paper ink is darkness; on a screen it is light (the glyphs are the bright part)."""
    light = np.arange(256, dtype=np.float32) / 255
    if config.auto_levels:
        cumulative = np.cumsum(counts) / max(counts.sum(), 1.0)
        low, high = (int(np.searchsorted(cumulative, q / 100)) for q in LEVELS_PERCENTILES)
        if high - low < 16:  # a nearly two-tone picture (a glyph, a drawing): use its extremes
            used = np.flatnonzero(counts)
            low, high = int(used[0]), int(used[-1])
        if high > low:
            light = np.clip((light - low / 255) * (255 / (high - low)), 0.0, 1.0)
    if config.contrast != 1.0:
        light = np.clip((light - 0.5) * config.contrast + 0.5, 0.0, 1.0)
    if config.gamma != 1.0:
        light = light ** np.float32(config.gamma)
    return (light if polarity == "screen" else 1.0 - light).astype(np.float32)

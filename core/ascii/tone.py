"""Grey levels to ink: resampling, local contrast, levels, polarity and line art.

Before matching, a photo's tones are prepared the way a printer would: local contrast (CLAHE,
adaptive histogram equalisation), a stretch of the 2nd-98th percentiles to the full range and
a mild S-curve (contrast 1.5) about the picture's median tone. Glyphs can only grey a cell by
about a third at most (the densest, '@', inks about 30% of it at reading sizes), so text has far
less tonal range than a photo; spending that range on the picture's local structure rather than
on its overall lighting is what keeps faces and edges readable. A picture with few mid-tones and
flat fills (a drawing, a logo, text) is line art instead.

Everything here is NumPy and Pillow, but for local contrast: importing OpenCV costs a
one-picture command line 20-40 ms, so it is imported only when CLAHE runs (photos with local
contrast on; line art and ``local_contrast=0`` never load it). A NumPy CLAHE was tried: it
matched OpenCV within one grey level, but took 3-5 ms a picture at 80-100 columns against
OpenCV's 0.5 ms, and 35 ms against 4 ms at 320 columns, so batches lost more than the import.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PIL import Image

from core.ascii import AsciiConfig

LEVELS_PERCENTILES = (2.0, 98.0)  # auto levels: these percentiles of the picture become white and black
CLAHE_TILES = 8  # local contrast works on an 8 x 8 grid of tiles, whatever the picture's size
FLAT_SPAN = 16  # grey levels: a picture whose 2nd-98th percentiles lie closer than this is one flat ground
LINE_ART_MIDTONES = 0.2  # a picture with fewer mid-tones than this (of its pixels) is line art...
LINE_ART_FLAT = 0.5  # ...if at least this share of its pixels equal their neighbours (see is_line_art)
# Auto polarity (see choose_polarity): screen when its brightness matches the picture better than
# paper's by more than SCREEN_MARGIN (a near tie stays on paper, Atelier's own look); a video keeps
# the polarity it has until the other one leads by STEADY_MARGIN, so that the text does not flip
# between black and white on a scene near the tie.
SCREEN_MARGIN = 0.02
STEADY_MARGIN = 0.05
_SSIM_C1 = (0.01 * 255) ** 2  # SSIM's stabilising constant for means of 8-bit images


def grey(pixels: np.ndarray) -> np.ndarray:
    """Luminance (uint8) of an RGB or grey uint8 array: Pillow's ITU-R 601-2 conversion, the same
    one ``images.load_image(grey=True)`` uses, so a grey file and its RGB original give the same
    text (and twice as fast as the same sum in NumPy)."""
    return pixels if pixels.ndim == 2 else np.asarray(Image.fromarray(pixels).convert("L"))


def histogram(grey_pixels: np.ndarray) -> np.ndarray:
    """Counts of the 256 grey levels (float64), by Pillow: the same counts as ``np.bincount``,
    counted in one C pass over the bytes (a picture takes three of them)."""
    if grey_pixels.dtype != np.uint8 or grey_pixels.ndim != 2:
        raise ValueError("Expected a grey uint8 picture.")
    return np.asarray(Image.fromarray(grey_pixels).histogram(), np.float64)


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


def is_flat_ground(counts: np.ndarray) -> bool:
    """True when 96% of the picture lies within FLAT_SPAN grey levels: one flat ground with a few
    details (a night sky and its stars, a blank page with a mark). Its levels are its extremes,
    not its percentiles, which would stretch the ground's grain to full range and leave the
    details out. Local contrast is skipped for it: CLAHE would stretch the grain across each
    tile's range first (a synthetic sky of grey 0-11 with a few stars came out 0% blank with it,
    over 80% without)."""
    low, high = _percentiles(counts)
    return high - low < FLAT_SPAN


def is_line_art(counts: np.ndarray, picture: np.ndarray) -> bool:
    """True for a drawing, a logo or text: nearly two-tone, from its grey histogram (few pixels
    sit between 20% and 80% of its range), and drawn in flat fills (most pixels equal their
    neighbours, within a grey level: ``LINE_ART_FLAT``). The bench photos have 42-95% such
    mid-tones, pictures of glyphs under 10%. The flat fills tell a low-key photo from a drawing:
    the Hubble deep field has 5% mid-tones, as few as a drawing, but its dark sky is grain, flat
    at 5% of its pixels, where a drawing or a silhouette on a light box is flat at 75-98%. Read as
    line art, the sky's grain was matched stroke for stroke into a wall of ':;!'; read as a photo,
    it is sampled and levelled first and stays a sparse dusting. ``picture``: the grey picture
    (the first frame of an animation), looked at only when the histogram says two-tone."""
    used = np.flatnonzero(counts)
    low, high = used[0], used[-1]
    middle = counts[int(np.ceil(low + 0.2 * (high - low))) : int(low + 0.8 * (high - low)) + 1]
    if middle.sum() >= LINE_ART_MIDTONES * counts.sum():
        return False
    levels = picture.astype(np.int16)
    across = np.abs(np.diff(levels, axis=1))[:-1] <= 1
    down = np.abs(np.diff(levels, axis=0))[:, :-1] <= 1
    return bool((across & down).mean() >= LINE_ART_FLAT) if across.size else True


def choose_polarity(
    counts: np.ndarray, config: AsciiConfig, ink_range: float, previous: str | None = None
) -> tuple[str, str]:
    """(paper | screen, why) for the picture whose grey histogram is ``counts``.

    The rule for auto: text can only shade a cell by ``ink_range`` (the densest glyph's share of
    its cell, about 30%), so paper shows the top 30% of the grey scale and a screen the bottom
    30%. Each grey level of the picture is put through that polarity's tone curve onto the page,
    and the page's brightness is compared with the picture's as SSIM compares means,
    (2 a b + c) / (a^2 + b^2 + c), averaged over the picture's pixels: the brightness match. Screen
    wins when it matches better by more than SCREEN_MARGIN. A night sky, a black notebook or a
    lit disc on black match a screen; faces, landscapes and things on a table match paper. Dark
    ink on paper would fill a night sky with dense glyphs and leave its stars as the only blank,
    which is how it became a wall of ``BBBBMB@``. On the 15 bench photos at 80 columns this
    rule picks the polarity that scores higher at cell scale on 13 and after a blur on 14; where
    it does not (a football photo, a silhouette on a light box, a retina), the two measures
    disagree on which is better. ``previous``, for a video's frames: keep it unless the other
    polarity leads by STEADY_MARGIN.
    """
    if config.polarity != "auto":
        return config.polarity, "as set"
    levels = np.arange(256, dtype=np.float64)
    # Judged at the default contrast and gamma, not the user's: those style the text once the
    # polarity is chosen, and a gamma raised to blank a night sky's dim ground must not flip the
    # sky onto paper (nor a slider move flip any picture). Levels are the picture's own.
    neutral = dataclasses.replace(config, contrast=AsciiConfig.contrast, gamma=AsciiConfig.gamma)
    match = {}
    for polarity in ("paper", "screen"):
        ink = tone_curve(counts, neutral, polarity).astype(np.float64) * ink_range
        page = 255 * (ink if polarity == "screen" else 1.0 - ink)
        similar = (2 * levels * page + _SSIM_C1) / (levels**2 + page**2 + _SSIM_C1)
        match[polarity] = float((counts * similar).sum() / max(counts.sum(), 1.0))
    lead = match["screen"] - match["paper"]
    if previous in ("paper", "screen"):
        margin = -STEADY_MARGIN if previous == "screen" else STEADY_MARGIN
    else:
        margin = SCREEN_MARGIN
    polarity = "screen" if lead > margin else "paper"
    scores = (
        f"brightness match {match[polarity]:.0%} against {match[_other(polarity)]:.0%}; "
        f"median grey {_median(counts)} of 255"
    )
    if polarity == "screen":
        return "screen", (
            f"light glyphs on a dark ground match the picture's brightness better than dark ink on paper ({scores})"
        )
    return "paper", (
        f"dark ink on light paper matches the picture's brightness "
        f"{'better than' if lead < 0 else 'as well as'} light glyphs on a dark ground ({scores})"
    )


def _median(counts: np.ndarray) -> int:
    cumulative = np.cumsum(counts)
    return int(np.searchsorted(cumulative, cumulative[-1] / 2))


def _percentiles(counts: np.ndarray) -> tuple[int, int]:
    """The grey levels at LEVELS_PERCENTILES of the histogram ``counts``."""
    cumulative = np.cumsum(counts) / max(counts.sum(), 1.0)
    low, high = (int(np.searchsorted(cumulative, q / 100)) for q in LEVELS_PERCENTILES)
    return low, high


def _other(polarity: str) -> str:
    return "paper" if polarity == "screen" else "screen"


def tone_curve(counts: np.ndarray, config: AsciiConfig, polarity: str) -> np.ndarray:
    """Ink for each of the 256 grey levels, given the grey histogram it is levelled by (float32).
    On paper ink is darkness; on a screen it is light (the glyphs are the bright part)."""
    light = np.arange(256, dtype=np.float32) / 255
    if config.auto_levels:
        if is_flat_ground(counts):  # a glyph on paper, stars on a sky: the extremes are the levels
            used = np.flatnonzero(counts)
            low, high = int(used[0]), int(used[-1])
        else:
            low, high = _percentiles(counts)
        if high > low:
            light = np.clip((light - low / 255) * (255 / (high - low)), 0.0, 1.0)
    if config.contrast != 1.0:
        # Contrast is raised about the picture's own middle tone (its median grey, levelled), not
        # about mid-grey: pivoting at 0.5 clipped everything below a sixth of the range to black,
        # so a night sky lost its dim ground and drew as blank screen around its stars, which is
        # not the picture (SSIM after a blur 0.33 there, against chafa's 0.56; 0.78 about its
        # median). For a photo of ordinary exposure the median is near mid-grey anyway.
        pivot = light[_median(counts)]
        light = np.clip((light - pivot) * config.contrast + pivot, 0.0, 1.0)
    if config.gamma != 1.0:
        light = light ** np.float32(config.gamma)
    return (light if polarity == "screen" else 1.0 - light).astype(np.float32)

"""How well the text shows its source: SSIM at three scales (the page's metrics and the bench).

OpenCV's Gaussian blur is used here and only here, so converting a picture never loads it.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from core.ascii import tone
from core.ascii.pipeline import AsciiResult, pixels
from core.ascii.rendering import render_grey

SSIM_FONT_SIZE = 10  # px: text is compared with its source as drawn at this size


def ssim(first: np.ndarray, second: np.ndarray) -> float:
    """Mean structural similarity (Wang et al. 2004; Gaussian window, sigma 1.5) of two grey images."""
    a, b = first.astype(np.float32), second.astype(np.float32)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x):
        return cv2.GaussianBlur(x, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)

    mean_a, mean_b = blur(a), blur(b)
    var_a, var_b = blur(a * a) - mean_a**2, blur(b * b) - mean_b**2
    covariance = blur(a * b) - mean_a * mean_b
    index = ((2 * mean_a * mean_b + c1) * (2 * covariance + c2)) / ((mean_a**2 + mean_b**2 + c1) * (var_a + var_b + c2))
    return float(index[5:-5, 5:-5].mean(dtype=np.float64)) if min(index.shape) > 10 else float(index.mean())


def similarity(result: AsciiResult, source: Image.Image | np.ndarray, font_size: int = SSIM_FONT_SIZE) -> float:
    """SSIM between the text drawn at ``font_size`` and the source at the same size, both grey.

    Beware: against a photo, pixel-level SSIM also rewards leaving cells blank (a blank page
    scores well in flat regions), so compare methods with this, and keep the blank output in
    view as a floor (see bench/ascii.py).
    """
    grey = render_grey(result, font_size)
    target = tone.resample(_grey(source), (grey.shape[1], grey.shape[0]))
    return ssim(grey, target)


def cell_similarity(result: AsciiResult, source: Image.Image | np.ndarray) -> float:
    """SSIM at the scale the text can speak: one square sample per cell width (two per cell
    height), both images area-averaged from the text drawn at SSIM_FONT_SIZE. At this scale a
    blank page no longer scores well: tone and coarse placement of ink are what count.
    """
    grey = render_grey(result, SSIM_FONT_SIZE)
    rows, columns = result.indices.shape
    size = (columns, rows * 2)
    target = tone.resample(_grey(source), size)
    return ssim(tone.resample(grey, size), target)


def blurred_similarity(result: AsciiResult, source: Image.Image | np.ndarray) -> float:
    """SSIM of the text drawn at SSIM_FONT_SIZE and the source at that size, both blurred by a
    Gaussian of half a character's width first: the page seen from where single strokes no
    longer resolve. A second viewing-distance measure beside ``cell_similarity`` that does not
    depend on where cell borders fall."""
    grey = render_grey(result, SSIM_FONT_SIZE).astype(np.float32)
    target = tone.resample(_grey(source), (grey.shape[1], grey.shape[0]))
    sigma = 0.5 * grey.shape[1] / result.indices.shape[1]
    return ssim(cv2.GaussianBlur(grey, (0, 0), sigma), cv2.GaussianBlur(target.astype(np.float32), (0, 0), sigma))


def _grey(image: Image.Image | np.ndarray) -> np.ndarray:
    return tone.grey(pixels(image))

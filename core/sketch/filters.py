"""The classical pencil filters: quick ones for comparison, and the slow pencil drawing
(``core.sketch.pencil``) the shipped models learned. All take RGB uint8 and give grey uint8."""

from __future__ import annotations

import cv2
import numpy as np

from core.sketch import pencil
from core.sketch.config import STYLES


def grey(photo: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB (or HxW) to HxW uint8 luminance."""
    photo = np.asarray(photo)
    return photo if photo.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(photo[:, :, :3]), cv2.COLOR_RGB2GRAY)


def dodge_and_burn(photo: np.ndarray, relative_sigma: float = 0.02) -> np.ndarray:
    """The classic pencil sketch: grey divided by the blurred inverse ("colour dodge").

    Flat regions come out white, edges dark; the blur's sigma, ``relative_sigma`` times the
    longer side (5 px at 256), sets how far from an edge the shading reaches, so a picture gets
    the same look at any resolution. Returns HxW uint8.
    """
    luminance = grey(photo)
    sigma = max(0.5, relative_sigma * max(luminance.shape))
    blurred_inverse = cv2.GaussianBlur(255 - luminance, (0, 0), sigma)
    return cv2.divide(luminance, 255 - blurred_inverse, scale=256.0)


def xdog(
    photo: np.ndarray,
    relative_sigma: float = 0.003,
    k: float = 1.6,
    tau: float = 0.98,
    epsilon: float = 0.0,
    phi: float = 100.0,
) -> np.ndarray:
    """Extended difference of Gaussians (Winnemöller et al., 2012): clean ink-like edges.

    On flat areas the difference is (1 - tau) x brightness >= epsilon, so they stay white; the
    dark side of an edge goes below and is inked, softly (tanh with slope ``phi``).
    """
    luminance = grey(photo).astype(np.float32) / 255.0
    sigma = max(0.5, relative_sigma * max(luminance.shape))
    difference = cv2.GaussianBlur(luminance, (0, 0), sigma) - tau * cv2.GaussianBlur(luminance, (0, 0), sigma * k)
    drawn = np.where(difference >= epsilon, 1.0, 1.0 + np.tanh(phi * (difference - epsilon)))
    return (np.clip(drawn, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def opencv_pencil(photo: np.ndarray) -> np.ndarray:
    """OpenCV's ``pencilSketch`` (domain-transform filter), grey output, for comparison."""
    bgr = cv2.cvtColor(np.ascontiguousarray(photo[:, :, :3]), cv2.COLOR_RGB2BGR)
    pencil_grey, _ = cv2.pencilSketch(bgr, sigma_s=60, sigma_r=0.07, shade_factor=0.05)
    return pencil_grey


def pencil_filter(photo: np.ndarray, style: str) -> np.ndarray:
    if style == "dodge-and-burn":
        return dodge_and_burn(photo)
    if style == "xdog":
        return xdog(photo)
    if style == "pencil":
        return pencil.draw(photo)[0]
    raise ValueError(f"Unknown sketch style {style!r}; use one of {', '.join(STYLES)}.")


def adjust(sketch: np.ndarray, darkness: float = 1.0, line_weight: int = 0) -> np.ndarray:
    """After the model: ``darkness`` > 1 darkens the grey tones (a gamma), ``line_weight`` > 0
    thickens dark lines by that many pixels (grey erosion), < 0 thins them. HxW uint8 in and out."""
    if darkness <= 0:
        raise ValueError("darkness must be positive.")
    result = np.asarray(sketch, dtype=np.uint8)
    if line_weight:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(line_weight) + 1,) * 2)
        result = cv2.erode(result, kernel) if line_weight > 0 else cv2.dilate(result, kernel)
    if darkness != 1.0:
        table = (np.power(np.arange(256) / 255.0, darkness) * 255.0 + 0.5).astype(np.uint8)
        result = table[result]
    return result


def resize_to_side(photo: np.ndarray, side: int) -> np.ndarray:
    """Scale (down or up) so that the longer side is ``side`` pixels."""
    height, width = photo.shape[:2]
    scale = side / max(height, width)
    new_size = (max(8, round(width * scale)), max(8, round(height * scale)))
    return cv2.resize(
        np.ascontiguousarray(photo[:, :, :3]), new_size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    )

"""The text drawn in its font, one cell per character: ink on paper or glyphs on a screen."""

from __future__ import annotations

import functools

import numpy as np

from core.ascii import tone
from core.ascii.fonts import Font, render_glyphs
from core.ascii.pipeline import AsciiResult


def render(result: AsciiResult, font_size: int | None = None) -> np.ndarray:
    """The text drawn in its font, as an RGB uint8 image (one cell per character)."""
    ink = _ink_image(result, font_size or result.config.font_size)
    if result.config.colour_mode != "colour":
        grey = ink if result.screen else 255 - ink
        return np.repeat(grey[:, :, None], 3, axis=2)
    cell_h, cell_w = ink.shape[0] // result.rows, ink.shape[1] // result.indices.shape[1]
    alpha = ink[:, :, None].astype(np.float32) * np.float32(1 / 255)
    colours = np.repeat(np.repeat(result.colours, cell_h, axis=0), cell_w, axis=1).astype(np.float32)
    paper = np.float32(0 if result.screen else 255)
    return (paper + (colours - paper) * alpha + 0.5).astype(np.uint8)


def render_grey(result: AsciiResult, font_size: int | None = None) -> np.ndarray:
    """The rendered text's luminance (uint8), without building RGB when it is mono."""
    if result.config.colour_mode == "colour":
        return tone.grey(render(result, font_size))
    ink = _ink_image(result, font_size or result.config.font_size)
    return ink if result.screen else 255 - ink


def _ink_image(result: AsciiResult, size: int) -> np.ndarray:
    bitmaps, cell_h, cell_w = _output_glyphs(result.font, result.characters, size)
    rows, columns = result.indices.shape
    return bitmaps[result.indices].transpose(0, 2, 1, 3).reshape(rows * cell_h, columns * cell_w)


@functools.lru_cache(maxsize=16)
def _output_glyphs(font: Font, characters: str, size: int) -> tuple[np.ndarray, int, int]:
    bitmaps, cell_h, cell_w = render_glyphs(font, characters, size)
    return (bitmaps * 255 + 0.5).astype(np.uint8), cell_h, cell_w

"""Glyph and cell features from a bank of 3x3 filters, and the nearest-glyph search.

Each cell is filtered on its own (edges replicated), exactly like a glyph, so its features do
not depend on its neighbours. The feature vector holds the blurred ink map and the direction
of the edge responses (unit length); a cell takes the nearest glyph under a weighted Minkowski
distance of order p in which the direction counts in proportion to the cell's own edge
strength (see ``nearest``). Why not raw responses, as a first reading of the method suggests:
a glyph is drawn in hard strokes and a photo cell is smooth, so unblurred responses put nearly
every cell next to ' ' or '@' (we measured 42-100% spaces). Why not one tone per cell (our
first version): it throws away where in the cell the ink is, and the blurred map keeps it.

On the 12 bench photos at 80 columns (bench/ascii.py, SSIM at cell scale), the first version
scored 0.29, the blurred ink map 0.46, with local contrast and levels 0.51, with the S-curve
0.53; chafa scores 0.39. These defaults were chosen on those photos, so the bench is not a
held-out test of them.

Everything is vectorised: the filter bank is a fixed linear map applied to all cells at once
(see ``feature_matrix``), and for p = 2 the whole search over glyphs is one matrix product
(``nearest_from_samples``); other p use chunked array arithmetic. Nothing loops over cells in
Python.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
from PIL import Image

from core.ascii.fonts import Font, render_glyphs

# Each cell is analysed on a grid of SAMPLES_ACROSS samples across and as many down as the
# font's aspect asks for (4 x 8 for DejaVu Sans Mono). On the bench photos 5 x 10 scored the
# same SSIM at cell scale (0.502 against 0.506 at 80 columns) for 1.5x the time.
SAMPLES_ACROSS = 4
# Glyphs are measured as a screen draws them: rendered at the sizes text is read at, each
# area-averaged down to the cell's sample grid, and averaged over the sizes. At these sizes hinting
# and anti-aliasing change which glyph is darkest and where its ink sits: '@' inks 33% of its
# cell at 10 px and 30% at 14 px, the most of any glyph, but 27% at 64 px, fifth after 'M', 'N',
# 'B' and 'W'. Measured once at 64 px (our first version), solid dark regions took 'B' or 'Q',
# which at 10 and 14 px read lighter than '@'. On the bench (bench/ascii.py, 15 photos
# at 80, 160 and 320 columns) mean SSIM at cell scale went from 0.512 to 0.520 and after a blur
# from 0.581 to 0.589 with these sizes, and a silhouette photo (pca_test1) from below chafa to
# above it.
GLYPH_RENDER_SIZES = (10, 12, 14, 16, 20)  # px
EDGE_FULL_STRENGTH = 0.5  # a cell whose edges are half as strong as a black|white split counts fully
_BINOMIAL = np.outer([1, 2, 1], [1, 2, 1]).astype(np.float32) / 16
_SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32) / 4
_DIAGONAL = np.array([[0, 1, 2], [-1, 0, 1], [-2, -1, 0]], np.float32) / 4
FILTERS = (
    _BINOMIAL,  # ink (applied twice for the tone features; see tone_matrix)
    _SOBEL_X,
    _SOBEL_X.T.copy(),
    _DIAGONAL,
    np.fliplr(_DIAGONAL).copy(),
)


def cell_grid(font: Font) -> tuple[int, int]:
    """(samples down, samples across) inside one cell, following the font's aspect."""
    return max(1, round(SAMPLES_ACROSS * font.aspect)), SAMPLES_ACROSS


def cell_pixels(ink: np.ndarray, rows: int, columns: int, grid: tuple[int, int]) -> np.ndarray:
    """(rows * columns, gh * gw): each cell's samples, one row per cell."""
    grid_h, grid_w = grid
    cells = ink.reshape(rows, grid_h, columns, grid_w).transpose(0, 2, 1, 3)
    return np.ascontiguousarray(cells).reshape(rows * columns, grid_h * grid_w)


@functools.lru_cache(maxsize=16)
def feature_matrix(grid: tuple[int, int]) -> np.ndarray:
    """The filter bank as one matrix M (gh * gw, K * gh * gw): responses = cell pixels @ M.

    Padding a cell (edges replicated) and filtering it are both linear in its pixels, so the
    whole bank is a fixed linear map; we build it by filtering each unit image. This lets the
    Euclidean search run on raw cell pixels (see ``nearest_from_samples``): no feature maps.
    """
    grid_h, grid_w = grid
    size = grid_h * grid_w
    units = np.eye(size, dtype=np.float32).reshape(size, grid_h, grid_w)
    padded = np.pad(units, ((0, 0), (1, 1), (1, 1)), mode="edge")
    responses = []
    for kernel in FILTERS:
        flipped = kernel[::-1, ::-1]  # filter2D correlates; keep its convention
        response = np.zeros((size, grid_h, grid_w), np.float32)
        for dy in range(3):
            for dx in range(3):
                response += flipped[2 - dy, 2 - dx] * padded[:, dy : dy + grid_h, dx : dx + grid_w]
        responses.append(response.reshape(size, size))
    return np.concatenate(responses, axis=1)


@functools.lru_cache(maxsize=8)
def tone_matrix(grid: tuple[int, int]) -> np.ndarray:
    """The ink filter applied twice, as one (S, S) matrix: a cell's blurred ink map.

    Twice because one 3x3 binomial pass (sigma ~0.7 samples) still leaves strokes and shading
    far apart; two (sigma ~1) is where SSIM at cell scale peaked on the bench photos.
    """
    size = grid[0] * grid[1]
    ink = feature_matrix(grid)[:, :size]
    return np.ascontiguousarray(ink @ ink)


@functools.lru_cache(maxsize=8)
def edge_matrix(grid: tuple[int, int]) -> np.ndarray:
    """The four edge filters as one (S, 4S) matrix (the ink filter's columns left out)."""
    size = grid[0] * grid[1]
    return np.ascontiguousarray(feature_matrix(grid)[:, size:])


@functools.lru_cache(maxsize=8)
def edge_reference(grid: tuple[int, int]) -> float:
    """Edge strength of a cell split into black and white halves: a clear, full-contrast edge."""
    half = np.zeros(grid, np.float32)
    half[:, : grid[1] // 2] = 1.0
    return float(np.linalg.norm(half.ravel() @ edge_matrix(grid)))


@dataclasses.dataclass(frozen=True)
class Features:
    """Per cell or glyph: blurred ink map (N, S), edge direction (N, 4S, unit length) and how
    much that direction counts (N,): a cell's edge strength, 1 for a glyph with strokes."""

    tone: np.ndarray
    direction: np.ndarray
    strength: np.ndarray


@functools.lru_cache(maxsize=16)
def glyph_table(font: Font, characters: str, photo: bool = True) -> tuple[Features, np.ndarray]:
    """Features and ink coverage (G,) of each glyph; cached per font and charset.

    For photos the glyphs' ink is scaled so that the densest glyph stands for black: no glyph
    inks more than about a third of its cell, and a dark photo region should take the
    darkest glyph, not a lighter one that happens to be nearer in absolute ink. Line art is
    compared stroke for stroke, unscaled, so a picture of a glyph converts back to that glyph.
    """
    grid = cell_grid(font)
    samples, coverage = glyph_samples(font, characters, grid)
    scale = 1.0 / max(coverage.max(), 1e-6) if photo else 1.0
    return describe_samples(samples * scale, grid), coverage


def glyph_samples(font: Font, characters: str, grid: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Each glyph on the cell's sample grid (G, gh * gw) and its ink coverage (G,), averaged over
    ``GLYPH_RENDER_SIZES``; from the disk cache when an earlier process drew them (``glyph_cache``)."""
    from core.ascii import glyph_cache

    name = glyph_cache.key(font.digest, characters, grid, GLYPH_RENDER_SIZES)
    cached = glyph_cache.load(name)
    if cached is not None and cached[0].shape == (len(characters), grid[0] * grid[1]):
        return cached
    samples = np.zeros((len(characters), grid[0] * grid[1]), np.float32)
    coverage = np.zeros(len(characters), np.float32)
    for size in GLYPH_RENDER_SIZES:
        bitmaps, _, _ = render_glyphs(font, characters, size)
        samples += _grid_samples(bitmaps, grid)
        coverage += bitmaps.mean(axis=(1, 2))
    samples /= len(GLYPH_RENDER_SIZES)
    coverage /= len(GLYPH_RENDER_SIZES)
    glyph_cache.save(name, samples, coverage)
    return samples, coverage


def _grid_samples(bitmaps: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """Glyph bitmaps (G, h, w) as the cell's sample grid, (G, gh * gw): each read as a continuous
    picture (bilinear, 8x the grid), then area-averaged. Straight area-averaging of a 12 x 6 px
    bitmap onto 8 x 4 samples splits pixels by hard fractions; the smooth reading is closer to how
    the glyph looks (bench SSIM after a blur 0.589 against 0.585; at cell scale the same). Both
    steps are linear and separable, so they are one matrix per axis, applied to all glyphs at once."""
    down = _resampling_matrix(bitmaps.shape[1], grid[0])
    across = _resampling_matrix(bitmaps.shape[2], grid[1])
    return np.einsum("yh,ghw,xw->gyx", down, bitmaps, across).reshape(len(bitmaps), -1)


@functools.lru_cache(maxsize=32)
def _resampling_matrix(length: int, samples: int) -> np.ndarray:
    """(samples, length): Pillow's bilinear resize to 8 x ``samples``, then its box resize to
    ``samples``, along one axis, found by resampling each unit vector."""
    columns = []
    for index in range(length):
        unit = np.zeros((1, length), np.float32)
        unit[0, index] = 1.0
        fine = Image.fromarray(unit).resize((samples * 8, 1), Image.Resampling.BILINEAR)
        columns.append(np.asarray(fine.resize((samples, 1), Image.Resampling.BOX))[0])
    return np.stack(columns, axis=1)


def describe_samples(samples: np.ndarray, grid: tuple[int, int]) -> Features:
    """Blurred ink map from the ink filter, direction and strength from the four edge filters."""
    edges = samples @ edge_matrix(grid)
    magnitude = np.sqrt(np.einsum("ne,ne->n", edges, edges))
    direction = edges / np.maximum(magnitude, 1e-6)[:, None]
    return Features(
        (samples @ tone_matrix(grid)).astype(np.float32), direction.astype(np.float32), _strength(magnitude, grid)
    )


def _strength(magnitude: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    return np.minimum(1.0, magnitude / (EDGE_FULL_STRENGTH * edge_reference(grid))).astype(np.float32)


def nearest(cells: Features, glyphs: Features, p: float, edge_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact nearest glyph for every cell under a weighted Minkowski distance of order p:

        d(c, g)^p = sum |tone_c - tone_g|^p + (edge_weight * strength_c)^p * sum |dir_c - dir_g|^p

    A flat cell (strength 0) is matched on its ink map alone; the more edge a cell has, the
    more the direction of the glyph's strokes counts.
    """
    weight = (edge_weight * cells.strength).astype(np.float32)
    if p == 2:  # matrix products: |a - b|^2 = |a|^2 - 2 a.b + |b|^2
        squared = _squared_euclidean(cells.tone, glyphs.tone) + (weight**2)[:, None] * _squared_euclidean(
            cells.direction, glyphs.direction
        )
        index = squared.argmin(axis=1)
        return index, np.sqrt(np.maximum(squared[np.arange(len(index)), index], 0.0))
    index = np.empty(len(weight), np.int64)
    distance = np.empty(len(weight), np.float32)
    width = glyphs.tone.shape[1] + glyphs.direction.shape[1]
    chunk = max(1, 2_000_000 // max(1, len(glyphs.tone) * width))  # difference blocks near 8 MB
    for start in range(0, len(weight), chunk):
        part = slice(start, start + chunk)
        total = _minkowski_power(cells.tone[part, None, :], glyphs.tone[None], p)
        total += (weight[part] ** p)[:, None] * _minkowski_power(
            cells.direction[part, None, :], glyphs.direction[None], p
        )
        index[part] = total.argmin(axis=1)
        distance[part] = total.min(axis=1) ** (1.0 / p)
    return index, distance


def nearest_from_samples(
    samples: np.ndarray, grid: tuple[int, int], glyphs: Features, edge_weight: float
) -> tuple[np.ndarray, np.ndarray]:
    """``nearest`` for p = 2 as one matrix product over the raw cell samples.

    Both filters are linear (tone = x T, edges = x E), so with w the cell's weight and m its
    edge length |x E|, the part of d^2 that depends on the glyph g is

        -2 x.(T tone_g) + |tone_g|^2 + w^2 |dir_g|^2 - 2 (w^2 / m) x.(E dir_g)
        = [x, -2 w^2 / m * x, 1, w^2] . [-2 T tone_g, E dir_g, |tone_g|^2, |dir_g|^2]

    a product of an (N, 2S + 2) by a (2S + 2, G) matrix; the parts that depend on the cell
    alone are added back for the chosen glyph only.
    """
    tone, edges = tone_matrix(grid), edge_matrix(grid)
    magnitude = np.sqrt(np.maximum(np.einsum("ns,ns->n", samples @ _gram(grid), samples), 0.0))
    weight2 = (edge_weight * _strength(magnitude, grid)) ** 2
    scale = (-2.0 * weight2 / np.maximum(magnitude, 1e-6)).astype(np.float32)
    left = np.empty((len(samples), 2 * samples.shape[1] + 2), np.float32)
    size = samples.shape[1]
    left[:, :size] = samples
    np.multiply(samples, scale[:, None], out=left[:, size : 2 * size])
    left[:, -2] = 1.0
    left[:, -1] = weight2
    right = np.concatenate(
        [
            -2.0 * tone @ glyphs.tone.T,
            edges @ glyphs.direction.T,
            (glyphs.tone**2).sum(1)[None],
            (glyphs.direction**2).sum(1)[None],
        ]
    ).astype(np.float32)
    scores = left @ right
    index = scores.argmin(axis=1)
    own_tone = np.einsum("ns,ns->n", samples @ _tone_gram(grid), samples)
    own_edge = np.where(magnitude > 1e-6, weight2, 0.0)  # w^2 |dir_c|^2, |dir_c| being 0 or 1
    squared = scores[np.arange(len(index)), index] + own_tone + own_edge
    return index, np.sqrt(np.maximum(squared, 0.0)).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _gram(grid: tuple[int, int]) -> np.ndarray:
    matrix = edge_matrix(grid)
    return np.ascontiguousarray(matrix @ matrix.T)


@functools.lru_cache(maxsize=8)
def _tone_gram(grid: tuple[int, int]) -> np.ndarray:
    matrix = tone_matrix(grid)
    return np.ascontiguousarray(matrix @ matrix.T)


def _squared_euclidean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum((a**2).sum(1)[:, None] - 2.0 * a @ b.T + (b**2).sum(1)[None, :], 0.0)


def _minkowski_power(a: np.ndarray, b: np.ndarray, p: float) -> np.ndarray:
    """sum |a - b|^p over the last axis (for p = inf, the max, which behaves the same in argmin)."""
    difference = np.abs(a - b)
    if p == 1:
        return difference.sum(-1)
    if np.isinf(p):
        return difference.max(-1)
    return (difference**p).sum(-1)

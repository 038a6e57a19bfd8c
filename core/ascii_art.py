"""Structure-aware ASCII art: each character cell takes the glyph whose strokes match it.

The image is cut into character cells whose shape comes from the font's own metrics (advance
width against ascent + descent), so circles stay round. Every cell, and every candidate glyph
rendered in the same monospace font, is sampled on the same small grid of "ink" values
(1 = dark ink on white paper) and run through a bank of 3x3 filters:

    ink      box mean: how much ink (the cell's tone)
    edge |   Sobel x: vertical strokes, and on which side the ink is
    edge -   Sobel y: horizontal strokes (underscores, dashes, bars of E and F)
    edge /   and edge \\: the two diagonals (slashes, V, X, chevrons)

Each cell is filtered on its own (edges replicated), exactly like a glyph, so its features do
not depend on its neighbours. The feature vector holds the tone and the direction of the edge
responses (unit length), and the cell takes the nearest glyph under a weighted Minkowski
distance of order p in which the direction counts in proportion to the cell's own edge
strength (see ``nearest``). Why not one flat vector of raw responses, as a first reading of
the method suggests: a glyph is drawn in hard strokes and a photo cell is smooth, so raw
responses put nearly every cell next to ' ' or '@' (we measured 42-100% spaces); scaling the
structure by the cell's own contrast keeps flat regions matched on tone, like a ramp, and lets
edges pick glyphs that run the same way. Tones are scaled so that the densest glyph (about a
quarter of its cell inked) stands for black.

Everything is vectorised: the filter bank is one fixed matrix applied to all cells at once
(see ``feature_matrix``), and the search over glyphs is matrix products for p = 2 and chunked
array arithmetic otherwise; nothing loops over cells in Python.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import html
import io
import os
import string
import struct
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from core.ascii_options import CHARSET_NAMES, EXPORT_FORMATS  # noqa: F401 (re-exported)

CHARSETS = {
    "ascii": "".join(chr(code) for code in range(32, 127)),  # all printable ASCII
    "ramp": " .:-=+*#%@",  # the classic short ramp
    "letters": " " + string.ascii_letters,
    "symbols": " " + "".join(ch for ch in string.punctuation),
}
COLOUR_MODES = ("mono", "colour")
METHODS = ("structure", "ramp")
MAX_COLUMNS = 400
# Each cell is analysed on a grid of SAMPLES_ACROSS samples across and as many down as the
# font's aspect asks for (8x16 would describe glyphs better, but costs 4x the time for little
# gain in SSIM on photos; 5 across keeps a 160-column slider move well under 50 ms).
SAMPLES_ACROSS = 5
GLYPH_RENDER_SIZE = 64  # px: glyphs are drawn large, then area-averaged down to the grid
TONE_BLOCKS = (1, 1)
EDGE_FULL_STRENGTH = 0.5
_SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32) / 4
_DIAGONAL = np.array([[0, 1, 2], [-1, 0, 1], [-2, -1, 0]], np.float32) / 4
FILTERS = (
    np.full((3, 3), 1 / 9, np.float32),
    _SOBEL_X,
    _SOBEL_X.T.copy(),
    _DIAGONAL,
    np.fliplr(_DIAGONAL).copy(),
)


@dataclasses.dataclass
class AsciiConfig:
    columns: int = 100  # characters per line; the number of lines follows from the font's cell shape
    p: float = 2.0  # Minkowski order of the glyph distance: 1 city-block, 2 Euclidean, large ~ max
    charset: str = "ascii"  # ascii | ramp | letters | symbols | custom
    custom_charset: str = ""  # the characters to use when charset is "custom"
    include: str = ""  # extra characters to allow on top of the charset
    exclude: str = ""  # characters never to use
    font: str = ""  # path to a monospace TTF/OTF; "" = DejaVu Sans Mono (ships with matplotlib)
    font_size: int = 14  # px; the size of rendered exports (png, svg, html)
    contrast: float = 1.0  # >1 pushes tones away from mid-grey, <1 flattens them
    gamma: float = 1.0  # >1 darkens mid-tones, <1 lightens them
    edge_weight: float = 1.0  # how much stroke direction counts against tone; 0 = a tone-only match
    invert: bool = False  # light glyphs on a dark background (for dark terminals and pages)
    colour_mode: str = "mono"  # mono | colour (each glyph in its cell's mean colour)
    method: str = "structure"  # structure (glyph matching) | ramp (the brightness-ramp baseline)

    def __post_init__(self) -> None:
        if not 1 <= self.columns <= MAX_COLUMNS:
            raise ValueError(f"columns must be between 1 and {MAX_COLUMNS}, not {self.columns}.")
        if not self.p > 0:
            raise ValueError(f"p must be greater than 0 (1 = city block, 2 = Euclidean), not {self.p}.")
        if self.charset not in (*CHARSETS, "custom"):
            raise ValueError(f"charset must be one of {', '.join((*CHARSETS, 'custom'))}, not {self.charset!r}.")
        if not 4 <= self.font_size <= 96:
            raise ValueError("font_size must be between 4 and 96 px.")
        if self.contrast <= 0 or self.gamma <= 0:
            raise ValueError("contrast and gamma must be greater than 0.")
        if self.edge_weight < 0:
            raise ValueError("edge_weight cannot be negative.")
        if self.colour_mode not in COLOUR_MODES:
            raise ValueError(f"colour_mode must be mono or colour, not {self.colour_mode!r}.")
        if self.method not in METHODS:
            raise ValueError(f"method must be structure or ramp, not {self.method!r}.")

    def characters(self) -> str:
        """The candidate glyphs, in order, without repeats."""
        base = self.custom_charset if self.charset == "custom" else CHARSETS[self.charset]
        chosen = dict.fromkeys(ch for ch in base + self.include if ch.isprintable() and ch not in self.exclude)
        return "".join(chosen)


# --- fonts -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Font:
    data: bytes  # the TTF/OTF file itself (embedded in HTML and SVG exports)
    name: str
    advance: float  # advance width, in ems
    height: float  # ascent + descent, in ems
    ascent: float  # in ems
    characters: frozenset[str]  # what the font can draw

    @property
    def aspect(self) -> float:
        """Cell height over cell width."""
        return self.height / self.advance

    @property
    def digest(self) -> str:
        return hashlib.sha1(self.data).hexdigest()

    def pil(self, size: int) -> ImageFont.FreeTypeFont:
        return _pil_font(self.data, size)


def default_font_path() -> Path:
    """DejaVu Sans Mono as installed with matplotlib (found without importing matplotlib)."""
    import importlib.util

    spec = importlib.util.find_spec("matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "mpl-data" / "fonts" / "ttf" / "DejaVuSansMono.ttf"
        if candidate.is_file():
            return candidate
    for candidate in (Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"),):
        if candidate.is_file():
            return candidate
    raise ValueError("DejaVu Sans Mono was not found; install matplotlib or pass a font file.")


def load_font(source: str | os.PathLike | bytes | None = None) -> Font:
    """A monospace font from a path or file bytes; ``ValueError`` if it is not one."""
    if source in (None, ""):
        source = default_font_path()
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"No font file at {path}.")
        data, label = path.read_bytes(), path.name
    else:
        data, label = bytes(source), "uploaded font"
    return _parse_font(data, label)


@functools.lru_cache(maxsize=8)
def _parse_font(data: bytes, label: str) -> Font:
    from fontTools.ttLib import TTFont, TTLibError

    try:
        font = TTFont(io.BytesIO(data), fontNumber=0, lazy=True)
        cmap = font.getBestCmap() or {}
        units = font["head"].unitsPerEm
        ascent, descent = font["hhea"].ascent, -font["hhea"].descent
        metrics = font["hmtx"].metrics
        name = font["name"].getDebugName(4) or label
    except (TTLibError, KeyError, AttributeError, struct.error, ValueError, OSError):
        raise ValueError(f"{label} is not a TrueType or OpenType font file.") from None
    widths = {metrics[glyph][0] for code, glyph in cmap.items() if 33 <= code < 127 and glyph in metrics}
    widths.discard(0)
    if not widths:
        raise ValueError(f"{name} has no printable ASCII characters.")
    if max(widths) - min(widths) > 0.01 * units:
        raise ValueError(
            f"{name} is a proportional font (its characters have {len(widths)} different widths); "
            "ASCII art needs a monospace font, such as DejaVu Sans Mono."
        )
    try:
        _pil_font(data, 12)
    except OSError:
        raise ValueError(f"{label} could not be opened as a font.") from None
    return Font(
        data=data, name=name, advance=max(widths) / units, height=(ascent + descent) / units,
        ascent=ascent / units, characters=frozenset(chr(code) for code in cmap),
    )


@functools.lru_cache(maxsize=32)
def _pil_font(data: bytes, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(io.BytesIO(data), size)


def render_glyphs(font: Font, characters: str, size: int) -> tuple[np.ndarray, int, int]:
    """Ink bitmaps (G, cell height, cell width) in [0, 1] of ``characters`` at ``size`` px."""
    width, height = max(1, round(font.advance * size)), max(1, round(font.height * size))
    pil_font = font.pil(size)
    bitmaps = np.zeros((len(characters), height, width), np.float32)
    for index, character in enumerate(characters):
        canvas = Image.new("L", (width, height), 0)
        ImageDraw.Draw(canvas).text((0, 0), character, fill=255, font=pil_font, anchor="la")
        bitmaps[index] = np.asarray(canvas, np.float32) / 255.0
    return bitmaps, height, width


# --- features ----------------------------------------------------------------------------

def cell_grid(font: Font) -> tuple[int, int]:
    """(samples down, samples across) inside one cell, following the font's aspect."""
    return max(1, round(SAMPLES_ACROSS * font.aspect)), SAMPLES_ACROSS


def cell_pixels(ink: np.ndarray, rows: int, columns: int, grid: tuple[int, int]) -> np.ndarray:
    """(rows * columns, gh * gw): each cell's samples, one row per cell."""
    grid_h, grid_w = grid
    cells = ink.reshape(rows, grid_h, columns, grid_w).transpose(0, 2, 1, 3)
    return np.ascontiguousarray(cells).reshape(rows * columns, grid_h * grid_w)


@functools.lru_cache(maxsize=16)
def feature_matrix(grid: tuple[int, int], edge_weight: float) -> np.ndarray:
    """The filter bank as one matrix M (gh * gw, K * gh * gw): features = cell pixels @ M.

    Padding a cell (edges replicated) and filtering it are both linear in its pixels, so the
    whole bank is a fixed linear map; we build it by filtering each unit image. This lets the
    Euclidean search run on raw cell pixels (see ``nearest_euclidean``): no feature maps at all.
    """
    grid_h, grid_w = grid
    size = grid_h * grid_w
    units = np.eye(size, dtype=np.float32).reshape(size, grid_h, grid_w)
    padded = np.pad(units, ((0, 0), (1, 1), (1, 1)), mode="edge")
    responses = []
    for index, kernel in enumerate(FILTERS):
        flipped = kernel[::-1, ::-1]  # filter2D correlates; keep its convention
        response = np.zeros((size, grid_h, grid_w), np.float32)
        for dy in range(3):
            for dx in range(3):
                response += flipped[2 - dy, 2 - dx] * padded[:, dy:dy + grid_h, dx:dx + grid_w]
        responses.append(response.reshape(size, size) * (edge_weight if index else 1.0))
    return np.concatenate(responses, axis=1)


@dataclasses.dataclass(frozen=True)
class Features:
    """Per cell or glyph: sub-cell tones (N, B), edge direction (N, E, unit length) and how
    much that direction counts (N,): a cell's edge strength, 1 for a glyph with strokes."""

    tone: np.ndarray
    direction: np.ndarray
    strength: np.ndarray


@functools.lru_cache(maxsize=16)
def glyph_table(font: Font, characters: str) -> tuple[Features, np.ndarray]:
    """Features and ink coverage (G,) of each glyph; cached per font and charset."""
    bitmaps, _, _ = render_glyphs(font, characters, GLYPH_RENDER_SIZE)
    grid = cell_grid(font)
    samples = np.stack([cv2.resize(b, (grid[1], grid[0]), interpolation=cv2.INTER_AREA).ravel() for b in bitmaps])
    coverage = bitmaps.mean(axis=(1, 2))
    scale = 1.0 / max(coverage.max(), 1e-6)  # the densest glyph stands for black
    return describe_samples(samples * scale, grid), coverage


def describe_samples(samples: np.ndarray, grid: tuple[int, int]) -> Features:
    """Tone blocks from the ink filter, direction and strength from the four edge filters."""
    edges = samples @ edge_matrix(grid)
    magnitude = np.sqrt(np.einsum("ne,ne->n", edges, edges))
    direction = edges / np.maximum(magnitude, 1e-6)[:, None]
    return Features(block_tones(samples, grid).astype(np.float32), direction.astype(np.float32),
                    _strength(magnitude, grid))


def _strength(magnitude: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    return np.minimum(1.0, magnitude / (EDGE_FULL_STRENGTH * edge_reference(grid))).astype(np.float32)


@functools.lru_cache(maxsize=8)
def edge_matrix(grid: tuple[int, int]) -> np.ndarray:
    """The four edge filters as one (S, 4S) matrix (the ink filter's columns left out)."""
    size = grid[0] * grid[1]
    return np.ascontiguousarray(feature_matrix(grid, 1.0)[:, size:])


def block_tones(samples: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """Mean of each of TONE_BLOCKS (rows, columns) blocks of every cell: (N, rows * columns)."""
    blocks_down, blocks_across = TONE_BLOCKS
    cells = samples.reshape(len(samples), grid[0], grid[1])
    row_edges = np.linspace(0, grid[0], blocks_down + 1).round().astype(int)
    column_edges = np.linspace(0, grid[1], blocks_across + 1).round().astype(int)
    return np.stack([cells[:, r0:r1, c0:c1].mean(axis=(1, 2))
                     for r0, r1 in zip(row_edges, row_edges[1:]) for c0, c1 in zip(column_edges, column_edges[1:])], axis=1)


@functools.lru_cache(maxsize=8)
def edge_reference(grid: tuple[int, int]) -> float:
    """Edge strength of a cell split into black and white halves: a clear, full-contrast edge."""
    half = np.zeros(grid, np.float32)
    half[:, : grid[1] // 2] = 1.0
    return float(np.linalg.norm(half.ravel() @ feature_matrix(grid, 1.0)[:, grid[0] * grid[1]:]))


# --- matching ----------------------------------------------------------------------------

def nearest(cells: Features, glyphs: Features, p: float, edge_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact nearest glyph for every cell under a weighted Minkowski distance of order p:

        d(c, g)^p = sum |tone_c - tone_g|^p + (edge_weight * strength_c)^p * sum |dir_c - dir_g|^p

    A flat cell (strength 0) is matched on tone alone, like a brightness ramp; the more edge a
    cell has, the more the direction of the glyph's strokes counts.
    """
    weight = (edge_weight * cells.strength).astype(np.float32)
    if p == 2:  # matrix products: |a - b|^2 = |a|^2 - 2 a.b + |b|^2
        squared = _squared_euclidean(cells.tone, glyphs.tone) + (weight**2)[:, None] * _squared_euclidean(
            cells.direction, glyphs.direction)
        index = squared.argmin(axis=1)
        return index, np.sqrt(np.maximum(squared[np.arange(len(index)), index], 0.0))
    index = np.empty(len(weight), np.int64)
    distance = np.empty(len(weight), np.float32)
    width = glyphs.tone.shape[1] + glyphs.direction.shape[1]
    chunk = max(1, 2_000_000 // max(1, len(glyphs.tone) * width))  # difference blocks near 8 MB
    for start in range(0, len(weight), chunk):
        part = slice(start, start + chunk)
        total = _minkowski_power(cells.tone[part, None, :], glyphs.tone[None], p)
        total += (weight[part] ** p)[:, None] * _minkowski_power(cells.direction[part, None, :], glyphs.direction[None], p)
        index[part] = total.argmin(axis=1)
        distance[part] = total.min(axis=1) ** (1.0 / p)
    return index, distance


def nearest_from_samples(samples: np.ndarray, grid: tuple[int, int], glyphs: Features,
                         edge_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """``nearest`` for p = 2 without building the (N, 4S) edge responses.

    The edge filters are linear, so a cell's edge vector is ``samples @ E``; its length comes
    from the quadratic form samples (E E^T) samples^T and its dot products with the glyphs'
    directions from samples @ (E G^T): matrices of S x S and S x G, not N x 4S.
    """
    gram, cross = _edge_products(grid, glyphs.direction.tobytes(), glyphs.direction.shape)
    magnitude = np.sqrt(np.maximum(np.einsum("ns,ns->n", samples @ gram, samples), 0.0))
    weight2 = (edge_weight * _strength(magnitude, grid)) ** 2
    # squared = |tone_c - tone_g|^2 + w^2 (|dir_c|^2 + |dir_g|^2 - 2 dir_c.dir_g), built in place:
    # the -2 w^2 / |edge_c| factor goes onto the samples (N x S) before the product, not after.
    scale = -2.0 * weight2 / np.maximum(magnitude, 1e-6)
    squared = (samples * scale[:, None].astype(np.float32)) @ cross
    tone = block_tones(samples, grid)
    for block in range(tone.shape[1]):
        difference = np.subtract.outer(tone[:, block], glyphs.tone[:, block])
        difference *= difference
        squared += difference
    own = np.where(magnitude > 1e-6, weight2, 0.0).astype(np.float32)  # w^2 |dir_c|^2 (0 or 1)
    squared += own[:, None]
    squared += np.multiply.outer(weight2.astype(np.float32), (glyphs.direction**2).sum(1))
    index = squared.argmin(axis=1)
    return index, np.sqrt(np.maximum(squared[np.arange(len(index)), index], 0.0))


@functools.lru_cache(maxsize=16)
def _edge_products(grid: tuple[int, int], direction_bytes: bytes, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    matrix = edge_matrix(grid)
    direction = np.frombuffer(direction_bytes, np.float32).reshape(shape)
    return (matrix @ matrix.T).astype(np.float32), (matrix @ direction.T).astype(np.float32)


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


# --- conversion --------------------------------------------------------------------------

@dataclasses.dataclass
class AsciiResult:
    lines: list[str]  # the text, one string per row
    indices: np.ndarray  # (rows, columns) index into ``characters``
    distances: np.ndarray  # (rows, columns) feature distance of each cell to its glyph (0 = perfect)
    colours: np.ndarray  # (rows, columns, 3) uint8 mean colour of each cell
    characters: str  # the candidate glyphs
    font: Font
    config: AsciiConfig

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    @property
    def rows(self) -> int:
        return len(self.lines)

    def usage(self) -> dict[str, int]:
        """How often each candidate glyph was used, most used first."""
        counts = np.bincount(self.indices.ravel(), minlength=len(self.characters))
        order = np.argsort(-counts, kind="stable")
        return {self.characters[i]: int(counts[i]) for i in order if counts[i]}


def grid_size(width: int, height: int, columns: int, font: Font) -> int:
    """Rows for ``columns`` so that the text keeps the picture's proportions in this font."""
    return max(1, round(columns * height / width / font.aspect))


def convert(image: Image.Image | np.ndarray, config: AsciiConfig, font: Font | None = None) -> AsciiResult:
    """Turn an RGB image into text; ``ValueError`` with a reason for input it cannot use."""
    font = font or load_font(config.font)
    characters = "".join(ch for ch in config.characters() if ch == " " or ch in font.characters)
    if not characters:
        raise ValueError("No characters are left to draw with: the charset is empty, all excluded, "
                         "or missing from the font.")
    source = np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image)
    if source.ndim != 3 or source.shape[2] != 3:
        raise ValueError("Expected an RGB image.")
    height, width = source.shape[:2]
    if config.columns > width:
        raise ValueError(f"The image is only {width} pixels wide, so it can give at most {width} "
                         f"columns (asked for {config.columns}).")
    rows = grid_size(width, height, config.columns, font)
    if rows > height:
        raise ValueError(f"The image is only {height} pixels tall: use fewer columns.")
    if int(source.max()) == int(source.min()):
        raise ValueError("The image is one flat colour (a fully transparent image becomes plain "
                         "white), so there is no shape to draw.")
    grid = cell_grid(font)
    # One pass over the full-size picture: down to the sampling grid, in colour; the ink map and
    # the cell colours both come from that (area averages compose, so nothing is lost).
    sampled = cv2.resize(np.ascontiguousarray(source), (config.columns * grid[1], rows * grid[0]),
                         interpolation=cv2.INTER_AREA)
    ink = _ink(sampled, config)
    colours = cv2.resize(sampled, (config.columns, rows), interpolation=cv2.INTER_AREA)
    glyphs, coverage = glyph_table(font, characters)
    cells = cell_pixels(ink, rows, config.columns, grid)
    if config.method == "ramp":
        gaps = np.abs(cells.mean(axis=1)[:, None] - coverage[None, :] / max(coverage.max(), 1e-6))
        index, distance = gaps.argmin(axis=1), gaps.min(axis=1)
    elif config.p == 2:
        index, distance = nearest_from_samples(cells, grid, glyphs, float(config.edge_weight))
    else:
        index, distance = nearest(describe_samples(cells, grid), glyphs, float(config.p), float(config.edge_weight))
    index = index.reshape(rows, config.columns)
    table = np.array(list(characters))
    lines = ["".join(row) for row in table[index]]
    return AsciiResult(lines, index, distance.reshape(rows, config.columns).astype(np.float32),
                       colours, characters, font, config)


def _ink(sampled: np.ndarray, config: AsciiConfig) -> np.ndarray:
    """Ink map of an RGB picture already at the sampling grid: 1 where a glyph should put ink."""
    light = cv2.cvtColor(sampled, cv2.COLOR_RGB2GRAY).astype(np.float32) * np.float32(1 / 255)
    if config.contrast != 1.0:
        light = np.clip((light - 0.5) * config.contrast + 0.5, 0.0, 1.0)
    if config.gamma != 1.0:
        light = light ** np.float32(config.gamma)
    return light if config.invert else 1.0 - light


# --- rendering and export ----------------------------------------------------------------

def render(result: AsciiResult, font_size: int | None = None) -> np.ndarray:
    """The text drawn in its font, as an RGB uint8 image (one cell per character)."""
    ink = _ink_image(result, font_size or result.config.font_size)
    if result.config.colour_mode != "colour":
        grey = ink if result.config.invert else 255 - ink
        return np.repeat(grey[:, :, None], 3, axis=2)
    cell_h, cell_w = ink.shape[0] // result.rows, ink.shape[1] // result.indices.shape[1]
    alpha = ink[:, :, None].astype(np.float32) * np.float32(1 / 255)
    colours = np.repeat(np.repeat(result.colours, cell_h, axis=0), cell_w, axis=1).astype(np.float32)
    paper = np.float32(0 if result.config.invert else 255)
    return (paper + (colours - paper) * alpha + 0.5).astype(np.uint8)


def render_grey(result: AsciiResult, font_size: int | None = None) -> np.ndarray:
    """The rendered text's luminance (uint8), without building RGB when it is mono."""
    if result.config.colour_mode == "colour":
        return cv2.cvtColor(render(result, font_size), cv2.COLOR_RGB2GRAY)
    ink = _ink_image(result, font_size or result.config.font_size)
    return ink if result.config.invert else 255 - ink


def _ink_image(result: AsciiResult, size: int) -> np.ndarray:
    bitmaps, cell_h, cell_w = _output_glyphs(result.font, result.characters, size)
    rows, columns = result.indices.shape
    return bitmaps[result.indices].transpose(0, 2, 1, 3).reshape(rows * cell_h, columns * cell_w)


@functools.lru_cache(maxsize=16)
def _output_glyphs(font: Font, characters: str, size: int) -> tuple[np.ndarray, int, int]:
    bitmaps, cell_h, cell_w = render_glyphs(font, characters, size)
    return (bitmaps * 255 + 0.5).astype(np.uint8), cell_h, cell_w


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
    pixels = np.asarray(source.convert("RGB") if isinstance(source, Image.Image) else source)
    source_grey = cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2GRAY)
    target = cv2.resize(source_grey, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_AREA)
    return ssim(grey, target)


def cell_similarity(result: AsciiResult, source: Image.Image | np.ndarray) -> float:
    """SSIM at the scale the text can speak: one square sample per cell width (two per cell
    height), both images area-averaged from the text drawn at SSIM_FONT_SIZE. At this scale a
    blank page no longer scores well: tone and coarse placement of ink are what count.
    """
    grey = render_grey(result, SSIM_FONT_SIZE)
    rows, columns = result.indices.shape
    size = (columns, rows * 2)
    pixels = np.asarray(source.convert("RGB") if isinstance(source, Image.Image) else source)
    target = cv2.resize(cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2GRAY), size, interpolation=cv2.INTER_AREA)
    return ssim(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), target)


def export(result: AsciiResult, format: str) -> bytes:
    """The result as txt, html, ansi (24-bit colour), png or svg, in the result's font."""
    if format == "txt":
        return result.text.encode("utf-8")
    if format == "png":
        buffer = io.BytesIO()
        Image.fromarray(render(result)).save(buffer, format="PNG", optimize=True)
        return buffer.getvalue()
    if format == "ansi":
        return _ansi(result).encode("utf-8")
    if format == "html":
        return _html(result).encode("utf-8")
    if format == "svg":
        return _svg(result).encode("utf-8")
    raise ValueError(f"Unknown format {format!r}; choose from {', '.join(EXPORT_FORMATS)}.")


def _cell_colours(result: AsciiResult) -> np.ndarray:
    if result.config.colour_mode == "colour":
        return result.colours
    value = 255 if result.config.invert else 0
    return np.full(result.colours.shape, value, np.uint8)


def _runs(line: str, colours: np.ndarray):
    """Split a line into (text, colour) runs of one colour."""
    start = 0
    for end in range(1, len(line) + 1):
        if end == len(line) or tuple(colours[end]) != tuple(colours[start]):
            yield line[start:end], colours[start]
            start = end


def _ansi(result: AsciiResult) -> str:
    colours = _cell_colours(result)
    background = "\x1b[48;2;0;0;0m" if result.config.invert else "\x1b[48;2;255;255;255m"
    lines = []
    for row, line in enumerate(result.lines):
        parts = [background]
        for text, (r, g, b) in _runs(line, colours[row]):
            parts.append(f"\x1b[38;2;{r};{g};{b}m{text}")
        lines.append("".join(parts) + "\x1b[0m")
    return "\n".join(lines) + "\n"


def _font_face(result: AsciiResult) -> str:
    encoded = base64.b64encode(result.font.data).decode("ascii")
    return f"@font-face {{ font-family: 'AtelierGlyphs'; src: url(data:font/ttf;base64,{encoded}); }}"


def _html(result: AsciiResult) -> str:
    size = result.config.font_size
    paper, ink = ("#000", "#fff") if result.config.invert else ("#fff", "#000")
    colours = _cell_colours(result)
    body = []
    for row, line in enumerate(result.lines):
        if result.config.colour_mode == "colour":
            body.append("".join(
                f'<span style="color:#{r:02x}{g:02x}{b:02x}">{html.escape(text)}</span>'
                for text, (r, g, b) in _runs(line, colours[row])))
        else:
            body.append(html.escape(line))
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>ASCII art · Atelier</title>\n"
        f"<style>{_font_face(result)}\n"
        f"body {{ background: {paper}; margin: 1em; }}\n"
        f"pre {{ font-family: 'AtelierGlyphs', monospace; font-size: {size}px; "
        f"line-height: {result.font.height * size:.3f}px; color: {ink}; margin: 0; }}</style></head>\n"
        f"<body><pre>{chr(10).join(body)}</pre></body></html>\n"
    )


def _svg(result: AsciiResult) -> str:
    size = result.config.font_size
    cell_w, cell_h = round(result.font.advance * size), round(result.font.height * size)
    width, height = cell_w * len(result.lines[0]), cell_h * result.rows
    paper = "#000" if result.config.invert else "#fff"
    colours = _cell_colours(result)
    rows = []
    for row, line in enumerate(result.lines):
        baseline = row * cell_h + result.font.ascent * size
        spans, column = [], 0
        for text, (r, g, b) in _runs(line, colours[row]):
            spans.append(f'<tspan x="{column * cell_w}" fill="#{r:02x}{g:02x}{b:02x}">{html.escape(text)}</tspan>')
            column += len(text)
        rows.append(f'<text y="{baseline:.2f}" textLength="{cell_w * len(line)}">{"".join(spans)}</text>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">\n'
        f"<style>{_font_face(result)}\n"
        f"text {{ font-family: 'AtelierGlyphs', monospace; font-size: {size}px; white-space: pre; }}</style>\n"
        f'<rect width="100%" height="100%" fill="{paper}"/>\n' + "\n".join(rows) + "\n</svg>\n"
    )

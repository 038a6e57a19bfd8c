"""Structure-aware ASCII art: each character cell takes the glyph whose strokes match it.

The image is cut into character cells whose shape comes from the font's own metrics (advance
width against ascent + descent), so circles stay round. Every cell, and every candidate glyph
rendered in the same monospace font, is sampled on the same small grid of "ink" values
(1 = dark ink on white paper) and run through a bank of 3x3 filters:

    ink      binomial blur [1 2 1]x[1 2 1]/16, applied twice: where the ink lies, as an eye
             sees it from a little way off (a glyph's hard strokes and a photo's soft shading
             become comparable)
    edge |   Sobel x: vertical strokes, and on which side the ink is
    edge -   Sobel y: horizontal strokes (underscores, dashes, bars of E and F)
    edge /   and edge \\: the two diagonals (slashes, V, X, chevrons)

Each cell is filtered on its own (edges replicated), exactly like a glyph, so its features do
not depend on its neighbours. The feature vector holds the blurred ink map and the direction
of the edge responses (unit length); a cell takes the nearest glyph under a weighted Minkowski
distance of order p in which the direction counts in proportion to the cell's own edge
strength (see ``nearest``). Why not raw responses, as a first reading of the method suggests:
a glyph is drawn in hard strokes and a photo cell is smooth, so unblurred responses put nearly
every cell next to ' ' or '@' (we measured 42-100% spaces). Why not one tone per cell (our
first version): it throws away where in the cell the ink is, and the blurred map keeps it.

Before matching, a photo's tones are prepared the way a printer would: local contrast
(CLAHE, OpenCV's adaptive histogram equalisation), a stretch of the 2nd-98th percentiles to
the full range and a mild S-curve (contrast 1.5). Glyphs can only grey a cell by a quarter at
most (the densest, '@', inks about 25% of it), so text has far less tonal range than a photo;
spending that range on the picture's local structure rather than on its overall lighting is
what keeps faces and edges readable. All are settings and can be turned off. A picture with
few mid-tones (a drawing, a logo, text) is line art instead: no local contrast, and glyph ink
is compared unscaled, stroke for stroke (see ``glyph_table``).

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

import base64
import dataclasses
import functools
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
# font's aspect asks for (4 x 8 for DejaVu Sans Mono). On the bench photos 5 x 10 scored the
# same SSIM at cell scale (0.502 against 0.506 at 80 columns) for 1.5x the time.
SAMPLES_ACROSS = 4
GLYPH_RENDER_SIZE = 64  # px: glyphs are drawn large, then area-averaged down to the grid
EDGE_FULL_STRENGTH = 0.5  # a cell whose edges are half as strong as a black|white split counts fully
LEVELS_PERCENTILES = (2.0, 98.0)  # auto levels: these percentiles of the picture become white and black
CLAHE_TILES = 8  # local contrast works on an 8 x 8 grid of tiles, whatever the picture's size
LINE_ART_MIDTONES = 0.2  # a picture with fewer mid-tones than this (of its pixels) is line art
DRAWINGS = ("auto", "photo", "line-art")
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
    # >1 pushes tones away from mid-grey, <1 flattens them. 1.5 because text has so little tonal
    # range (a glyph greys its cell by a quarter at most): on the bench photos 1.3-1.7 all raised
    # SSIM at cell scale over 1.0 (0.528 against 0.506 at 80 columns) and gave visibly crisper text.
    contrast: float = 1.5
    gamma: float = 1.0  # >1 darkens mid-tones, <1 lightens them
    auto_levels: bool = True  # stretch the picture's 2nd-98th percentiles to white-black first
    local_contrast: float = 3.0  # CLAHE clip limit: how far local contrast may be raised; 0 = off
    edge_weight: float = 1.0  # how much stroke direction counts against tone; 0 = a tone-only match
    invert: bool = False  # light glyphs on a dark background (for dark terminals and pages)
    colour_mode: str = "mono"  # mono | colour (each glyph in its cell's mean colour)
    method: str = "structure"  # structure (glyph matching) | ramp (the brightness-ramp baseline)
    drawing: str = "auto"  # photo (black = the densest glyph) | line-art (a stroke is a stroke) | auto

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
        if not 0 <= self.local_contrast <= 40:
            raise ValueError("local_contrast must be between 0 (off) and 40.")
        if self.colour_mode not in COLOUR_MODES:
            raise ValueError(f"colour_mode must be mono or colour, not {self.colour_mode!r}.")
        if self.drawing not in DRAWINGS:
            raise ValueError(f"drawing must be one of {', '.join(DRAWINGS)}, not {self.drawing!r}.")
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
        import hashlib  # here, not at the top: the command line never needs it (2 ms to import)

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
    try:
        tables = _sfnt_tables(data)
        units = struct.unpack_from(">H", tables["head"], 18)[0]
        ascent, descent, _ = struct.unpack_from(">hhh", tables["hhea"], 4)
        metric_count = struct.unpack_from(">H", tables["hhea"], 34)[0]
        advances = struct.unpack_from(f">{2 * metric_count}H", tables["hmtx"])[::2]
        cmap = _cmap(tables["cmap"])
    except (KeyError, struct.error, ValueError, IndexError):
        raise ValueError(f"{label} is not a TrueType or OpenType font file.") from None
    try:
        pil_font = _pil_font(data, 12)
    except OSError:
        raise ValueError(f"{label} could not be opened as a font.") from None
    family, style = pil_font.getname()
    name = family if style in (None, "", "Regular", "Book") else f"{family} {style}"
    widths = {advances[min(glyph, len(advances) - 1)] for code, glyph in cmap.items() if 33 <= code < 127}
    widths.discard(0)
    if not widths or not units:
        raise ValueError(f"{name} has no printable ASCII characters.")
    if max(widths) - min(widths) > 0.01 * units:
        raise ValueError(
            f"{name} is a proportional font (its characters have {len(widths)} different widths); "
            "ASCII art needs a monospace font, such as DejaVu Sans Mono."
        )
    return Font(
        data=data, name=name, advance=max(widths) / units, height=(ascent - descent) / units,
        ascent=ascent / units, characters=frozenset(chr(code) for code in cmap),
    )


def _sfnt_tables(data: bytes) -> dict[str, bytes]:
    """The tables of a TrueType/OpenType file (the first font of a collection), by tag.

    Read directly rather than through fontTools: we need four small tables, and importing
    fontTools costs more than a whole batch conversion of one photo (about 50 ms).
    """
    start = struct.unpack_from(">I", data, 12)[0] if data[:4] == b"ttcf" else 0
    if data[start:start + 4] not in (b"\x00\x01\x00\x00", b"OTTO", b"true"):
        raise ValueError("not an sfnt font")
    count = struct.unpack_from(">H", data, start + 4)[0]
    tables = {}
    for index in range(count):
        tag, _, offset, length = struct.unpack_from(">4sIII", data, start + 12 + 16 * index)
        if offset + length > len(data):
            raise ValueError("table past the end of the file")
        tables[tag.decode("latin-1")] = data[offset:offset + length]
    return tables


def _cmap(table: bytes) -> dict[int, int]:
    """Character code -> glyph index from the best Unicode subtable (format 12, else 4)."""
    count = struct.unpack_from(">H", table, 2)[0]
    subtables = {}
    for index in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", table, 4 + 8 * index)
        subtables[(platform, encoding)] = offset
    for key in ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0)):
        if key in subtables:
            offset = subtables[key]
            format = struct.unpack_from(">H", table, offset)[0]
            if format == 12:
                groups = struct.unpack_from(">I", table, offset + 12)[0]
                mapping = {}
                for first, last, glyph in struct.iter_unpack(">III", table[offset + 16:offset + 16 + 12 * groups]):
                    mapping.update(zip(range(first, last + 1), range(glyph, glyph + last - first + 1)))
                return mapping
            if format == 4:
                return _cmap_format4(table, offset)
    raise ValueError("no Unicode character map")


def _cmap_format4(table: bytes, offset: int) -> dict[int, int]:
    segments = struct.unpack_from(">H", table, offset + 6)[0] // 2
    ends = struct.unpack_from(f">{segments}H", table, offset + 14)
    starts = struct.unpack_from(f">{segments}H", table, offset + 16 + 2 * segments)
    deltas = struct.unpack_from(f">{segments}h", table, offset + 16 + 4 * segments)
    range_at = offset + 16 + 6 * segments
    range_offsets = struct.unpack_from(f">{segments}H", table, range_at)
    mapping = {}
    for index, (start, end, delta, range_offset) in enumerate(zip(starts, ends, deltas, range_offsets)):
        for code in range(start, min(end, 0xFFFE) + 1):
            if range_offset == 0:
                glyph = (code + delta) & 0xFFFF
            else:
                where = range_at + 2 * index + range_offset + 2 * (code - start)
                glyph = struct.unpack_from(">H", table, where)[0]
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            if glyph:
                mapping[code] = glyph
    return mapping


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
                response += flipped[2 - dy, 2 - dx] * padded[:, dy:dy + grid_h, dx:dx + grid_w]
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
    inks more than about a quarter of its cell, and a dark photo region should take the
    darkest glyph, not a lighter one that happens to be nearer in absolute ink. Line art is
    compared stroke for stroke, unscaled, so a picture of a glyph converts back to that glyph.
    """
    bitmaps, _, _ = render_glyphs(font, characters, GLYPH_RENDER_SIZE)
    grid = cell_grid(font)
    samples = np.stack([cv2.resize(b, (grid[1], grid[0]), interpolation=cv2.INTER_AREA).ravel() for b in bitmaps])
    coverage = bitmaps.mean(axis=(1, 2))
    scale = 1.0 / max(coverage.max(), 1e-6) if photo else 1.0
    return describe_samples(samples * scale, grid), coverage


def describe_samples(samples: np.ndarray, grid: tuple[int, int]) -> Features:
    """Blurred ink map from the ink filter, direction and strength from the four edge filters."""
    edges = samples @ edge_matrix(grid)
    magnitude = np.sqrt(np.einsum("ne,ne->n", edges, edges))
    direction = edges / np.maximum(magnitude, 1e-6)[:, None]
    return Features((samples @ tone_matrix(grid)).astype(np.float32), direction.astype(np.float32),
                    _strength(magnitude, grid))


def _strength(magnitude: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    return np.minimum(1.0, magnitude / (EDGE_FULL_STRENGTH * edge_reference(grid))).astype(np.float32)


# --- matching ----------------------------------------------------------------------------

def nearest(cells: Features, glyphs: Features, p: float, edge_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact nearest glyph for every cell under a weighted Minkowski distance of order p:

        d(c, g)^p = sum |tone_c - tone_g|^p + (edge_weight * strength_c)^p * sum |dir_c - dir_g|^p

    A flat cell (strength 0) is matched on its ink map alone; the more edge a cell has, the
    more the direction of the glyph's strokes counts.
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
    np.multiply(samples, scale[:, None], out=left[:, size:2 * size])
    left[:, -2] = 1.0
    left[:, -1] = weight2
    right = np.concatenate([-2.0 * tone @ glyphs.tone.T, edges @ glyphs.direction.T,
                            (glyphs.tone**2).sum(1)[None], (glyphs.direction**2).sum(1)[None]]).astype(np.float32)
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


# --- conversion --------------------------------------------------------------------------

@dataclasses.dataclass
class AsciiResult:
    lines: list[str]  # the text, one string per row
    indices: np.ndarray  # (rows, columns) index into ``characters``
    distances: np.ndarray  # (rows, columns) feature distance of each cell to its glyph (0 = perfect)
    characters: str  # the candidate glyphs
    font: Font
    config: AsciiConfig
    drawing: str = "photo"  # how the picture was read: photo | line-art (config "auto" resolved)
    source: np.ndarray | None = dataclasses.field(default=None, repr=False)  # the RGB picture

    @functools.cached_property
    def colours(self) -> np.ndarray:
        """(rows, columns, 3) uint8 mean colour of each cell; worked out on first use (plain
        text never needs it, and it costs a full pass over the picture). Black without a source."""
        rows, columns = self.indices.shape
        if self.source is None:
            return np.zeros((rows, columns, 3), np.uint8)
        colours = cv2.resize(self.source, (columns, rows), interpolation=cv2.INTER_AREA)
        return colours if colours.ndim == 3 else np.repeat(colours[:, :, None], 3, axis=2)

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
    """Turn an RGB (or grey) image into text; ``ValueError`` with a reason for input it cannot use.

    A grey image ("L", or a 2-D array) is enough for mono output and saves decoding colour.
    """
    font = font or load_font(config.font)
    characters = usable_characters(config, font)
    source = _pixels(image)
    height, width = source.shape[:2]
    if config.columns > width:
        raise ValueError(f"The image is only {width} pixels wide, so it can give at most {width} "
                         f"columns (asked for {config.columns}).")
    rows = grid_size(width, height, config.columns, font)
    if rows > height:
        raise ValueError(f"The image is only {height} pixels tall: use fewer columns.")
    grey = _grey(source)
    darkest, lightest = cv2.minMaxLoc(grey)[:2]
    if darkest == lightest:
        raise ValueError("The image is one flat colour or tone (a fully transparent image becomes "
                         "plain white), so there is no shape to draw.")
    histogram = _histogram(grey)
    drawing = config.drawing if config.drawing != "auto" else ("line-art" if is_line_art(histogram) else "photo")
    grid = cell_grid(font)
    size = (config.columns * grid[1], rows * grid[0])
    if drawing == "photo":  # levelled as the text will show it: after sampling and local contrast
        ink = ink_map(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), config)
    else:
        # Line art takes its tone curve on the full-size strokes, then is sampled: sampling
        # first would dilute a thin black stroke to grey, and the curve would then move it.
        curve = np.round(tone_curve(histogram, config) * 255).astype(np.uint8)
        ink = cv2.resize(cv2.LUT(grey, curve), size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    cells = cell_pixels(ink, rows, config.columns, grid)
    glyphs, coverage = glyph_table(font, characters, drawing == "photo")
    if config.method == "ramp":
        gaps = np.abs(cells.mean(axis=1)[:, None] - coverage[None, :] / max(coverage.max(), 1e-6))
        index, distance = gaps.argmin(axis=1), gaps.min(axis=1)
    elif config.p == 2:
        index, distance = nearest_from_samples(cells, grid, glyphs, float(config.edge_weight))
    else:
        index, distance = nearest(describe_samples(cells, grid), glyphs, float(config.p), float(config.edge_weight))
    index = index.reshape(rows, config.columns)
    return AsciiResult(_lines(characters, index), index, distance.reshape(rows, config.columns).astype(np.float32),
                       characters, font, config, drawing, source)


def usable_characters(config: AsciiConfig, font: Font) -> str:
    """The config's candidate glyphs that the font can draw; ``ValueError`` if none are left."""
    characters = "".join(ch for ch in config.characters() if ch == " " or ch in font.characters)
    if not characters:
        raise ValueError("No characters are left to draw with: the charset is empty, all excluded, "
                         "or missing from the font.")
    return characters


def _lines(characters: str, index: np.ndarray) -> list[str]:
    """The text rows, built as one UTF-32 buffer rather than character by character."""
    codes = np.array([ord(ch) for ch in characters], "<u4")[index]
    flat = codes.tobytes().decode("utf-32-le")
    columns = index.shape[1]
    return [flat[start:start + columns] for start in range(0, len(flat), columns)]


def _histogram(grey: np.ndarray) -> np.ndarray:
    return cv2.calcHist([grey], [0], None, [256], [0, 256]).ravel()


def is_line_art(histogram: np.ndarray) -> bool:
    """True for a nearly two-tone picture (a drawing, a logo, text), from its grey histogram:
    few pixels sit between 20% and 80% of its range. The bench photos have 42-95% such
    mid-tones, pictures of glyphs under 10%."""
    used = np.flatnonzero(histogram)
    low, high = used[0], used[-1]
    middle = histogram[int(np.ceil(low + 0.2 * (high - low))):int(low + 0.8 * (high - low)) + 1]
    return bool(middle.sum() < LINE_ART_MIDTONES * histogram.sum())


def ink_map(sampled: np.ndarray, config: AsciiConfig) -> np.ndarray:
    """Ink (float32, 1 = full ink) of a grey uint8 photo already at the sampling grid: local
    contrast (CLAHE), then one 256-entry tone curve (auto levels, contrast, gamma, invert)
    applied as a lookup table."""
    if config.local_contrast > 0:
        clahe = cv2.createCLAHE(clipLimit=float(config.local_contrast), tileGridSize=(CLAHE_TILES, CLAHE_TILES))
        sampled = clahe.apply(sampled)
    return cv2.LUT(sampled, tone_curve(_histogram(sampled), config))


def tone_curve(histogram: np.ndarray, config: AsciiConfig) -> np.ndarray:
    """Ink for each of the 256 grey levels, given the grey histogram it is levelled by (float32)."""
    light = np.arange(256, dtype=np.float32) / 255
    if config.auto_levels:
        cumulative = np.cumsum(histogram) / max(histogram.sum(), 1.0)
        low, high = (int(np.searchsorted(cumulative, q / 100)) for q in LEVELS_PERCENTILES)
        if high - low < 16:  # a nearly two-tone picture (a glyph, a drawing): use its extremes
            used = np.flatnonzero(histogram)
            low, high = int(used[0]), int(used[-1])
        if high > low:
            light = np.clip((light - low / 255) * (255 / (high - low)), 0.0, 1.0)
    if config.contrast != 1.0:
        light = np.clip((light - 0.5) * config.contrast + 0.5, 0.0, 1.0)
    if config.gamma != 1.0:
        light = light ** np.float32(config.gamma)
    return (light if config.invert else 1.0 - light).astype(np.float32)


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
    target = cv2.resize(_grey(source), (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_AREA)
    return ssim(grey, target)


def cell_similarity(result: AsciiResult, source: Image.Image | np.ndarray) -> float:
    """SSIM at the scale the text can speak: one square sample per cell width (two per cell
    height), both images area-averaged from the text drawn at SSIM_FONT_SIZE. At this scale a
    blank page no longer scores well: tone and coarse placement of ink are what count.
    """
    grey = render_grey(result, SSIM_FONT_SIZE)
    rows, columns = result.indices.shape
    size = (columns, rows * 2)
    target = cv2.resize(_grey(source), size, interpolation=cv2.INTER_AREA)
    return ssim(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), target)


def blurred_similarity(result: AsciiResult, source: Image.Image | np.ndarray) -> float:
    """SSIM of the text drawn at SSIM_FONT_SIZE and the source at that size, both blurred by a
    Gaussian of half a character's width first: the page seen from where single strokes no
    longer resolve. A second viewing-distance measure beside ``cell_similarity`` that does not
    depend on where cell borders fall."""
    grey = render_grey(result, SSIM_FONT_SIZE).astype(np.float32)
    target = cv2.resize(_grey(source), (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_AREA)
    sigma = 0.5 * grey.shape[1] / result.indices.shape[1]
    return ssim(cv2.GaussianBlur(grey, (0, 0), sigma), cv2.GaussianBlur(target.astype(np.float32), (0, 0), sigma))


def _pixels(image: Image.Image | np.ndarray) -> np.ndarray:
    """A picture as a contiguous uint8 array, (H, W) grey or (H, W, 3) RGB."""
    if isinstance(image, Image.Image):
        image = image if image.mode in ("L", "RGB") else image.convert("RGB")
    pixels = np.ascontiguousarray(np.asarray(image), dtype=np.uint8)
    if not (pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] == 3)):
        raise ValueError("Expected an RGB or grey image.")
    return pixels


def _grey(image: Image.Image | np.ndarray) -> np.ndarray:
    pixels = _pixels(image)  # no copy for an array that already is one
    return pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)


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

"""Monospace fonts for ASCII art: the file's own metrics and character map, and glyph bitmaps.

A font's cell shape (advance width against ascent + descent) decides how the picture is cut
into cells, and its character map which glyphs may be used. Both are read straight from the
sfnt tables rather than through fontTools: we need four small tables, and importing fontTools
costs more than converting one photo (about 50 ms).
"""

from __future__ import annotations

import dataclasses
import functools
import io
import os
import struct
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont


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
        data=data,
        name=name,
        advance=max(widths) / units,
        height=(ascent - descent) / units,
        ascent=ascent / units,
        characters=frozenset(chr(code) for code in cmap),
    )


def _sfnt_tables(data: bytes) -> dict[str, bytes]:
    """The tables of a TrueType/OpenType file (the first font of a collection), by tag."""
    start = struct.unpack_from(">I", data, 12)[0] if data[:4] == b"ttcf" else 0
    if data[start : start + 4] not in (b"\x00\x01\x00\x00", b"OTTO", b"true"):
        raise ValueError("not an sfnt font")
    count = struct.unpack_from(">H", data, start + 4)[0]
    tables = {}
    for index in range(count):
        tag, _, offset, length = struct.unpack_from(">4sIII", data, start + 12 + 16 * index)
        if offset + length > len(data):
            raise ValueError("table past the end of the file")
        tables[tag.decode("latin-1")] = data[offset : offset + length]
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
                for first, last, glyph in struct.iter_unpack(">III", table[offset + 16 : offset + 16 + 12 * groups]):
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

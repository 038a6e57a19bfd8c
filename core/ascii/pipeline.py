"""A picture, or every frame of an animation, to text.

``convert`` is the whole pipeline for one picture: cut into cells by the font's shape, tones
prepared (``tone``), each cell matched to its nearest glyph (``features``). ``convert_frames``
runs it over the frames of an animated GIF with one polarity, one reading (photo or line art)
and one tone curve for all of them, levelled by the histogram of every frame together: a
curve per frame would re-level each frame on its own, and the text would flicker as bright
things come and go. ``convert_clip`` does the same for a video too long to hold, in two passes.
Nothing is refused that a user can see as a picture: a picture with fewer pixels than the text
has samples is enlarged first, and a flat one becomes its flat tone; both say so in
``AsciiResult.notes``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np
from PIL import Image

from core.ascii import AsciiConfig, tone
from core.ascii.features import cell_grid, cell_pixels, describe_samples, glyph_table, nearest, nearest_from_samples
from core.ascii.fonts import Font, load_font


@dataclasses.dataclass
class AsciiResult:
    lines: list[str]  # the text, one string per row
    indices: np.ndarray  # (rows, columns) index into ``characters``
    distances: np.ndarray  # (rows, columns) feature distance of each cell to its glyph (0 = perfect)
    characters: str  # the candidate glyphs
    font: Font
    config: AsciiConfig
    drawing: str = "photo"  # how the picture was read: photo | line-art (config "auto" resolved)
    polarity: str = "paper"  # how the text is drawn: paper | screen (config "auto" resolved)
    polarity_reason: str = ""  # why auto chose it, in a sentence ("as set" when not auto)
    notes: tuple[str, ...] = ()  # what the user should know: the picture was enlarged, or is flat
    source: np.ndarray | None = dataclasses.field(default=None, repr=False)  # the RGB or grey picture

    @functools.cached_property
    def colours(self) -> np.ndarray:
        """(rows, columns, 3) uint8 mean colour of each cell; worked out on first use (plain
        text never needs it, and it costs a full pass over the picture). Black without a source."""
        rows, columns = self.indices.shape
        if self.source is None:
            return np.zeros((rows, columns, 3), np.uint8)
        colours = tone.resample(self.source, (columns, rows))
        return colours if colours.ndim == 3 else np.repeat(colours[:, :, None], 3, axis=2)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    @property
    def rows(self) -> int:
        return len(self.lines)

    @property
    def screen(self) -> bool:
        """Light glyphs on a dark ground."""
        return self.polarity == "screen"

    def usage(self) -> dict[str, int]:
        """How often each candidate glyph was used, most used first."""
        counts = np.bincount(self.indices.ravel(), minlength=len(self.characters))
        order = np.argsort(-counts, kind="stable")
        return {self.characters[i]: int(counts[i]) for i in order if counts[i]}


def grid_size(width: int, height: int, columns: int, font: Font) -> int:
    """Rows for ``columns`` so that the text keeps the picture's proportions in this font."""
    return max(1, round(columns * height / width / font.aspect))


def convert(
    image: Image.Image | np.ndarray,
    config: AsciiConfig,
    font: Font | None = None,
    *,
    previous_polarity: str | None = None,
) -> AsciiResult:
    """Turn an RGB (or grey) image into text; ``ValueError`` with a reason for settings it
    cannot use. A grey image ("L", or a 2-D array) is enough for mono output and saves
    decoding colour. ``previous_polarity``: what the last frame of a video was drawn in, so
    that auto polarity keeps it through near ties (``tone.choose_polarity``)."""
    return convert_frames([image], config, font, previous_polarity=previous_polarity)[0]


def convert_frames(
    frames: Sequence[Image.Image | np.ndarray],
    config: AsciiConfig,
    font: Font | None = None,
    *,
    previous_polarity: str | None = None,
) -> list[AsciiResult]:
    """Every frame to text at one grid (from the first frame's size), with one polarity, one
    reading and one tone curve for them all (see the module docstring)."""
    if not frames:
        raise ValueError("There are no frames to convert.")
    font = font or load_font(config.font)
    # A JPEG decoded at a fraction of its size (images.load_image's draft) says so: notes about
    # the picture's size speak of the file, not of the decoded copy.
    full_size = frames[0].info.get("full_size") if isinstance(frames[0], Image.Image) else None
    sources = [pixels(frame) for frame in frames]
    greys = [tone.grey(source) for source in sources]
    reading = _reading(greys, config, font, previous_polarity, keep=True, full_size=full_size)
    levels = reading.prepared or [None] * len(sources)
    return [_convert_one(source, grey, reading, config, kept) for source, grey, kept in zip(sources, greys, levels)]


def convert_clip(
    frames: Callable[[], Iterable[np.ndarray]], config: AsciiConfig, font: Font | None = None
) -> Iterator[AsciiResult]:
    """``convert_frames`` for a clip too long to hold in memory: ``frames()`` is called twice, for
    two passes over the same frames; the first gathers the histograms that fix the one grid,
    polarity, reading and tone curve, the second converts frame by frame."""
    convert_one = clip_converter(frames(), config, font)
    for frame in frames():
        yield convert_one(frame)


def clip_converter(
    frames: Iterable[np.ndarray], config: AsciiConfig, font: Font | None = None
) -> Callable[[np.ndarray], AsciiResult]:
    """One pass over a clip's frames fixes its grid, polarity, reading and tone curve; the
    function returned converts any frame of that clip under them."""
    font = font or load_font(config.font)
    reading = _reading((tone.grey(pixels(frame)) for frame in frames), config, font, None, keep=False)

    def convert_one(frame: np.ndarray) -> AsciiResult:
        source = pixels(frame)
        return _convert_one(source, tone.grey(source), reading, config, None)

    return convert_one


@dataclasses.dataclass
class _Reading:
    """What every frame of one animation or clip shares: grid, glyphs, polarity, reading, tone."""

    characters: str
    font: Font
    rows: int
    grid: tuple[int, int]
    size: tuple[int, int]
    drawing: str
    glyphs: np.ndarray
    coverage: np.ndarray
    polarity: str
    reason: str
    curve: np.ndarray
    contrast: bool  # local contrast on (a photo, not one flat ground with a few details)
    notes: tuple[str, ...]
    flat_note: str | None  # one grey level in every frame: what the text became
    prepared: list[np.ndarray] | None  # the frames' sampled grey levels (uint8), when kept from the pass


def _reading(
    greys: Iterable[np.ndarray],
    config: AsciiConfig,
    font: Font,
    previous_polarity: str | None,
    *,
    keep: bool,
    full_size: tuple[int, int] | None = None,
) -> _Reading:
    """One pass over the frames' grey pictures: every histogram the tone choices need. With
    ``keep`` (frames in memory), the sampled pictures are kept so that no frame is sampled twice."""
    characters = usable_characters(config, font)
    grid = cell_grid(font)
    counts = sampled_counts = contrasted_counts = None
    first = None
    kept_sampled, kept_contrasted = [], []
    for grey in greys:
        if first is None:
            first = grey
            height, width = grey.shape
            rows = grid_size(width, height, config.columns, font)
            size = (config.columns * grid[1], rows * grid[0])
        sampled = tone.resample(grey, size)
        contrasted = tone.local_contrast(sampled, config.local_contrast) if config.local_contrast > 0 else sampled
        histograms = tone.histogram(grey), tone.histogram(sampled), tone.histogram(contrasted)
        if counts is None:
            counts, sampled_counts, contrasted_counts = histograms
        else:
            counts, sampled_counts, contrasted_counts = (
                total + new for total, new in zip((counts, sampled_counts, contrasted_counts), histograms)
            )
        if keep:
            kept_sampled.append(sampled)
            kept_contrasted.append(contrasted)
    if first is None:
        raise ValueError("There are no frames to convert.")
    line_art = tone.is_line_art(counts, first) if config.drawing == "auto" else config.drawing == "line-art"
    drawing = "line-art" if line_art else "photo"
    glyphs, coverage = glyph_table(font, characters, drawing == "photo")
    polarity, reason = tone.choose_polarity(counts, config, float(coverage.max()), previous_polarity)
    notes = []
    width, height = full_size or (width, height)
    if size[0] > width or size[1] > height:
        notes.append(
            f"The picture is {width}x{height} pixels, fewer than the {size[0]}x{size[1]} samples "
            f"{config.columns} columns need, so it was enlarged first: the text holds no more "
            "detail than the picture has."
        )
    contrast = drawing == "photo" and config.local_contrast > 0 and not tone.is_flat_ground(sampled_counts)
    prepared = None
    if drawing == "photo":  # levelled as the text will show it: after sampling and local contrast
        curve = tone.tone_curve(contrasted_counts if contrast else sampled_counts, config, polarity)
        if keep:
            prepared = kept_contrasted if contrast else kept_sampled
    else:
        # Line art takes its tone curve on the full-size strokes, then is sampled: sampling
        # first would dilute a thin black stroke to grey, and the curve would then move it.
        curve = np.round(tone.tone_curve(counts, config, polarity) * 255).astype(np.uint8)
    used = np.flatnonzero(counts)
    flat_note = None
    if used[0] == used[-1]:  # one grey level in every frame: say what the text became
        flat_note = f"The picture is one flat tone (grey {used[0]} of 255)"
    return _Reading(
        characters,
        font,
        rows,
        grid,
        size,
        drawing,
        glyphs,
        coverage,
        polarity,
        reason,
        curve,
        contrast,
        tuple(notes),
        flat_note,
        prepared,
    )


def _convert_one(
    source: np.ndarray, grey: np.ndarray, reading: _Reading, config: AsciiConfig, levels: np.ndarray | None
) -> AsciiResult:
    """One frame matched glyph by glyph under the shared reading (``levels``: its sampled grey
    levels, when the reading pass kept them)."""
    rows, grid, glyphs, coverage = reading.rows, reading.grid, reading.glyphs, reading.coverage
    if reading.drawing == "photo":
        if levels is None:
            sampled = tone.resample(grey, reading.size)
            levels = tone.local_contrast(sampled, config.local_contrast) if reading.contrast else sampled
        # Cut into cells while still one byte a sample, then through the tone curve: the same
        # values as curving first, with a quarter of the memory to move in the cutting.
        cells = reading.curve[cell_pixels(levels, rows, config.columns, grid)]
    else:
        ink = tone.resample(reading.curve[grey], reading.size).astype(np.float32) / 255
        cells = cell_pixels(ink, rows, config.columns, grid)
    if config.method == "ramp":
        gaps = np.abs(cells.mean(axis=1)[:, None] - coverage[None, :] / max(coverage.max(), 1e-6))
        index, distance = gaps.argmin(axis=1), gaps.min(axis=1)
    elif config.p == 2:
        index, distance = nearest_from_samples(cells, grid, glyphs, float(config.edge_weight))
    else:
        index, distance = nearest(describe_samples(cells, grid), glyphs, float(config.p), float(config.edge_weight))
    index = index.reshape(rows, config.columns)
    notes = reading.notes
    if reading.flat_note:
        glyph = reading.characters[int(index.flat[0])]
        drawn = "a blank page" if glyph == " " else f"'{glyph}' in every cell"
        notes += (f"{reading.flat_note}, so the text is {drawn}.",)
    return AsciiResult(
        _lines(reading.characters, index),
        index,
        distance.reshape(rows, config.columns).astype(np.float32),
        reading.characters,
        reading.font,
        config,
        reading.drawing,
        reading.polarity,
        reading.reason,
        notes,
        source,
    )


def usable_characters(config: AsciiConfig, font: Font) -> str:
    """The config's candidate glyphs that the font can draw; ``ValueError`` if none are left."""
    characters = "".join(ch for ch in config.characters() if ch == " " or ch in font.characters)
    if not characters:
        raise ValueError(
            "No characters are left to draw with: the charset is empty, all excluded, or missing from the font."
        )
    return characters


def pixels(image: Image.Image | np.ndarray) -> np.ndarray:
    """A picture as a contiguous uint8 array, (H, W) grey or (H, W, 3) RGB."""
    if isinstance(image, Image.Image):
        image = image if image.mode in ("L", "RGB") else image.convert("RGB")
    array = np.ascontiguousarray(np.asarray(image), dtype=np.uint8)
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3)) or 0 in array.shape:
        raise ValueError("Expected an RGB or grey image.")
    return array


def _lines(characters: str, index: np.ndarray) -> list[str]:
    """The text rows, built as one UTF-32 buffer rather than character by character."""
    codes = np.array([ord(ch) for ch in characters], "<u4")[index]
    flat = codes.tobytes().decode("utf-32-le")
    columns = index.shape[1]
    return [flat[start : start + columns] for start in range(0, len(flat), columns)]

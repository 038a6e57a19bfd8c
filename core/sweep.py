"""Sweeps: one or two of a tool's declared settings stepped over a list of values, every other
setting held, the outputs laid out as a grid with labelled axes (A1111's X/Y plot, for any config).

A sweep is written ``NAME=V1,V2,...`` or ``NAME=START:STOP:COUNT`` (evenly spaced, ends included),
on the command line (``--sweep``, once or twice) and in the pages' Sweep tab alike. Each value is
checked against the setting's declaration as it comes in: its type, its choices, and the range the
page's slider has (a sweep is for looking at, so it stays where the page can go); each cell's config
then meets the config's own rules. Light: no tool is imported here.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from core import configs, images

MAX_CELLS = 36  # a grid beyond six by six is too small to compare by eye, and too long to wait for
MAX_AXES = 2


@dataclasses.dataclass(frozen=True)
class Axis:
    name: str
    values: tuple
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "values": list(self.values)}

    def words(self, value: Any) -> str:
        return f"{self.name}={shown(value)}"


@dataclasses.dataclass(frozen=True)
class Cell:
    index: int
    column: int  # along the first axis
    row: int  # along the second (0 for a one-axis sweep)
    values: dict[str, Any]  # the swept settings' values in this cell
    config: Any

    @property
    def name(self) -> str:
        """A file name's part: ``columns-80_p-2`` (letters, digits, dots and dashes only)."""
        parts = [f"{name}-{shown(value)}" for name, value in self.values.items()]
        return "".join(c if c.isalnum() or c in ".-_" else "-" for c in "_".join(parts))

    @property
    def words(self) -> str:
        return ", ".join(f"{name}={shown(value)}" for name, value in self.values.items())


def shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _one_value(config_class: type, name: str, text: str) -> Any:
    declared = configs.spec(config_class, name)
    text = text.strip()
    kind = declared.kind
    try:
        if kind is bool:
            lowered = text.lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                raise ValueError
            value: Any = lowered in ("true", "1", "yes", "on")
        elif kind is int:
            value = int(float(text)) if float(text).is_integer() else None
            if value is None:
                raise ValueError
        elif kind is float:
            value = float(text)
            if not math.isfinite(value):
                raise ValueError
        elif kind is str:
            value = text
        else:
            raise TypeError
    except TypeError:
        raise ValueError(f"{name} cannot be swept (it is not a number, a switch or a word).") from None
    except ValueError:
        words = {bool: "true or false", int: "a whole number", float: "a number"}.get(kind, "a value")
        raise ValueError(f"In the sweep, {name} must be {words}, not {text!r}.") from None
    if declared.choices and value not in declared.choices:
        raise ValueError(f"In the sweep, {name} must be one of {', '.join(map(str, declared.choices))}, not {value!r}.")
    ranged = declared.low is not None and declared.high is not None and not isinstance(value, bool)
    if ranged and not declared.low <= value <= declared.high:
        raise ValueError(
            f"In the sweep, {name}={shown(value)} is outside its range, {shown(declared.low)} to "
            f"{shown(declared.high)}."
        )
    return value


def parse_values(config_class: type, name: str, text: str) -> tuple:
    """The values ``text`` names for the setting ``name``: ``V1,V2,...`` or ``START:STOP:COUNT``."""
    configs.spec(config_class, name)  # an unknown setting is refused by name first
    text = text.strip()
    if not text:
        raise ValueError(f"The sweep over {name} needs values: V1,V2,... or START:STOP:COUNT.")
    if ":" in text and "," not in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ValueError(f"A range is START:STOP:COUNT (for example 40:160:4), not {text!r}.")
        try:
            count = int(parts[2])
        except ValueError:
            raise ValueError(f"A range's COUNT is a whole number, not {parts[2]!r}.") from None
        if not 2 <= count <= MAX_CELLS:
            raise ValueError(f"A range's COUNT is between 2 and {MAX_CELLS}, not {count}.")
        start, stop = (_one_value(config_class, name, part) for part in parts[:2])
        if isinstance(start, (bool, str)) or isinstance(stop, (bool, str)):
            raise ValueError(f"{name} is not a number: list its values instead (V1,V2,...).")
        steps = np.linspace(start, stop, count)
        kind = configs.spec(config_class, name).kind
        values = [int(round(value)) if kind is int else round(float(value), 6) for value in steps]
    else:
        values = [_one_value(config_class, name, part) for part in text.split(",") if part.strip()]
    unique = tuple(dict.fromkeys(values))
    if len(unique) < 2:
        raise ValueError(f"A sweep over {name} needs at least two different values.")
    return unique


def parse_axis(config_class: type, text: str) -> Axis:
    """``NAME=V1,V2,...`` or ``NAME=START:STOP:COUNT`` as an Axis."""
    name, equals, values = text.partition("=")
    name = name.strip().replace("-", "_")
    if not equals or not name:
        raise ValueError(f"A sweep is NAME=V1,V2,... or NAME=START:STOP:COUNT, not {text!r}.")
    return Axis(name, parse_values(config_class, name, values), configs.spec(config_class, name).label)


def cells(base: Any, axes: list[Axis] | tuple[Axis, ...]) -> list[Cell]:
    """Every cell of the sweep (the first axis along a row, the second down the columns), each with
    its config checked by the config's own rules."""
    axes = list(axes)
    if not 1 <= len(axes) <= MAX_AXES:
        raise ValueError(f"A sweep has one or two settings, not {len(axes)}.")
    if len(axes) == 2 and axes[0].name == axes[1].name:
        raise ValueError(f"Both axes of the sweep are {axes[0].name}: pick two different settings.")
    count = math.prod(len(axis.values) for axis in axes)
    if count > MAX_CELLS:
        raise ValueError(f"That sweep has {count} cells; at most {MAX_CELLS} (fewer values, or one setting).")
    config_class = type(base)
    values = configs.to_dict(base)
    found = []
    rows = axes[1].values if len(axes) == 2 else (None,)
    for index, (row_value, column_value) in enumerate(itertools.product(rows, axes[0].values)):
        swept = {axes[0].name: column_value}
        if len(axes) == 2:
            swept[axes[1].name] = row_value
        try:
            config = configs.from_dict(config_class, {**values, **swept})
        except ValueError as error:
            words = ", ".join(f"{name}={shown(value)}" for name, value in swept.items())
            raise ValueError(f"The sweep's cell {words} cannot be made: {error}") from None
        found.append(
            Cell(
                index=index,
                column=axes[0].values.index(column_value),
                row=axes[1].values.index(row_value) if len(axes) == 2 else 0,
                values=swept,
                config=config,
            )
        )
    return found


def axes_from(document: list[dict[str, Any]], config_class: type) -> list[Axis]:
    """Axes back from a job file (``Axis.to_dict``), each value checked again."""
    return [
        Axis(
            item["name"],
            parse_values(config_class, item["name"], ",".join(map(str, item["values"]))),
            configs.spec(config_class, item["name"]).label,
        )
        for item in document
    ]


# --- the grid picture --------------------------------------------------------------------------------

LABEL = 28  # px: the band for the values along each axis
CELL_SIDE = 360  # px: the longer side of a cell's picture in the grid
GAP = 6


def _font(size: int = 15) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def grid(pictures: list[Image.Image | None], axes: list[Axis], *, title: str = "") -> Image.Image:
    """The cells' pictures (in ``cells`` order; None for one not made yet) as one picture: the first
    axis's values above the columns, the second's left of the rows, the settings' names in the corner."""
    columns = len(axes[0].values)
    rows = len(axes[1].values) if len(axes) == 2 else 1
    shown_pictures = [picture for picture in pictures if picture is not None]
    aspect = (shown_pictures[0].height / shown_pictures[0].width) if shown_pictures else 0.75
    cell_width = CELL_SIDE if aspect <= 1 else round(CELL_SIDE / aspect)
    cell_height = round(cell_width * aspect)
    left = 150 if rows > 1 else 0
    top = LABEL + (LABEL if title else 0)
    width = left + columns * (cell_width + GAP) + GAP
    height = top + rows * (cell_height + GAP) + GAP
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    font = _font()
    if title:
        draw.text((GAP, 4), title, fill=(40, 40, 40), font=font)
    if rows > 1:
        draw.text((GAP, top - LABEL + 5), f"{axes[1].name} down", fill=(110, 110, 110), font=font)
    for column, value in enumerate(axes[0].values):
        x = left + GAP + column * (cell_width + GAP)
        draw.text((x + 4, top - LABEL + 5), axes[0].words(value), fill=(20, 20, 20), font=font)
    if rows > 1:
        for row, value in enumerate(axes[1].values):
            y = top + GAP + row * (cell_height + GAP)
            draw.text((GAP, y + cell_height // 2 - 8), axes[1].words(value), fill=(20, 20, 20), font=font)
    for index, picture in enumerate(pictures):
        column, row = index % columns, index // columns
        x, y = left + GAP + column * (cell_width + GAP), top + GAP + row * (cell_height + GAP)
        if picture is None:
            draw.rectangle((x, y, x + cell_width - 1, y + cell_height - 1), fill=(238, 238, 238))
            continue
        fitted = images.fit_into(picture.convert("RGB"), cell_width, cell_height)
        canvas.paste(fitted, (x + (cell_width - fitted.width) // 2, y + (cell_height - fitted.height) // 2))
    return canvas


# --- the jobs' side: each finished cell saved, and the grid so far ----------------------------------

PER_CELL = 1000  # a training sweep's progress counts each cell as this many parts, whatever its length


class CellGrid:
    """A sweep job's cells as they finish: each one's picture saved with its settings inside, and
    the grid so far as the progress event's preview and result."""

    def __init__(self, cells: list[Cell], axes: list[Axis], title: str):
        self.axes, self.title, self.count = axes, title, len(cells)
        self.pictures: list[Image.Image | None] = [None] * len(cells)

    def finished(self, cell: Cell, picture, path, stamp, *, step: int, total: int, seconds: float):
        """Save ``picture`` (an array or a picture) to ``path`` with ``stamp`` inside (None: without);
        the event that shows the grid with it."""
        import io

        from core import provenance
        from core.progress import Progress

        picture = Image.fromarray(np.asarray(picture)).convert("RGB")
        buffer = io.BytesIO()
        picture.save(buffer, "PNG")
        data = provenance.embed(buffer.getvalue(), "png", stamp) if stamp is not None else buffer.getvalue()
        path.write_bytes(data)
        self.pictures[cell.index] = picture
        drawn = np.asarray(grid(self.pictures, self.axes, title=self.title))
        return Progress(
            step=step,
            total=total,
            metrics={"cell_seconds": seconds},
            preview=drawn,
            result=drawn,
            message=f"cell {cell.index + 1} of {self.count} done: {cell.words}",
        )


def training_event(cell: Cell, count: int, event):
    """A training's event inside a sweep: its progress as a share of its cell's ``PER_CELL`` parts."""
    from core.progress import Progress

    return Progress(
        step=cell.index * PER_CELL + PER_CELL * event.step // max(1, event.total),
        total=PER_CELL * count,
        metrics=event.metrics,
        preview=event.preview,
        message=f"cell {cell.index + 1} of {count} ({cell.words}): {event.message}",
    )

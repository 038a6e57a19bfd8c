"""ASCII Art swept over one or two settings (``core.sweep``): the cells drawn in turn from one
picture, each rendered as a picture with its settings inside, then laid out as a labelled grid.

The job target (``core.ascii.sweep:job``) and the ``ascii --sweep`` command share ``run``: the
picture is read once, the font once per font the sweep uses, and each cell is a conversion and a
render (milliseconds to a second, by the columns).
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core import configs, provenance, sweep
from core.ascii.config import AsciiConfig
from core.jobs.runfolder import RunFolder
from core.progress import Progress

CELLS = "cells"  # the run folder's cell pictures: cells/<index>-<name>.png, settings inside


def run(
    picture: Image.Image, cells: list[sweep.Cell], *, stamp_of=None
) -> Iterator[tuple[sweep.Cell, Image.Image, bytes, float]]:
    """Each cell in turn: (cell, its picture, its PNG with its settings inside, seconds it took).
    ``stamp_of(cell)`` gives the cell's stamp (None: no settings written)."""
    from core.ascii.exports import export
    from core.ascii.fonts import load_font
    from core.ascii.pipeline import convert

    fonts = {}
    for cell in cells:
        started = time.perf_counter()
        config = cell.config
        if config.font not in fonts:
            fonts[config.font] = load_font(config.font)
        result = convert(picture, config, fonts[config.font])
        png = export(result, "png")
        seconds = time.perf_counter() - started
        stamp = stamp_of(cell) if stamp_of is not None else None
        if stamp is not None:
            png = provenance.embed(png, "png", stamp)
        with Image.open(io.BytesIO(png)) as opened:
            opened.load()
            yield cell, opened.convert("RGB"), png, seconds


def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: ``config`` is {"base": AsciiConfig as JSON, "axes": [{"name", "values"}]}; the
    run's input picture is ``inputs/image.png``. Each cell goes to ``cells/``; the grid so far is
    the preview and the result."""
    from core import tools

    base = configs.from_dict(AsciiConfig, config["base"])
    axes = sweep.axes_from(config["axes"], AsciiConfig)
    cells = sweep.cells(base, axes)
    folder = RunFolder(run_dir)
    picture = folder.read_input("image")
    if picture is None:
        raise ValueError("The sweep's picture is missing from its run.")
    (folder / CELLS).mkdir(exist_ok=True)
    pictures: list[Image.Image | None] = [None] * len(cells)
    title = _title(base, axes)

    def stamp_of(cell: sweep.Cell):
        return tools.make_stamp("ascii", cell.config, run=folder.id)

    yield Progress(step=0, total=len(cells), message=f"{len(cells)} cells")
    for cell, rendered, png, seconds in run(picture.convert("RGB"), cells, stamp_of=stamp_of):
        (folder / CELLS / f"{cell.index:02d}-{cell.name}.png").write_bytes(png)
        pictures[cell.index] = rendered
        drawn = np.asarray(sweep.grid(pictures, axes, title=title))
        yield Progress(
            step=cell.index + 1,
            total=len(cells),
            metrics={"cell_seconds": seconds},
            preview=drawn,
            result=drawn,
            message=f"cell {cell.index + 1} of {len(cells)}: {cell.words}",
        )


def _title(base: AsciiConfig, axes: list[sweep.Axis]) -> str:
    held = {name: value for name, value in configs.to_dict(base).items() if name not in {a.name for a in axes}}
    words = ", ".join(f"{name}={sweep.shown(held[name])}" for name in ("columns", "charset", "p") if name in held)
    return f"ASCII Art sweep ({words}; every other setting as given)"


def cell_files(run_dir: Path) -> list[Path]:
    """A sweep run's cell pictures, in cell order."""
    return sorted((Path(run_dir) / CELLS).glob("*.png"))

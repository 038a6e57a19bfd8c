"""Style Transfer swept over one or two settings (``core.sweep``): the photo repainted once per cell,
each cell a whole optimisation with its own settings, saved with its settings inside, then laid out
as a labelled grid. The photo and paintings are read once; each cell builds its own network, since
a swept setting may change it (the layers, the pooling, the weights).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PIL import Image

from core import configs, provenance, sweep
from core.jobs.runfolder import RunFolder
from core.progress import Progress
from core.style.config import StyleConfig
from core.style.inputs import StyleInputs
from core.style.optimise import stylise

CELLS = "cells"  # cells/<index>-<name>.png, settings inside


def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: ``config`` is {"base": StyleConfig as JSON, "axes": [{"name", "values"}]}; the
    photo and paintings are the run's inputs, as for one style run."""
    from core import tools

    base = configs.from_dict(StyleConfig, config["base"])
    axes = sweep.axes_from(config["axes"], StyleConfig)
    folder = RunFolder(run_dir)
    given = StyleInputs.read(folder)
    if given.content is None or not given.styles:
        raise ValueError("The sweep has no photo or no painting to start from.")
    (folder / CELLS).mkdir(exist_ok=True)
    yield from run(
        given.content,
        given.styles,
        base,
        axes,
        cell_path=lambda cell: folder / CELLS / f"{cell.index:02d}-{cell.name}.png",
        stamp_of=lambda cell: tools.make_stamp("style", cell.config, run=folder.id),
    )


def run(
    content: Image.Image,
    styles: list[Image.Image],
    base: StyleConfig,
    axes: list[sweep.Axis],
    *,
    cell_path: Callable[[sweep.Cell], Path],
    stamp_of: Callable[[sweep.Cell], provenance.Stamp | None],
) -> Iterator[Progress]:
    """Every cell's optimisation in turn (the job's and ``style --sweep``'s): each cell's picture to
    ``cell_path(cell)`` with ``stamp_of(cell)`` inside; progress counts every step of every cell, and
    the grid so far is the result."""
    cells = sweep.cells(base, axes)
    cell_grid = sweep.CellGrid(cells, axes, title(base, axes))
    total = sum(cell.config.steps for cell in cells)
    done_steps = 0
    yield Progress(step=0, total=total, message=f"{len(cells)} cells")
    for cell in cells:
        started, best = time.perf_counter(), None
        for event in stylise(content, styles, cell.config):
            best = event.result if event.result is not None else best
            yield Progress(
                step=done_steps + event.step,
                total=total,
                metrics=event.metrics,
                preview=event.preview,
                message=f"cell {cell.index + 1} of {len(cells)}: {cell.words}",
            )
        done_steps += cell.config.steps
        if best is not None:
            yield cell_grid.finished(
                cell,
                best,
                cell_path(cell),
                stamp_of(cell),
                step=done_steps,
                total=total,
                seconds=time.perf_counter() - started,
            )


def title(base: StyleConfig, axes: list[sweep.Axis]) -> str:
    swept = {axis.name for axis in axes}
    held = [
        f"{name}={sweep.shown(getattr(base, name))}" for name in ("size", "steps", "optimizer") if name not in swept
    ]
    return f"Style Transfer sweep ({', '.join(held)}; every other setting as given)"

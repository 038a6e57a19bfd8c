"""GAN Studio swept over one or two training settings (``core.sweep``): a short training per cell,
each cell's picture its fixed-noise grid after the last iteration (its settings inside), laid out as
a labelled grid. A cell is a whole training, so a sweep is for a few epochs: it shows which way a
setting pushes the pictures, not where a long training ends.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core import configs, sweep
from core.gan.config import GanConfig
from core.gan.training import train
from core.jobs.runfolder import RunFolder
from core.progress import Progress

CELLS = "cells"  # cells/<index>-<name>.png, settings inside


def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: ``config`` is {"base": GanConfig as JSON, "axes": [{"name", "values"}]}."""
    from core import tools

    base = configs.from_dict(GanConfig, config["base"])
    if base.resume:
        raise ValueError("A sweep trains every cell from the start: it cannot resume a checkpoint.")
    axes = sweep.axes_from(config["axes"], GanConfig)
    cells = sweep.cells(base, axes)
    folder = RunFolder(run_dir)
    (folder / CELLS).mkdir(exist_ok=True)
    cell_grid = sweep.CellGrid(cells, axes, _title(base, axes))
    total = sweep.PER_CELL * len(cells)
    yield Progress(step=0, total=total, message=f"{len(cells)} trainings")
    for cell in cells:
        started, last = time.perf_counter(), None
        for event in train(cell.config, None):
            last = event.preview if event.preview is not None else last
            yield sweep.training_event(cell, len(cells), event)
        if last is not None:
            yield cell_grid.finished(
                cell,
                last,
                folder / CELLS / f"{cell.index:02d}-{cell.name}.png",
                tools.make_stamp("gan", cell.config, run=folder.id),
                step=(cell.index + 1) * sweep.PER_CELL,
                total=total,
                seconds=time.perf_counter() - started,
            )


def _title(base: GanConfig, axes: list[sweep.Axis]) -> str:
    swept = {axis.name for axis in axes}
    held = [
        f"{name}={sweep.shown(getattr(base, name))}"
        for name in ("dataset", "epochs", "architecture")
        if name not in swept
    ]
    return f"GAN Studio sweep ({', '.join(held)}; every other setting as given)"

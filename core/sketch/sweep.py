"""Photo to Sketch swept over one or two training settings (``core.sweep``): a short training per
cell, each cell's picture its photo | target | prediction strip after its last epoch (settings
inside), laid out as a labelled grid. The pairs are drawn once for the whole sweep unless a swept
setting changes them (their size, count, style, data, split, augmentation or seed). Imports Keras.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core import configs, sweep
from core.jobs.runfolder import RunFolder
from core.progress import Progress
from core.sketch.config import SketchConfig
from core.sketch.pairs import load_pairs
from core.sketch.training import train

CELLS = "cells"  # cells/<index>-<name>.png (the strip, settings inside) and .keras (its best model)
PAIR_SETTINGS = ("size", "data", "style", "pairs", "validation_split", "flip", "rotate", "seed")


def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: ``config`` is {"base": SketchConfig as JSON, "axes": [{"name", "values"}]}."""
    from core import tools

    base = configs.from_dict(SketchConfig, config["base"])
    axes = sweep.axes_from(config["axes"], SketchConfig)
    cells = sweep.cells(base, axes)
    folder = RunFolder(run_dir)
    (folder / CELLS).mkdir(exist_ok=True)
    shared = None if any(axis.name in PAIR_SETTINGS for axis in axes) else load_pairs(base)
    title = f"Photo to Sketch sweep ({base.architecture}, {base.epochs} epochs; photo | target | prediction)"
    cell_grid = sweep.CellGrid(cells, axes, title)
    total = sweep.PER_CELL * len(cells)
    yield Progress(step=0, total=total, message=f"{len(cells)} trainings")
    for cell in cells:
        started, strip, stem = time.perf_counter(), None, f"{cell.index:02d}-{cell.name}"
        for event in train(cell.config, folder / CELLS / f"{stem}.keras", shared):
            strip = event.preview if event.preview is not None else strip
            yield sweep.training_event(cell, len(cells), event)
        if strip is not None:
            yield cell_grid.finished(
                cell,
                strip,
                folder / CELLS / f"{stem}.png",
                tools.make_stamp("sketch-train", cell.config, run=folder.id),
                step=(cell.index + 1) * sweep.PER_CELL,
                total=total,
                seconds=time.perf_counter() - started,
            )

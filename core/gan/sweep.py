"""GAN Studio swept over one or two settings (``core.sweep``), in two ways:

- training settings (``job``): a short training per cell, each cell's picture its fixed-noise grid
  after the last iteration (its settings inside), laid out as a labelled grid. A cell is a whole
  training, so a sweep is for a few epochs: it shows which way a setting pushes the pictures, not
  where a long training ends;
- sampling settings of one trained generator (``sample_job``: seed, class, truncation, pictures):
  the generator is loaded once and every cell is a grid of its samples, in a moment each.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core import configs, sweep
from core.gan.config import GanConfig, SamplingConfig
from core.jobs.runfolder import RunFolder
from core.progress import Progress

CELLS = "cells"  # cells/<index>-<name>.png, settings inside


def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: ``config`` is {"base": GanConfig as JSON, "axes": [{"name", "values"}]}."""
    from core import tools
    from core.gan.training import train

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


def sample_job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: ``config`` is {"generator": a checkpoint's path, "base": SamplingConfig as JSON,
    "axes": [{"name", "values"}]}. Each cell's grid carries the generator's training settings and,
    as the stamp's ``sampling``, the cell's own."""
    from core import tools
    from core.gan.checkpoints import load_generator
    from core.gan.sampling import sampled_grid

    base = configs.from_dict(SamplingConfig, config["base"])
    axes = sweep.axes_from(config["axes"], SamplingConfig)
    cells = sweep.cells(base, axes)
    generator, trained = load_generator(config["generator"])
    for cell in cells:  # a class the generator does not have is refused before the first cell
        if cell.config.label != "":
            trained.class_index(cell.config.label)
    folder = RunFolder(run_dir)
    (folder / CELLS).mkdir(exist_ok=True)
    source = Path(config["generator"])
    name = f"run {source.parent.name}" if source.name == "checkpoint.pt" else source.name  # (no server path)
    cell_grid = sweep.CellGrid(cells, axes, f"Samples of {name} ({', '.join(_held(base, axes))})")
    yield Progress(step=0, total=len(cells), message=f"{len(cells)} grids of samples")
    for cell in cells:
        started = time.perf_counter()
        grid = sampled_grid(generator, trained, cell.config)
        stamp = tools.make_stamp("gan", trained, run=folder.id, sampling=configs.to_dict(cell.config))
        yield cell_grid.finished(
            cell,
            grid,
            folder / CELLS / f"{cell.index:02d}-{cell.name}.png",
            stamp,
            step=cell.index + 1,
            total=len(cells),
            seconds=time.perf_counter() - started,
        )


def _held(base: SamplingConfig, axes: list[sweep.Axis]) -> list[str]:
    swept = {axis.name for axis in axes}
    return [
        f"{name}={sweep.shown(getattr(base, name))}"
        for name in ("seed", "label", "truncation", "count")
        if name not in swept and getattr(base, name) != ""  # (no class asked: none to name)
    ]

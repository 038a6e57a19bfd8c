"""``--sweep`` on the training commands (gan-train, sketch-train): the tool's sweep job (``core/<tool>/sweep.py``)
run in the foreground, its cells in a folder beside the output and the labelled grid as a picture.
ASCII Art and Style Transfer draw their sweeps themselves (core/cli/ascii.py, core/cli/style.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.cli.events import drive

HELP = (
    "train once per value, V1,V2,... or START:STOP:COUNT (twice for a grid of two settings; at most 36 cells, "
    "each a whole training: keep them short): OUTPUT's name + -sweep.png is the grid with labelled axes, and "
    "OUTPUT's name + -sweep/cells/ holds each cell's picture with its settings inside"
)


def add_sweep_option(command) -> None:
    command.add_argument("--sweep", action="append", default=[], metavar="NAME=VALUES", help=HELP)


def run_sweep(job, config_class: type, config: Any, texts: list[str], output: Path, metrics_json: str | None) -> int:
    """Every cell of the sweep through ``job`` (a sweep job target); the grid to OUTPUT-sweep.png."""
    from core import configs, sweep

    if len(texts) > sweep.MAX_AXES:
        raise ValueError(f"--sweep is given once or twice (a grid of two settings), not {len(texts)} times.")
    axes = [sweep.parse_axis(config_class, text) for text in texts]
    sweep.cells(config, axes)  # every cell checked before the first training
    folder = output.parent / f"{output.name.split('.')[0]}-sweep"
    folder.mkdir(parents=True, exist_ok=True)
    grid = output.parent / f"{folder.name}.png"
    document = {"base": configs.to_dict(config), "axes": [axis.to_dict() for axis in axes]}
    return drive(job(document, folder), grid, metrics_json)

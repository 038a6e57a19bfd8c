"""Sweeps (issue #33): values parsed and checked against the declarations, the cells of one or two
settings, the labelled grid, ASCII Art's sweep job and ``ascii --sweep``, and the page's Sweep tab."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from core import provenance, sweep, tools
from core.ascii import AsciiConfig
from core.ascii import sweep as ascii_sweep
from core.jobs.runfolder import RunFolder
from tests.helpers import run_cli, run_until_said

REPO = Path(__file__).resolve().parent.parent


def test_values_come_as_a_list_or_a_range_checked_against_the_declaration():
    assert sweep.parse_axis(AsciiConfig, "columns=60,100,140").values == (60, 100, 140)
    assert sweep.parse_axis(AsciiConfig, "columns=40:160:4").values == (40, 80, 120, 160)
    assert sweep.parse_axis(AsciiConfig, "contrast=1:2:3").values == (1.0, 1.5, 2.0)
    assert sweep.parse_axis(AsciiConfig, "charset=ascii, ramp,ascii").values == ("ascii", "ramp")  # once each
    assert sweep.parse_axis(AsciiConfig, "edge-weight=0,1").name == "edge_weight"  # as the flag is spelled
    for text, words in (
        ("columns", "NAME=V1,V2"),
        ("colours=1,2", "no setting 'colours'"),
        ("columns=10,80", "columns=10 is outside its range, 20 to"),
        ("columns=80,eighty", "must be a whole number, not 'eighty'"),
        ("columns=80.5,90", "must be a whole number"),
        ("charset=ascii,runes", "must be one of ascii, ramp"),
        ("columns=80", "at least two different values"),
        ("columns=80,80", "at least two different values"),
        ("columns=40:160:1", "COUNT is between 2 and 36"),
        ("columns=40:160", "START:STOP:COUNT"),
        ("charset=ascii:ramp:3", "not a number"),
        ("contrast=1,nan", "must be a number"),
    ):
        with pytest.raises(ValueError, match=words):
            sweep.parse_axis(AsciiConfig, text)


def test_cells_cover_the_grid_row_by_row_and_refuse_too_many_or_a_bad_cell():
    across = sweep.parse_axis(AsciiConfig, "columns=40,80,120")
    down = sweep.parse_axis(AsciiConfig, "charset=ascii,ramp")
    cells = sweep.cells(AsciiConfig(columns=60, p=3.0), [across, down])
    assert [(cell.column, cell.row, cell.config.columns, cell.config.charset) for cell in cells] == [
        (0, 0, 40, "ascii"),
        (1, 0, 80, "ascii"),
        (2, 0, 120, "ascii"),
        (0, 1, 40, "ramp"),
        (1, 1, 80, "ramp"),
        (2, 1, 120, "ramp"),
    ]
    assert all(cell.config.p == 3.0 for cell in cells), "every other setting is held"
    assert cells[4].name == "columns-80_charset-ramp" and cells[4].words == "columns=80, charset=ramp"
    with pytest.raises(ValueError, match="49 cells; at most 36"):
        sweep.cells(AsciiConfig(), [sweep.parse_axis(AsciiConfig, f"{n}=1:2:7") for n in ("contrast", "gamma")])
    with pytest.raises(ValueError, match="Both axes of the sweep are columns"):
        sweep.cells(AsciiConfig(), [across, across])
    with pytest.raises(ValueError, match="cell p=0 cannot be made: p must be greater than 0"):  # the config's rule
        sweep.cells(AsciiConfig(), [sweep.parse_axis(AsciiConfig, "p=0,1")])


def test_the_grid_labels_its_axes_and_leaves_a_cell_not_made_grey():
    axes = [sweep.parse_axis(AsciiConfig, "columns=40,80"), sweep.parse_axis(AsciiConfig, "charset=ascii,ramp")]
    black = Image.new("RGB", (200, 100), "black")
    picture = np.asarray(sweep.grid([black, black, black, None], axes, title="a title"))
    height, width, _ = picture.shape
    assert width > 2 * sweep.CELL_SIDE and height > sweep.LABEL * 2
    assert (picture[: sweep.LABEL] < 128).any(), "a title and the values across are written"
    assert (picture[sweep.LABEL * 2 + 10 :, :100] < 128).any(), "the values down are written"
    grey = (picture == 238).all(axis=2)
    assert grey.sum() > 0.5 * sweep.CELL_SIDE * sweep.CELL_SIDE * 0.5, "the fourth cell, not made, is grey"


def test_the_ascii_sweep_job_saves_every_cell_with_its_own_settings(tmp_path):
    folder = RunFolder(tmp_path / "run")
    (folder / "inputs").mkdir(parents=True)
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (96, 128, 3), np.uint8)).save(folder.input("image"))
    config = {"base": {"columns": 40}, "axes": [{"name": "columns", "values": [30, 50]}]}
    events = list(ascii_sweep.job(config, folder.path))
    assert [event.step for event in events] == [0, 1, 2] and events[-1].result is not None
    cells = ascii_sweep.cell_files(folder.path)
    assert [path.name for path in cells] == ["00-columns-30.png", "01-columns-50.png"]
    stamps = [provenance.read_file(path) for path in cells]
    assert [tools.config_of(stamp).columns for stamp in stamps] == [30, 50]
    assert all(stamp.run == "run" for stamp in stamps)
    with pytest.raises(ValueError, match="outside its range"):  # a job file is checked like a flag
        list(ascii_sweep.job({"base": {}, "axes": [{"name": "columns", "values": [5, 50]}]}, folder.path))


@pytest.mark.slow
def test_ascii_sweep_on_the_command_line(tmp_path):
    picture = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(2).integers(0, 255, (64, 96, 3), np.uint8)).save(picture)
    done = run_cli(
        "ascii", picture, "--output-dir", tmp_path / "out", "--columns", "40",
        "--sweep", "p=1,2", "--sweep", "charset=ascii,ramp",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    made = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert made == [
        "noise-p-1_charset-ascii.png",
        "noise-p-1_charset-ramp.png",
        "noise-p-2_charset-ascii.png",
        "noise-p-2_charset-ramp.png",
        "noise-sweep.png",
    ]
    assert tools.config_of(provenance.read_file(tmp_path / "out" / "noise-p-2_charset-ramp.png")).charset == "ramp"
    refused = run_cli("ascii", picture, "--output-dir", tmp_path / "out", "--columns", "40", "--sweep", "p=0,1")
    assert refused.returncode == 2 and "cell p=0 cannot be made" in refused.stderr, refused.stderr


@pytest.mark.slow
def test_the_sweep_tab_runs_a_grid_as_a_job_and_a_cell_fills_the_form():
    app = AppTest.from_file(str(REPO / "Home.py"), default_timeout=90).run()
    app.switch_page("pages/1_ASCII_Art.py").run()
    app.text_input(key="ascii_sweep_x_values_columns").set_value("40,1000,80").run()
    assert any("columns=1000 is outside its range, 20 to 400" in item.value for item in app.error)
    app.text_input(key="ascii_sweep_x_values_columns").set_value("40:80:2").run()
    app.selectbox(key="ascii_sweep_y").set_value("charset").run()
    assert any("**8 cells** (2 x 4)" in str(item.value) for item in app.caption)
    app.button(key="ascii_sweep_start").click().run()
    run_until_said(app, "Finished 8 cells")
    cell = next(box for box in app.selectbox if box.key.startswith("ascii_sweep_cell_"))
    cell.select_index(len(cell.options) - 1).run()  # the last cell: 80 columns of symbols
    app.button(key="ascii_sweep_use").click().run()
    assert not app.exception, [item.value for item in app.exception]
    assert any("are in the form" in str(item.value) for item in app.success)
    assert (app.session_state["ascii_columns"], app.session_state["ascii_charset"]) == (80, "symbols")


def test_the_style_sweep_job_runs_a_whole_optimisation_per_cell(tmp_path):
    from core.style import sweep as style_sweep

    folder = RunFolder(tmp_path / "run")
    (folder / "inputs").mkdir(parents=True)
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 255, (36, 48, 3), np.uint8)).save(folder.input("content"))
    Image.fromarray(rng.integers(0, 255, (40, 40, 3), np.uint8)).save(folder.input("style0"))
    base = {"size": 48, "steps": 10, "preview_every": 5, "seed": 1}
    config = {"base": base, "axes": [{"name": "steps", "values": [10, 12]}]}
    events = list(style_sweep.job(config, folder.path))
    assert events[0].total == 22 and events[-1].step == 22, "progress counts every step of every cell"
    assert [event.step for event in events] == sorted(event.step for event in events)
    assert events[-1].result is not None and events[-1].result.shape[1] > 48, "the grid is the result"
    cells = sorted((folder / style_sweep.CELLS).glob("*.png"))
    assert [path.name for path in cells] == ["00-steps-10.png", "01-steps-12.png"]
    assert [tools.config_of(provenance.read_file(path)).steps for path in cells] == [10, 12]
    (folder.input("content")).unlink()
    with pytest.raises(ValueError, match="no photo"):
        list(style_sweep.job(config, folder.path))


@pytest.mark.slow
def test_style_sweep_on_the_command_line(tmp_path):
    rng = np.random.default_rng(4)
    photo, painting = tmp_path / "photo.png", tmp_path / "painting.png"
    Image.fromarray(rng.integers(0, 255, (36, 48, 3), np.uint8)).save(photo)
    Image.fromarray(rng.integers(0, 255, (40, 40, 3), np.uint8)).save(painting)
    out = tmp_path / "out"
    ran = run_cli("style", photo, painting, "--size", "48", "--steps", "10", "--output-dir", out,
                  "--sweep", "steps=10,12", "--sweep", "pooling=max,avg")  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    names = sorted(path.name for path in out.iterdir())
    assert names == [
        "photo-steps-10_pooling-avg.png",
        "photo-steps-10_pooling-max.png",
        "photo-steps-12_pooling-avg.png",
        "photo-steps-12_pooling-max.png",
        "photo-sweep.png",
    ]
    assert provenance.read_file(out / "photo-steps-12_pooling-avg.png").config["pooling"] == "avg"
    ran = run_cli("style", photo, painting, "--output", out / "x.png", "--sweep", "steps=5,2000")
    assert ran.returncode != 0 and "outside its range" in ran.stderr


def test_the_gan_sweep_job_trains_each_cell_briefly_and_keeps_its_grid(tmp_path):
    from core.gan import sweep as gan_sweep

    folder = RunFolder(tmp_path / "run")
    folder.path.mkdir()
    base = {
        "epochs": 1,
        "limit": 1000,
        "ngf": 8,
        "ndf": 16,
        "batch_size": 128,
        "grid": 16,
        "garment_metrics": False,
        "preview_every": 0,
        "seed": 1,
    }
    config = {"base": base, "axes": [{"name": "label_smoothing", "values": [0.0, 0.2]}]}
    events = list(gan_sweep.job(config, folder.path))
    assert events[-1].step == events[-1].total == 2 * sweep.PER_CELL
    assert [event.step for event in events] == sorted(event.step for event in events)
    cells = sorted((folder / gan_sweep.CELLS).glob("*.png"))
    assert [path.name for path in cells] == ["00-label_smoothing-0.png", "01-label_smoothing-0.2.png"]
    assert tools.config_of(provenance.read_file(cells[1])).label_smoothing == 0.2
    with pytest.raises(ValueError, match="cannot resume"):
        list(gan_sweep.job({"base": {**base, "resume": "x.pt"}, "axes": config["axes"]}, folder.path))


@pytest.mark.slow
def test_the_sketch_sweep_job_draws_the_pairs_once_and_trains_each_cell(tmp_path, monkeypatch):
    from core.sketch import sweep as sketch_sweep

    drawn = []
    original = sketch_sweep.load_pairs
    monkeypatch.setattr(sketch_sweep, "load_pairs", lambda config: drawn.append(config) or original(config))
    folder = RunFolder(tmp_path / "run")
    folder.path.mkdir()
    base = {"epochs": 1, "pairs": 32, "width": 8, "depth": 2, "seed": 1}
    config = {"base": base, "axes": [{"name": "learning_rate", "values": [0.001, 0.003]}]}
    events = list(sketch_sweep.job(config, folder.path))
    assert len(drawn) == 1, "the pairs are drawn once for the sweep"
    assert events[-1].step == events[-1].total == 2 * sweep.PER_CELL
    cells = sorted((folder / sketch_sweep.CELLS).glob("*.png"))
    assert [path.name for path in cells] == ["00-learning_rate-0.001.png", "01-learning_rate-0.003.png"]
    assert tools.config_of(provenance.read_file(cells[1])).learning_rate == 0.003
    assert len(list((folder / sketch_sweep.CELLS).glob("*.keras"))) == 2


@pytest.mark.slow
def test_gan_train_sweep_on_the_command_line(tmp_path):
    output = tmp_path / "fashion.pt"
    ran = run_cli("gan-train", "--epochs", "1", "--limit", "1000", "--ngf", "8", "--ndf", "16", "--output", output,
                  "--seed", "1", "--sweep", "label_smoothing=0,0.2")  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "fashion-sweep.png").is_file()
    cells = sorted((tmp_path / "fashion-sweep" / "cells").glob("*.png"))
    assert [path.name for path in cells] == ["00-label_smoothing-0.png", "01-label_smoothing-0.2.png"]
    ran = run_cli("gan-train", "--epochs", "1", "--output", output, "--sweep", "epochs=0,2")
    assert ran.returncode != 0 and "outside its range" in ran.stderr

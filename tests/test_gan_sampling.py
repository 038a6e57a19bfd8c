"""GAN Studio's sampling settings (issue #33): the truncation trick, the sampling sweep's job over one
trained generator, ``gan-sample --sweep``, the stamp's ``sampling`` and the Sweep tab's sampling kind
filling the Generate tab. The shipped conditional generator (0.9 MB) draws in milliseconds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

from core import gan, provenance, tools
from core.gan import sweep as gan_sweep
from core.jobs.runfolder import RunFolder
from tests.helpers import run_cli, run_until_said

REPO = Path(__file__).resolve().parent.parent
CONDITIONAL = REPO / "weights" / "gan-fashion-mnist-conditional.pt"
UNCONDITIONAL = REPO / "weights" / "gan-fashion-mnist.pt"


def test_truncated_noise_stays_inside_and_off_is_the_plain_seeded_noise():
    plain = torch.randn(64, 100, 1, 1, generator=torch.Generator().manual_seed(7))
    assert torch.equal(gan.noise(64, 100, 7), plain)
    assert torch.equal(gan.noise(64, 100, 7, truncation=50.0), plain), "nothing lies beyond 50"
    truncated = gan.noise(64, 100, 7, truncation=0.5)
    assert truncated.abs().max() <= 0.5
    inside = plain.abs() <= 0.5
    assert torch.equal(truncated[inside], plain[inside]), "values already inside are kept"
    assert torch.equal(gan.noise(64, 100, 7, truncation=0.5), truncated), "the same seed, the same noise"
    with pytest.raises(ValueError, match="truncation must be 0"):
        gan.SamplingConfig(truncation=0.01)


def test_a_lower_truncation_draws_samples_closer_together():
    generator, config = gan.load_generator(UNCONDITIONAL)
    spread = {
        truncation: gan.diversity(gan.sample(generator, config, 64, seed=3, truncation=truncation))
        for truncation in (0.0, 0.5)
    }
    assert spread[0.5] < spread[0.0] * 0.9, spread


def test_the_sampling_sweep_job_draws_each_cell_from_one_generator(tmp_path):
    folder = RunFolder(tmp_path / "run")
    folder.path.mkdir()
    config = {
        "generator": str(CONDITIONAL),
        "base": {"seed": 4, "count": 4},
        "axes": [{"name": "label", "values": ["Sandal", "Bag"]}, {"name": "truncation", "values": [0, 0.5]}],
    }
    events = list(gan_sweep.sample_job(config, folder.path))
    assert events[-1].step == events[-1].total == 4
    assert events[-1].result.shape[0] > 200 and events[-1].result.shape[1] > 400  # the labelled grid
    cells = sorted((folder / gan_sweep.CELLS).glob("*.png"))
    assert [path.name for path in cells] == [
        "00-label-Sandal_truncation-0.png",
        "01-label-Bag_truncation-0.png",
        "02-label-Sandal_truncation-0.5.png",
        "03-label-Bag_truncation-0.5.png",
    ]
    stamp = provenance.read_file(cells[3])
    assert stamp.sampling == {"seed": 4, "label": "Bag", "truncation": 0.5, "count": 4}
    assert tools.config_of(stamp).conditional, "the generator's own training settings travel with it"
    # The cell is that generator's grid for those settings, drawn again here.
    generator, trained = gan.load_generator(CONDITIONAL)
    again = gan.sampled_grid(generator, trained, gan.SamplingConfig(seed=4, label="Bag", truncation=0.5, count=4))
    assert np.array_equal(np.asarray(Image.open(cells[3]).convert("RGB")), again)
    with pytest.raises(ValueError, match="no class 'Parka'"):
        list(gan_sweep.sample_job({**config, "axes": [{"name": "label", "values": ["Bag", "Parka"]}]}, folder.path))
    with pytest.raises(ValueError, match="trained without classes"):
        list(gan_sweep.sample_job({**config, "generator": str(UNCONDITIONAL)}, folder.path))


def test_a_stamp_without_sampling_writes_none_and_one_with_it_round_trips():
    plain = tools.make_stamp("gan", gan.GanConfig())
    assert "sampling" not in json.loads(plain.to_json())
    drawn = tools.make_stamp("gan", gan.GanConfig(), sampling={"seed": 2, "label": "", "truncation": 0.7, "count": 9})
    assert provenance.Stamp.from_json(drawn.to_json()).sampling["truncation"] == 0.7


@pytest.mark.slow
def test_gan_sample_sweep_on_the_command_line(tmp_path):
    output = tmp_path / "samples.png"
    ran = run_cli("gan-sample", "--weights", CONDITIONAL, "--output", output, "-n", "4",
                  "--sweep", "class=Shirt,Bag", "--sweep", "seed=0:2:3")  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert provenance.read_file(output).tool == "gan"
    cells = sorted((tmp_path / "samples-sweep" / "cells").glob("*.png"))
    assert len(cells) == 6 and cells[0].name == "00-label-Shirt_seed-0.png"
    assert provenance.read_file(cells[5]).sampling["seed"] == 2
    ran = run_cli("gan-sample", "--weights", CONDITIONAL, "--output", output, "--sweep", "truncation=0,7")
    assert ran.returncode != 0 and "outside its range, 0 to 3" in ran.stderr
    ran = run_cli("gan-sample", "--weights", CONDITIONAL, "--output", output, "--truncation", "0.6", "--class", "Bag")
    assert ran.returncode == 0, ran.stderr
    assert provenance.read_file(output).sampling == {"seed": 0, "label": "Bag", "truncation": 0.6, "count": 64}


@pytest.mark.slow
def test_the_sampling_sweep_tab_runs_as_a_job_and_a_cell_goes_to_the_generate_tab():
    app = AppTest.from_file(str(REPO / "Home.py"), default_timeout=90).run()
    app.switch_page("pages/4_GAN_Studio.py").run()
    app.radio(key="gan_sweep_kind").set_value(app.radio(key="gan_sweep_kind").options[0]).run()
    generators = app.selectbox(key="gan_sample_sweep_generator").options
    shipped = next(option for option in generators if "conditional" in option)
    app.selectbox(key="gan_sample_sweep_generator").set_value(shipped).run()
    app.selectbox(key="gan_sample_sweep_x").set_value("truncation").run()
    app.text_input(key="gan_sample_sweep_x_values_truncation").set_value("0,9").run()
    assert any("outside its range, 0 to 3" in item.value for item in app.error)
    app.text_input(key="gan_sample_sweep_x_values_truncation").set_value("0,0.6").run()
    app.selectbox(key="gan_sample_sweep_y").set_value("seed").run()
    app.text_input(key="gan_sample_sweep_y_values_seed").set_value("5,6").run()
    assert any("**4 cells** (2 x 2)" in str(item.value) for item in app.caption)
    app.button(key="gan_sample_sweep_start").click().run()
    run_until_said(app, "Finished 4 cells")
    cell = next(box for box in app.selectbox if box.key.startswith("gan_sample_sweep_cell_"))
    cell.select_index(len(cell.options) - 1).run()  # the last cell: truncation 0.6, seed 6
    app.button(key="gan_sample_sweep_use").click().run()
    assert not app.exception, [item.value for item in app.exception]
    assert any("is in the Generate tab" in str(item.value) for item in app.success)
    assert app.session_state["gan_sample_seed"] == 6 and app.session_state["gan_truncation"] == 0.6
    assert app.session_state["gan_generator"] == shipped

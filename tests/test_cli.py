"""The command line: help without heavy imports, the demo end to end, bad input exits non-zero."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers import REPO as ROOT
from tests.helpers import cli_options, run_cli

REPO = Path(__file__).resolve().parent.parent


def test_help_lists_the_tools():
    completed = run_cli("--help")
    assert completed.returncode == 0
    for tool in ("demo", "device", "assets"):
        assert tool in completed.stdout


def test_importing_core_and_asking_for_help_load_neither_torch_nor_tensorflow_nor_ray():
    probe = (
        "import sys, runpy, tempfile\n"
        "import core, core.jobs, core.images, core.assets, core.cli, core.progress, core.configs\n"
        "core.jobs.manager_from_environment(tempfile.mkdtemp(), environment={}).close()  # the local backend\n"
        "sys.argv = ['core', '--help']\n"
        "try:\n    runpy.run_module('core', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "heavy = [name for name in ('torch', 'tensorflow', 'keras', 'streamlit', 'ray') if name in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in completed.stdout, completed.stdout + completed.stderr


def test_no_streamlit_import_and_no_print_outside_the_cli_in_core():
    for path in (REPO / "core").rglob("*.py"):
        text = path.read_text()
        assert "import streamlit" not in text and "from streamlit" not in text, path
        if path.name != "__main__.py" and path.parent.name != "cli":
            assert "print(" not in text, path


@pytest.mark.parametrize("backend", ["torch", "tensorflow"])
def test_demo_paints_and_writes_metrics(tmp_path, backend):
    source = tmp_path / "in.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (40, 30, 3), np.uint8)).save(source)
    output, metrics = tmp_path / "out.png", tmp_path / "metrics.json"
    completed = run_cli(
        "demo",
        str(source),
        "--output",
        str(output),
        "--steps",
        "30",
        "--size",
        "16",
        "--metrics-json",
        str(metrics),
        "--backend",
        backend,
    )
    assert completed.returncode == 0, completed.stderr
    painted = Image.open(output)
    assert painted.size == (12, 16)  # longer side fitted to --size
    steps = json.loads(metrics.read_text())["steps"]
    assert [row["step"] for row in steps] == list(range(1, 31))
    assert steps[-1]["metrics"]["loss"] < steps[0]["metrics"]["loss"]


def test_bad_input_exits_with_status_2_and_one_reason(tmp_path):
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all")
    completed = run_cli("demo", str(junk), "--output", str(tmp_path / "x.png"))
    assert completed.returncode == 2
    assert completed.stderr.strip().startswith("error: This file is not an image")
    assert "Traceback" not in completed.stderr
    completed = run_cli("demo", str(junk), "--output", str(tmp_path / "x.png"), "--steps", "0")
    assert completed.returncode == 2 and "steps must be at least 1" in completed.stderr


# gan-train flags whose default now depends on --small-set: argparse holds None and the command
# resolves it; the contract is checked on the settings it resolves to.
RESOLVED_BY_THE_COMMAND = {
    "gan-train": {
        "--ngf": "ngf",
        "--ndf": "ndf",
        "--batch-size": "batch_size",
        "--g-learning-rate": "g_learning_rate",
        "--d-learning-rate": "d_learning_rate",
        "--diffaugment": "diffaugment",
    }
}


def test_every_flag_and_default_of_the_contract_still_parses_the_same(monkeypatch):
    """tests/data/cli-contract.json holds every command's flags, defaults and choices as they were
    when the one-shape work began (issue #23, commit d5a7bbd). Flags may be added; none may go,
    change its default or lose a choice."""
    from core import cli
    from core.cli import gan as gan_cli

    monkeypatch.delenv("ATELIER_RUNS", raising=False)  # the recorded default of runs --runs: "runs"
    contract = json.loads((ROOT / "tests" / "data" / "cli-contract.json").read_text())
    current = cli_options()
    resolved = gan_cli.gan_train_config(
        cli.build_parser().parse_args(["gan-train", "--epochs", "1", "--output", "x.pt"])
    )
    for command, flags in contract.items():
        assert command in current, f"the command {command!r} is gone"
        for flag, before in flags.items():
            assert flag in current[command], f"{command} lost {flag}"
            now = current[command][flag]
            assert set(before["choices"] or []) <= set(now["choices"] or before["choices"] or []), (command, flag)
            # A required flag may become optional only where --settings FILE can give its value
            # (every command line that worked still works; the command says when neither is given).
            # Likewise --output where --output-dir now writes a batch instead (the command says when
            # neither or both are given).
            alternative = "--settings" in current[command] or (
                flag == "--output" and "--output-dir" in current[command]
            )
            loosened = before["required"] and not now["required"] and alternative
            assert now["required"] == before["required"] or loosened, (command, flag)
            assert now["nargs"] == before["nargs"], (command, flag)
            field = RESOLVED_BY_THE_COMMAND.get(command, {}).get(flag)
            if field:
                assert now["default"] is None and getattr(resolved, field) == before["default"], (command, flag)
            else:
                assert now["default"] == before["default"], (command, flag, before["default"], now["default"])


def test_each_command_is_registered_by_the_file_the_table_names():
    """``python -m core CMD`` builds only the parser of CMD's registration (core/cli/__init__.COMMANDS):
    the table must name every command, and only the file and function that register it."""
    import argparse

    from core import cli

    def names(parser) -> set[str]:
        found = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
        return set(found[0].choices)

    assert names(cli.build_parser()) == set(cli.COMMANDS)
    assert set(cli.COMMANDS.values()) == set(cli.REGISTRATIONS)
    for registration in cli.REGISTRATIONS:
        assert names(cli.build_parser(only=registration)) == {
            command for command, made_by in cli.COMMANDS.items() if made_by == registration
        }

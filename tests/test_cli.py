"""The command line: help without heavy imports, the demo end to end, bad input exits non-zero."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parent.parent


def run_cli(*arguments, timeout=120):
    return subprocess.run([sys.executable, "-m", "core", *arguments], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


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
        if path.name not in ("cli.py", "__main__.py"):
            assert "print(" not in text, path


@pytest.mark.parametrize("backend", ["torch", "tensorflow"])
def test_demo_paints_and_writes_metrics(tmp_path, backend):
    source = tmp_path / "in.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (40, 30, 3), np.uint8)).save(source)
    output, metrics = tmp_path / "out.png", tmp_path / "metrics.json"
    completed = run_cli("demo", str(source), "--output", str(output), "--steps", "30", "--size", "16",
                        "--metrics-json", str(metrics), "--backend", backend)
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


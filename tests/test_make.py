"""The Makefile's data step that `make run` runs: idempotent, and a package it cannot install gives a
note, never a failure (the app runs without the data and each page says what is missing)."""

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(
    shutil.which("make") is None or shutil.which("dpkg") is None, reason="needs make and dpkg (Debian)"
)


def make_data(**variables) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-s", "data", *(f"{name}={value}" for name, value in variables.items())],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_data_step_does_nothing_when_everything_is_there():
    for _ in range(2):
        done = make_data(DATA_PACKAGES="dpkg")  # always installed on Debian
        assert done.returncode == 0 and done.stdout == "" and done.stderr == ""


def test_a_package_that_cannot_be_installed_gives_a_note_not_a_failure():
    done = make_data(DATA_PACKAGES="dpkg atelier-no-such-package", APT_GET="false")
    assert done.returncode == 0, done.stderr
    assert "Note: could not install atelier-no-such-package" in done.stdout
    assert "dpkg" not in done.stdout.split("install", 1)[1].split("(")[0]  # only what is missing is named

"""The GPU path, checked on the CPU: the device check's rehearsal, Keras on either backend, the
backend choice, and versions other than the pins."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import device, sketch

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_gpu_device_check_runs_at_toy_sizes_on_the_cpu(tmp_path):
    # Without the KERAS_BACKEND that a sketch test run earlier in this process may have set (Keras
    # reads it from the environment, and children inherit it): the GPU path picks its own.
    environment = {key: value for key, value in os.environ.items() if key != "KERAS_BACKEND"}
    completed = subprocess.run(
        [sys.executable, "bench/gpu.py", str(tmp_path), "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    statuses = {(row["check"], row["status"]) for row in results["rows"]}
    assert {check for check, status in statuses if status == "ok"} == {"style", "gan", "sketch", "fid"}, statuses
    assert not [row for row in results["rows"] if row["status"] == "FAILED"]
    assert any("Keras torch" in row.get("case", "") for row in results["rows"])  # the backend the GPU uses
    assert sorted(path.suffix for path in tmp_path.iterdir()).count(".png") == 4
    assert "check" in (tmp_path / "table.txt").read_text()


SAVE_AND_PREDICT = """
import sys, numpy as np
sys.path.insert(0, {repo!r})
from core.sketch.backend import import_keras
keras = import_keras()
from core.sketch import inference, model as sketch_model
assert keras.backend.backend() == {backend!r}, keras.backend.backend()
photos = np.random.default_rng(0).integers(0, 256, (2, 64, 96, 3), dtype=np.uint8)
for path, save, output in {jobs!r}:
    if save:
        keras.utils.set_random_seed(3)
        sketch_model.save_model(sketch_model.build_model(256), path)
    np.save(output, inference.predict(sketch_model.load_model(path), photos))
print("tensorflow" in sys.modules, "torch" in sys.modules)
"""


def run_backend(backend: str, jobs: list[tuple[str, bool, str]]) -> str:
    """One child process per backend (each import of TensorFlow or torch costs seconds): for each
    (model path, save a new model there first, output .npy), load the model and predict."""
    code = SAVE_AND_PREDICT.format(repo=str(REPO), backend=backend, jobs=jobs)
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_a_model_saved_under_tensorflow_predicts_the_same_under_torch(tmp_path):
    import numpy as np

    path, shipped = str(tmp_path / "model.keras"), str(sketch.shipped_model_path(256))
    output = {name: str(tmp_path / f"{name}.npy") for name in ("tf", "torch", "tf-shipped", "torch-shipped")}
    loaded = run_backend("tensorflow", [(path, True, output["tf"]), (shipped, False, output["tf-shipped"])])
    assert loaded.startswith("True")
    loaded = run_backend("torch", [(path, False, output["torch"]), (shipped, False, output["torch-shipped"])])
    assert loaded == "False True"  # torch's Keras never loads TensorFlow beside it
    by_tensorflow, by_torch = np.load(output["tf"]), np.load(output["torch"])
    assert by_tensorflow.shape == (2, 64, 96) and by_tensorflow.std() > 0
    assert np.abs(by_tensorflow - by_torch).mean() < 1e-4
    assert np.abs(np.load(output["tf-shipped"]) - np.load(output["torch-shipped"])).mean() < 1e-4


def test_the_keras_backend_follows_the_device(monkeypatch):
    monkeypatch.delenv("ATELIER_KERAS_BACKEND", raising=False)
    assert sketch.keras_backend(cuda_available=lambda: True) == "torch"
    assert sketch.keras_backend(cuda_available=lambda: False) == "tensorflow"
    assert sketch.keras_backend() == "tensorflow"  # this machine: no GPU
    monkeypatch.setenv("ATELIER_KERAS_BACKEND", "torch")
    assert sketch.keras_backend(cuda_available=lambda: False) == "torch"
    monkeypatch.setenv("ATELIER_KERAS_BACKEND", "jax")
    with pytest.raises(ValueError, match="ATELIER_KERAS_BACKEND"):
        sketch.keras_backend()


def test_other_versions_than_the_pins_warn_and_do_not_fail(tmp_path):
    import numpy

    pins = tmp_path / "requirements.txt"
    pins.write_text(f"numpy=={numpy.__version__}\nkeras==0.0.1 ; python_version > '3'\nscipy==0.1\n")
    warnings = device.version_warnings(pins)
    assert len(warnings) == 1 and warnings[0].startswith("keras ") and "tested with 0.0.1" in warnings[0]
    assert device.version_warnings(tmp_path / "missing.txt") == []
    assert device.version_warnings() == []  # this checkout's own pins are what is installed

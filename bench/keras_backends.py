"""Keras on TensorFlow against Keras on torch, for Photo to Sketch, on this machine, in one run.

    python bench/keras_backends.py [--repeats 10] [--train-pairs 64]

Each backend runs in its own process (Keras fixes its backend at import, and TensorFlow and
torch do not share a process here). Both load the same shipped ``.keras`` files and sketch the
same photo through the call the app uses (``core.inference.predict``): milliseconds per picture at
256 and 512 px (median), and one training epoch of ``--train-pairs`` random 256 px pairs
(batch 16) after a warm-up epoch, in pairs per second. The outputs of the two backends are
compared too (mean absolute difference). This is what decides the CPU default in
``core.sketch.keras_backend``; on CUDA the choice is torch either way (``tensorflow-cpu`` has
no GPU).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "keras-backends.txt"


def measure(repeats: int, train_pairs: int, output: str) -> None:
    """The child: everything on the backend KERAS_BACKEND names."""
    sys.path.insert(0, str(REPO))
    import numpy as np

    from core import images, sketch
    from core.sketch import inference
    from core.sketch import model as sketch_model
    from core.sketch.backend import import_keras

    keras = import_keras()
    photo = np.asarray(images.load_sample("Astronaut"))
    report = {"backend": keras.backend.backend(), "inference_ms": {}}
    outputs = {}
    for size in sketch.SIZES:
        model = sketch_model.load_model(sketch.shipped_model_path(size))
        batch = sketch.resize_to_side(photo, size)[None]
        for _ in range(2):
            inference.predict(model, batch)
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            outputs[size] = inference.predict(model, batch)
            times.append(time.perf_counter() - started)
        report["inference_ms"][str(size)] = 1000 * statistics.median(times)
    rng = np.random.default_rng(0)
    photos = rng.integers(0, 256, (train_pairs, 256, 256, 3)).astype(np.float32)
    targets = rng.random((train_pairs, 256, 256, 1)).astype(np.float32)
    keras.utils.set_random_seed(0)
    model = sketch_model.build_model(256)
    sketch_model.compile_model(model, 1e-3)
    model.fit(photos, targets, batch_size=16, epochs=1, verbose=0)  # warm-up: tracing, allocation
    started = time.perf_counter()
    model.fit(photos, targets, batch_size=16, epochs=1, verbose=0)
    report["train_pairs_per_second"] = train_pairs / (time.perf_counter() - started)
    np.savez(output, **{str(size): value for size, value in outputs.items()})
    print(json.dumps(report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--train-pairs", type=int, default=64)
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        measure(arguments.repeats, arguments.train_pairs, arguments.child)
        return
    import tempfile

    import numpy as np

    reports, outputs = {}, {}
    with tempfile.TemporaryDirectory() as folder:
        for backend in ("tensorflow", "torch"):
            output = str(Path(folder) / f"{backend}.npz")
            completed = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--repeats",
                    str(arguments.repeats),
                    "--train-pairs",
                    str(arguments.train_pairs),
                    "--child",
                    output,
                ],
                env={**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"},
                capture_output=True,
                text=True,
                check=True,
            )
            reports[backend] = json.loads(completed.stdout.strip().splitlines()[-1])
            outputs[backend] = dict(np.load(output))
    tensorflow, torch = reports["tensorflow"], reports["torch"]
    lines = [
        f"# bench/keras_backends.py on {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"CPU only; shipped models, median of {arguments.repeats}",
        "",
        f"{'':<34} {'tensorflow':>11} {'torch':>11} {'torch / tf':>11}",
    ]
    for size in tensorflow["inference_ms"]:
        a, b = tensorflow["inference_ms"][size], torch["inference_ms"][size]
        lines.append(f"{f'inference {size} px, ms':<34} {a:>11.1f} {b:>11.1f} {b / a:>11.2f}")
    a, b = tensorflow["train_pairs_per_second"], torch["train_pairs_per_second"]
    lines.append(f"{f'training 256 px, pairs/s ({arguments.train_pairs})':<34} {a:>11.1f} {b:>11.1f} {b / a:>11.2f}")
    for size in outputs["tensorflow"]:
        difference = float(np.abs(outputs["tensorflow"][size] - outputs["torch"][size]).mean())
        lines.append(f"same .keras file, {size} px: mean |tensorflow - torch| = {difference:.2e}")
    text = "\n".join(lines)
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text + "\n")


if __name__ == "__main__":
    main()

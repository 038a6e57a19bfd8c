"""Photo to Sketch speed against its compute floor and against classical filters, in one run.

    python bench/sketch.py [--repeats 20] [--train-pairs 64]

The floor of a model is its multiply-add count (2 FLOPs each, counted layer by layer) over the
float32 matrix-multiply rate this script measures on the same machine (a 2048x2048 matmul in
TensorFlow): no convolution can beat that rate, so "x floor" says how much is left on the
table. Inference is one image per call through the compiled call the app uses (and, for
comparison, through ``model.predict``); training is ``fit`` images per second after a warm-up
epoch, against a floor of 3x the forward FLOPs (forward, and two backward products).
Peers: OpenCV's pencilSketch and the dodge-and-burn filter on the same image size.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # grappler's harmless "remapper failed" lines

from core import images, sketch  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "sketch.txt"


def matmul_rate() -> float:
    import tensorflow as tf

    matrix = tf.random.normal((2048, 2048))
    (matrix @ matrix).numpy()
    times = []
    for _ in range(7):
        started = time.perf_counter()
        (matrix @ matrix).numpy()
        times.append(time.perf_counter() - started)
    return 2 * 2048**3 / min(times)


def forward_flops(model, size: int) -> float:
    """2 x multiply-adds of every convolution for a size x size input."""
    total, side = 0.0, size
    for layer in model.layers:
        kind = type(layer).__name__
        if kind not in ("Conv2D", "Conv2DTranspose"):
            continue
        kernel_height, kernel_width, channels_in, channels_out = layer.kernel.shape
        if kind == "Conv2D":
            side //= layer.strides[0]
            total += side * side * kernel_height * kernel_width * channels_in * channels_out
        else:  # every input pixel scatters a full kernel
            total += side * side * kernel_height * kernel_width * channels_in * channels_out
            side *= layer.strides[0]
    return 2.0 * total


def median_seconds(function, repeats: int) -> float:
    function()
    function()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def training_rate(size: int, pairs: int, batch_size: int) -> float:
    import keras

    rng = np.random.default_rng(0)
    photos = rng.integers(0, 256, (pairs, size, size, 3)).astype(np.float32)
    targets = rng.random((pairs, size, size, 1)).astype(np.float32)
    model = sketch.build_model(size)
    sketch.compile_model(model, 1e-3)
    model.fit(photos, targets, batch_size=batch_size, epochs=1, verbose=0)  # warm-up: tracing, allocation
    stamps = []

    class Stamp(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            stamps.append(time.perf_counter())

    started = time.perf_counter()
    model.fit(photos, targets, batch_size=batch_size, epochs=2, verbose=0, callbacks=[Stamp()])
    return pairs * 2 / (stamps[-1] - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--train-pairs", type=int, default=64)
    arguments = parser.parse_args()

    rate = matmul_rate()
    photo = np.asarray(images.load_sample("Astronaut"))
    rows = []
    for size in sketch.SIZES:
        path = sketch.shipped_model_path(size)
        model = sketch.load_model(path) if path.exists() else sketch.build_model(size)
        flops = forward_flops(model, size)
        floor = flops / rate
        square = sketch.resize_to_side(photo, size)
        forward = sketch._forward(model)
        batch = square[None].astype(np.float32)
        ours = median_seconds(lambda: np.asarray(forward(batch)), arguments.repeats)
        end_to_end = median_seconds(lambda: sketch.sketch_photo(model, photo, working_side=size), arguments.repeats)
        predict = median_seconds(lambda: model.predict(batch, verbose=0), max(5, arguments.repeats // 4))
        pencil = median_seconds(lambda: sketch.opencv_pencil(square), arguments.repeats)
        dodge = median_seconds(lambda: sketch.dodge_and_burn(square), arguments.repeats)
        batch_size = 16 if size == 256 else 8
        train = training_rate(size, arguments.train_pairs if size == 256 else arguments.train_pairs // 2, batch_size)
        train_floor = rate / (3 * flops)
        rows.append((size, flops, floor, ours, end_to_end, predict, pencil, dodge, train, train_floor, batch_size))

    lines = [
        f"# bench/sketch.py on {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"float32 matmul rate {rate / 1e9:.0f} GFLOP/s (TensorFlow, 2048x2048)",
        "",
        "Inference, one image, milliseconds (median):",
        f"{'size':>5} {'GFLOP':>6} {'floor':>7} {'model':>7} {'x floor':>8} {'+resize':>8} {'predict()':>10} "
        f"{'pencilSketch':>13} {'dodge&burn':>11}",
    ]
    for size, flops, floor, ours, end_to_end, predict, pencil, dodge, *_ in rows:
        lines.append(f"{size:>5} {flops / 1e9:>6.2f} {floor * 1e3:>7.1f} {ours * 1e3:>7.1f} {ours / floor:>8.2f} "
                     f"{end_to_end * 1e3:>8.1f} {predict * 1e3:>10.1f} {pencil * 1e3:>13.1f} {dodge * 1e3:>11.2f}")
    lines += ["", "Training (fit, random pairs, after a warm-up epoch), images per second:",
              f"{'size':>5} {'batch':>6} {'floor img/s':>12} {'measured':>9} {'x floor':>8}"]
    for size, *_, train, train_floor, batch_size in rows:
        lines.append(f"{size:>5} {batch_size:>6} {train_floor:>12.1f} {train:>9.1f} {train_floor / train:>8.2f}")
    text = "\n".join(lines)
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text + "\n")


if __name__ == "__main__":
    main()

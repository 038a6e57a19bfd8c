"""Photo to Sketch against what it learned, against the method's speed, and against its compute floor.

    python bench/sketch.py [--repeats 20] [--train-pairs 64] [--model NAME=PATH ...]

1. Quality on held-out photos (whole photos no model trained on): MAE, SSIM and PSNR of each
   model's drawing against the slow pencil drawing's own (the target it learned), beside two
   answers that need no model: a blank page and the mean training drawing. Target: SSIM >= 0.75
   at 256 px. ``--model`` adds models to the table (the architecture comparison in
   weights/README.md was made that way).
2. Speed against the method: the model's forward pass and the slow pencil drawing on the same
   held-out pictures at 256x256 and 512x512 (median over pictures). Target: the model at least
   10x faster at 512 px on this CPU.
3. Compute floor: the model's multiply-add count (2 FLOPs each, counted layer by layer) over the
   float32 matrix-multiply rate measured here (a 2048x2048 matmul in TensorFlow): no convolution
   beats that rate, so "x floor" says how much is left on the table. Training: ``fit`` images per
   second after a warm-up epoch, against 3x the forward FLOPs. Quick filters (OpenCV's
   pencilSketch, dodge-and-burn) on the same size for scale.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # grappler's harmless "remapper failed" lines

from core import images, sketch  # noqa: E402
from core.sketch import evaluation, inference  # noqa: E402
from core.sketch import model as sketch_model  # noqa: E402
from core.sketch.evaluation import median_seconds  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "sketch.txt"
SSIM_TARGET, SPEEDUP_TARGET = 0.75, 10.0


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
    """2 x multiply-adds of every convolution for a size x size input. A kernel is applied at
    each output pixel of a Conv2D and each input pixel of a Conv2DTranspose (every input pixel
    scatters a full kernel); the sides come from the model's own shape inference (inputs are
    (None, None, C), so only a concrete size gives them)."""
    import keras

    convolutions = [layer for layer in model.layers if type(layer).__name__ in ("Conv2D", "Conv2DTranspose")]
    probe = keras.Model(model.input, [layer.input for layer in convolutions])
    input_shapes = probe.compute_output_shape((1, size, size, model.input_shape[-1]))
    total = 0.0
    for layer, shape in zip(convolutions, input_shapes):
        side = shape[1] // layer.strides[0] if type(layer).__name__ == "Conv2D" else shape[1]
        kernel_height, kernel_width, channels_in, channels_out = layer.kernel.shape
        total += side * side * kernel_height * kernel_width * channels_in * channels_out
    return 2.0 * total


def training_rate(model_path: Path, size: int, pairs: int, batch_size: int) -> float:
    import keras

    rng = np.random.default_rng(0)
    photos = sketch_model.model_input(rng.integers(0, 256, (pairs, size, size, 3)).astype(np.uint8))
    targets = rng.random((pairs, size, size, 1)).astype(np.float32)
    model = keras.Model.from_config(sketch_model.load_model(model_path).get_config())
    sketch_model.compile_model(model, 1e-3)
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
    parser.add_argument(
        "--pairs",
        type=int,
        default=960,
        help="crops cut at 256 px (the shipped 256 model's setting); a quarter of it at 512 px",
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="another model to score at 256 px (repeatable)",
    )
    arguments = parser.parse_args()
    shipped = {size: sketch.shipped_model_path(size) for size in sketch.SIZES}
    for size, path in shipped.items():
        if not path.exists():
            sys.exit(f"bench/sketch.py: the shipped {size} px model is missing ({path}).")

    lines = [f"# bench/sketch.py on {platform.processor() or platform.machine()}, {os.cpu_count()} cores", ""]
    # 1. Quality against the slow method's drawing, held-out photos.
    held_out = {}
    lines += [
        "Held-out photos, drawing against the slow pencil drawing's own (higher SSIM/PSNR, lower MAE "
        f"are better; target SSIM >= {SSIM_TARGET} at 256 px):",
        f"{'size':>5}  {'who':<34} {'MAE':>7} {'SSIM':>6} {'PSNR dB':>8}  note",
    ]
    for size in sketch.SIZES:
        pairs = sketch.builtin_pairs(
            sketch.SketchConfig(size=size, pairs=arguments.pairs if size == 256 else arguments.pairs // 4)
        )
        held_out[size] = pairs
        contenders = {f"shipped sketch-{size}.keras": shipped[size]}
        if size == 256:
            contenders |= dict(item.split("=", 1) for item in arguments.model)
        scores = None
        for name, path in contenders.items():
            scores = evaluation.held_out_scores(sketch_model.load_model(path), pairs)
            note = ""
            if size == 256 and name.startswith("shipped"):
                note = (
                    "meets the target"
                    if scores["ssim"] >= SSIM_TARGET
                    else f"misses by {SSIM_TARGET - scores['ssim']:.3f}"
                )
            lines.append(
                f"{size:>5}  {name:<34} {scores['mae']:7.4f} {scores['ssim']:6.3f} {scores['psnr']:8.2f}  {note}"
            )
        for label, prefix in (("blank page", "white_page_"), ("mean training drawing", "mean_sketch_")):
            lines.append(
                f"{size:>5}  {label:<34} {scores[prefix + 'mae']:7.4f} {scores[prefix + 'ssim']:6.3f} "
                f"{scores[prefix + 'psnr']:8.2f}"
            )
        lines.append(f"{'':>5}  ({len(pairs.validation_photos)} crops of {', '.join(pairs.validation_sources)})")
    # 2. Speed against the method.
    lines += [
        "",
        f"Speed against the method it learned, on the same held-out pictures (median of 6; target "
        f">= {SPEEDUP_TARGET:.0f}x at 512 px):",
        f"{'size':>9} {'model ms':>9} {'pencil drawing ms':>18} {'speed-up':>9}  note",
    ]
    for size in sketch.SIZES:
        model = sketch_model.load_model(shipped[size])
        result = evaluation.speed(model, held_out[256].validation_photos[:6], size, repeats=5)
        note = (
            ""
            if size != 512
            else (
                "meets the target"
                if result["speedup"] >= SPEEDUP_TARGET
                else f"misses: {result['speedup']:.1f}x of {SPEEDUP_TARGET:.0f}x"
            )
        )
        lines.append(
            f"{size:>4}x{size:<4} {result['model_seconds'] * 1e3:9.1f} {result['method_seconds'] * 1e3:18.1f} "
            f"{result['speedup']:8.1f}x  {note}"
        )
    # 3. The compute floor.
    rate = matmul_rate()
    photo = np.asarray(images.load_sample("Astronaut"))
    lines += [
        "",
        f"Against the compute floor (float32 matmul rate {rate / 1e9:.0f} GFLOP/s, TensorFlow, "
        "2048x2048); inference, one image, milliseconds (median):",
        f"{'size':>5} {'GFLOP':>6} {'floor':>7} {'model':>7} {'x floor':>8} {'+resize':>8} {'predict()':>10} "
        f"{'pencilSketch':>13} {'dodge&burn':>11}",
    ]
    training_rows = []
    for size in sketch.SIZES:
        model = sketch_model.load_model(shipped[size])
        flops = forward_flops(model, size)
        floor = flops / rate
        square = sketch.resize_to_side(photo, size)
        forward = inference.compiled_forward(model)
        batch = square[None]
        ours = median_seconds(
            lambda forward=forward, batch=batch: np.asarray(forward(batch)), arguments.repeats
        )  # with the input channels
        end_to_end = median_seconds(
            lambda model=model, size=size: inference.sketch_photo(model, photo, working_side=size), arguments.repeats
        )
        inputs = sketch_model.model_input(batch, sketch_model.input_channels(model))
        predict = median_seconds(
            lambda model=model, inputs=inputs: model.predict(inputs, verbose=0), max(5, arguments.repeats // 4)
        )
        opencv = median_seconds(lambda square=square: sketch.opencv_pencil(square), arguments.repeats)
        dodge = median_seconds(lambda square=square: sketch.dodge_and_burn(square), arguments.repeats)
        lines.append(
            f"{size:>5} {flops / 1e9:>6.2f} {floor * 1e3:>7.1f} {ours * 1e3:>7.1f} {ours / floor:>8.2f} "
            f"{end_to_end * 1e3:>8.1f} {predict * 1e3:>10.1f} {opencv * 1e3:>13.1f} {dodge * 1e3:>11.2f}"
        )
        batch_size = 16 if size == 256 else 8
        train = training_rate(
            shipped[size], size, arguments.train_pairs if size == 256 else arguments.train_pairs // 2, batch_size
        )
        training_rows.append((size, batch_size, rate / (3 * flops), train))
    lines += [
        "",
        "Training (fit, random pairs, after a warm-up epoch), images per second:",
        f"{'size':>5} {'batch':>6} {'floor img/s':>12} {'measured':>9} {'x floor':>8}",
    ]
    for size, batch_size, train_floor, train in training_rows:
        lines.append(f"{size:>5} {batch_size:>6} {train_floor:>12.1f} {train:>9.1f} {train_floor / train:>8.2f}")
    text = "\n".join(lines)
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text + "\n")


if __name__ == "__main__":
    main()

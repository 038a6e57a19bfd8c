"""How close a model's drawings come to the drawings it learned, and how much faster it makes them.

Scores are on held-out pairs (whole photos the model never saw): MAE, SSIM and PSNR against the
target, beside two guesses that need no model, the mean training sketch and a blank page (under
MAE, mostly-white drawings make the blank page a strong one; SSIM does not forgive it).
Imports Keras (through ``core.sketch.inference``).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from core.sketch import filters
from core.sketch.inference import compiled_forward, predict
from core.sketch.model import model_multiple
from core.sketch.pairs import Pairs


def evaluate(predicted: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """MAE, SSIM and PSNR of sketches in [0, 1] (NxHxW), averaged over pictures."""
    from skimage import metrics

    predicted, target = np.asarray(predicted, np.float64), np.asarray(target, np.float64)
    return {
        "mae": float(np.mean(np.abs(predicted - target))),
        "ssim": float(
            np.mean([metrics.structural_similarity(p, t, data_range=1.0) for p, t in zip(predicted, target)])
        ),
        "psnr": float(
            np.mean([metrics.peak_signal_noise_ratio(t, p, data_range=1.0) for p, t in zip(predicted, target)])
        ),
    }


def held_out_scores(model, pairs: Pairs) -> dict[str, float]:
    """The model on the validation pairs (``mae``, ``ssim``, ``psnr``), beside a blank page
    (``white_page_*``) and the mean training sketch (``mean_sketch_*``)."""
    target = pairs.validation_sketches / 255.0
    scores = evaluate(predict(model, pairs.validation_photos), target)
    mean_sketch = np.broadcast_to(pairs.train_sketches.mean(axis=0) / 255.0, target.shape)
    for prefix, guess in (("white_page_", np.ones_like(target)), ("mean_sketch_", mean_sketch)):
        scores |= {prefix + name: value for name, value in evaluate(guess, target).items()}
    return scores


def speed(model, photos, side: int, style: str = "pencil", repeats: int = 3) -> dict[str, float]:
    """Seconds to draw each of ``photos`` (HxWx3 arrays) resized to ``side`` px (longer side):
    the model's forward pass and the method it learned (``style``) on the same pictures, the
    median over pictures of each one's median time; and their ratio."""
    forward, multiple = compiled_forward(model), model_multiple(model)
    model_times, method_times = [], []
    for photo in photos:
        picture = filters.resize_to_side(photo, side)
        # Cut to the model's multiple, so that no padding is in the model's time.
        picture = picture[: picture.shape[0] // multiple * multiple, : picture.shape[1] // multiple * multiple]
        model_times.append(median_seconds(lambda picture=picture: forward(picture[None]), repeats))
        method_times.append(median_seconds(lambda picture=picture: filters.pencil_filter(picture, style), repeats))
    model_seconds, method_seconds = statistics.median(model_times), statistics.median(method_times)
    return {
        "model_seconds": model_seconds,
        "method_seconds": method_seconds,
        "speedup": method_seconds / model_seconds,
        "side": side,
        "pictures": len(photos),
    }


def median_seconds(function, repeats: int) -> float:
    """Median wall time of ``repeats`` calls, after two warm-up calls (the first ones compile and allocate)."""
    function()
    function()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)

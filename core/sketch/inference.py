"""Drawing with a trained model: batches, whole photos, and big photos in feathered tiles.
Imports Keras (through ``core.sketch.model``)."""

from __future__ import annotations

import weakref

import cv2
import numpy as np

from core.sketch.filters import resize_to_side
from core.sketch.model import input_channels, keras, model_input, model_multiple, model_size


def predict(model, photos: np.ndarray, batch_size: int = 8) -> np.ndarray:
    """NxHxWx3 uint8 (sides multiples of ``model_multiple``) to NxHxW float32 sketches in [0, 1]."""
    outputs = [
        np.asarray(compiled_forward(model)(photos[start : start + batch_size]))[..., 0]
        for start in range(0, len(photos), batch_size)
    ]
    return np.concatenate(outputs).astype(np.float32)


_FORWARD_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def compiled_forward(model):
    """An inference call: NxHxWx3 photos in (the input channels made here, ``model_input``),
    numpy out. ``model.predict`` costs ~80 ms of overhead per call here, more than the whole
    network at 256 px: on TensorFlow the call is a compiled ``tf.function``; on torch a plain
    call without autograd, on the model's device."""
    if model not in _FORWARD_CACHE:
        channels = input_channels(model)
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            compiled = tf.function(
                lambda batch: model(tf.cast(batch, tf.float32), training=False), reduce_retracing=True, autograph=False
            )

            def forward(batch):
                return compiled(model_input(batch, channels)).numpy()
        else:
            import torch

            def forward(batch):
                with torch.no_grad():
                    return keras.ops.convert_to_numpy(model(model_input(batch, channels), training=False))

        _FORWARD_CACHE[model] = forward
    return _FORWARD_CACHE[model]


def sketch_photo(model, photo: np.ndarray, *, working_side: int | None = None, tile: int | None = None) -> np.ndarray:
    """Sketch one RGB photo (HxWx3 uint8); returns an HxW uint8 sketch at the working size.

    The photo is resized so that its longer side is ``working_side`` (the model's size by
    default). Above ``tile`` pixels (default: twice the model size) it is sketched in
    overlapping tiles, blended with feathered weights, so memory stays flat however big it is.
    """
    size = model_size(model)
    tile = tile or tile_side(model)
    resized = resize_to_side(photo, working_side or size)
    if max(resized.shape[:2]) <= tile:
        drawn = _whole(model, resized)
    else:
        drawn = _tiled(model, resized, tile, overlap=min(size, tile) // 4)
    return (np.clip(drawn, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def tile_side(model) -> int:
    """Above this many pixels (longer side) ``sketch_photo`` draws in tiles: twice the training size."""
    return 2 * model_size(model)


def _whole(model, photo: np.ndarray) -> np.ndarray:
    height, width = photo.shape[:2]
    multiple = model_multiple(model)
    padded = cv2.copyMakeBorder(photo, 0, -height % multiple, 0, -width % multiple, cv2.BORDER_REFLECT_101)
    return predict(model, padded[None])[0, :height, :width]


def _tiled(model, photo: np.ndarray, tile: int, overlap: int) -> np.ndarray:
    height, width = photo.shape[:2]
    total, weights = np.zeros((height, width), np.float32), np.zeros((height, width), np.float32)
    ramp = np.minimum(np.arange(tile) + 1, overlap).astype(np.float32)
    ramp = np.minimum(ramp, ramp[::-1])
    feather = np.outer(ramp, ramp)
    step = tile - overlap
    for top in _tile_starts(height, tile, step):
        for left in _tile_starts(width, tile, step):
            piece = photo[top : top + tile, left : left + tile]
            drawn = _whole(model, piece)
            weight = feather[: drawn.shape[0], : drawn.shape[1]]
            total[top : top + tile, left : left + tile] += drawn * weight
            weights[top : top + tile, left : left + tile] += weight
    return total / np.maximum(weights, 1e-6)


def _tile_starts(length: int, tile: int, step: int) -> list[int]:
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, step))
    return starts + [length - tile]

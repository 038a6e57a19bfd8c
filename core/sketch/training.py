"""Training: Keras ``fit`` in a helper thread, turned into a generator of progress events.
Imports Keras (through ``core.sketch.model``)."""

from __future__ import annotations

import contextlib
import math
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from core import configs
from core.progress import Progress
from core.sketch.config import PREVIEW_PAIRS, SketchConfig
from core.sketch.evaluation import held_out_scores
from core.sketch.inference import predict
from core.sketch.model import build_model, compile_model, input_channels, keras, load_model, model_input, save_model
from core.sketch.pairs import Pairs, augment, load_pairs, pair_strip


def train(config: SketchConfig, output: Path, pairs: Pairs | None = None) -> Iterator[Progress]:
    """Train, emitting an event per epoch (train and validation MAE, a photo | target |
    prediction strip) and a few within each epoch; the best weights so far are always on disk
    at ``output`` (``.keras`` or ``.weights.h5``), so a stop or a crash loses nothing.

    Keras' ``fit`` runs in a helper thread and hands events over through a queue; when the
    consumer stops asking, the callback ends ``fit`` after the current batch.
    """
    pairs = pairs if pairs is not None else load_pairs(config)
    if len(pairs.train_photos) < 1 or len(pairs.validation_photos) < 1:
        raise ValueError("Training needs at least one training pair and one validation pair.")
    keras.utils.set_random_seed(config.seed)
    model = build_model(config.size, config.architecture, config.width, config.depth)
    if config.init:
        start = load_model(
            config.init, config.size, architecture=config.architecture, width=config.width, depth=config.depth
        )
        try:
            model.set_weights(start.get_weights())
        except ValueError:
            raise ValueError(
                f"{Path(config.init).name} has a different architecture from this run's "
                f"({config.architecture}, width {config.width}, depth {config.depth})."
            ) from None
    compile_model(model, config.learning_rate, config.perceptual)

    validation_x = model_input(pairs.validation_photos, input_channels(model))
    validation_y = pairs.validation_sketches[..., None] / np.float32(255.0)
    batches = _batches(pairs, config)
    events: queue.Queue = queue.Queue(maxsize=64)
    stop = threading.Event()
    state = {"best_epoch": 0, "best": math.inf, "epoch": 0, "error": None, "diverged": ""}
    callback = _progress_callback(config, pairs, output, events, stop, state, len(batches))
    early_stopping = keras.callbacks.EarlyStopping(
        monitor="val_mae", mode="min", patience=config.patience, restore_best_weights=True
    )

    # Halve the learning rate when validation stalls for a while, before early stopping gives up:
    # the last epochs of a run then refine instead of bouncing (a departure from the design's constant 1e-3).
    slow_down = keras.callbacks.ReduceLROnPlateau(
        monitor="val_mae", mode="min", factor=0.5, patience=max(1, config.patience // 2), min_lr=1e-5
    )

    def fit() -> None:
        try:
            model.fit(
                batches,
                validation_data=(validation_x, validation_y),
                epochs=config.epochs,
                verbose=0,
                callbacks=[callback, slow_down, early_stopping],
                validation_batch_size=config.batch_size,
            )
        except BaseException as error:  # handed to the consumer's thread, raised there
            state["error"] = error
        finally:
            events.put(None)

    worker = threading.Thread(target=fit, name="keras-fit", daemon=True)
    worker.start()
    try:
        while (event := events.get()) is not None:
            yield event
    finally:
        stop.set()
        while worker.is_alive():  # drain, so a blocked put cannot keep fit from finishing
            with contextlib.suppress(queue.Empty):
                events.get(timeout=0.1)
        worker.join()
    if state["error"] is not None:
        raise state["error"]
    if state["diverged"]:
        raise ValueError(state["diverged"])
    if state["best_epoch"] == 0:
        raise ValueError("Training ended before the first epoch finished; there are no weights to keep.")
    scores = held_out_scores(
        load_model(output, config.size, architecture=config.architecture, width=config.width, depth=config.depth), pairs
    )
    baseline, white = scores["mean_sketch_mae"], scores["white_page_mae"]
    stopped_early = early_stopping.stopped_epoch > 0
    yield Progress(
        step=state["epoch"],
        total=config.epochs,
        metrics={
            "best_val_mae": scores["mae"],
            "best_val_ssim": scores["ssim"],
            "best_val_psnr": scores["psnr"],
            "mean_sketch_mae": baseline,
            "white_page_mae": white,
            "best_epoch": state["best_epoch"],
        },
        result=callback.best_strip,
        message=(
            f"{'Stopped early' if stopped_early else 'Done'} after epoch {state['epoch']}; kept the best "
            f"epoch, {state['best_epoch']}: validation MAE {scores['mae']:.4f} (the mean sketch scores "
            f"{baseline:.4f}, a blank page {white:.4f}), SSIM {scores['ssim']:.3f}, PSNR {scores['psnr']:.2f} dB."
        ),
    )


def _batches(pairs: Pairs, config: SketchConfig):
    """Shuffled, augmented batches for ``fit`` (built-in pairs come augmented already; uploaded
    ones are flipped and rotated here, batch by batch)."""

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__(workers=1, use_multiprocessing=False)
            self.rng = np.random.default_rng(config.seed + 1)
            self.order = self.rng.permutation(len(pairs.train_photos))

        def __len__(self) -> int:
            return math.ceil(len(pairs.train_photos) / config.batch_size)

        def __getitem__(self, index: int):
            chosen = self.order[index * config.batch_size : (index + 1) * config.batch_size]
            photos, sketches = pairs.train_photos[chosen], pairs.train_sketches[chosen]
            if not pairs.augmented and (config.flip or config.rotate):
                photos, sketches = augment(photos, sketches, self.rng, config.flip, config.rotate)
            return model_input(photos), sketches[..., None].astype(np.float32) / 255.0

        def on_epoch_end(self) -> None:
            self.order = self.rng.permutation(len(pairs.train_photos))

    return Batches()


def _progress_callback(config, pairs, output, events, stop, state, batches_per_epoch):
    """The Keras callback: events out, stop requests in, the best weights saved whenever the
    validation MAE improves, and a stop on a non-finite loss."""

    class ProgressCallback(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.best_strip = None
            self.last_event = 0.0
            self.preview_photos = pairs.validation_photos[:PREVIEW_PAIRS]
            self.preview_targets = pairs.validation_sketches[:PREVIEW_PAIRS]

        def on_train_batch_end(self, batch, logs=None):
            loss = float((logs or {}).get("loss", 0.0))
            mae = float((logs or {}).get("mae", loss))
            if not math.isfinite(loss):
                state["diverged"] = (
                    f"The loss became {loss} in epoch {state['epoch'] + 1}; training stopped. "
                    + (
                        f"The best weights (epoch {state['best_epoch']}, validation MAE {state['best']:.4f}) "
                        "were kept. "
                        if state["best_epoch"]
                        else ""
                    )
                    + "Try a lower learning rate."
                )
                self.model.stop_training = True
            if stop.is_set():
                self.model.stop_training = True
            elif time.monotonic() - self.last_event > 1.0:
                self.last_event = time.monotonic()
                events.put(
                    Progress(
                        step=state["epoch"],
                        total=config.epochs,
                        message=f"epoch {state['epoch'] + 1}: batch {batch + 1} of "
                        f"{batches_per_epoch}, training MAE {mae:.4f}",
                    )
                )

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            state["epoch"] = epoch + 1
            train_mae, validation_mae = float(logs.get("mae", math.nan)), float(logs.get("val_mae", math.nan))
            if not (math.isfinite(train_mae) and math.isfinite(validation_mae)):
                return  # on_train_batch_end has already said why and stopped
            strip = self.strip()
            improved = validation_mae < state["best"]
            if improved:
                state["best"], state["best_epoch"] = validation_mae, epoch + 1
                save_model(self.model, output)
                self.best_strip = strip
            events.put(
                Progress(
                    step=epoch + 1,
                    total=config.epochs,
                    metrics={"train_mae": train_mae, "val_mae": validation_mae, "best_epoch": state["best_epoch"]},
                    preview=strip,
                    result=self.best_strip,
                    message=f"epoch {epoch + 1}: validation MAE {validation_mae:.4f}"
                    + (" (best so far, saved)" if improved else f" (best: epoch {state['best_epoch']})"),
                )
            )

        def strip(self) -> np.ndarray:
            predicted = predict(self.model, self.preview_photos)
            return pair_strip(self.preview_photos, self.preview_targets, (predicted * 255.0 + 0.5).astype(np.uint8))

    return ProgressCallback()


def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: train, keeping the best model in the run folder (``RunFolder.model``)."""
    from core.jobs.runfolder import RunFolder

    settings = configs.from_dict(SketchConfig, config)
    yield from train(settings, RunFolder(run_dir).model)

"""The demo job: a small network learns to repaint an image, pixel by pixel.

It exists to exercise the machinery every tool shares (a background process, progress events,
previews, stop, run cards) with something quick and visible. The network maps a pixel's (x, y)
position, lifted by random Fourier features (Tancik et al., 2020), to its colour; a plain MLP
on raw coordinates would only learn a blur. The same model is written for torch and for
TensorFlow so that one app run can prove both frameworks work side by side (each in its own
job process).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from core import configs, device, images
from core.progress import Progress

BACKENDS = ("torch", "tensorflow")


@dataclasses.dataclass
class DemoConfig:
    backend: str = "torch"  # "torch" or "tensorflow": the same model in either framework
    steps: int = 300  # optimisation steps (full-batch Adam)
    size: int = 64  # the image is downscaled so its longer side has this many pixels
    hidden: int = 128  # width of each of the two hidden layers
    frequencies: int = 32  # random Fourier features; more gives sharper detail and more noise
    frequency_scale: float = 10.0  # spread of those frequencies, in cycles per image
    learning_rate: float = 0.01
    preview_every: int = 10  # steps between preview images
    step_delay: float = 0.0  # seconds slept after each step, so a demo or test can watch it slowly
    seed: int = 0

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}.")
        if self.steps < 1:
            raise ValueError("steps must be at least 1.")
        if not 8 <= self.size <= 256:
            raise ValueError("size must be between 8 and 256 pixels.")
        if self.learning_rate <= 0:
            raise ValueError("learning_rate must be positive.")
        if self.preview_every < 1:
            raise ValueError("preview_every must be at least 1.")


# What a run costs, said before Start (core/jobs/estimates.py): work in steps at 64 px (the cost
# grows with the pixels); the slow motion asked for counts with the start. First guesses for 2 CPU cores.
FIRST_GUESS_SECONDS_PER_STEP = 0.01
START_SECONDS = {"torch": 6.0, "tensorflow": 12.0}  # the framework loading in the job's process


def plan(config: DemoConfig):
    from core.jobs.estimates import Plan

    return Plan(
        work=config.steps * (config.size / 64) ** 2,
        kind=f"{config.backend}-{config.hidden}-{config.frequencies}",
        start_seconds=START_SECONDS[config.backend] + config.steps * config.step_delay,
    )


def paint(image: np.ndarray, config: DemoConfig) -> Iterator[Progress]:
    """Fit the network to ``image`` (HxWx3 uint8); yields one event per step."""
    target = np.asarray(image, dtype=np.float32) / 255.0
    height, width = target.shape[:2]
    features = fourier_features(height, width, config)
    step_function = _torch_steps if config.backend == "torch" else _tensorflow_steps
    for step, loss, prediction in step_function(features, target.reshape(-1, 3), config):
        if not math.isfinite(loss):
            raise ValueError(
                f"The loss became {loss} at step {step}; try a lower learning rate. The last good image was kept."
            )
        show = step % config.preview_every == 0 or step == config.steps
        picture = prediction().reshape(height, width, 3) if show else None
        yield Progress(
            step=step,
            total=config.steps,
            metrics={"loss": loss, "psnr": 10.0 * math.log10(1.0 / max(loss, 1e-10))},
            preview=picture,
            result=picture,
        )
        if config.step_delay:
            time.sleep(config.step_delay)


def fourier_features(height: int, width: int, config: DemoConfig) -> np.ndarray:
    rows, columns = np.meshgrid(np.linspace(-1, 1, height), np.linspace(-1, 1, width), indexing="ij")
    coordinates = np.stack([rows.ravel(), columns.ravel()], axis=1).astype(np.float32)
    generator = np.random.default_rng(config.seed)
    frequencies = generator.normal(0.0, config.frequency_scale, (2, config.frequencies)).astype(np.float32)
    angles = math.pi * coordinates @ frequencies
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)


def _torch_steps(features: np.ndarray, target: np.ndarray, config: DemoConfig):
    import torch

    device.seed_everything(config.seed)
    where = device.torch_device()
    inputs = torch.from_numpy(features).to(where)
    goal = torch.from_numpy(target).to(where)
    model = torch.nn.Sequential(
        torch.nn.Linear(features.shape[1], config.hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(config.hidden, config.hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(config.hidden, 3),
        torch.nn.Sigmoid(),
    ).to(where)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    for step in range(1, config.steps + 1):
        optimizer.zero_grad(set_to_none=True)
        output = model(inputs)
        loss = torch.nn.functional.mse_loss(output, goal)
        loss.backward()
        optimizer.step()
        yield step, loss.item(), lambda output=output: output.detach().cpu().numpy()


def _tensorflow_steps(features: np.ndarray, target: np.ndarray, config: DemoConfig):
    import tensorflow as tf

    device.seed_everything(config.seed)
    initializer = tf.keras.initializers.GlorotUniform(seed=config.seed)
    sizes = [features.shape[1], config.hidden, config.hidden, 3]
    weights = [tf.Variable(initializer((a, b)), name=f"demo_w{i}") for i, (a, b) in enumerate(zip(sizes, sizes[1:]))]
    biases = [tf.Variable(tf.zeros([b]), name=f"demo_b{i}") for i, b in enumerate(sizes[1:])]
    optimizer = tf.keras.optimizers.Adam(learning_rate=config.learning_rate)
    inputs, goal = tf.constant(features), tf.constant(target)

    def forward():
        hidden = inputs
        for layer, (weight, bias) in enumerate(zip(weights, biases)):
            hidden = hidden @ weight + bias
            hidden = tf.nn.relu(hidden) if layer < len(weights) - 1 else tf.sigmoid(hidden)
        return hidden

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            output = forward()
            loss = tf.reduce_mean(tf.square(output - goal))
        optimizer.apply_gradients(zip(tape.gradient(loss, weights + biases), weights + biases))
        return loss, output

    for step in range(1, config.steps + 1):
        loss, output = train_step()
        yield step, float(loss), lambda output=output: output.numpy()


def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: repaint ``inputs/image.png`` of the run folder."""
    settings = configs.from_dict(DemoConfig, config)
    source = images.load_image(run_dir / "inputs" / "image.png")
    target = np.asarray(images.fit_within(source, settings.size))
    yield from paint(target, settings)

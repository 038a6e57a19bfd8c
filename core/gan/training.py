"""The training loop: one progress event per iteration, grids and checkpoints as it goes."""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from core import configs, device
from core.gan import GanConfig
from core.gan.augment import AdaptiveAugment, augment_batch, diff_augment
from core.gan.checkpoints import check_compatible, load_checkpoint, save_checkpoint
from core.gan.data import load_dataset
from core.gan.evaluation import training_fid
from core.gan.models import build_discriminator, build_generator
from core.gan.sampling import diversity, make_grid
from core.progress import Progress

R1_EVERY = 4  # iterations between R1 penalties


def train(config: GanConfig, checkpoint_path: Path | None = None) -> Iterator[Progress]:
    """Train, yielding one event per iteration; a grid at the start, every ``preview_every``
    iterations and at each epoch's end; a checkpoint at each epoch's end, and on a stop between
    two iterations."""
    trainer = Trainer(config, checkpoint_path)
    yield from trainer.run()


class Trainer:
    """One training, in the manner of minGPT's trainer: set up (models, optimisers, a resumed
    checkpoint), then per iteration a discriminator step and a generator step, and the hooks
    around them (a preview grid, the epoch's measures and checkpoint, a save on stop). ``run``
    drives them and yields one ``Progress`` per iteration; it prints nothing."""

    def __init__(self, config: GanConfig, checkpoint_path: Path | None = None):
        self.checkpoint_path = checkpoint_path
        self.where = where = device.torch_device(config.device)
        dtype = device.resolve_precision(config.precision, where)
        # bfloat16 autocast runs the convolutions in bf16 (BatchNorm, losses and weights stay float32).
        self.autocast = torch.autocast(where.type, dtype=dtype, enabled=dtype != torch.float32)
        device.seed_everything(config.seed)
        self.data, self.labels, self.description, class_names = load_dataset(config)
        if config.conditional:
            config = dataclasses.replace(config, class_names=class_names)  # saved with every checkpoint
        self.config = config
        # Channels-last suits oneDNN's convolutions (bench/gan.py times the loop).
        self.generator = build_generator(config).to(where, memory_format=torch.channels_last)
        self.discriminator = build_discriminator(config).to(where, memory_format=torch.channels_last)
        betas = (config.beta1, 0.999)
        self.optimiser_g = torch.optim.Adam(self.generator.parameters(), lr=config.g_learning_rate, betas=betas)
        self.optimiser_d = torch.optim.Adam(self.discriminator.parameters(), lr=config.d_learning_rate, betas=betas)
        noise = torch.randn(config.grid, config.latent, 1, 1, generator=torch.Generator().manual_seed(config.seed))
        # The grid's classes: each row one class (a conditional model's grid shows every class).
        self.columns = math.ceil(math.sqrt(config.grid))
        self.grid_labels = (
            (torch.arange(config.grid) // self.columns % config.class_count) if config.conditional else None
        )
        self.step, self.start_epoch, self.start_index = 0, 0, 0
        self.fastgan = config.architecture == "fastgan"
        self.adaptive = AdaptiveAugment(config.ada_target) if config.ada_target else None
        self.noise = noise
        checkpoint = self._resume() if config.resume else None
        self.noise = self.noise.to(where)
        self.average = None
        if config.ema:
            self.average = copy.deepcopy(self.generator).eval().requires_grad_(False)
            if checkpoint is not None:
                self.average.load_state_dict(checkpoint["generator"])
        self.batches = len(self.data) // config.batch_size  # drop the last partial batch: BatchNorm dislikes tiny ones
        self.total = config.epochs * self.batches
        self.real_label = 1.0 - config.label_smoothing
        self.watch = TrainingWatch()
        self.garments = garment_watch(config, where)
        self.fid_cache: dict[str, np.ndarray] = {}  # the real pictures' features, computed once
        self.saved_step, self.epoch, self.index = self.step, self.start_epoch, self.start_index - 1

    def _resume(self) -> dict[str, Any]:
        checkpoint = load_checkpoint(self.config.resume)
        check_compatible(checkpoint, self.config)
        if "discriminator" not in checkpoint:
            raise ValueError(
                "This checkpoint holds only a generator (a shipped one, for sampling); resume needs a "
                "checkpoint written by training."
            )
        self.generator.load_state_dict(checkpoint.get("generator_trained", checkpoint["generator"]))
        self.discriminator.load_state_dict(checkpoint["discriminator"])
        self.optimiser_g.load_state_dict(checkpoint["optimiser_g"])
        self.optimiser_d.load_state_dict(checkpoint["optimiser_d"])
        self.step, self.start_epoch, self.noise = checkpoint["step"], checkpoint["epoch"], checkpoint["noise"]
        # A run stopped mid-epoch saved how far into that epoch it got; carry on from there.
        self.start_index = checkpoint.get("epoch_iterations", 0)
        if self.adaptive is not None:
            self.adaptive.probability = float(checkpoint.get("ada_probability", 0.0))
        return checkpoint

    def run(self) -> Iterator[Progress]:
        config = self.config
        try:
            for epoch in range(self.start_epoch, config.epochs):
                self.epoch = epoch
                order = torch.randperm(len(self.data))
                self.generator.train()
                for index in range(self.start_index if epoch == self.start_epoch else 0, self.batches):
                    self.index = index
                    metrics = self.train_step(order[index * config.batch_size : (index + 1) * config.batch_size])
                    yield self.after_step(metrics)
        except GeneratorExit:
            self.save_on_stop()
            raise

    def train_step(self, chosen) -> dict[str, float]:
        """One discriminator step and one generator step on the batch ``chosen`` (indices)."""
        config, where = self.config, self.where
        real = augment_batch(self.data[chosen], config.size)
        real = real.to(where).contiguous(memory_format=torch.channels_last)
        z = torch.randn(len(real), config.latent, 1, 1, device=where)
        conditional = self.labels is not None
        real_classes = self.labels[chosen].to(where) if conditional else None
        fake_classes = torch.randint(0, config.class_count, (len(real),), device=where) if conditional else None
        chance = self.adaptive.probability if self.adaptive is not None else 1.0
        with self.autocast:
            fake = self.generator(z, fake_classes)
        d_loss, real_logits, fake_logits, reconstruction = self.discriminator_step(
            real, real_classes, fake, fake_classes, chance
        )
        g_loss = self.generator_step(fake, fake_classes, chance)
        if self.average is not None:
            update_average(self.average, self.generator, min(config.ema, (1 + self.step) / (10 + self.step)))
        self.step += 1
        metrics = {
            "g_loss": g_loss.item(),
            "d_loss": d_loss.item(),
            "d_x": torch.sigmoid(real_logits).mean().item(),
            "d_g_z": torch.sigmoid(fake_logits).mean().item(),
        }
        if reconstruction is not None:
            metrics["reconstruction"] = reconstruction.item()
        if self.adaptive is not None:
            metrics["augment_probability"] = self.adaptive.probability  # the p this iteration used
            self.adaptive.observe(real_logits)
        if not all(math.isfinite(value) for value in metrics.values()):
            raise ValueError(
                f"The losses became NaN or infinite at step {self.step} (epoch {self.epoch + 1}); the last "
                "good checkpoint was kept. Lower the learning rates or try label smoothing."
            )
        return metrics

    def discriminator_step(self, real, real_classes, fake, fake_classes, chance: float):
        """D: real pictures towards 1 (or 1 - smoothing), fakes towards 0; R1 every R1_EVERY steps."""
        config, discriminator = self.config, self.discriminator
        penalise = config.r1_gamma > 0 and self.step % R1_EVERY == 0
        if penalise:
            real.requires_grad_(True)
        reconstruction = None
        with self.autocast:
            self.optimiser_d.zero_grad(set_to_none=True)
            seen = diff_augment(real, config.diffaugment, chance)
            if self.fastgan:  # D also redraws the real pictures from its own features
                real_logits, reconstruction = discriminator.reconstruction_loss(seen)
            else:
                real_logits = discriminator(seen, real_classes)
            real_logits = real_logits.float()
            fake_logits = discriminator(diff_augment(fake.detach(), config.diffaugment, chance), fake_classes).float()
        if self.fastgan:  # the paper's hinge loss on D's map of logits
            d_loss = F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean() + reconstruction.float()
        else:
            d_loss = F.binary_cross_entropy_with_logits(
                real_logits, torch.full_like(real_logits, self.real_label)
            ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        if penalise:  # R1, lazily every R1_EVERY iterations and scaled up to match (StyleGAN2's way)
            (gradient,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
            d_loss = d_loss + config.r1_gamma / 2 * R1_EVERY * gradient.pow(2).sum(dim=(1, 2, 3)).mean()
        d_loss.backward()
        self.optimiser_d.step()
        return d_loss, real_logits, fake_logits, reconstruction

    def generator_step(self, fake, fake_classes, chance: float):
        """G: make D call the fakes real. D's weights are frozen meanwhile: the gradient only has
        to flow through D to G, and skipping D's own weight gradients (which the next D step would
        discard) saves about a third of D's backward pass."""
        self.optimiser_g.zero_grad(set_to_none=True)
        self.discriminator.requires_grad_(False)
        with self.autocast:
            g_logits = self.discriminator(diff_augment(fake, self.config.diffaugment, chance), fake_classes).float()
        g_loss = (
            -g_logits.mean()
            if self.fastgan
            else F.binary_cross_entropy_with_logits(g_logits, torch.ones_like(g_logits))
        )
        g_loss.backward()
        self.discriminator.requires_grad_(True)
        self.optimiser_g.step()
        return g_loss

    def after_step(self, metrics: dict[str, float]) -> Progress:
        """The hooks after an iteration: a preview grid when one is due, and at an epoch's end its
        measures and checkpoint; then the iteration's event."""
        config = self.config
        last = self.index == self.batches - 1
        grid = None
        if last or self.step == 1 or (config.preview_every and self.step % config.preview_every == 0):
            grid = self.preview(metrics)
        if last:
            self.end_epoch(metrics)
        return Progress(
            step=self.step,
            total=self.total,
            metrics=metrics,  # a resumed run continues the count
            preview=grid,
            result=grid,
            message=self.watch.update(metrics) or f"epoch {self.epoch + 1} of {config.epochs} · {self.description}",
        )

    def preview(self, metrics: dict[str, float]) -> np.ndarray:
        """The fixed-noise grid (drawn by the average generator where there is one), and its diversity."""
        drawing = self.average if self.average is not None else self.generator.eval()
        with torch.no_grad():
            labels = self.grid_labels.to(self.where) if self.grid_labels is not None else None
            samples = drawing(self.noise, labels).float()
        self.generator.train()
        metrics["diversity"] = diversity(samples)
        return make_grid(samples, columns=self.columns)

    def end_epoch(self, metrics: dict[str, float]) -> None:
        """The epoch's FID and garment measures (where asked for) and its checkpoint."""
        config, epochs_done = self.config, self.epoch + 1
        judged = self.average if self.average is not None else self.generator
        if config.fid_every and (epochs_done % config.fid_every == 0 or epochs_done == config.epochs):
            metrics["fid"] = training_fid(judged, self.data, config, self.fid_cache)
        if self.garments is not None:
            metrics.update(self.garments(judged))
        if self.checkpoint_path is not None:
            self.save(epochs_done)

    def save_on_stop(self) -> None:
        """Stopped between two iterations (the worker closes us at a yield, so every weight comes
        from a finished step): save where we are, so a stopped run can be resumed and sampled."""
        if self.checkpoint_path is not None and self.step > self.saved_step:
            self.save(self.epoch, epoch_iterations=self.index + 1)

    def save(self, epoch: int, **extra) -> None:
        save_checkpoint(
            self.checkpoint_path,
            self.generator,
            self.discriminator,
            (self.optimiser_g, self.optimiser_d),
            self.config,
            self.step,
            epoch,
            self.noise.cpu(),
            self.average,
            adaptive=self.adaptive,
            **extra,
        )
        self.saved_step = self.step


def update_average(average, generator, decay: float) -> None:
    """average = decay * average + (1 - decay) * generator, weights; BatchNorm's running
    statistics are copied (they are averages already)."""
    with torch.no_grad():
        for kept, current in zip(average.parameters(), generator.parameters()):
            kept.lerp_(current, 1.0 - decay)
        for kept, current in zip(average.buffers(), generator.buffers()):
            kept.copy_(current)


def garment_watch(config: GanConfig, where):
    """Per epoch, for Fashion-MNIST at 32 px with the garment classifier at hand: a function of
    the generator giving its garment distance, class coverage and (conditional) agreement."""
    if not config.garment_metrics or config.dataset != "fashion-mnist" or config.classes:
        return None
    from core.gan import classifier, evaluation

    try:
        model, _ = classifier.load()
        reference = evaluation.garment_reference(model)
    except ValueError:
        return None  # no classifier shipped: the run goes on without these curves

    def measure(generator) -> dict[str, float]:
        was_training = generator.training
        generator.eval()
        try:
            return evaluation.garment_metrics(generator, config, model, reference, count=1000, where=where)
        finally:
            generator.train(was_training)

    return measure


class TrainingWatch:
    """Warnings a user should see while training: collapse of D, explosion of G, mode collapse."""

    def __init__(self, window: int = 50):
        self.window, self.d_losses, self.g_losses, self.first_diversity = window, [], [], None

    def update(self, metrics: dict[str, float]) -> str:
        self.d_losses = (self.d_losses + [metrics["d_loss"]])[-self.window :]
        self.g_losses = (self.g_losses + [metrics["g_loss"]])[-self.window :]
        if "diversity" in metrics and self.first_diversity is None:
            self.first_diversity = metrics["diversity"]
        if len(self.d_losses) == self.window and max(self.d_losses) < 0.01:
            return (
                "Warning: the discriminator's loss has collapsed to zero; G gets no signal. "
                "Try label smoothing or DiffAugment."
            )
        if len(self.g_losses) == self.window and min(self.g_losses) > 10:
            return "Warning: the generator's loss keeps exploding; lower D's learning rate."
        if "diversity" in metrics and self.first_diversity and metrics["diversity"] < 0.3 * self.first_diversity:
            return (
                "Warning: the samples are becoming alike (mode collapse); "
                "try DiffAugment or a restart with another seed."
            )
        return ""


def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: train, checkpointing at each epoch's end (and on Stop), and the film of the
    fixed-noise grid (a GIF as it goes, an MP4 at the end): ``RunFolder.checkpoint``, ``.film``
    and ``.movie``."""
    from core.gan.sampling import ProgressFilm
    from core.jobs.runfolder import RunFolder

    settings, folder = configs.from_dict(GanConfig, config), RunFolder(run_dir)
    film = ProgressFilm(folder.film, folder.movie)
    try:
        for event in train(settings, folder.checkpoint):
            if event.preview is not None:
                film.add(event.preview, event.step)
                if film.thinned and "film" not in event.message:
                    event.message += f" · the film was thinned {film.thinned}x to stay under 50 MB"
            yield event
    finally:
        film.finish()

"""The training loop: one progress event per iteration, grids and checkpoints as it goes."""

from __future__ import annotations

import copy
import dataclasses
import math
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from core import configs, device
from core.gan import GanConfig
from core.gan.checkpoints import check_compatible, load_checkpoint, save_checkpoint
from core.gan.data import AdaptiveAugment, augment_batch, diff_augment, load_dataset
from core.gan.evaluation import training_fid
from core.gan.models import build_discriminator, build_generator
from core.gan.sampling import diversity, make_grid
from core.progress import Progress

R1_EVERY = 4  # iterations between R1 penalties


def train(config: GanConfig, checkpoint_path: Path | None = None) -> Iterator[Progress]:
    """Train, yielding one event per iteration; a grid at the start, every ``preview_every``
    iterations and at each epoch's end; a checkpoint at each epoch's end, and on a stop between
    two iterations."""
    where = device.torch_device(config.device)
    dtype = device.resolve_precision(config.precision, where)
    # bfloat16 autocast runs the convolutions in bf16 (BatchNorm, losses and weights stay float32).
    autocast = torch.autocast(where.type, dtype=dtype, enabled=dtype != torch.float32)
    device.seed_everything(config.seed)
    data, labels, description, class_names = load_dataset(config)
    if config.conditional:
        config = dataclasses.replace(config, class_names=class_names)  # saved with every checkpoint
    # Channels-last suits oneDNN's convolutions (bench/gan.py times the loop).
    generator = build_generator(config).to(where, memory_format=torch.channels_last)
    discriminator = build_discriminator(config).to(where, memory_format=torch.channels_last)
    optimiser_g = torch.optim.Adam(generator.parameters(), lr=config.g_learning_rate, betas=(config.beta1, 0.999))
    optimiser_d = torch.optim.Adam(discriminator.parameters(), lr=config.d_learning_rate, betas=(config.beta1, 0.999))
    noise = torch.randn(config.grid, config.latent, 1, 1, generator=torch.Generator().manual_seed(config.seed))
    # The grid's classes: each row one class (a conditional model's grid shows every class).
    columns = math.ceil(math.sqrt(config.grid))
    grid_labels = (torch.arange(config.grid) // columns % config.class_count) if config.conditional else None
    step, start_epoch, start_index = 0, 0, 0
    fastgan = config.architecture == "fastgan"
    adaptive = AdaptiveAugment(config.ada_target) if config.ada_target else None
    if config.resume:
        checkpoint = load_checkpoint(config.resume)
        check_compatible(checkpoint, config)
        if "discriminator" not in checkpoint:
            raise ValueError(
                "This checkpoint holds only a generator (a shipped one, for sampling); resume needs a "
                "checkpoint written by training."
            )
        generator.load_state_dict(checkpoint.get("generator_trained", checkpoint["generator"]))
        discriminator.load_state_dict(checkpoint["discriminator"])
        optimiser_g.load_state_dict(checkpoint["optimiser_g"])
        optimiser_d.load_state_dict(checkpoint["optimiser_d"])
        step, start_epoch, noise = checkpoint["step"], checkpoint["epoch"], checkpoint["noise"]
        # A run stopped mid-epoch saved how far into that epoch it got; carry on from there.
        start_index = checkpoint.get("epoch_iterations", 0)
        if adaptive is not None:
            adaptive.probability = float(checkpoint.get("ada_probability", 0.0))
    noise = noise.to(where)
    average = None
    if config.ema:
        average = copy.deepcopy(generator).eval().requires_grad_(False)
        if config.resume:
            average.load_state_dict(checkpoint["generator"])
    batches = len(data) // config.batch_size  # drop the last partial batch: BatchNorm dislikes tiny ones
    total = config.epochs * batches
    real_label = 1.0 - config.label_smoothing
    watch = TrainingWatch()
    garments = garment_watch(config, where)
    fid_cache: dict[str, np.ndarray] = {}  # the real pictures' features, computed once
    saved_step, epoch, index = step, start_epoch, start_index - 1
    try:
        for epoch in range(start_epoch, config.epochs):
            order = torch.randperm(len(data))
            generator.train()
            for index in range(start_index if epoch == start_epoch else 0, batches):
                chosen = order[index * config.batch_size : (index + 1) * config.batch_size]
                real = augment_batch(data[chosen], config.size)
                real = real.to(where).contiguous(memory_format=torch.channels_last)
                z = torch.randn(len(real), config.latent, 1, 1, device=where)
                real_classes = labels[chosen].to(where) if labels is not None else None
                fake_classes = (
                    torch.randint(0, config.class_count, (len(real),), device=where) if labels is not None else None
                )
                penalise = config.r1_gamma > 0 and step % R1_EVERY == 0
                if penalise:
                    real.requires_grad_(True)
                chance = adaptive.probability if adaptive is not None else 1.0
                reconstruction = None
                with autocast:
                    fake = generator(z, fake_classes)
                    # D: real pictures towards 1 (or 1 - smoothing), fakes towards 0.
                    optimiser_d.zero_grad(set_to_none=True)
                    seen = diff_augment(real, config.diffaugment, chance)
                    if fastgan:  # D also redraws the real pictures from its own features
                        real_logits, reconstruction = discriminator.reconstruction_loss(seen)
                    else:
                        real_logits = discriminator(seen, real_classes)
                    real_logits = real_logits.float()
                    fake_logits = discriminator(
                        diff_augment(fake.detach(), config.diffaugment, chance), fake_classes
                    ).float()
                if fastgan:  # the paper's hinge loss on D's map of logits
                    d_loss = F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean() + reconstruction.float()
                else:
                    d_loss = F.binary_cross_entropy_with_logits(
                        real_logits, torch.full_like(real_logits, real_label)
                    ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
                if penalise:  # R1, lazily every R1_EVERY iterations and scaled up to match (StyleGAN2's way)
                    (gradient,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
                    d_loss = d_loss + config.r1_gamma / 2 * R1_EVERY * gradient.pow(2).sum(dim=(1, 2, 3)).mean()
                d_loss.backward()
                optimiser_d.step()
                # G: make D call the fakes real. D's weights are frozen meanwhile: the gradient only has
                # to flow through D to G, and skipping D's own weight gradients (which the next D step
                # would discard) saves about a third of D's backward pass.
                optimiser_g.zero_grad(set_to_none=True)
                discriminator.requires_grad_(False)
                with autocast:
                    g_logits = discriminator(diff_augment(fake, config.diffaugment, chance), fake_classes).float()
                g_loss = (
                    -g_logits.mean()
                    if fastgan
                    else F.binary_cross_entropy_with_logits(g_logits, torch.ones_like(g_logits))
                )
                g_loss.backward()
                discriminator.requires_grad_(True)
                optimiser_g.step()
                if average is not None:
                    update_average(average, generator, min(config.ema, (1 + step) / (10 + step)))
                step += 1
                metrics = {
                    "g_loss": g_loss.item(),
                    "d_loss": d_loss.item(),
                    "d_x": torch.sigmoid(real_logits).mean().item(),
                    "d_g_z": torch.sigmoid(fake_logits).mean().item(),
                }
                if reconstruction is not None:
                    metrics["reconstruction"] = reconstruction.item()
                if adaptive is not None:
                    metrics["augment_probability"] = adaptive.probability  # the p this iteration used
                    adaptive.observe(real_logits)
                if not all(math.isfinite(value) for value in metrics.values()):
                    raise ValueError(
                        f"The losses became NaN or infinite at step {step} (epoch {epoch + 1}); the last "
                        "good checkpoint was kept. Lower the learning rates or try label smoothing."
                    )
                last = index == batches - 1
                grid = None
                if last or step == 1 or (config.preview_every and step % config.preview_every == 0):
                    drawing = average if average is not None else generator.eval()
                    with torch.no_grad():
                        samples = drawing(noise, grid_labels.to(where) if grid_labels is not None else None).float()
                    generator.train()
                    grid = make_grid(samples, columns=columns)
                    metrics["diversity"] = diversity(samples)
                if last:
                    epochs_done = epoch + 1
                    judged = average if average is not None else generator
                    if config.fid_every and (epochs_done % config.fid_every == 0 or epochs_done == config.epochs):
                        metrics["fid"] = training_fid(judged, data, config, fid_cache)
                    if garments is not None:
                        metrics.update(garments(judged))
                    if checkpoint_path is not None:
                        save_checkpoint(
                            checkpoint_path,
                            generator,
                            discriminator,
                            (optimiser_g, optimiser_d),
                            config,
                            step,
                            epoch + 1,
                            noise.cpu(),
                            average,
                            adaptive=adaptive,
                        )
                        saved_step = step
                yield Progress(
                    step=step,
                    total=total,
                    metrics=metrics,  # a resumed run continues the count
                    preview=grid,
                    result=grid,
                    message=watch.update(metrics) or f"epoch {epoch + 1} of {config.epochs} · {description}",
                )
    except GeneratorExit:
        # Stopped between two iterations (the worker closes us at a yield, so every weight comes
        # from a finished step): save where we are, so a stopped run can be resumed and sampled.
        if checkpoint_path is not None and step > saved_step:
            save_checkpoint(
                checkpoint_path,
                generator,
                discriminator,
                (optimiser_g, optimiser_d),
                config,
                step,
                epoch,
                noise.cpu(),
                average,
                epoch_iterations=index + 1,
                adaptive=adaptive,
            )
        raise


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
            return "Warning: the discriminator's loss has collapsed to zero; G gets no signal. Try label smoothing or DiffAugment."
        if len(self.g_losses) == self.window and min(self.g_losses) > 10:
            return "Warning: the generator's loss keeps exploding; lower D's learning rate."
        if "diversity" in metrics and self.first_diversity and metrics["diversity"] < 0.3 * self.first_diversity:
            return "Warning: the samples are becoming alike (mode collapse); try DiffAugment or a restart with another seed."
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

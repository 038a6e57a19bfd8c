"""Checkpoints: written atomically, loaded without running code, checked against settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from core import configs
from core.gan import GanConfig
from core.gan.models import build_generator

ARCHITECTURE = ("architecture", "size", "channels", "latent", "ngf", "ndf", "conditional", "spectral_norm")
_DEFAULTS = {
    "conditional": False,
    "spectral_norm": False,
    "architecture": "dcgan",
}  # what checkpoints from before these settings were


def save_checkpoint(
    path: Path,
    generator,
    discriminator,
    optimisers,
    config: GanConfig,
    step: int,
    epoch: int,
    noise,
    average=None,
    epoch_iterations: int = 0,
    adaptive=None,
):
    """``generator`` is what sampling loads: the weight average where training keeps one, with the
    trained weights beside it as ``generator_trained`` (what a resumed run continues from).
    ``epoch`` counts finished epochs; ``epoch_iterations`` the iterations done in the next one
    (a run stopped mid-epoch); ``adaptive`` ADA's controller, whose probability a resumed run
    carries on from."""
    temporary = Path(path).with_suffix(".tmp")
    extra = {"generator_trained": generator.state_dict()} if average is not None else {}
    torch.save(
        {
            "generator": (average if average is not None else generator).state_dict(),
            **extra,
            "discriminator": discriminator.state_dict(),
            "optimiser_g": optimisers[0].state_dict(),
            "optimiser_d": optimisers[1].state_dict(),
            "config": dataclasses.asdict(config),
            "step": step,
            "epoch": epoch,
            "noise": noise,
            "epoch_iterations": epoch_iterations,
            "ada_probability": adaptive.probability if adaptive is not None else 0.0,
        },
        temporary,
    )
    temporary.replace(path)  # never a half-written checkpoint: the last good one stays until this


def export_generator(checkpoint_path: str | Path, output: str | Path, half: bool = True) -> None:
    """A small file for sampling only: the config and the generator's weights (float16 by default;
    no discriminator, no optimiser state, so it cannot be resumed)."""
    checkpoint = load_checkpoint(checkpoint_path)
    weights = {
        key: (value.half() if half and value.is_floating_point() else value)
        for key, value in checkpoint["generator"].items()
    }
    torch.save(
        {
            "generator": weights,
            "config": checkpoint["config"],
            "step": checkpoint.get("step", 0),
            "epoch": checkpoint.get("epoch", 0),
        },
        output,
    )


def checkpoint_step(path: str | Path) -> int:
    """The iteration a checkpoint was saved at (0 for one that cannot be read)."""
    try:
        return int(load_checkpoint(path).get("step", 0))
    except ValueError:
        return 0


def load_checkpoint(path: str | Path) -> dict:
    """A checkpoint dict (weights_only: a checkpoint cannot run code), or a readable ValueError."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ValueError(f"No checkpoint at {path}.") from None
    except Exception:
        raise ValueError(f"{Path(path).name} is not a GAN Studio checkpoint (it could not be read as one).") from None
    if not isinstance(checkpoint, dict) or not {"generator", "config"} <= set(checkpoint):
        raise ValueError(f"{Path(path).name} is not a GAN Studio checkpoint (no generator inside).")
    return checkpoint


def checkpoint_config(checkpoint: dict) -> GanConfig:
    saved = {
        key: value
        for key, value in checkpoint["config"].items()
        if key in {f.name for f in dataclasses.fields(GanConfig)}
    }
    return configs.from_dict(GanConfig, saved)


def check_compatible(checkpoint: dict, config: GanConfig) -> None:
    saved = checkpoint["config"]
    if saved.get("conditional", False) != config.conditional:
        raise ValueError(
            "This checkpoint is a class-conditional generator; turn on conditional to continue it."
            if saved.get("conditional")
            else "This checkpoint was trained without classes; a conditional run cannot continue it."
        )
    different = [name for name in ARCHITECTURE if saved.get(name, _DEFAULTS.get(name)) != getattr(config, name)]
    if different:
        wanted = ", ".join(f"{name} {getattr(config, name)}" for name in different)
        found = ", ".join(f"{name} {saved.get(name, _DEFAULTS.get(name))}" for name in different)
        raise ValueError(f"This checkpoint is for another model ({found}); these settings ask for {wanted}.")


def load_generator(path: str | Path):
    checkpoint = load_checkpoint(path)
    config = checkpoint_config(checkpoint)
    generator = build_generator(config)
    try:
        generator.load_state_dict(
            {
                key: value.float() if value.is_floating_point() else value
                for key, value in checkpoint["generator"].items()
            }
        )
    except RuntimeError:
        raise ValueError(f"{Path(path).name}'s weights do not fit its own settings; the file is damaged.") from None
    return generator.eval(), config

"""The small-set model (FastGAN) and adaptive augmentation: shapes, D's self-supervision, ADA's
controller on a real discriminator, the training loop, checkpoints and the command line."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from core import gan

REPO = Path(__file__).resolve().parent.parent


def tiny(size=64, **changes):
    settings = {**gan.SMALL_SET_DEFAULTS, "size": size, "channels": 3, "ngf": 4, "ndf": 8, "latent": 8}
    return gan.GanConfig(**{**settings, **changes})


def smooth_pictures(count: int, size: int = 64, seed: int = 0) -> torch.Tensor:
    """Pictures with structure a decoder can learn (colour gradients and a disc), in [-1, 1]."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    pictures = []
    for _ in range(count):
        colours = rng.uniform(-1, 1, (3, 3))
        disc = (x - rng.uniform(0.2, 0.8)) ** 2 + (y - rng.uniform(0.2, 0.8)) ** 2 < 0.04
        channels = [np.clip(a * x + b * y + c * disc, -1, 1) for a, b, c in colours]
        pictures.append(np.stack(channels))
    return torch.tensor(np.array(pictures), dtype=torch.float32)


@pytest.mark.parametrize("size", [64, 128])
def test_shapes_at_64_and_128(size):
    config = tiny(size)
    generator, discriminator = gan.build_generator(config), gan.build_discriminator(config)
    assert isinstance(generator, gan.FastGenerator) and isinstance(discriminator, gan.FastDiscriminator)
    fake = generator(torch.randn(3, 8, 1, 1))
    assert fake.shape == (3, 3, size, size) and fake.min() >= -1 and fake.max() <= 1
    assert discriminator(fake).shape == (3, 1, 5, 5)
    logits, loss = discriminator.reconstruction_loss(fake)
    assert logits.shape == (3, 1, 5, 5) and loss.ndim == 0 and float(loss.detach()) > 0
    # Skip-layer excitation: the coarsest map steers the finest (changing it changes the picture).
    assert len(generator.excitations) == (2 if size == 64 else 3)


def test_the_small_set_model_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="64 or 128"):
        tiny(32)
    with pytest.raises(ValueError, match="no classes"):
        tiny(conditional=True)
    with pytest.raises(ValueError, match="architecture"):
        gan.GanConfig(architecture="stylegan")


def test_the_discriminators_reconstruction_loss_falls_on_a_fixed_batch():
    torch.manual_seed(0)
    discriminator = gan.build_discriminator(tiny())
    batch = smooth_pictures(8)
    optimiser = torch.optim.Adam(discriminator.parameters(), lr=2e-3)
    losses = []
    for _ in range(60):
        optimiser.zero_grad()
        _, loss = discriminator.reconstruction_loss(batch)
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.6 * np.mean(losses[:5]), (losses[:5], losses[-5:])


def overfitting_discriminator(real: torch.Tensor, other: torch.Tensor):
    """A tiny D trained (hinge loss) to call ``real`` real and ``other`` fake until it can tell them apart."""
    torch.manual_seed(1)
    discriminator = gan.build_discriminator(tiny())
    optimiser = torch.optim.Adam(discriminator.parameters(), lr=2e-3)
    for _ in range(40):
        optimiser.zero_grad()
        loss = F.relu(1 - discriminator(real)).mean() + F.relu(1 + discriminator(other)).mean()
        loss.backward()
        optimiser.step()
    return discriminator.eval()


def test_ada_rises_while_d_overfits_a_tiny_set_and_falls_when_it_does_not():
    real, other = smooth_pictures(4, seed=2), torch.rand(4, 3, 64, 64) * 2 - 1
    discriminator = overfitting_discriminator(real, other)
    with torch.no_grad():
        on_real, on_other = discriminator(real), discriminator(other)
    assert (on_real.flatten(1).mean(1) > 0).all()  # it memorised the four pictures
    rising = gan.AdaptiveAugment(target=0.6, speed=400, probability=0.5)
    for _ in range(8):
        rising.observe(on_real)
    assert rising.probability == pytest.approx(0.5 + 32 / 400)  # 32 pictures seen, all judged real
    # The same controller fed logits D is unsure about (half the pictures on each side) backs off.
    falling = gan.AdaptiveAugment(target=0.6, speed=400, probability=0.5)
    for _ in range(8):
        falling.observe(torch.cat([on_real[:2], on_other[:2]]))
    assert falling.probability == pytest.approx(0.5 - 32 / 400)
    for _ in range(400):  # and stays within [0, 1]
        falling.observe(on_other)
        rising.observe(on_real)
    assert falling.probability == 0.0 and rising.probability == 1.0


def picture_folder(folder: Path, count: int = 8) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index, picture in enumerate(smooth_pictures(count, 80, seed=3)):
        array = ((picture.permute(1, 2, 0).numpy() + 1) * 127.5).astype(np.uint8)
        Image.fromarray(array).save(folder / f"p{index}.png")
    return folder


@pytest.mark.slow
def test_training_on_a_tiny_set_raises_the_augmentation_probability_and_checkpoints(tmp_path):
    folder = picture_folder(tmp_path / "pictures")
    config = tiny(dataset=str(folder), batch_size=8, epochs=24, grid=4, preview_every=0)
    events = list(gan.train(config, tmp_path / "small.pt"))
    assert {"reconstruction", "augment_probability", "g_loss", "d_loss"} <= set(events[-1].metrics)
    probabilities = [event.metrics["augment_probability"] for event in events]
    assert probabilities[0] == 0 and probabilities[-1] > 0  # D memorised 8 pictures: ADA pushed back
    generator, saved = gan.load_generator(tmp_path / "small.pt")
    assert saved.architecture == "fastgan" and saved.ada_target == 0.6
    assert generator(torch.randn(2, 8, 1, 1)).shape == (2, 3, 64, 64)
    assert torch.load(tmp_path / "small.pt", weights_only=True)["ada_probability"] == pytest.approx(
        probabilities[-1], abs=0.01
    )
    # Resuming with the DCGAN's settings is refused in words, not with a shape error.
    with pytest.raises(ValueError, match="another model"):
        list(
            gan.train(
                gan.GanConfig(
                    dataset=str(folder),
                    size=64,
                    channels=3,
                    ngf=4,
                    ndf=8,
                    latent=8,
                    batch_size=8,
                    epochs=25,
                    resume=str(tmp_path / "small.pt"),
                )
            )
        )


@pytest.mark.slow
def test_cli_small_set_flag_uses_its_defaults_and_a_given_flag_wins(tmp_path):
    folder = picture_folder(tmp_path / "pictures")
    output = tmp_path / "cli.pt"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "gan-train",
            "--dataset",
            str(folder),
            "--small-set",
            "--epochs",
            "1",
            "--batch-size",
            "4",
            "--ngf",
            "4",
            "--ndf",
            "8",
            "--output",
            str(output),
            "--preview-every",
            "0",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    saved = torch.load(output, weights_only=True)["config"]
    assert (
        saved["architecture"],
        saved["size"],
        saved["batch_size"],
        saved["ngf"],
        saved["ada_target"],
        saved["diffaugment"],
    ) == ("fastgan", 64, 4, 4, 0.6, "color,translation,cutout")
    assert "reconstruction" in completed.stderr

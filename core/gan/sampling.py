"""Pictures out of a generator: grids, seeded samples, latent walks."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from core.gan import GanConfig


def diversity(samples) -> float:
    """Mean pairwise distance between samples (per pixel): it falls when the generator collapses."""
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
        canvas[
            2 + row * (height + 2) : 2 + row * (height + 2) + height,
            2 + column * (width + 2) : 2 + column * (width + 2) + width,
        ] = tile.transpose(1, 2, 0)
    return canvas


def labels_for(config: GanConfig, count: int, wanted=None, seed: int = 0):
    """Class labels for ``count`` samples: the asked class (a name or number) for all of them, or,
    with none asked, classes in turn (a conditional generator's grid shows every class). None
    for an unconditional generator, which refuses an asked class."""
    if wanted is not None:
        return torch.full((count,), config.class_index(wanted), dtype=torch.long)
    if not config.conditional:
        return None
    return torch.arange(count) % config.class_count


def noise(count: int, latent: int, seed: int, truncation: float = 0.0):
    """``count`` noise vectors of ``seed``; with ``truncation`` t > 0, every value beyond +-t drawn
    again (from the same seeded stream) until all lie inside: the truncation trick of Brock et al.
    (2019). The first draw is the untruncated noise, so t = 0 and a large t give the same pictures."""
    random = torch.Generator().manual_seed(seed)
    values = torch.randn(count, latent, 1, 1, generator=random)
    if truncation > 0:
        outside = values.abs() > truncation
        # Each round redraws about a third of what is left at t = 1, fewer at larger t: a few dozen
        # rounds at most even for t = 0.05 (then 96% of values are redrawn each round).
        while outside.any():
            values[outside] = torch.randn(int(outside.sum()), generator=random)
            outside = values.abs() > truncation
    return values


def sample(generator, config: GanConfig, count: int, seed: int, wanted=None, truncation: float = 0.0):
    """``count`` pictures from the noise of ``seed``; ``wanted`` is a class (conditional only)."""
    labels = labels_for(config, count, wanted, seed)
    with torch.no_grad():
        return generator(noise(count, config.latent, seed, truncation), labels)


def class_rows(generator, config: GanConfig, per_class: int, seed: int, truncation: float = 0.0):
    """One row per class, the same ``per_class`` noise vectors in every row (so a column shows
    one noise drawn as each class), and the grid's column count."""
    if not config.conditional:
        raise ValueError("This generator was trained without classes.")
    vectors = noise(per_class, config.latent, seed, truncation).repeat(config.class_count, 1, 1, 1)
    labels = torch.arange(config.class_count).repeat_interleave(per_class)
    with torch.no_grad():
        return generator(vectors, labels), per_class


def sampled_grid(generator, config: GanConfig, sampling) -> np.ndarray:
    """The grid a ``SamplingConfig`` asks for: ``count`` samples of its class, or of every class in
    turn (a conditional generator with no class asked), from its seed and truncation."""
    wanted = sampling.label if sampling.label != "" else None
    if wanted is not None:
        config.class_index(wanted)  # a class this generator does not have, refused in words
    pictures = sample(generator, config, sampling.count, sampling.seed, wanted, sampling.truncation)
    return make_grid(pictures)


def slerp(first, second, fraction: float):
    """Spherical interpolation between two noise vectors (White, 2016): stays on the shell
    where Gaussian noise lives, unlike a straight line through its middle."""
    a, b = first.flatten(), second.flatten()
    omega = torch.arccos(torch.clamp(torch.dot(a / a.norm(), b / b.norm()), -1.0, 1.0))
    if omega.abs() < 1e-6:
        return (1 - fraction) * first + fraction * second
    return (torch.sin((1 - fraction) * omega) * first + torch.sin(fraction * omega) * second) / torch.sin(omega)


def interpolate(
    generator, config: GanConfig, seed_a: int, seed_b: int, frames: int, wanted=None, truncation: float = 0.0
):
    a, b = noise(1, config.latent, seed_a, truncation), noise(1, config.latent, seed_b, truncation)
    path = torch.cat([slerp(a, b, t) for t in np.linspace(0, 1, frames)])
    labels = (
        labels_for(config, frames, wanted)
        if wanted is not None
        else (torch.zeros(frames, dtype=torch.long) if config.conditional else None)
    )
    with torch.no_grad():
        return generator(path, labels)


class ProgressFilm:
    """The fixed-noise grid over a whole run, as an animated GIF (and an MP4 where OpenCV can
    write one), rewritten as previews arrive (at most every ``rewrite_seconds``, and at the end)
    so a stopped or crashed run keeps its film.

    A film must stay under ``max_bytes`` (50 MB): when the frames so far would pass it, every
    other frame is dropped (and ``thinned`` says how many times), so a long run's film is
    evenly spaced rather than cut short.
    """

    def __init__(
        self,
        gif_path: Path,
        mp4_path: Path | None = None,
        max_bytes: int = 50 * 10**6,
        frame_seconds: float = 0.25,
        rewrite_seconds: float = 20.0,
    ):
        self.gif_path, self.mp4_path = Path(gif_path), mp4_path
        self.max_bytes, self.frame_seconds = max_bytes, frame_seconds
        # Rewriting a long film after every frame would cost more than the training between
        # frames; the file is brought up to date at most this often, and at the end (finish).
        self.rewrite_seconds, self.written_at = rewrite_seconds, 0.0
        self.frames: list[Image.Image] = []
        self.steps: list[int] = []
        self.thinned = 0
        self.mp4_written = False

    def add(self, grid: np.ndarray, step: int) -> None:
        self.frames.append(Image.fromarray(grid).convert("P", palette=Image.Palette.ADAPTIVE, colors=128))
        self.steps.append(step)
        if time.monotonic() - self.written_at >= self.rewrite_seconds or len(self.frames) == 1:
            self.write()

    def finish(self) -> None:
        """The film brought up to date, and the MP4 written where a codec is at hand."""
        if self.frames:
            self.write()
            self.write_mp4()

    def write(self) -> None:
        """Write the GIF; if it passed ``max_bytes``, drop every other frame until it does not."""
        self._save()
        while self.gif_path.stat().st_size > self.max_bytes and len(self.frames) > 2:
            self.frames, self.steps = self.frames[::2] + self.frames[-1:], self.steps[::2] + self.steps[-1:]
            self.frames, self.steps = _unique(self.frames, self.steps)
            self.thinned += 1
            self._save()

    def _save(self) -> None:
        self.written_at = time.monotonic()
        temporary = self.gif_path.with_name(f".{self.gif_path.name}.tmp.gif")
        self.frames[0].save(
            temporary,
            save_all=True,
            append_images=self.frames[1:],
            loop=0,
            duration=[round(self.frame_seconds * 1000)] * (len(self.frames) - 1) + [1500],
            optimize=False,
        )
        temporary.replace(self.gif_path)

    def write_mp4(self) -> bool:
        """The film as MP4 (H.264 or MPEG-4 Part 2, whichever OpenCV's FFmpeg has); False if none."""
        if self.mp4_path is None or not self.frames:
            return False
        import cv2

        first = np.asarray(self.frames[0].convert("RGB"))
        height, width = first.shape[0] // 2 * 2, first.shape[1] // 2 * 2
        for codec in ("mp4v", "avc1"):  # mp4v first: OpenCV's wheels have it; avc1 only logs errors there
            writer = cv2.VideoWriter(
                str(self.mp4_path), cv2.VideoWriter_fourcc(*codec), 1 / self.frame_seconds, (width, height)
            )
            if writer.isOpened():
                for frame in self.frames:
                    writer.write(cv2.cvtColor(np.asarray(frame.convert("RGB"))[:height, :width], cv2.COLOR_RGB2BGR))
                writer.release()
                self.mp4_written = self.mp4_path.exists() and self.mp4_path.stat().st_size > 0
                return self.mp4_written
        return False


def _unique(frames, steps):
    seen, kept_frames, kept_steps = set(), [], []
    for frame, step in zip(frames, steps):
        if step not in seen:
            seen.add(step)
            kept_frames.append(frame)
            kept_steps.append(step)
    return kept_frames, kept_steps

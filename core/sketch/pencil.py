"""A pencil drawing the slow, classical way: Lu, Xu and Jia, "Combining Sketch and Tone for
Pencil Drawing Production" (NPAR 2012).

Three parts, multiplied together (1 = white paper):
- **Strokes.** The gradient magnitude of the grey picture is split among 8 directions: each
  pixel goes to the direction whose line kernel (a segment about 1/30 of the picture long)
  responds most to it; each direction's share is then drawn with that line kernel. Edges thus
  become pencil lines laid along them, longer and lighter than the edge itself, crossing a
  little at corners, as an artist's strokes do.
- **Tone.** The picture's grey levels are matched to the histogram of a pencil drawing: the
  paper's bright peak (exponential, sigma 9), a flat band of mid tones (105-225) and a small dark
  bump (mean 90, sigma 11), weighted 76 : 22 : 2 (the paper's values for its second group).
- **Texture.** A pencil texture H is put down so that it reproduces that tone: the per-pixel
  exponent beta in H ** beta minimises |beta ln H - ln J|^2 + lambda |grad beta|^2, a sparse
  linear system (conjugate gradients). The paper uses a scanned pencil texture; none can be
  fetched here, so H is made procedurally: streaks of random graphite density drawn along a
  45-degree hatch by a directional blur of noise, on light paper (departure from the paper).

It is slow by design (seconds per picture; ``PencilTimes`` says where the time goes), which is
why Photo to Sketch can learn it: its network draws the same in one pass.
"""

from __future__ import annotations

import dataclasses
import math
import time

import cv2
import numpy as np
from scipy import sparse
from scipy.sparse import linalg

DIRECTIONS = 8
LARGEST_SIDE = 1600  # larger pictures are drawn at this size (and said so): the solve grows with the area
TONE_WEIGHTS = (76.0, 22.0, 2.0)  # bright, mid, dark layers of the pencil histogram
SIGMA_BRIGHT, MID_LOW, MID_HIGH, MEAN_DARK, SIGMA_DARK = 9.0, 105.0, 225.0, 90.0, 11.0  # grey levels 0-255
SMOOTHNESS = 0.2  # lambda of the texture solve


@dataclasses.dataclass
class PencilTimes:
    strokes: float = 0.0
    tone: float = 0.0
    texture: float = 0.0

    @property
    def total(self) -> float:
        return self.strokes + self.tone + self.texture


def line_kernels(length: int) -> list[np.ndarray]:
    """``DIRECTIONS`` normalised line segments through the centre of a length x length kernel."""
    length = max(3, length | 1)  # odd, so the segment is centred
    centre = length // 2
    kernels = []
    for index in range(DIRECTIONS):
        angle = index * math.pi / DIRECTIONS
        kernel = np.zeros((length, length), np.float32)
        dx, dy = math.cos(angle), -math.sin(angle)
        cv2.line(
            kernel,
            (round(centre - dx * centre), round(centre - dy * centre)),
            (round(centre + dx * centre), round(centre + dy * centre)),
            1.0,
            1,
            cv2.LINE_AA,
        )
        kernels.append(kernel / kernel.sum())
    return kernels


def stroke_map(grey: np.ndarray, length: int | None = None, line_width: float = 1.0) -> np.ndarray:
    """Pencil lines along the picture's edges: 1 = paper, darker = stroke (float32, H x W)."""
    height, width = grey.shape
    length = length or max(5, round(min(height, width) / 30))
    dx = np.zeros_like(grey)
    dy = np.zeros_like(grey)
    dx[:, :-1] = np.abs(np.diff(grey, axis=1))
    dy[:-1, :] = np.abs(np.diff(grey, axis=0))
    magnitude = np.sqrt(dx * dx + dy * dy)
    kernels = line_kernels(length)
    responses = np.stack([cv2.filter2D(magnitude, -1, kernel, borderType=cv2.BORDER_REFLECT) for kernel in kernels])
    winner = responses.argmax(axis=0)
    drawn = np.zeros_like(magnitude)
    for index, kernel in enumerate(kernels):
        share = np.where(winner == index, magnitude, 0.0).astype(np.float32)
        drawn += cv2.filter2D(share, -1, kernel * kernel.sum() * line_width, borderType=cv2.BORDER_REFLECT)
    drawn /= max(float(np.percentile(drawn, 99.5)), 1e-6)
    return np.clip(1.0 - drawn, 0.0, 1.0).astype(np.float32)


def pencil_histogram() -> np.ndarray:
    """The target distribution of grey levels 0-255 (sums to 1)."""
    levels = np.arange(256, dtype=np.float64)
    bright = np.exp(-(255.0 - levels) / SIGMA_BRIGHT) / SIGMA_BRIGHT
    middle = ((levels >= MID_LOW) & (levels <= MID_HIGH)) / (MID_HIGH - MID_LOW)
    dark = np.exp(-((levels - MEAN_DARK) ** 2) / (2 * SIGMA_DARK**2)) / math.sqrt(2 * math.pi * SIGMA_DARK**2)
    weights = np.asarray(TONE_WEIGHTS) / sum(TONE_WEIGHTS)
    mixture = weights[0] * bright / bright.sum() + weights[1] * middle / middle.sum() + weights[2] * dark / dark.sum()
    return mixture / mixture.sum()


def tone_map(grey: np.ndarray) -> np.ndarray:
    """The picture's tones matched to ``pencil_histogram`` (float32 in 0-1), then softened a
    little, as the paper does, so the texture follows regions rather than pixels."""
    source = np.clip(grey * 255.0, 0, 255).astype(np.uint8)
    source_cdf = np.cumsum(np.bincount(source.ravel(), minlength=256)) / source.size
    target_cdf = np.cumsum(pencil_histogram())
    mapping = np.searchsorted(target_cdf, source_cdf).clip(0, 255).astype(np.float32) / 255.0
    matched = mapping[source]
    return cv2.blur(matched, (3, 3)).astype(np.float32)


def pencil_texture(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Procedural graphite hatching on light paper, values in [0.08, 1] (1 = paper)."""
    rng = np.random.default_rng(seed)
    noise = (rng.random((height, width)) ** 3).astype(np.float32)  # sparse dark grains
    length = 15
    kernel = np.zeros((length, length), np.float32)
    cv2.line(kernel, (0, length - 1), (length - 1, 0), 1.0, 1, cv2.LINE_AA)  # a 45-degree hatch
    streaks = cv2.filter2D(noise, -1, kernel / kernel.sum(), borderType=cv2.BORDER_WRAP)
    streaks = (streaks - streaks.min()) / max(float(streaks.max() - streaks.min()), 1e-6)
    return np.clip(1.0 - 0.85 * streaks, 0.08, 1.0).astype(np.float32)


def texture_exponent(texture: np.ndarray, tone: np.ndarray, smoothness: float = SMOOTHNESS) -> np.ndarray:
    """beta minimising |beta ln H - ln J|^2 + smoothness |grad beta|^2 (a sparse SPD system)."""
    height, width = tone.shape
    count = height * width
    log_texture = np.log(texture).ravel().astype(np.float64)
    log_tone = np.log(np.clip(tone, 0.01, 1.0)).ravel().astype(np.float64)

    def difference(rows: int, columns: int, axis: int):
        size = rows * columns
        step = 1 if axis == 1 else columns
        main = -np.ones(size)
        valid = np.ones(size, bool)
        if axis == 1:
            valid[columns - 1 :: columns] = False
        else:
            valid[size - columns :] = False
        main[~valid] = 0
        return sparse.diags(
            [main, np.where(valid, 1.0, 0.0)[: size - step]], [0, step], shape=(size, size), format="csr"
        )

    dx, dy = difference(height, width, 1), difference(height, width, 0)
    system = sparse.diags(log_texture * log_texture) + smoothness * (dx.T @ dx + dy.T @ dy)
    right = log_texture * log_tone
    beta, _ = linalg.cg(system.tocsr(), right, x0=np.ones(count), rtol=1e-4, maxiter=300)
    return beta.reshape(height, width).astype(np.float32)


def draw(photo: np.ndarray, seed: int = 0) -> tuple[np.ndarray, PencilTimes, str]:
    """The pencil drawing of an RGB or grey photo (uint8) as grey uint8, the time of each part,
    and a note when the photo was too large and drawn smaller (empty otherwise)."""
    photo = np.asarray(photo)
    grey = photo if photo.ndim == 2 else cv2.cvtColor(photo[..., :3], cv2.COLOR_RGB2GRAY)
    note = ""
    if max(grey.shape) > LARGEST_SIDE:
        scale = LARGEST_SIDE / max(grey.shape)
        original = grey.shape
        grey = cv2.resize(
            grey, (round(grey.shape[1] * scale), round(grey.shape[0] * scale)), interpolation=cv2.INTER_AREA
        )
        note = (
            f"drawn at {grey.shape[1]}x{grey.shape[0]} instead of {original[1]}x{original[0]}: the slow method's "
            f"time grows with the area, so it works at most {LARGEST_SIDE} px"
        )
    grey = grey.astype(np.float32) / 255.0
    times = PencilTimes()
    started = time.perf_counter()
    strokes = stroke_map(grey)
    times.strokes = time.perf_counter() - started
    started = time.perf_counter()
    tone = tone_map(grey)
    times.tone = time.perf_counter() - started
    started = time.perf_counter()
    texture = pencil_texture(*grey.shape, seed=seed)
    shaded = texture ** texture_exponent(texture, tone)
    times.texture = time.perf_counter() - started
    drawing = np.clip(strokes * shaded, 0.0, 1.0)
    return (drawing * 255.0 + 0.5).astype(np.uint8), times, note

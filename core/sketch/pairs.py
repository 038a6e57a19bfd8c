"""Training pairs: random crops of photos and the drawing each crop should become.

Built-in pairs are the offline photos (``core.sketch.photos``) and the slow pencil drawing
(``core.sketch.pencil``, or a quick filter as an option) of each crop, drawn at training size so
line widths are in model pixels. Uploaded pairs (``core.sketch.uploads``) are cropped the same
way. Whole photos are held out for validation, so validation scores measure photos the model
never saw.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np

from core.sketch import filters
from core.sketch import photos as photo_sources
from core.sketch.config import SketchConfig
from core.sketch.uploads import ZipReport, check_pairs_zip


@dataclasses.dataclass
class Pairs:
    """Training and validation pairs, already cropped to ``size``: photos NxSxSx3 uint8, sketches NxSxS uint8."""

    train_photos: np.ndarray
    train_sketches: np.ndarray
    validation_photos: np.ndarray
    validation_sketches: np.ndarray
    sources: list[str]  # where they came from, for the run card and weights/README.md
    validation_sources: list[str]
    augmented: bool = False  # flipped and rotated when made (built-in pairs); training augments the others


def split_photos(found: list, validation_split: float, seed: int) -> tuple[list, list]:
    """Whole photos for training and for validation, portraits and other photos held out in the
    same proportion (so at least one portrait is never trained on when there are a few)."""
    rng = np.random.default_rng(seed)
    training, validation = [], []
    for group in ([photo for photo in found if photo.portrait], [photo for photo in found if not photo.portrait]):
        if not group:
            continue
        order = rng.permutation(len(group))
        held_out = max(1, round(validation_split * len(group))) if len(group) > 1 else 0
        validation += [group[i] for i in sorted(order[:held_out])]
        training += [group[i] for i in sorted(order[held_out:])]
    return training, validation


def builtin_pairs(config: SketchConfig) -> Pairs:
    """Random crops of the built-in photos and the drawing of each crop (``config.style``)."""
    training, validation = split_photos(photo_sources.builtin_photos(), config.validation_split, config.seed)
    rng = np.random.default_rng(config.seed)
    validation_count = max(2, round(config.pairs * config.validation_split))
    weights = lambda group: [2.0 if photo.portrait else 1.0 for photo in group]  # noqa: E731
    train_photos = _crops(
        [photo.pixels for photo in training],
        config.pairs - validation_count,
        config.size,
        rng,
        weights=weights(training),
    )
    validation_photos = _crops(
        [photo.pixels for photo in validation], validation_count, config.size, rng, weights=weights(validation)
    )
    # Flips and rotations are applied to the photo before it is drawn, not to photo and drawing
    # afterwards: the pencil texture's hatching always runs at 45 degrees, and a flipped drawing
    # would teach hatching the method never draws. So built-in pairs come augmented already.
    if config.flip or config.rotate:
        train_photos = augment(train_photos, None, rng, config.flip, config.rotate)[0]
    return Pairs(
        train_photos,
        draw_targets(train_photos, config.style),
        validation_photos,
        draw_targets(validation_photos, config.style),
        [photo.name for photo in training],
        [photo.name for photo in validation],
        augmented=True,
    )


def draw_targets(crops: np.ndarray, style: str) -> np.ndarray:
    """The target drawing of each crop: NxSxSx3 uint8 to NxSxS uint8."""
    return np.stack([filters.pencil_filter(crop, style) for crop in crops])


def _crops(
    photos: list[np.ndarray],
    count: int,
    size: int,
    rng: np.random.Generator,
    sketches: list[np.ndarray] | None = None,
    weights: list[float] | None = None,
):
    """``count`` random square crops spread over ``photos`` in proportion to ``weights`` (evenly
    by default; side 40-100% of the shorter side), resized to ``size``. With ``sketches`` the same
    boxes are cut from them too."""
    weights = np.asarray(weights if weights is not None else [1.0] * len(photos), np.float64)
    # Deterministic shares (largest remainder), so every photo gets its crops whatever the seed.
    shares = weights / weights.sum() * count
    per_photo = np.floor(shares).astype(int)
    per_photo[np.argsort(shares - per_photo)[::-1][: count - per_photo.sum()]] += 1
    sources = rng.permutation(np.repeat(np.arange(len(photos)), per_photo))
    cut_photos, cut_sketches = [], []
    for source in sources:
        photo = photos[source]
        height, width = photo.shape[:2]
        side = int(min(height, width) * rng.uniform(0.4, 1.0))
        side = max(side, min(height, width, 16))
        top, left = rng.integers(0, height - side + 1), rng.integers(0, width - side + 1)
        box = (slice(top, top + side), slice(left, left + side))
        interpolation = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
        cut_photos.append(cv2.resize(np.ascontiguousarray(photo[box]), (size, size), interpolation=interpolation))
        if sketches is not None:
            cut_sketches.append(
                cv2.resize(np.ascontiguousarray(sketches[source][box]), (size, size), interpolation=interpolation)
            )
    photos_out = np.stack(cut_photos)
    return photos_out if sketches is None else (photos_out, np.stack(cut_sketches))


def zip_pairs(data: bytes, config: SketchConfig) -> tuple[Pairs, ZipReport]:
    """Training pairs from an uploaded zip: whole pairs held out for validation, then random
    crops of the rest, like the built-in pairs."""
    report, pairs = check_pairs_zip(data)
    if report.problems:
        raise ValueError(" ".join(report.problems))
    rng = np.random.default_rng(config.seed)
    order = rng.permutation(len(pairs))
    held_out = max(1, round(config.validation_split * len(pairs)))
    validation = [pairs[i] for i in sorted(order[:held_out])]
    training = [pairs[i] for i in sorted(order[held_out:])]
    validation_count = max(len(validation), round(config.pairs * config.validation_split))
    train_photos, train_sketches = _crops(
        [p for _, p, _ in training], config.pairs - validation_count, config.size, rng, [s for _, _, s in training]
    )
    validation_photos, validation_sketches = _crops(
        [p for _, p, _ in validation], validation_count, config.size, rng, [s for _, _, s in validation]
    )
    return (
        Pairs(
            train_photos,
            train_sketches,
            validation_photos,
            validation_sketches,
            [name for name, _, _ in training],
            [name for name, _, _ in validation],
        ),
        report,
    )


def load_pairs(config: SketchConfig) -> Pairs:
    if not config.data:
        return builtin_pairs(config)
    path = Path(config.data)
    if not path.is_file():
        raise ValueError(f"No zip of pairs at {path}.")
    return zip_pairs(path.read_bytes(), config)[0]


def augment(
    photos: np.ndarray, sketches: np.ndarray | None, rng: np.random.Generator, flip: bool = True, rotate: float = 10.0
) -> tuple[np.ndarray, np.ndarray | None]:
    """The same random flip and rotation for each photo and its sketch (photos alone when
    ``sketches`` is None). Rotations reflect the border, so no black corners appear that the
    sketch would have to learn."""
    pictures = [photos.copy()] + ([sketches.copy()] if sketches is not None else [])
    size = photos.shape[1]
    for index in range(len(photos)):
        if flip and rng.random() < 0.5:
            for batch in pictures:
                batch[index] = batch[index][:, ::-1]
        if rotate > 0:
            matrix = cv2.getRotationMatrix2D((size / 2, size / 2), rng.uniform(-rotate, rotate), 1.0)
            for batch in pictures:
                batch[index] = cv2.warpAffine(
                    batch[index], matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
                )
    return pictures[0], pictures[1] if sketches is not None else None


def augmentation_preview(pairs: Pairs, config: SketchConfig, count: int = 4, thumbnail: int = 128) -> np.ndarray:
    """A picture for the page: per row, a pair as it is, then three augmented versions of it."""
    rng = np.random.default_rng(config.seed)
    rows = []
    for index in np.linspace(0, len(pairs.train_photos) - 1, count).astype(int):
        photo, sketch = pairs.train_photos[index : index + 1], pairs.train_sketches[index : index + 1]
        versions = [(photo, sketch)] + [augment(photo, sketch, rng, config.flip, config.rotate) for _ in range(3)]
        tiles = []
        for version_photo, version_sketch in versions:
            tiles += [version_photo[0], np.repeat(version_sketch[0][:, :, None], 3, axis=2)]
        rows.append(
            np.concatenate(
                [cv2.resize(tile, (thumbnail, thumbnail), interpolation=cv2.INTER_AREA) for tile in tiles], axis=1
            )
        )
    return np.concatenate(rows, axis=0)


def pair_strip(photos: np.ndarray, targets: np.ndarray, predictions: np.ndarray, thumbnail: int = 160) -> np.ndarray:
    """Rows of photo | target | prediction, each shrunk to ``thumbnail`` pixels."""
    rows = []
    for photo, target, prediction in zip(photos, targets, predictions):
        tiles = [photo, np.repeat(target[:, :, None], 3, axis=2), np.repeat(prediction[:, :, None], 3, axis=2)]
        rows.append(
            np.concatenate(
                [cv2.resize(tile, (thumbnail, thumbnail), interpolation=cv2.INTER_AREA) for tile in tiles], axis=1
            )
        )
    return np.concatenate(rows, axis=0)

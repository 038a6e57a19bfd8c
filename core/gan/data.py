"""Training pictures: Fashion-MNIST from its IDX files, folders of pictures, zips (augmentation is
in augment.py)."""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import hashlib
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from core import assets, images
from core.gan import FASHION_CLASSES, IMAGE_SUFFIXES, GanConfig

# Data sets by name; "abstract-art-held-out" holds the pictures kept out of "abstract-art" to judge
# a generator on (core/assets.py, ABSTRACT_HELD_OUT).
BUILT_IN = ("fashion-mnist", "abstract-art", "abstract-art-held-out")


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
    shape = struct.unpack(f">{dimensions}I", data[4 : 4 + 4 * dimensions])
    body = np.frombuffer(data, np.uint8, offset=4 + 4 * dimensions)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{Path(path).name} is truncated: expected {int(np.prod(shape))} values, found {body.size}.")
    return body.reshape(shape)


def fashion_mnist(config: GanConfig, folder: str | Path | None = None) -> np.ndarray:
    """Training pictures (N, size, size) uint8, filtered by class."""
    root = assets.fashion_mnist_dir(folder)
    if root is None:
        raise ValueError(
            "Fashion-MNIST was not found: sudo apt-get install dataset-fashion-mnist, or set "
            "ATELIER_FASHION_MNIST to a folder holding the four idx .gz files."
        )
    pictures = read_idx(root / "train-images-idx3-ubyte.gz")
    labels = read_idx(root / "train-labels-idx1-ubyte.gz")
    if len(pictures) != len(labels) or pictures.ndim != 3:
        raise ValueError("The Fashion-MNIST files do not match each other (pictures and labels differ in count).")
    if config.classes:
        pictures = pictures[np.isin(labels, config.classes)]
    return pictures


def fashion_mnist_labelled(config: GanConfig, split: str = "train") -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Pictures, labels (renumbered 0..k-1 when ``config.classes`` keeps k classes) and class names."""
    root = assets.fashion_mnist_dir()
    if root is None:
        raise ValueError(
            "Fashion-MNIST was not found: sudo apt-get install dataset-fashion-mnist, or set "
            "ATELIER_FASHION_MNIST to a folder holding the four idx .gz files."
        )
    prefix = "train" if split == "train" else "t10k"
    pictures = read_idx(root / f"{prefix}-images-idx3-ubyte.gz")
    labels = read_idx(root / f"{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
    kept = list(config.classes) or list(range(len(FASHION_CLASSES)))
    chosen = np.isin(labels, kept)
    renumber = np.zeros(len(FASHION_CLASSES), np.int64)
    renumber[kept] = np.arange(len(kept))
    return pictures[chosen], renumber[labels[chosen]], tuple(FASHION_CLASSES[c] for c in kept)


def class_folders(folder: str | Path, config: GanConfig) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], list[str]]:
    """A folder with one sub-folder of pictures per class: pictures, labels, class names (the
    sub-folders' names, sorted) and notes (unreadable files, unbalanced classes). Refuses classes
    with fewer than two pictures: a class the generator sees once it can only copy."""
    root = Path(folder)
    subfolders = (
        sorted(path for path in root.iterdir() if path.is_dir() and not path.name.startswith("."))
        if root.is_dir()
        else []
    )
    if len(subfolders) == 1:  # one wrapping folder, as zips of a folder are made
        subfolders = sorted(path for path in subfolders[0].iterdir() if path.is_dir() and not path.name.startswith("."))
    if len(subfolders) < 2:
        raise ValueError(
            "A conditional GAN needs one folder of pictures per class, and at least two classes "
            "(for example shoes/, hats/, bags/)."
        )
    pictures, labels, notes, counts = [], [], [], {}
    for label, subfolder in enumerate(subfolders):
        try:
            found, skipped = picture_folder(subfolder, config)
        except ValueError:
            found, skipped = np.zeros((0,)), 0
        if len(found) // max(1, config.crops) < 2:
            raise ValueError(
                f"The class {subfolder.name!r} has {len(found) // max(1, config.crops)} readable "
                "picture(s); each class needs at least 2."
            )
        if skipped:
            notes.append(f"{skipped} unreadable file(s) skipped in {subfolder.name}")
        pictures.append(found)
        labels.append(np.full(len(found), label, np.int64))
        counts[subfolder.name] = len(found) // max(1, config.crops)
    if max(counts.values()) > 3 * min(counts.values()):
        notes.append(
            "unbalanced classes ("
            + ", ".join(f"{name} {count}" for name, count in counts.items())
            + "): the small ones will be drawn less well"
        )
    return np.concatenate(pictures), np.concatenate(labels), tuple(path.name for path in subfolders), notes


def picture_folder(folder: str | Path, config: GanConfig) -> tuple[np.ndarray, int]:
    """Every readable picture under ``folder`` (or, for "abstract-art", the curated Debian
    wallpapers), centre-cropped square (or ``config.crops`` random squares) and resized a little
    above ``size`` (random crops of that come later); returns (N, side, side, channels) uint8 and
    how many files were skipped as unreadable."""
    if str(folder) in ("abstract-art", "abstract-art-held-out"):
        paths = distinct_pictures(assets.abstract_art_files(held_out=str(folder) == "abstract-art-held-out"))
        if not paths:
            raise ValueError(
                "No abstract-art wallpapers here: sudo apt-get install propaganda-debian gnome-backgrounds "
                "plasma-workspace-wallpapers ukui-wallpapers lomiri-wallpapers-20.04 librsvg2-bin."
            )
    else:
        paths = distinct_pictures(
            sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        )
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
                picture = picture.resize(
                    (round(picture.width * scale), round(picture.height * scale)),
                    Image.Resampling.LANCZOS,
                    reducing_gap=3.0,
                )
        for box in _crop_boxes(picture.size, config.crops, rng):
            cropped = picture.crop(box).resize((side, side), Image.Resampling.LANCZOS)
            array = np.asarray(cropped.convert("L" if config.channels == 1 else "RGB"))
            kept.append(array[..., None] if config.channels == 1 else array)
    if not kept:
        raise ValueError(
            f"None of the pictures could be read: the files are damaged or not pictures ({skipped} tried)."
            if skipped
            else "No pictures found (PNG, JPEG, WebP, BMP, TIFF or GIF)."
        )
    return np.stack(kept), skipped


def distinct_pictures(paths: list[Path]) -> list[Path]:
    """KDE wallpaper packages hold one picture at a dozen resolutions
    (``Name/contents/images/1920x1080.jpg``, ...) plus a screenshot: keep only the largest file
    of each such folder, so a picture is not counted a dozen times; and byte-identical files
    (propaganda-debian ships one tile under two names) count once."""
    chosen: dict[Path, Path] = {}
    others = []
    for path in paths:
        if path.parent.parent.name == "contents" and path.parent.name.startswith("images"):
            best = chosen.get(path.parent)
            if best is None or path.stat().st_size > best.stat().st_size:
                chosen[path.parent] = path
        elif not (path.parent.name == "contents" and path.stem == "screenshot"):
            others.append(path)
    by_size: dict[int, list[Path]] = {}
    for path in sorted(others + list(chosen.values())):
        by_size.setdefault(path.stat().st_size, []).append(path)
    kept = []
    for group in by_size.values():  # only files of equal size can be equal: hash just those
        digests = set()
        for path in group:
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if len(group) > 1 else ""
            if digest not in digests:
                digests.add(digest)
                kept.append(path)
    return sorted(kept)


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


def check_batch(count: int, batch_size: int) -> None:
    """Refuse a set smaller than one batch (the page asks this before Start, the job again)."""
    if count < batch_size:
        raise ValueError(
            f"Only {count} pictures, fewer than one batch of {batch_size}: lower the batch size to at "
            f"most {count}, add pictures, and consider DiffAugment (color,translation,cutout) for small sets."
        )


def picture_set(folder: str | Path, config: GanConfig) -> tuple[int, list[str]]:
    """What a picture set gives the training, checked by the very functions the job reads it
    with (so a page refuses what the job would refuse, in the same words): the number of
    pictures a run sees per epoch and notes for the page. Raises ValueError."""
    if config.conditional:
        pictures, _, _, notes = class_folders(folder, config)
        count = len(pictures)
    else:
        pictures, skipped = picture_folder(folder, config)
        count, notes = len(pictures), [f"{skipped} unreadable file(s) skipped"] if skipped else []
        if str(folder) not in ("abstract-art", "abstract-art-held-out"):
            found = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
            repeated = len(found) - len(distinct_pictures(found))
            if repeated:  # said, or "6 pictures" uploaded would read as "1 readable" with no reason
                notes.append(
                    f"{repeated} of the {len(found)} pictures are the same file as another one, so they count "
                    "once (training on one picture many times teaches nothing more)"
                )
    check_batch(min(count, config.limit or count), config.batch_size)
    return count, notes


@contextlib.contextmanager
def _unpacked(dataset: str, conditional: bool):
    """A zip of pictures on the command line reads as the folder it unpacks to (through the same
    safe reader and rules as an upload in the page)."""
    path = Path(dataset)
    if path.suffix.lower() != ".zip" or not path.is_file():
        yield dataset
        return
    with tempfile.TemporaryDirectory(prefix="atelier-pictures-") as folder:
        extract_pictures_zip(path.read_bytes(), Path(folder), keep_classes=conditional)
        yield folder


def load_dataset(config: GanConfig) -> tuple[Any, Any, str, tuple[str, ...]]:
    """(pictures N x C x size x size in [-1, 1] (folders: slightly larger, for random crops),
    labels (N,) int64 or None, description, class names (conditional) or ()). ``config.dataset``
    is fashion-mnist, abstract-art, a folder of pictures or a zip of them."""
    if config.dataset not in BUILT_IN and not Path(config.dataset).exists():
        raise ValueError(
            f"The data set {Path(config.dataset).name!r} was not found: give fashion-mnist, "
            "abstract-art, a folder of pictures or a zip of them."
        )
    with _unpacked(config.dataset, config.conditional) as dataset:
        tensor, labels, description, names = _load(dataclasses.replace(config, dataset=str(dataset)))
    if Path(config.dataset).suffix.lower() == ".zip":
        description = description.replace(Path(dataset).name, Path(config.dataset).name)
    return tensor, labels, description, names


def _load(config: GanConfig) -> tuple[Any, Any, str, tuple[str, ...]]:
    labels, names = None, ()
    if config.dataset == "fashion-mnist":
        pictures, all_labels, class_names = fashion_mnist_labelled(config)
        if config.limit:
            pictures, all_labels = pictures[: config.limit], all_labels[: config.limit]
        tensor = torch.from_numpy(np.array(pictures)).float().div(127.5).sub(1).unsqueeze(1)
        tensor = torch.nn.functional.interpolate(
            tensor, size=(config.size, config.size), mode="bilinear", align_corners=False
        )
        if config.channels == 3:
            tensor = tensor.repeat(1, 3, 1, 1)
        shown = ", ".join(class_names) if config.classes else "all classes"
        description = f"Fashion-MNIST, {len(tensor):,} pictures ({shown})"
        if config.conditional:
            labels, names = torch.from_numpy(all_labels), class_names
    elif config.conditional:
        pictures, found_labels, names, notes = class_folders(config.dataset, config)
        if config.limit:
            pictures, found_labels = pictures[: config.limit], found_labels[: config.limit]
        tensor = torch.from_numpy(pictures).permute(0, 3, 1, 2).float().div(127.5).sub(1)
        labels = torch.from_numpy(found_labels)
        description = f"{len(tensor)} pictures in {len(names)} classes ({', '.join(names)})" + (
            f"; {'; '.join(notes)}" if notes else ""
        )
    else:
        pictures, skipped = picture_folder(config.dataset, config)
        if config.limit:
            pictures = pictures[: config.limit]
        tensor = torch.from_numpy(pictures).permute(0, 3, 1, 2).float().div(127.5).sub(1)
        description = f"{len(tensor)} pictures from {Path(config.dataset).name}" + (
            f" ({skipped} unreadable files skipped)" if skipped else ""
        )
    check_batch(len(tensor), config.batch_size)
    return tensor, labels, description, names


def extract_pictures_zip(data: bytes, folder: Path, max_files: int = 20_000, keep_classes: bool = False) -> int:
    """Unpack the pictures of an uploaded zip into ``folder`` (through the one safe zip reader,
    core/zips.py); with ``keep_classes`` each picture stays under its class folder (the first
    folder inside the zip that is not a lone wrapper), else they are flattened. Returns how many
    pictures were written."""
    from core.zips import open_zip

    opened = open_zip(data, max_members=max_files * 2)
    pictures = [(path, member) for path, member in opened.members if path.suffix.lower() in IMAGE_SUFFIXES]
    if len(pictures) > max_files:
        raise ValueError(f"The zip holds more than {max_files} pictures; use a smaller set.")
    if not pictures:
        raise ValueError("The zip holds no pictures (PNG, JPEG, WebP, BMP, TIFF or GIF).")
    wrapper = 0
    if keep_classes:
        while len({path.parts[wrapper] for path, _ in pictures if len(path.parts) > wrapper + 1}) == 1 and all(
            len(path.parts) > wrapper + 2 for path, _ in pictures
        ):
            wrapper += 1  # skip a single folder that only wraps the class folders
        if any(len(path.parts) < wrapper + 2 for path, _ in pictures):
            raise ValueError(
                "For classes, the zip needs one folder of pictures per class (shoes/a.png, hats/b.png, "
                "...), not loose pictures."
            )
    folder.mkdir(parents=True, exist_ok=True)
    for index, (path, member) in enumerate(pictures):
        target = folder / path.parts[wrapper] if keep_classes else folder
        target.mkdir(exist_ok=True)
        (target / f"{index:05d}{path.suffix.lower()}").write_bytes(opened.read(member))
    return len(pictures)

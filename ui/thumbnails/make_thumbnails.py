"""Regenerate the Home page thumbnails: ``python ui/thumbnails/make_thumbnails.py``.

Each picture is made offline from bundled samples. Until a tool's own page lands, its
thumbnail comes from the closest honest stand-in (Home's THUMBNAIL_NOTES name each), so Home
never shows an invented result; each tool replaces its stand-in with its own output.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from core import assets, images  # noqa: E402

SIZE = 256


def ascii_thumbnail() -> Image.Image:
    """The ASCII Art tool's own output: glyph matching at 64 columns, in colour."""
    import core.ascii as ascii_art

    photo = square(images.load_sample("Astronaut"))
    result = ascii_art.convert(photo, ascii_art.AsciiConfig(columns=64, colour_mode="colour"))
    return Image.fromarray(ascii_art.render(result, 8)).resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def sketch_thumbnail() -> Image.Image:
    """The shipped 256 px sketch model on the astronaut (in a child process: TensorFlow must not
    share this process with torch, which the other thumbnails load)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        photo, output = Path(folder) / "photo.png", Path(folder) / "sketch.png"
        square(images.load_sample("Astronaut")).save(photo)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "core",
                "sketch",
                str(photo),
                "--output",
                str(output),
                "--model",
                "256",
                "--working-side",
                str(SIZE),
            ],
            check=True,
            cwd=HERE.parent.parent,
        )
        return Image.open(output).convert("RGB")


def style_thumbnail() -> Image.Image:
    """The Style Transfer tool's own output: Chelsea the cat after Starry Night, 150 L-BFGS steps."""
    from core import style

    content, painting = square(images.load_sample("Cat (Chelsea)")), images.load_sample("Starry Night")
    result = None
    for event in style.stylise(content, [painting], style.StyleConfig(size=SIZE, steps=150)):
        result = event.result if event.result is not None else result
    return Image.fromarray(result)


def gan_thumbnail() -> Image.Image:
    """Samples of the shipped Fashion-MNIST generator (real garments if it is not there yet)."""
    from core import gan

    shipped = assets.WEIGHTS_DIR / "gan-fashion-mnist.pt"
    if shipped.exists():
        generator, config = gan.load_generator(shipped)
        grid = gan.make_grid(gan.sample(generator, config, 36, seed=3))
        return Image.fromarray(grid).resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    folder = assets.fashion_mnist_dir()
    with gzip.open(folder / "t10k-images-idx3-ubyte.gz") as handle:
        pictures = np.frombuffer(handle.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:64]
    grid = pictures.reshape(8, 8, 28, 28).transpose(0, 2, 1, 3).reshape(224, 224)
    return Image.fromarray(255 - grid).convert("RGB").resize((SIZE, SIZE), Image.Resampling.NEAREST)


def square(image: Image.Image) -> Image.Image:
    return ImageOps.fit(image, (SIZE, SIZE), Image.Resampling.LANCZOS)


if __name__ == "__main__":
    chosen = sys.argv[1:] or ["ascii", "sketch", "gan", "style"]
    for name in chosen:
        make = globals()[f"{name}_thumbnail"]
        make().save(HERE / f"{name}.png", optimize=True)

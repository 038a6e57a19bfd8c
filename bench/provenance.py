"""What putting the settings inside a result costs (core/provenance): time to embed and to read back,
and the bytes added, per format, on a 1024x768 picture and a 10 s clip. The floor is the file as
written without settings (0 ms, 0 bytes).

    python bench/provenance.py        # writes bench/results/provenance.txt
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import clips, provenance, tools  # noqa: E402
from core.style.config import StyleConfig  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "provenance.txt"


def timed(function, repeats: int = 5) -> float:
    started = time.perf_counter()
    for _ in range(repeats):
        function()
    return (time.perf_counter() - started) / repeats


def main() -> None:
    stamp = tools.make_stamp("style", StyleConfig())
    picture = Image.fromarray(np.random.default_rng(0).integers(0, 255, (768, 1024, 3), np.uint8))
    rows = []
    for format, kind in (("PNG", "png"), ("JPEG", "jpeg"), ("WEBP", "webp")):
        buffer = io.BytesIO()
        picture.save(buffer, format=format, quality=90)
        data = buffer.getvalue()
        stamped = provenance.embed(data, kind, stamp)
        rows.append(
            (
                f"{kind} 1024x768",
                len(data),
                timed(lambda data=data, kind=kind: provenance.embed(data, kind, stamp)),
                timed(lambda stamped=stamped: provenance.read(stamped)),
                len(stamped) - len(data),
            )
        )
    with tempfile.TemporaryDirectory() as folder:
        data = clips.synthetic_clip(Path(folder) / "clip.mp4", seconds=10.0, size=(640, 480)).read_bytes()
    stamped = provenance.embed(data, "mp4", stamp)
    rows.append(
        (
            "mp4 10 s 640x480",
            len(data),
            timed(lambda: provenance.embed(data, "mp4", stamp), 3),
            timed(lambda: provenance.read(stamped), 3),
            len(stamped) - len(data),
        )
    )
    text = "\n".join(
        ["# python bench/provenance.py (floor: the file without settings, 0 ms and 0 bytes)"]
        + [
            f"{name:18s} {size / 1e6:6.2f} MB  embed {embed * 1000:7.1f} ms  read {read * 1000:6.1f} ms  +{added} bytes"
            for name, size, embed, read, added in rows
        ]
    )
    print(text)
    RESULTS.write_text(text + "\n")


if __name__ == "__main__":
    main()

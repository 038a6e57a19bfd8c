"""A batch as one command against the same pictures as one command each (issue #33 item 3).

    python bench/batch.py [--count 100] [--tools ascii,sketch,style] [--separate 20]

``--count`` photos (1024 px JPEGs, bench/ascii.py's set) go through each tool's command twice: once as
one batch (a folder: ``ascii DIR --output-dir``, ``sketch DIR --output-dir``, ``style DIR PAINTING
--instant --output-dir``) and once as one command per photo, the way a script without batches
would call it. The separate commands run for the first ``--separate`` photos (each pays Python's and
its framework's start) and their rate stands for all of them. It prints pictures per second for both
and the speed-up; every output is checked to exist. Results: bench/results/batch.txt.

Style Transfer's batch here is the instant network's (a second per picture at most); its
optimisation takes a minute a photo on a CPU whichever way it is called.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def commands(tool: str, photos: list[Path], out: Path, painting: Path) -> tuple[list[str], list[list[str]]]:
    """(the batch's command, one command per photo)."""
    python = [sys.executable, "-m", "core"]
    folder = str(photos[0].parent)
    if tool == "ascii":
        batch = [*python, "ascii", folder, "--columns", "160", "--output-dir", str(out / "batch")]
        each = [[*python, "ascii", str(p), "--columns", "160", "--output-dir", str(out / "each")] for p in photos]
    elif tool == "sketch":
        batch = [*python, "sketch", folder, "--output-dir", str(out / "batch")]
        each = [[*python, "sketch", str(p), "--output", str(out / "each" / f"{p.stem}.png")] for p in photos]
    else:
        options = ["--instant", "--size", "512"]
        batch = [*python, "style", folder, str(painting), *options, "--output-dir", str(out / "batch")]
        each = [
            [*python, "style", str(p), str(painting), *options, "--output", str(out / "each" / f"{p.stem}.png")]
            for p in photos
        ]
    return batch, each


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--tools", default="ascii,sketch,style")
    parser.add_argument("--separate", type=int, default=20, help="how many photos run as separate commands")
    parser.add_argument("--output", default=str(REPO / "bench" / "results" / "batch.txt"))
    arguments = parser.parse_args()
    from ascii import make_batch  # bench/ascii.py's photos

    from core import images

    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    lines = [
        f"bench/batch.py: {arguments.count} photos of 1024 px as one batch command and as one command each "
        f"(the first {arguments.separate} of them, their rate standing for all); {os.cpu_count()} CPUs",
        "",
        f"{'tool':<36} | {'batch s':>8} | {'batch pict/s':>12} | {'each s/pict':>11} | {'each pict/s':>11} | speed-up",
        "-" * 100,
    ]
    problems = []
    with tempfile.TemporaryDirectory(prefix="atelier-batch-bench-") as scratch:
        root = Path(scratch)
        (root / "photos").mkdir()
        photos, _ = make_batch(root / "photos", arguments.count)
        photos = photos[: arguments.count]
        for extra in sorted((root / "photos").iterdir())[arguments.count :]:
            extra.unlink()
        painting = Path(images.STARRY_NIGHT)
        for tool in arguments.tools.split(","):
            out = root / tool
            (out / "batch").mkdir(parents=True)
            (out / "each").mkdir()
            batch, each = commands(tool, photos, out, painting)
            started = time.perf_counter()
            subprocess.run(batch, check=True, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            batch_seconds = time.perf_counter() - started
            started = time.perf_counter()
            for command in each[: arguments.separate]:
                subprocess.run(
                    command, check=True, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            per_picture = (time.perf_counter() - started) / min(arguments.separate, len(each))
            made = len([path for path in (out / "batch").iterdir() if path.suffix in (".png", ".txt")])
            if made < len(photos):
                problems.append(f"{tool}: the batch wrote {made} files for {len(photos)} photos")
            words = {
                "ascii": "ASCII Art, 160 columns, txt",
                "sketch": "Photo to Sketch, shipped 256 model",
                "style": "Style Transfer, instant, 512 px",
            }
            lines.append(
                f"{words[tool]:<36} | {batch_seconds:>8.1f} | {len(photos) / batch_seconds:>12.2f} | "
                f"{per_picture:>11.2f} | {1 / per_picture:>11.2f} | {per_picture * len(photos) / batch_seconds:>7.1f}x"
            )
            print(lines[-1], flush=True)
    lines += ["", "checks: " + ("all passed" if not problems else "; ".join(problems))]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(arguments.output).write_text(text)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

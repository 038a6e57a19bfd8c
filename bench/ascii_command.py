"""One picture through the whole ASCII Art command against chafa's (issue #35): start-up included.

    python bench/ascii_command.py [--runs 7] [--columns 160]

A 1024 px JPEG (bench/ascii.py's first photo) to 160 columns of text, ``python -m core ascii`` against
``chafa --format symbols`` at the same width, run in pairs (ours, then chafa's, ``--runs`` times) so
that both meet the same machine load; prints each one's median and the ratio, and where our start-up
goes (``python -X importtime``'s biggest imports). Results: bench/results/ascii-command.txt.

Two floors run in the same pairs: the interpreter alone (``python -c pass``) and the interpreter with
NumPy and Pillow imported, which every Python image tool pays before it reads a pixel. Our commands
run with Python's bytecode cache on, as a user's Python keeps it (``PYTHONDONTWRITEBYTECODE`` is
dropped for them, and a first run writes the cache): where that variable is set, as on the machine
these figures come from, every command would otherwise compile our own modules again (about 0.1 s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def timed(command: list[str], environment: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--columns", type=int, default=160)
    parser.add_argument("--output", default=str(REPO / "bench" / "results" / "ascii-command.txt"))
    arguments = parser.parse_args()
    if shutil.which("chafa") is None:
        print("chafa is not installed (make bench installs it)", file=sys.stderr)
        return 1
    from ascii import make_batch

    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory(prefix="atelier-ascii-command-") as scratch:
        root = Path(scratch)
        (root / "photos").mkdir()
        photo = make_batch(root / "photos", 1)[0][0]
        ours_command = [sys.executable, "-m", "core", "ascii", str(photo), "--columns", str(arguments.columns)]
        ours_command += ["--format", "txt", "--output-dir", str(root / "out")]
        chafa_command = ["chafa", "--format", "symbols", "--size", f"{arguments.columns}x", str(photo)]
        floors = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python, NumPy, Pillow": [sys.executable, "-c", "import numpy, PIL.Image"],
        }
        commands = {"python -m core ascii": ours_command, "chafa": chafa_command, **floors}
        for command in commands.values():  # warm the disk caches and write the bytecode cache
            timed(command, environment)
        times = {name: [] for name in commands}
        for _ in range(arguments.runs):
            for name, command in commands.items():
                times[name].append(timed(command, environment))
        imports = subprocess.run(
            [sys.executable, "-X", "importtime", *ours_command[1:]],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        ).stderr.splitlines()
    top = sorted(
        (
            line.split("|")
            for line in imports
            if line.startswith("import time:") and line.split("|")[1].strip().isdigit()
        ),
        key=lambda parts: int(parts[1]),
    )[-8:]
    medians = {name: statistics.median(values) for name, values in times.items()}
    ours_median, chafa_median = medians["python -m core ascii"], medians["chafa"]
    lines = [
        f"bench/ascii_command.py: one 1024 px JPEG to {arguments.columns} columns of text, whole command, "
        f"median of {arguments.runs} paired runs; {os.cpu_count()} CPUs; our bytecode cached, as a user's is",
        "",
        *[f"{name:<24}{median:.3f} s" for name, median in medians.items()],
        f"{'ours / chafa':<24}{ours_median / chafa_median:.2f}x",
        f"{'ours past NumPy+Pillow':<24}{ours_median - medians['python, NumPy, Pillow']:.3f} s (what the command "
        "itself can still win)",
        "",
        "our biggest imports (cumulative ms):",
        *[f"  {int(parts[1]) / 1000:7.1f}  {parts[2].strip()}" for parts in reversed(top)],
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(arguments.output).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

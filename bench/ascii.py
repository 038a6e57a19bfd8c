"""ASCII Art against chafa and jp2a: time per image and SSIM per photo, in one run.

    python bench/ascii.py [--images 24,96] [--repeats 3] [--columns 80,160,320]

The batch: bundled photos (scikit-image, matplotlib, Debian's opencv-doc), dark and low-key ones
among them (the Hubble deep field, a retina, a black notebook, objects on black), resized to
1024 px on the longer side and saved as JPEG; repeated with flips to fill --images. The set
is not held out: the defaults (and the auto-polarity rule) were tuned on photos like these. Each tool converts the
whole batch as one process (start-up included, as a user scripting it would pay), best of
--repeats; per-image time = wall time / images, for each batch size given (start-up weighs
more in a small batch: Python and NumPy take about 0.14 s to start, chafa 0.02 s). Peers run only where installed:
``chafa -f symbols --symbols ascii --colors none`` and ``jp2a``, at the same grid (columns x
rows from our font's cell aspect).

Polarity: every tool is scored in the polarity it draws. Ours picks paper (dark ink on white) or
screen (light glyphs on black) per picture (auto, the default). chafa draws for a dark terminal
(light on dark) and with --invert for a light one; so does jp2a (its default ramp puts its densest
glyphs on the brightest pixels, whatever its help says of --invert). Each peer is drawn
both ways, each in the polarity that orientation is meant for, and scored by the better one per
image and measure: the comparison is never won by reading a peer's picture as its negative.

Quality: each tool's text is drawn in our font (DejaVu Sans Mono) and compared with the grey
source by SSIM at three scales (see MEASURES): at cell scale, blurred to viewing distance, and
pixel by pixel. Two floors are printed with them: our own brightness ramp (same charset, same
grid) and a blank page. Pixel SSIM rewards blank cells (a glyph's strokes are never in a smooth
photo, so the blank page beats every tool there): read the blank row before that column.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import core.ascii as ascii_art  # noqa: E402
from core import images  # noqa: E402

PHOTOS = ["Astronaut", "Cat (Chelsea)", "Coffee", "Rocket", "Grace Hopper", "Night sky (Hubble)"]
OPENCV_PHOTOS = [
    "baboon.jpg",
    "fruits.jpg",
    "building.jpg",
    "home.jpg",
    "messi5.jpg",
    "lena.jpg",
    "board.jpg",
    "ela_original.jpg",
    "pca_test1.jpg",
]  # the last two: a black notebook, objects on black
SKIMAGE_PHOTOS = ["retina"]  # a lit disc on black
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def make_batch(folder: Path, count: int) -> tuple[list[Path], list[str]]:
    """``count`` JPEGs (the distinct photos first, then flipped repeats) and the photos' names."""
    sources = {name: images.load_sample(name) for name in PHOTOS}
    opencv = Path(images.STARRY_NIGHT).parent
    sources |= {name: images.load_image(opencv / name) for name in OPENCV_PHOTOS if (opencv / name).is_file()}
    import skimage.data

    sources |= {name: images.to_rgb(Image.fromarray(getattr(skimage.data, name)())) for name in SKIMAGE_PHOTOS}
    pictures = list(sources.values())
    paths = []
    for index in range(max(count, len(pictures))):
        picture = images.fit_within(pictures[index % len(pictures)], 10_000)
        scale = 1024 / max(picture.size)
        picture = picture.resize(
            (round(picture.width * scale), round(picture.height * scale)), Image.Resampling.LANCZOS
        )
        if (index // len(pictures)) % 2:
            picture = ImageOps.mirror(picture)
        path = folder / f"photo{index:03d}.jpg"
        picture.save(path, quality=92)
        paths.append(path)
    return paths, list(sources)


# Commands run with Python's bytecode cache on, as a user's Python keeps it: where
# PYTHONDONTWRITEBYTECODE is set (as on the machine these figures come from) every run of ours would
# compile our own modules again, about 0.1 s that no user pays. The first repeat writes the cache.
COMMAND_ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def best_wall(command: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(
            command, check=True, env=COMMAND_ENVIRONMENT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        times.append(time.perf_counter() - started)
    return min(times)


def rows_for(path: Path, columns: int, font: ascii_art.Font) -> int:
    with Image.open(path) as picture:
        return ascii_art.grid_size(picture.width, picture.height, columns, font)


def peer_text(command: list[str], columns: int, rows: int) -> list[str]:
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    lines = [ESCAPES.sub("", line).replace("\t", " ") for line in output.splitlines()]
    lines = [line for line in lines if line.strip() or True][:rows]
    lines += [""] * (rows - len(lines))
    return [line[:columns].ljust(columns) for line in lines]


def text_result(lines: list[str], font: ascii_art.Font, polarity: str = "paper") -> ascii_art.AsciiResult:
    characters = "".join(sorted(set("".join(lines)) | {" "}))
    characters = "".join(ch if ch in font.characters or ch == " " else " " for ch in characters)
    characters = "".join(dict.fromkeys(characters))
    index = np.array([[characters.index(ch if ch in characters else " ") for ch in line] for line in lines])
    config = ascii_art.AsciiConfig(columns=len(lines[0]))
    return ascii_art.AsciiResult(
        lines, index, np.zeros(index.shape, np.float32), characters, font, config, polarity=polarity
    )


def peer_candidates(photo: Path, columns: int, rows: int, font: ascii_art.Font, chafa, jp2a) -> dict[str, list]:
    """Each installed peer's text for one photo at our grid, plain and --invert, each drawn in the
    polarity it is meant for: plain output is for a dark terminal (screen) for both, and
    --invert is for a light one (paper)."""
    commands = {}
    if chafa:
        commands["chafa"] = (
            [
                chafa,
                "-f",
                "symbols",
                "--symbols",
                "ascii",
                "--colors",
                "none",
                "--size",
                f"{columns}x{rows}",
                "--stretch",
                str(photo),
            ],
            ("screen", "paper"),
        )
    if jp2a:
        commands["jp2a"] = ([jp2a, f"--width={columns}", f"--height={rows}", str(photo)], ("screen", "paper"))
    return {
        name: [
            text_result(peer_text(command + extra, columns, rows), font, polarity)
            for extra, polarity in zip(([], ["--invert"]), polarities)
        ]
        for name, (command, polarities) in commands.items()
    }


def save_strips(path: Path, photos: list[Path], columns: int, font: ascii_art.Font, chafa, jp2a) -> None:
    """One row per photo: the source and each tool's text, all drawn in our font at 10 px."""
    import cv2

    strips = []
    for photo in photos:
        source = np.asarray(images.load_image(photo))
        rows = rows_for(photo, columns, font)
        results = [ascii_art.convert(source, ascii_art.AsciiConfig(columns=columns), font)]
        for candidates in peer_candidates(photo, columns, rows, font, chafa, jp2a).values():
            results.append(max(candidates, key=lambda candidate: ascii_art.cell_similarity(candidate, source)))
        results.append(ascii_art.convert(source, ascii_art.AsciiConfig(columns=columns, method="ramp"), font))
        drawn = [ascii_art.render_grey(result, ascii_art.SSIM_FONT_SIZE) for result in results]
        height, width = drawn[0].shape
        grey = cv2.cvtColor(source, cv2.COLOR_RGB2GRAY)
        panels = [cv2.resize(grey, (width, height), interpolation=cv2.INTER_AREA)]
        panels += [cv2.resize(picture, (width, height), interpolation=cv2.INTER_AREA) for picture in drawn]
        strips.append(np.hstack([np.pad(panel, 4, constant_values=200) for panel in panels]))
    width = max(strip.shape[1] for strip in strips)
    Image.fromarray(
        np.vstack([np.pad(strip, ((0, 0), (0, width - strip.shape[1])), constant_values=200) for strip in strips])
    ).save(path)


MEASURES = {  # name: (function, what it is)
    "cell": (ascii_art.cell_similarity, "SSIM at cell scale (one sample per character width, two per height)"),
    "blur": (ascii_art.blurred_similarity, "SSIM after a Gaussian blur of half a character width (viewing distance)"),
    "pixel": (
        ascii_art.similarity,
        "SSIM pixel by pixel, text drawn at 10 px (rewards blank cells: see the blank row)",
    ),
}


def bench_columns(columns, batch, distinct, batch_sizes, repeats, folder, font, per_photo, polarities) -> None:
    """Time ours and the peers at one column count, score every distinct photo, print the rows."""
    chafa, jp2a = shutil.which("chafa"), shutil.which("jp2a")
    rows = rows_for(batch[0], columns, font)  # the batch shares one shape per source; see below
    commands = {
        "atelier (ours)": lambda files: [
            sys.executable,
            "-m",
            "core",
            "ascii",
            *map(str, files),
            "--columns",
            str(columns),
            "--format",
            "txt",
            "--output-dir",
            str(folder / "ours"),
        ],
    }
    if chafa:
        # One --size for the whole batch, as a box: chafa keeps each picture's aspect inside
        # it (with --stretch it would fill the square photo's grid for every picture, and so
        # draw half as many cells again as we do on a landscape photo).
        commands["chafa"] = lambda files: [
            chafa,
            "-f",
            "symbols",
            "--symbols",
            "ascii",
            "--colors",
            "none",
            "--size",
            f"{columns}x{rows}",
            *map(str, files),
        ]
    if jp2a:
        commands["jp2a"] = lambda files: [jp2a, f"--width={columns}", *map(str, files)]
    timings = {
        name: [best_wall(command(batch[:size]), repeats) / size for size in batch_sizes]
        for name, command in commands.items()
    }
    names = [
        "atelier (ours)",
        "atelier ramp (floor)",
        "blank page (floor)",
        *[n for n in commands if n != "atelier (ours)"],
    ]
    scores = {name: {measure: [] for measure in MEASURES} for name in names}

    def score(name, candidates, source):
        for measure, (function, _) in MEASURES.items():
            scores[name][measure].append(max(function(candidate, source) for candidate in candidates))

    polarities[columns] = []
    for path in distinct:
        source = np.asarray(images.load_image(path))
        rows = rows_for(path, columns, font)
        ours = ascii_art.convert(source, ascii_art.AsciiConfig(columns=columns), font)
        polarities[columns].append(ours.polarity)
        score("atelier (ours)", [ours], source)
        score(
            "atelier ramp (floor)",
            [
                ascii_art.convert(
                    source, ascii_art.AsciiConfig(columns=columns, method="ramp", polarity=ours.polarity), font
                )
            ],
            source,
        )
        score(
            "blank page (floor)",
            [text_result([" " * columns] * rows, font, polarity) for polarity in ("paper", "screen")],
            source,
        )
        for name, candidates in peer_candidates(path, columns, rows, font, chafa, jp2a).items():
            score(name, candidates, source)  # the better orientation, per image and measure
    ours = scores["atelier (ours)"]
    for name in names:
        timing = (
            " ".join(f"{value * 1000:11.1f}" for value in timings[name])
            if name in timings
            else " ".join(f"{'':>11}" for _ in batch_sizes)
        )
        cells = []
        for measure in MEASURES:
            values = scores[name][measure]
            per_photo[columns, name, measure] = values
            wins = sum(o > v for o, v in zip(ours[measure], values))
            beaten = "" if name == "atelier (ours)" else f"{wins}/{len(values)}"
            cells.append(f"{statistics.mean(values):10.4f} {min(values):6.3f} {beaten:>6}")
        print(f"{columns:>7} {name:<21} {timing} {' '.join(cells)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", default="24,96", help="batch sizes to time, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--columns", default="80,160,320")
    parser.add_argument(
        "--picture",
        default="",
        help="also save a source | ours | chafa | jp2a | ramp strip "
        "of a few photos at the first column count here (PNG)",
    )
    arguments = parser.parse_args()
    grid_columns = [int(value) for value in arguments.columns.split(",")]
    batch_sizes = [int(value) for value in arguments.images.split(",")]
    font = ascii_art.load_font(None)
    chafa, jp2a = shutil.which("chafa"), shutil.which("jp2a")
    print(
        f"batches of {' and '.join(map(str, batch_sizes))} JPEG photos, 1024 px; best of {arguments.repeats}; "
        f"chafa: {'yes' if chafa else 'not installed'}; jp2a: {'yes' if jp2a else 'not installed'}"
    )
    for name, (_, meaning) in MEASURES.items():
        print(f"  {name:>5}: {meaning}")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        batch, labels = make_batch(folder, max(batch_sizes))
        distinct = batch[: len(labels)]
        timing_header = " ".join(f"{f'ms/img@{size}':>11}" for size in batch_sizes)
        measure_header = " ".join(f"{name + ' mean':>10} {'min':>6} {'beats':>6}" for name in MEASURES)
        print(f"\n{'columns':>7} {'tool':<21} {timing_header} {measure_header}")
        per_photo = {}  # (columns, tool, measure) -> score per distinct photo
        polarities = {}  # columns -> the polarity ours chose per photo
        for columns in grid_columns:
            bench_columns(columns, batch, distinct, batch_sizes, arguments.repeats, folder, font, per_photo, polarities)
        print("\n'beats': on how many of the images ours scores higher than that row.")
        peers = [name for name in ("chafa", "jp2a") if (grid_columns[0], name, "cell") in per_photo]
        for measure in ("cell", "blur"):
            print(
                f"\nper photo, SSIM {measure} (ours in the polarity auto chose: P paper, S screen; "
                "a peer in its better orientation; * where ours is not above every peer):"
            )
            print(
                f"{'photo':<22}"
                + "".join(
                    f" | {columns:>4}: {'ours':>6} " + " ".join(f"{peer:>6}" for peer in peers)
                    for columns in grid_columns
                )
            )
            for index, label in enumerate(labels):
                line = f"{label[:22]:<22}"
                for columns in grid_columns:
                    mine = per_photo[columns, "atelier (ours)", measure][index]
                    others = [per_photo[columns, peer, measure][index] for peer in peers]
                    flag = "*" if any(mine <= other for other in others) else " "
                    line += f" | {polarities[columns][index][0].upper()}{flag}   {mine:6.3f} " + " ".join(
                        f"{other:6.3f}" for other in others
                    )
                print(line)
        if arguments.picture:
            chosen = [
                distinct[labels.index(name)]
                for name in ("Cat (Chelsea)", "Night sky (Hubble)", "ela_original.jpg")
                if name in labels
            ]
            save_strips(Path(arguments.picture), chosen, grid_columns[0], font, chafa, jp2a)
        print("\nsingle re-render (convert + render), in-process, 1024 px photo, as a slider move costs:")
        source = np.asarray(images.load_image(batch[0]))
        for columns in grid_columns:
            config = ascii_art.AsciiConfig(columns=columns)
            ascii_art.render(ascii_art.convert(source, config, font))
            times = []
            for _ in range(10):
                started = time.perf_counter()
                ascii_art.render(ascii_art.convert(source, config, font), font_size=8)
                times.append(time.perf_counter() - started)
            print(f"{columns:>7} columns: {statistics.median(times) * 1000:6.1f} ms (median of 10)")
        one = [
            sys.executable,
            "-m",
            "core",
            "ascii",
            str(batch[0]),
            "--columns",
            "100",
            "--output-dir",
            str(folder / "one"),
        ]
        print(
            f"one picture through 'python -m core ascii' at 100 columns, whole process: "
            f"{best_wall(one, max(5, arguments.repeats)):.3f} s (best of {max(5, arguments.repeats)})"
        )


if __name__ == "__main__":
    main()

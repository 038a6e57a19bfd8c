"""ASCII Art against chafa and jp2a: time per image and SSIM, in one run.

    python bench/ascii.py [--images 24] [--repeats 3] [--columns 80,160,320]

The batch: bundled photos (scikit-image, matplotlib, Debian's opencv-doc) resized to 1024 px on
the longer side and saved as JPEG; repeated with flips to fill --images. Each tool converts the
whole batch as one process (start-up included, as a user scripting it would pay), best of
--repeats; per-image time = wall time / images. Peers run only where installed:
``chafa -f symbols --symbols ascii --colors none`` and ``jp2a``, at the same grid (columns x
rows from our font's cell aspect). Both peers assume light text on a dark terminal by default;
we draw dark ink on white paper, so each peer is scored in whichever of its two orientations
(plain or --invert) scores higher for it on that image: the comparison is never won by
reading a peer's picture as its negative.

Quality: each tool's text is drawn in our font (DejaVu Sans Mono) and compared with the source
by SSIM (core.ascii_art.similarity: grey, at 10 px). Two floors are printed with it: our own
brightness ramp (same charset, same grid) and a blank page. Against a photo, pixel SSIM also
rewards blank cells, so read the blank row before any other.
"""

from __future__ import annotations

import argparse
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

from core import ascii_art, images  # noqa: E402

PHOTOS = ["Astronaut", "Cat (Chelsea)", "Coffee", "Rocket", "Grace Hopper"]
OPENCV_PHOTOS = ["baboon.jpg", "fruits.jpg", "building.jpg", "home.jpg", "messi5.jpg", "lena.jpg", "board.jpg"]
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def make_batch(folder: Path, count: int) -> list[Path]:
    sources = [images.load_sample(name) for name in PHOTOS]
    opencv = Path(images.STARRY_NIGHT).parent
    sources += [images.load_image(opencv / name) for name in OPENCV_PHOTOS if (opencv / name).is_file()]
    paths = []
    for index in range(count):
        picture = images.fit_within(sources[index % len(sources)], 10_000)
        scale = 1024 / max(picture.size)
        picture = picture.resize((round(picture.width * scale), round(picture.height * scale)), Image.Resampling.LANCZOS)
        if (index // len(sources)) % 2:
            picture = ImageOps.mirror(picture)
        path = folder / f"photo{index:03d}.jpg"
        picture.save(path, quality=92)
        paths.append(path)
    return paths


def best_wall(command: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def text_result(lines: list[str], font: ascii_art.Font) -> ascii_art.AsciiResult:
    characters = "".join(sorted(set("".join(lines)) | {" "}))
    characters = "".join(ch if ch in font.characters or ch == " " else " " for ch in characters)
    characters = "".join(dict.fromkeys(characters))
    index = np.array([[characters.index(ch if ch in characters else " ") for ch in line] for line in lines])
    config = ascii_art.AsciiConfig(columns=len(lines[0]))
    return ascii_art.AsciiResult(lines, index, np.zeros(index.shape, np.float32),
                                 np.zeros((*index.shape, 3), np.uint8), characters, font, config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--columns", default="80,160,320")
    parser.add_argument("--quality-images", type=int, default=12, help="how many distinct images SSIM is measured on")
    arguments = parser.parse_args()
    grid_columns = [int(value) for value in arguments.columns.split(",")]
    font = ascii_art.load_font(None)
    chafa, jp2a = shutil.which("chafa"), shutil.which("jp2a")
    print(f"batch: {arguments.images} JPEG photos, 1024 px; best of {arguments.repeats}; "
          f"chafa: {'yes' if chafa else 'not installed'}; jp2a: {'yes' if jp2a else 'not installed'}")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        batch = make_batch(folder, arguments.images)
        distinct = batch[: min(arguments.quality_images, len(PHOTOS) + len(OPENCV_PHOTOS), len(batch))]
        print(f"\n{'':>7} {'':<22} {'':>9} {'pixel SSIM (page)':^33} {'cell-scale SSIM':^33}")
        print(f"{'columns':>7} {'tool':<22} {'ms/image':>9} {'mean':>10} {'min':>9} {'ours beats':>12} "
              f"{'mean':>10} {'min':>9} {'ours beats':>12}")
        for columns in grid_columns:
            rows = rows_for(batch[0], columns, font)  # the batch shares one shape per source; see below
            timings = {
                "atelier (ours)": best_wall([sys.executable, "-m", "core", "ascii", *map(str, batch), "--columns",
                                             str(columns), "--format", "txt", "--output-dir", str(folder / "ours")],
                                            arguments.repeats),
            }
            if chafa:
                timings["chafa"] = best_wall([chafa, "-f", "symbols", "--symbols", "ascii", "--colors", "none",
                                              "--size", f"{columns}x{rows}", "--stretch", *map(str, batch)], arguments.repeats)
            if jp2a:
                timings["jp2a"] = best_wall([jp2a, f"--width={columns}", *map(str, batch)], arguments.repeats)
            names = ["atelier (ours)", "atelier ramp (floor)", "blank page (floor)", *[n for n in timings if n != "atelier (ours)"]]
            scores: dict[str, list[float]] = {name: [] for name in names}
            cell_scores: dict[str, list[float]] = {name: [] for name in names}

            def score(name, result, source):
                scores[name].append(ascii_art.similarity(result, source))
                cell_scores[name].append(ascii_art.cell_similarity(result, source))

            def score_best(name, command, columns, rows, source):
                candidates = [text_result(peer_text(command + extra, columns, rows), font) for extra in ([], ["--invert"])]
                scores[name].append(max(ascii_art.similarity(c, source) for c in candidates))
                cell_scores[name].append(max(ascii_art.cell_similarity(c, source) for c in candidates))

            for path in distinct:
                source = np.asarray(images.load_image(path))
                rows = rows_for(path, columns, font)
                ours = ascii_art.convert(source, ascii_art.AsciiConfig(columns=columns), font)
                ramp = ascii_art.convert(source, ascii_art.AsciiConfig(columns=columns, method="ramp"), font)
                score("atelier (ours)", ours, source)
                score("atelier ramp (floor)", ramp, source)
                score("blank page (floor)", text_result([" " * columns] * rows, font), source)
                if chafa:
                    score_best("chafa", [chafa, "-f", "symbols", "--symbols", "ascii", "--colors", "none",
                                         "--size", f"{columns}x{rows}", "--stretch", str(path)], columns, rows, source)
                if jp2a:
                    score_best("jp2a", [jp2a, f"--width={columns}", f"--height={rows}", str(path)], columns, rows, source)
            for name, values in scores.items():
                cells = cell_scores[name]
                wins = sum(o > v for o, v in zip(scores["atelier (ours)"], values))
                cell_wins = sum(o > v for o, v in zip(cell_scores["atelier (ours)"], cells))
                milliseconds = f"{timings[name] / len(batch) * 1000:9.1f}" if name in timings else f"{'':>9}"
                beaten = "" if name == "atelier (ours)" else f"{wins}/{len(values)}"
                cell_beaten = "" if name == "atelier (ours)" else f"{cell_wins}/{len(cells)}"
                print(f"{columns:>7} {name:<22} {milliseconds} {statistics.mean(values):10.4f} {min(values):9.4f} "
                      f"{beaten:>12} {statistics.mean(cells):10.4f} {min(cells):9.4f} {cell_beaten:>12}")
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


if __name__ == "__main__":
    main()

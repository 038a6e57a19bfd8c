"""What every batch job shares (ASCII Art's, Photo to Sketch's): the pictures in uploaded files and
zips, their file names, the list of what failed and why, the contact sheet and the results' zip.

A batch job's run folder: ``inputs/picture_000.png`` ... (decoded at submit; what could not be is
in the job's ``skipped``), ``results/<name>.<format>``, ``failures.json`` and ``results.zip``.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from core import images, provenance
from core.jobs.runfolder import RunFolder

FAILURES = "failures.json"  # [{"name", "reason"}]: what the batch could not make
ARCHIVE = "results.zip"
INPUT_PREFIX = "picture_"  # inputs/picture_000.png, ...
SHEET_SIDE = 200  # px: a picture's longer side on the contact sheet
SHEET_COLUMNS = 6
MAX_PICTURES = 100  # in one batch job (a page's or the API's)


def input_name(index: int) -> str:
    return f"{INPUT_PREFIX}{index:03d}"


def write_failures(folder: RunFolder, found: list[dict]) -> None:
    (folder / FAILURES).write_text(json.dumps(found, indent=1))


def gather(
    files: list[tuple[str, bytes]], most: int = MAX_PICTURES
) -> tuple[list[tuple[str, Image.Image]], list[dict]]:
    """The pictures in uploaded files (a zip's pictures too, by their names inside it), decoded:
    ([(name, picture)], [{"name", "reason"}] for what was left out). ValueError when nothing is left."""
    from core import images, zips

    found, skipped = [], []

    def take(name: str, data: bytes) -> None:
        if len(found) >= most:
            skipped.append({"name": name, "reason": f"past the {most} pictures a batch takes"})
            return
        try:
            found.append((name, images.load_image(data)))
        except ValueError as error:
            skipped.append({"name": name, "reason": str(error)})

    for name, data in files:
        if not name.lower().endswith(".zip"):
            take(name, data)
            continue
        try:
            archive = zips.open_zip(data)
        except ValueError as error:
            skipped.append({"name": name, "reason": str(error)})
            continue
        for path, member in archive.members:
            if path.suffix.lower().lstrip(".") in images.UPLOAD_TYPES:
                take(str(path), archive.read(member))
            else:
                skipped.append({"name": f"{name}: {path}", "reason": "not a picture"})
    if not found:
        reasons = "; ".join(f"{item['name']}: {item['reason']}" for item in skipped[:5])
        raise ValueError(f"No picture could be read ({reasons})." if reasons else "No pictures were given.")
    return found, skipped


def unique_stems(names: list[str], count: int) -> list[str]:
    """A file stem per picture: its own name's stem where given, made unique and safe as a file name."""
    stems, seen = [], set()
    for index in range(count):
        given = Path(names[index]).stem if index < len(names) else ""
        stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in given).strip("._")[:80] or input_name(index)
        candidate, number = stem, 2
        while candidate.lower() in seen:
            candidate, number = f"{stem}-{number}", number + 1
        seen.add(candidate.lower())
        stems.append(candidate)
    return stems


def archive(folder: RunFolder, stamp: provenance.Stamp | None) -> Path:
    """``results.zip``: every result, the failures list and the settings (what "Open an Atelier
    result" reads from a zip)."""
    target = folder / ARCHIVE
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(folder.results.iterdir()):
            zipped.write(path, f"{folder.RESULTS}/{path.name}")
        if (folder / FAILURES).is_file():
            zipped.write(folder / FAILURES, FAILURES)
    if stamp is not None:
        provenance.embed_file(target, stamp)
    return target


def failures(run_dir: str | Path) -> list[dict[str, str]]:
    """What a batch could not make, with the reason for each."""
    try:
        found = json.loads((Path(run_dir) / FAILURES).read_text())
    except (OSError, ValueError):
        return []
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def contact_sheet(done: list[tuple[str, Image.Image]]) -> Image.Image:
    """The pictures made so far, small, each over its name."""
    columns = min(SHEET_COLUMNS, max(1, len(done)))
    rows = (len(done) + columns - 1) // columns
    label, gap = 20, 6
    sheet = Image.new("RGB", (columns * (SHEET_SIDE + gap) + gap, rows * (SHEET_SIDE + label + gap) + gap), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=13)
    for index, (name, picture) in enumerate(done):
        x = gap + (index % columns) * (SHEET_SIDE + gap)
        y = gap + (index // columns) * (SHEET_SIDE + label + gap)
        small = images.fit_into(picture, SHEET_SIDE, SHEET_SIDE)
        sheet.paste(small, (x + (SHEET_SIDE - small.width) // 2, y + (SHEET_SIDE - small.height) // 2))
        draw.text((x + 2, y + SHEET_SIDE + 3), name[:28], fill=(40, 40, 40), font=font)
    return sheet


def inputs(folder: RunFolder) -> list[Path]:
    """The batch's input pictures, in order; ValueError when there are none."""
    found = folder.inputs_named(INPUT_PREFIX)
    if not found:
        raise ValueError("The batch has no picture that could be read.")
    return found


def run(folder: RunFolder, config: dict, make, *, stamp: provenance.Stamp | None = None, what: str = "picture"):
    """The loop every batch job shares: each input through ``make(path, name)``, which writes its files
    under ``results/`` and returns what the contact sheet shows of it; one that raises ValueError or
    OSError is listed with its reason and the rest go on. Then failures.json and results.zip (with
    ``stamp`` inside). ``config`` holds the pictures' "names" and what was "skipped" at submit."""
    import time

    import numpy as np

    from core.progress import Progress

    pictures = inputs(folder)
    names = unique_stems([str(name) for name in config.get("names", [])], len(pictures))
    failures = [dict(item) for item in config.get("skipped", [])]
    folder.results.mkdir(exist_ok=True)
    done: list[tuple[str, Image.Image]] = []
    yield Progress(step=0, total=len(pictures), message=f"{len(pictures)} {what}s")
    for index, path in enumerate(pictures):
        name, started = names[index], time.perf_counter()
        try:
            shown = make(path, name)
        except (ValueError, OSError) as error:  # one bad picture: listed, and the rest go on
            failures.append({"name": name, "reason": str(error)})
            write_failures(folder, failures)
            yield Progress(step=index + 1, total=len(pictures), message=f"{name}: {error}")
            continue
        done.append((name, shown))
        sheet = np.asarray(contact_sheet(done))
        yield Progress(
            step=index + 1,
            total=len(pictures),
            metrics={"picture_seconds": time.perf_counter() - started},
            preview=sheet,
            result=sheet,
            message=f"{what} {index + 1} of {len(pictures)}: {name}",
        )
    write_failures(folder, failures)
    archive(folder, stamp)

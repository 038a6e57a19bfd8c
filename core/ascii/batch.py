"""ASCII Art over many pictures as one job: the same settings, the font and glyph set loaded once.

Each picture becomes ``results/<name>.<format>`` for every format asked for, its settings inside;
a picture that fails is listed with its reason (``failures.json``) and the rest go on. As each one
ends, the contact sheet of those done so far is the run's preview and result; at the end
``results.zip`` holds every file (and the settings). Pictures that could not even be decoded when
the job was submitted come in the config's ``skipped``, and are listed beside the others.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from core import configs, provenance
from core.ascii import EXPORT_FORMATS
from core.ascii.config import AsciiConfig
from core.jobs.runfolder import RunFolder
from core.progress import Progress

FAILURES = "failures.json"  # [{"name", "reason"}]: what the batch could not make
ARCHIVE = "results.zip"
INPUT_PREFIX = "picture_"  # inputs/picture_000.png, ...
SHEET_SIDE = 200  # px: a picture's longer side on the contact sheet
SHEET_COLUMNS = 6
DEFAULT_FORMATS = ("png", "txt")
MAX_PICTURES = 100  # in one batch job (a page's or the API's)


def input_name(index: int) -> str:
    return f"{INPUT_PREFIX}{index:03d}"


def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: ``config`` is {"ascii": AsciiConfig as JSON, "names": a name per input picture,
    "formats": the files to make of each, "skipped": [{"name", "reason"}] found at submit}."""
    from core import tools
    from core.ascii.exports import export
    from core.ascii.fonts import load_font
    from core.ascii.pipeline import convert

    settings = configs.from_dict(AsciiConfig, config.get("ascii", {}))
    formats = tuple(config.get("formats") or DEFAULT_FORMATS)
    unknown = [name for name in formats if name not in EXPORT_FORMATS]
    if unknown:
        raise ValueError(f"Unknown format(s) {', '.join(unknown)}; choose from {', '.join(EXPORT_FORMATS)}.")
    folder = RunFolder(run_dir)
    pictures = folder.inputs_named(INPUT_PREFIX)
    names = unique_stems([str(name) for name in config.get("names", [])], len(pictures))
    failures = [dict(item) for item in config.get("skipped", [])]
    if not pictures:
        raise ValueError("The batch has no picture that could be read.")
    folder.results.mkdir(exist_ok=True)
    font = load_font(settings.font or None)  # once for the batch: glyphs, their features
    stamp = tools.make_stamp("ascii", settings, run=folder.id)
    done: list[tuple[str, Image.Image]] = []
    yield Progress(step=0, total=len(pictures), message=f"{len(pictures)} pictures")
    for index, path in enumerate(pictures):
        name, started = names[index], time.perf_counter()
        try:
            with Image.open(path) as opened:
                picture = opened.convert("RGB")
            result = convert(picture, settings, font)
            for kind in formats:
                data = export(result, kind)
                if kind in provenance.KINDS:
                    data = provenance.embed(data, kind, stamp)
                (folder.results / f"{name}.{kind}").write_bytes(data)
            drawn = _rendered(export(result, "png"))
        except (ValueError, OSError) as error:  # one bad picture: listed, and the rest go on
            failures.append({"name": name, "reason": str(error)})
            (folder / FAILURES).write_text(json.dumps(failures, indent=1))
            yield Progress(step=index + 1, total=len(pictures), message=f"{name}: {error}")
            continue
        done.append((name, drawn))
        sheet = np.asarray(contact_sheet(done))
        yield Progress(
            step=index + 1,
            total=len(pictures),
            metrics={"picture_seconds": time.perf_counter() - started},
            preview=sheet,
            result=sheet,
            message=f"picture {index + 1} of {len(pictures)}: {name}",
        )
    (folder / FAILURES).write_text(json.dumps(failures, indent=1))
    archive(folder, stamp)


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
        small = picture.copy()
        small.thumbnail((SHEET_SIDE, SHEET_SIDE), Image.Resampling.LANCZOS)
        sheet.paste(small, (x + (SHEET_SIDE - small.width) // 2, y + (SHEET_SIDE - small.height) // 2))
        draw.text((x + 2, y + SHEET_SIDE + 3), name[:28], fill=(40, 40, 40), font=font)
    return sheet


def _rendered(png: bytes) -> Image.Image:
    with Image.open(io.BytesIO(png)) as opened:
        return opened.convert("RGB")

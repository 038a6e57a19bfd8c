"""What the commands that take many pictures share: folders, zips and quoted globs as picture files,
the contact sheet and the zip of what was written (``ascii``, ``style``)."""

from __future__ import annotations

import json
from pathlib import Path

CONTACT_SHEET = "contact-sheet.png"


def is_many(name: str) -> bool:
    """Whether IMAGE names several pictures: a folder, a zip or a quoted glob."""
    path = Path(name)
    return (
        path.is_dir()
        or (path.suffix.lower() == ".zip" and path.is_file())
        or (not path.exists() and any(mark in name for mark in "*?["))
    )


def write_contact_sheet(output_dir: Path, done: list[str]) -> None:
    """DIR/contact-sheet.png: the PNG written for each of ``done`` (by the input's stem), small, over its name."""
    from PIL import Image

    from core import batch

    pictures = []
    for name in done:
        with Image.open(output_dir / f"{Path(name).stem}.png") as opened:
            pictures.append((Path(name).stem, opened.convert("RGB")))
    batch.contact_sheet(pictures).save(output_dir / CONTACT_SHEET)


def write_zip(output_dir: Path, name: str, written: list[str], failures: list[dict], stamp) -> None:
    """DIR/NAME: every file of ``written``, the contact sheet, the failures with their reasons, and the
    settings (``stamp``, what "Open an Atelier result" reads from a zip)."""
    import zipfile

    from core import provenance

    if Path(name).name != name or not name.endswith(".zip"):
        raise ValueError(f"--zip takes a file name ending in .zip, written in the output folder, not {name!r}.")
    target = output_dir / name
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file_name in sorted(set(written)):
            if (output_dir / file_name).is_file():
                archive.write(output_dir / file_name, file_name)
        if (output_dir / CONTACT_SHEET).is_file():
            archive.write(output_dir / CONTACT_SHEET, CONTACT_SHEET)
        archive.writestr("failures.json", json.dumps(failures, indent=1))
    if stamp is not None:
        provenance.embed_file(target, stamp)


def expand_inputs(names: list[str], unpacked: Path) -> list[str]:
    """Each IMAGE as picture files: a folder's pictures (by name), a zip's (unpacked into ``unpacked``;
    a member that is not a picture is left out), a quoted glob's matches; anything else as given
    (a missing file is reported with the others). ValueError for a folder, zip or glob with none."""
    import glob

    from core import images, zips

    found: list[str] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            pictures = sorted(str(p) for p in path.iterdir() if p.suffix.lower().lstrip(".") in images.UPLOAD_TYPES)
        elif path.suffix.lower() == ".zip" and path.is_file():
            archive = zips.open_zip(path.read_bytes())
            pictures = []
            for index, (member_path, member) in enumerate(archive.members):
                if member_path.suffix.lower().lstrip(".") in images.UPLOAD_TYPES:
                    target = unpacked / f"{index:04d}" / member_path.name  # (a folder each: names may repeat)
                    target.parent.mkdir()
                    target.write_bytes(archive.read(member))
                    pictures.append(str(target))
        elif not path.exists() and any(mark in name for mark in "*?["):
            pictures = sorted(glob.glob(name, recursive=True))
        else:
            found.append(name)
            continue
        if not pictures:
            raise ValueError(f"{name} holds no pictures ({', '.join(images.UPLOAD_TYPES)}).")
        found.extend(pictures)
    return found

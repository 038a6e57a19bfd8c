"""Uploaded training pairs: the zip checker. Nothing is written to disk; unsafe or oversized
archives are refused before anything is read (``core.zips``)."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import PurePosixPath

import cv2
import numpy as np

from core import images
from core.sketch.config import FOLDER_NAMES, IMAGE_SUFFIXES, MAX_ZIP_BYTES, MAX_ZIP_MEMBERS, MIN_PAIRS, MIN_PHOTO_SIDE
from core.sketch.filters import grey


@dataclasses.dataclass
class ZipReport:
    """What ``check_pairs_zip`` found; ``problems`` are the reasons training cannot start."""

    pairs: int = 0
    photo_folder: str = ""
    sketch_folder: str = ""
    unmatched_photos: list[str] = dataclasses.field(default_factory=list)
    unmatched_sketches: list[str] = dataclasses.field(default_factory=list)
    unreadable: list[str] = dataclasses.field(default_factory=list)
    size_mismatches: list[str] = dataclasses.field(default_factory=list)
    ignored: list[str] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)

    @property
    def usable(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """The report as short sentences, for the page and the command line."""
        lines = [
            f"{self.pairs} matching pair{'s' if self.pairs != 1 else ''} in "
            f"{self.photo_folder or '?'} and {self.sketch_folder or '?'}."
        ]
        for label, names in (
            ("photos without a sketch", self.unmatched_photos),
            ("sketches without a photo", self.unmatched_sketches),
            ("unreadable files (skipped)", self.unreadable),
            ("pairs whose photo and sketch differ in shape (skipped)", self.size_mismatches),
            ("other files (ignored)", self.ignored),
        ):
            if names:
                shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
                lines.append(f"{len(names)} {label}: {shown}.")
        return lines + self.problems


def check_pairs_zip(data: bytes) -> tuple[ZipReport, list[tuple[str, np.ndarray, np.ndarray]]]:
    """Read a zip of paired pictures: ``photos/`` and ``sketches/`` (or ``A/`` and ``B/``), the
    same file name (any image extension) in both, optionally inside one wrapping folder.

    Nothing is written to disk. Returns the report and the readable pairs (name, RGB photo,
    grey sketch); sketches that differ from their photo only in scale are resized to it, other
    shape mismatches are skipped and reported. Raises ``ValueError`` for archives that cannot be
    used at all: not a zip, unsafe member names (``../``, absolute paths), too large.
    """
    from core.zips import open_zip

    opened = open_zip(data, max_members=MAX_ZIP_MEMBERS, max_bytes=MAX_ZIP_BYTES)
    archive, members = opened.archive, [member for _, member in opened.members]

    report = ZipReport()
    photos, sketches = _find_pair_folders(members, report)
    if not report.problems:
        names = sorted(set(photos) & set(sketches))
        report.unmatched_photos = sorted(photos[name].filename for name in set(photos) - set(sketches))
        report.unmatched_sketches = sorted(sketches[name].filename for name in set(sketches) - set(photos))
        readable = []
        for name in names:
            pair = _read_pair(archive, photos[name], sketches[name], report)
            if pair is not None:
                readable.append((name, *pair))
        report.pairs = len(readable)
        if not readable:
            report.problems.append(
                "No usable pairs: each photo needs a sketch with the same name (e.g. "
                "photos/cat.jpg and sketches/cat.png)."
            )
        elif len(readable) < MIN_PAIRS:
            report.problems.append(
                f"Only {len(readable)} usable pair{'s' if len(readable) != 1 else ''}; "
                f"training needs at least {MIN_PAIRS}, because some are held out for validation."
            )
        return report, readable
    return report, []


def _find_pair_folders(members: list[zipfile.ZipInfo], report: ZipReport):
    """Map name stem -> member for the photo folder and the sketch folder."""
    folders: dict[str, dict[str, zipfile.ZipInfo]] = {}
    for member in members:
        path = PurePosixPath(member.filename.replace("\\", "/"))
        if path.suffix.lower() not in IMAGE_SUFFIXES or len(path.parts) < 2:
            report.ignored.append(member.filename)
            continue
        folders.setdefault(str(path.parent), {})[str(path.with_suffix("")).rsplit("/", 1)[-1]] = member
    for photo_name, sketch_name in FOLDER_NAMES:
        for folder in sorted(folders, key=len):
            parent, _, last = folder.rpartition("/")
            if last.lower() != photo_name:
                continue
            partner = next(
                (
                    other
                    for other in folders
                    if other.rpartition("/")[0] == parent and other.rpartition("/")[2].lower() == sketch_name
                ),
                None,
            )
            if partner is not None:
                report.photo_folder, report.sketch_folder = folder + "/", partner + "/"
                used = {folder, partner}
                report.ignored += sorted(
                    m.filename for f, group in folders.items() if f not in used for m in group.values()
                )
                return folders[folder], folders[partner]
    report.problems.append(
        "The zip needs two folders of pictures with matching names: photos/ and sketches/ "
        "(or A/ and B/), at the top or inside one folder."
    )
    return {}, {}


def _read_pair(archive: zipfile.ZipFile, photo_member, sketch_member, report: ZipReport):
    try:
        photo = np.asarray(images.load_image(archive.read(photo_member), min_side=MIN_PHOTO_SIDE))
    except ValueError as error:
        report.unreadable.append(f"{photo_member.filename} ({error})")
        return None
    try:
        sketch = grey(np.asarray(images.load_image(archive.read(sketch_member), min_side=MIN_PHOTO_SIDE)))
    except ValueError as error:
        report.unreadable.append(f"{sketch_member.filename} ({error})")
        return None
    if sketch.shape != photo.shape[:2]:
        photo_ratio, sketch_ratio = photo.shape[1] / photo.shape[0], sketch.shape[1] / sketch.shape[0]
        if abs(photo_ratio - sketch_ratio) > 0.01 * photo_ratio:
            report.size_mismatches.append(
                f"{photo_member.filename} {photo.shape[1]}x{photo.shape[0]} vs "
                f"{sketch_member.filename} {sketch.shape[1]}x{sketch.shape[0]}"
            )
            return None
        sketch = cv2.resize(sketch, (photo.shape[1], photo.shape[0]), interpolation=cv2.INTER_AREA)
    return photo, sketch

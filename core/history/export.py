"""Runs as zips: one run (what the file service's "Whole run (.zip)" gives) or a collection of them,
each run's visible files under its id with the settings that made it (``atelier-settings.json``,
which "Open an Atelier result" reads back)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import IO

from core import provenance


def write_run(archive: zipfile.ZipFile, folder: Path, stamp: provenance.Stamp | None, *, under: str = "") -> None:
    """The run's visible files into ``archive`` under ``<under>/<run id>/``, and its settings
    (at the top for a single run's zip, where "Open an Atelier result" looks; beside the files in a
    collection's)."""
    base = Path(under) / folder.name if under else Path(folder.name)
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            archive.write(path, base / relative)
    if stamp is not None:
        archive.writestr(provenance.ZIP_MEMBER if not under else str(base / provenance.ZIP_MEMBER), stamp.to_json())


def zip_runs(folders: list[Path], target: str | Path | IO[bytes], name: str) -> None:
    """A collection: every run under ``<name>/<run id>/``, with its own settings beside its files."""
    from core import tools

    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder in folders:
            if (folder / "card.json").is_file():  # deleted meanwhile: left out
                write_run(archive, folder, tools.stamp_for_run(folder), under=name)

"""A run's marks: its star and the named collections it is in, in ``runs/<id>/marks.json``.

Kept in the run's own folder rather than in the person's folder: they are deleted with the run,
the retention policy reads them where it reads the run (a starred run is never pruned), and they
are never written by the job (the run card is the job's; a star may be given while it runs).
Callers reach the folder through the owner-checked job view, so a person marks only their own runs.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from core.jobs.files import read_json, write_json

MARKS = "marks.json"
MAX_COLLECTION_NAME = 40
MAX_COLLECTIONS_PER_RUN = 20
_NAME = re.compile(r"^[^\x00-\x1f\x7f/\\]+$")


@dataclasses.dataclass(frozen=True)
class Marks:
    starred: bool = False
    collections: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"starred": self.starred, "collections": list(self.collections)}


def read_marks(run_dir: str | Path) -> Marks:
    """The run's marks (none when it has no marks file, or one that cannot be read)."""
    data = read_json(Path(run_dir) / MARKS, {})
    if not isinstance(data, dict):
        return Marks()
    collections = data.get("collections") or []
    if not isinstance(collections, list):
        collections = []
    return Marks(
        starred=bool(data.get("starred")),
        collections=tuple(sorted({str(name) for name in collections if isinstance(name, str) and name})),
    )


def _write(run_dir: Path, marks: Marks) -> Marks:
    if not (run_dir / "card.json").is_file():
        raise ValueError("That run has been deleted.")
    write_json(run_dir / MARKS, marks.to_dict())
    return marks


def set_star(run_dir: str | Path, starred: bool) -> Marks:
    run_dir = Path(run_dir)
    return _write(run_dir, dataclasses.replace(read_marks(run_dir), starred=bool(starred)))


def collection_name(name: str) -> str:
    """A collection's name, tidied, or a ValueError saying what is wrong with it."""
    name = " ".join(str(name).split())
    if not name:
        raise ValueError("A collection needs a name.")
    if len(name) > MAX_COLLECTION_NAME:
        raise ValueError(f"A collection's name is at most {MAX_COLLECTION_NAME} characters.")
    if not _NAME.match(name):
        raise ValueError("A collection's name cannot hold slashes or control characters.")
    return name


def set_collections(run_dir: str | Path, names: list[str] | tuple[str, ...]) -> Marks:
    """Put the run in exactly these collections."""
    run_dir = Path(run_dir)
    tidy = sorted({collection_name(name) for name in names})
    if len(tidy) > MAX_COLLECTIONS_PER_RUN:
        raise ValueError(f"A run can be in at most {MAX_COLLECTIONS_PER_RUN} collections.")
    return _write(run_dir, dataclasses.replace(read_marks(run_dir), collections=tuple(tidy)))


def add_to_collection(run_dir: str | Path, name: str) -> Marks:
    marks = read_marks(run_dir)
    return set_collections(run_dir, [*marks.collections, name])


def remove_from_collection(run_dir: str | Path, name: str) -> Marks:
    marks = read_marks(run_dir)
    return set_collections(run_dir, [other for other in marks.collections if other != name])

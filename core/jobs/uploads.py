"""Each owner's uploads (zips of pairs, unpacked picture sets), under ``runs/uploads/<owner key>/``.

Content-addressed within one owner (the same zip uploaded twice is stored once), never shared
between owners: two people uploading the same file get two copies, so deleting one person's runs
never touches another's data, and no listing of one owner's store can show another's files.
A run names the uploads it uses in its card (``uploads``); ``retention`` deletes them with the last
run that names them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.jobs.owners import owner_key
from core.jobs.retention import UPLOADS


class UploadStore:
    def __init__(self, runs_dir: Path, owner: str):
        self.root = Path(runs_dir).resolve() / UPLOADS / owner_key(owner)

    def file(self, data: bytes, suffix: str) -> Path:
        """The stored copy of ``data`` (written once), e.g. ``suffix=".zip"``."""
        target = self.root / f"{_digest(data)}{suffix}"
        if not target.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            temporary.write_bytes(data)
            os.replace(temporary, target)
        else:
            os.utime(target)  # in use again: not an orphan for another day
        return target

    def folder(self, data: bytes, suffix: str, unpack: Callable[[bytes, Path], Any]) -> Path:
        """A folder made from ``data`` by ``unpack(data, folder)`` (written once; a failed unpack
        leaves nothing behind and raises its ValueError)."""
        target = self.root / f"{_digest(data)}{suffix}"
        if target.exists():
            os.utime(target)
            return target
        self.root.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=self.root))
        try:
            unpack(data, building)
            os.replace(building, target)
        except FileExistsError:
            pass  # the same upload, unpacked by another tab a moment ago
        except OSError as error:
            if not target.exists():
                raise ValueError(f"The upload could not be stored on the server ({error.strerror}).") from None
        finally:
            shutil.rmtree(building, ignore_errors=True)
        return target

    def names_in(self, config: dict[str, Any]) -> list[str]:
        """The uploads of this store a job config points to, as names under ``runs/uploads/``."""
        found = set()
        for value in _strings(config):
            path = Path(value)
            if path.is_absolute() and self.root in path.parents:
                relative = path.relative_to(self.root)
                found.add(f"{self.root.name}/{relative.parts[0]}")
        return sorted(found)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)

"""The glyphs' sample grids kept on disk, so that a new process does not draw them again.

Drawing every glyph at the five sizes of ``features.GLYPH_RENDER_SIZES`` and reading each onto
the cell's sample grid takes a quarter of a one-picture ``python -m core ascii`` command once
the interpreter and NumPy are up (bench/ascii_command.py); every command, job and page process
used to pay it again. The cache sits in the data folder (``ATELIER_DATA``), one small ``.npz``
per font, charset and grid. Its key holds everything the drawing depends on: the font file's
bytes, the characters, the grid, the sizes, Pillow's version (its rasteriser) and the source of
the two files that draw and sample (so a change to either is never served stale). A cache that
cannot be read or written is logged and the glyphs are drawn as before: it only saves time.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from pathlib import Path

import numpy as np
import PIL

log = logging.getLogger(__name__)
_DRAWING_SOURCES = ("fonts.py", "features.py")  # the code whose output is cached
# Every custom charset and uploaded font is an entry of its own (about 12 KB each): past this many
# the oldest are deleted, so a server that runs for months keeps a small folder.
MAX_ENTRIES = 200


def folder() -> Path:
    from core import settings

    return Path(settings.value("data")) / "cache" / "ascii-glyphs"


def key(font_digest: str, characters: str, grid: tuple[int, int], sizes: tuple[int, ...]) -> str:
    digest = hashlib.sha1()
    for part in (font_digest, characters, repr(tuple(grid)), repr(tuple(sizes)), PIL.__version__):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    here = Path(__file__).parent
    for name in _DRAWING_SOURCES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def load(name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(samples, coverage) saved under ``name``, or None when there is none (or it is unreadable)."""
    path = folder() / f"{name}.npz"
    try:
        with np.load(path, allow_pickle=False) as saved:
            return saved["samples"], saved["coverage"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError) as error:  # a torn or foreign file: draw the glyphs again
        log.warning("Could not read the glyph cache %s (%s); drawing the glyphs again.", path, error)
        return None


def save(name: str, samples: np.ndarray, coverage: np.ndarray) -> None:
    """Keep (samples, coverage) under ``name``; written beside and renamed, so that a process
    reading at the same moment sees the whole file or none."""
    target = folder() / f"{name}.npz"
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "wb") as file:
            np.savez(file, samples=samples, coverage=coverage)
        os.replace(partial, target)
        _forget_the_oldest(target.parent)
    except OSError as error:  # a read-only data folder: the glyphs are drawn in each process instead
        log.warning("Could not keep the glyph cache in %s (%s).", target.parent, error)
        partial.unlink(missing_ok=True)


def _forget_the_oldest(cache: Path) -> None:
    entries = []
    for path in cache.glob("*.npz"):
        with contextlib.suppress(FileNotFoundError):  # another process may be pruning too
            entries.append((path.stat().st_mtime, path))
    entries.sort()
    for _, path in entries[: max(0, len(entries) - MAX_ENTRIES)]:
        path.unlink(missing_ok=True)

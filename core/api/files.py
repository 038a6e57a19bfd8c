"""What the file service's routes share: the headers every answer carries, the one check that a
name is a plain file inside a run, and a run's products with its settings inside (core/provenance)."""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Callable
from pathlib import Path

from fastapi import HTTPException

from core import provenance, tools
from core.history import export
from core.jobs.runfolder import RunFolder

log = logging.getLogger(__name__)

NOT_FOUND = "There is no such run or file."
NO_SUCH_LINK = "This link does not open anything: it was revoked, it expired, or its run was deleted."
# A shared page is for the people the link was given to: no search engine keeps it, and a link on it
# never passes the share's address on.
SHARE_HEADERS = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}
# Nobody on the way (a proxy, the browser's disk cache) keeps a person's file past this answer,
# and a file is never read as a type it is not.
PRIVATE_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
# A run's HTML (ASCII Art's playing page) runs in an opaque origin: its scripts play the text but
# can never read this service's cookies or other files.
SANDBOX = {"Content-Security-Policy": "sandbox allow-scripts"}


def inside(folder: Path, name: str) -> Path:
    """``folder/name`` when that is a plain, visible file inside the folder; else 404 (``..``,
    absolute names, links out, hidden files such as the claim)."""
    parts = Path(name).parts
    if not name or Path(name).is_absolute() or any(part in ("..", "") or part.startswith(".") for part in parts):
        raise HTTPException(404, NOT_FOUND)
    path = (folder / name).resolve()
    if folder.resolve() not in path.parents or not path.is_file():
        raise HTTPException(404, NOT_FOUND)
    return path


def zip_folder(folder: Path, target: Path, stamp: provenance.Stamp | None = None) -> None:
    """The run's visible files, under the run's id (what "Whole run (.zip)" always gave), and the
    settings that made them (``atelier-settings.json``, which "Open an Atelier result" reads)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        export.write_run(archive, folder, stamp)


# A run's products that carry its settings: the pictures, pages and clips it made (not its inputs,
# its previews, its log or its card).
STAMPED_KINDS = ("png", "jpeg", "webp", "html", "svg", "mp4")
UNSTAMPED_FOLDERS = ("inputs", "previews")
MEDIA_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "html": "text/html",
    "svg": "image/svg+xml",
}


def media_type(path: Path) -> str:
    return MEDIA_TYPES.get(provenance.SUFFIXES.get(path.suffix.lower(), ""), "application/octet-stream")


def stamped_product(
    folder: RunFolder,
    path: Path,
    *,
    download: bool,
    stamp_of: Callable[[Path], provenance.Stamp | None] = tools.stamp_for_run,
) -> bytes | None:
    """The file with the run's settings inside it, when it is one of the run's products (a clip
    only as a download: a playing video needs byte ranges, which a file on disk serves); None to
    serve the file as it is. A stamp that cannot be made is logged and the file served plain."""
    kind = provenance.SUFFIXES.get(path.suffix.lower())
    relative = path.relative_to(folder.path.resolve())
    if kind not in STAMPED_KINDS or relative.parts[0] in UNSTAMPED_FOLDERS or (kind == "mp4" and not download):
        return None
    try:
        stamp = stamp_of(folder.path)
        if stamp is None:
            return None
        return provenance.embed(path.read_bytes(), kind, stamp)
    except (OSError, ValueError):
        log.exception("could not put the settings into %s of run %s", relative, folder.id)
        return None

"""The stamp itself: one JSON document saying what made an output, and the facts it records
(this code's commit, files' SHA-256)."""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from core import __version__

FORMAT_VERSION = 1  # of the document below; a file with a larger one came from a newer Atelier
MARKER = "atelier-settings"
PNG_KEY = "atelier"
ZIP_MEMBER = "atelier-settings.json"
EXIF_DESCRIPTION = 0x010E  # ImageDescription: the EXIF field every viewer shows as text
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KINDS = ("png", "jpeg", "webp", "mp4", "txt", "html", "svg", "zip", "json")
SUFFIXES = {
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".webp": "webp",
    ".mp4": "mp4",
    ".txt": "txt",
    ".html": "html",
    ".htm": "html",
    ".svg": "svg",
    ".zip": "zip",
    ".json": "json",
}


@dataclasses.dataclass
class Stamp:
    """What made one output: enough to make it again, and to tell when that can no longer be exact."""

    tool: str  # a key of core.tools.TOOLS
    config: dict[str, Any]  # the tool's config as JSON
    seed: int | None = None
    version: str = __version__
    commit: str = ""
    weights: dict[str, str] = dataclasses.field(default_factory=dict)  # name -> SHA-256
    inputs: dict[str, str] = dataclasses.field(default_factory=dict)  # name -> SHA-256
    run: str = ""  # the run it came from (a job's id), if any
    parent: str = ""  # the run that run's input came from ("Send to")
    made: str = ""  # when, UTC, ISO 8601
    # GAN Studio's samples: how they were drawn from the generator the config trained (seed, class,
    # truncation; core.gan.config.SamplingConfig). Written only when there is one, so files without
    # it stay readable by an Atelier that predates it.
    sampling: dict[str, Any] = dataclasses.field(default_factory=dict)

    def to_json(self) -> str:
        document = {MARKER: FORMAT_VERSION, **dataclasses.asdict(self)}
        if not document["sampling"]:
            del document["sampling"]
        return json.dumps(document, sort_keys=False, separators=(",", ":"), default=str)

    @classmethod
    def from_json(cls, text: str | bytes) -> Stamp:
        try:
            document = json.loads(text)
        except (ValueError, UnicodeDecodeError) as error:
            raise ValueError(f"The file's Atelier settings are broken (not JSON: {error}).") from None
        return cls.from_document(document)

    @classmethod
    def from_document(cls, document: Any) -> Stamp:
        if not isinstance(document, dict) or MARKER not in document:
            raise ValueError("This is not an Atelier settings file (it has no 'atelier-settings' version).")
        version = document.get(MARKER)
        if not isinstance(version, int) or version < 1:
            raise ValueError(f"The file's Atelier settings are broken (version {version!r}).")
        if version > FORMAT_VERSION:
            raise ValueError(
                f"These settings were written by a newer Atelier (settings format {version}; this one reads "
                f"{FORMAT_VERSION}). Update Atelier to open them."
            )
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(document) - known - {MARKER})
        if unknown:
            raise ValueError(
                f"The file's Atelier settings have fields this Atelier does not know: {', '.join(unknown)}."
            )
        if not isinstance(document.get("tool"), str) or not isinstance(document.get("config"), dict):
            raise ValueError("The file's Atelier settings are broken (no tool or no config).")
        values = {key: value for key, value in document.items() if key != MARKER}
        for name in ("weights", "inputs", "sampling"):
            if not isinstance(values.get(name, {}), dict):
                raise ValueError(f"The file's Atelier settings are broken ({name} is not a table).")
        return cls(**values)


def now() -> str:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()


@functools.cache
def commit() -> str:
    """The git commit this code is, read from .git without running git ('' outside a checkout)."""
    git = Path(__file__).resolve().parents[2] / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head[:40]
        reference = head[5:]
        if (git / reference).is_file():
            return (git / reference).read_text().strip()[:40]
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + reference):
                return line.split()[0][:40]
    except OSError:
        pass
    return ""


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, remembered while its size and time stay the same (weights are big)."""
    path = Path(path)
    status = path.stat()
    return _sha256_of(str(path.resolve()), status.st_size, status.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _sha256_of(path: str, size: int, mtime: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bytes_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def kind_of(name: str | Path) -> str:
    """The format a file name says it is (``ValueError`` for one that cannot hold settings)."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        allowed = ", ".join(sorted(SUFFIXES))
        raise ValueError(f"An Atelier result is one of {allowed}; {Path(name).name or name!r} is not.")
    return SUFFIXES[suffix]


# --- showing -------------------------------------------------------------------------------------------


def describe(stamp: Stamp) -> list[str]:
    """The stamp as lines for a person (``python -m core info``)."""
    lines = [f"tool: {stamp.tool}", f"made: {stamp.made or '(unknown)'} by Atelier {stamp.version}"]
    if stamp.commit:
        lines[-1] += f" (commit {stamp.commit[:12]})"
    if stamp.run:
        lines.append(f"run: {stamp.run}" + (f" (from run {stamp.parent})" if stamp.parent else ""))
    if stamp.seed is not None:
        lines.append(f"seed: {stamp.seed}")
    lines.append("settings:")
    lines += [f"  {name} = {json.dumps(value)}" for name, value in stamp.config.items()]
    for title, table in (("weights", stamp.weights), ("inputs", stamp.inputs)):
        if table:
            lines.append(f"{title} (SHA-256):")
            lines += [f"  {name}: {digest}" for name, digest in table.items()]
    return lines

"""The run folder: how a job's state is written and read on disk, by any process on any node.

Everything here is plain file work (JSON written atomically, an append-only event log read
incrementally, claim files created exclusively), so the server, the worker and other servers
sharing the same runs folder (over NFS, say) agree without talking to each other.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import secrets
import socket
import threading
import time
from pathlib import Path
from typing import Any

from PIL import Image


def new_job_id(tool: str) -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{tool}-{secrets.token_hex(3)}"


def read_json(path: Path, default: Any = None) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


def write_json(path: Path, data: Any) -> None:
    """Write atomically, so a reader never sees half a file (os.replace is atomic on NFS too)."""
    temporary = path.with_name(f".{path.name}.{socket.gethostname()}.{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_text(json.dumps(data, indent=2, default=str))
    os.replace(temporary, path)


def save_image_atomically(path: Path, image: Image.Image) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp{path.suffix}")
    image.save(temporary)
    os.replace(temporary, path)


def create_exclusively(path: Path, text: str) -> bool:
    """Create ``path`` only if nobody has: True for exactly one caller, whichever server or node
    it runs on (O_CREAT | O_EXCL is atomic on local disks and on NFS v3 and later)."""
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    return True


class EventLog:
    """Reads ``events.jsonl`` incrementally: only whole lines, each line once."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0
        self.records: list[dict[str, Any]] = []

    def refresh(self) -> list[dict[str, Any]]:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except OSError:
            return self.records
        complete, _, _ = chunk.rpartition(b"\n")
        if complete:
            self.offset += len(complete) + 1
            for line in complete.split(b"\n"):
                try:
                    self.records.append(json.loads(line))
                except ValueError:
                    continue
        return self.records


def now() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def parse_time(text: str | None) -> float | None:
    try:
        return datetime.datetime.fromisoformat(text).timestamp() if text else None
    except ValueError:
        return None


def elapsed(card: dict[str, Any]) -> float:
    started = parse_time(card.get("started"))
    if started is None:
        return 0.0
    ended = parse_time(card.get("ended")) or time.time()
    return max(0.0, ended - started)


def eta(records: list[dict[str, Any]]) -> float | None:
    """Remaining seconds at the rate since the first event (the first step pays for warm-up)."""
    if len(records) < 2:
        return None
    first, last = records[0], records[-1]
    steps = last["step"] - first["step"]
    if steps <= 0 or last.get("total", 0) <= 0:
        return None
    seconds_per_step = (last.get("time", 0.0) - first.get("time", 0.0)) / steps
    return max(0.0, seconds_per_step * (last["total"] - last["step"]))


def existing(path: Path) -> Path | None:
    return path if path.exists() else None


def runs_folder_key(runs_dir: Path) -> str:
    """Which runs folder a service serves, without naming it: a page checks that the service on
    its port is its own before it links to it."""
    return hashlib.sha256(str(Path(runs_dir).resolve()).encode()).hexdigest()[:16]

"""The run store: the runs folder as a set of runs, each a folder ``runs/<id>/`` whose run card
(``card.json``) says what it is. No threads and no backend here: reading and writing cards, new
runs, listings. The queue (``queue.py``) and the monitor (``monitor.py``) decide what happens to
them.

Who writes card.json: a manager while the job is queued and after its process has gone; the
worker while it runs. They never write it at the same time.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, TypedDict

from PIL import Image

from core.jobs.files import new_job_id, now, read_json, write_json
from core.jobs.owners import EVERYONE, visible
from core.jobs.runfolder import RunFolder
from core.jobs.status import Status


class RunCard(TypedDict, total=False):
    """What a run card holds (``card.json``; JSON, so a dict on the way in and out)."""

    id: str
    tool: str  # "ascii", "style", "sketch", "gan", ... (the page that made it)
    title: str  # one line for lists
    status: Status  # see status.py
    parameters: dict[str, Any]  # the tool's config, as JSON
    seed: int | None
    created: str  # ISO time of submit
    queued_at: float  # epoch seconds: the queue's order (created has only whole seconds)
    started: str  # ISO times the worker and the manager write
    ended: str
    inputs: list[str]  # "inputs/<name>.png", relative to the run folder
    owner: str  # owners.py: "browser:...", "user:...", or "everyone"
    uploads: list[str]  # upload-store entries the run uses (kept while it exists)
    backend: str  # "local" or "ray": who runs it
    server: str  # the manager that started it (host:pid:random)
    pid: int  # the worker's process (local backend)
    host: str
    note: str  # why it ended as it did, in words
    error: str  # a failed run's reason, in words
    total: int  # steps it will take
    estimate: dict[str, Any]  # what was said before Start (estimates.py)
    logs_collected: bool  # the backend's copy of its output is in log.txt


def no_such_run(job_id: str) -> ValueError:
    # An id comes from a URL: a long one is cut, so the page never echoes pages of it back.
    shown = job_id if len(job_id) <= 60 else f"{job_id[:40]}… ({len(job_id):,} characters)"
    return ValueError(f"There is no run called {shown!r}.")


class RunStore:
    """The runs under ``runs_dir``, by id."""

    def __init__(self, runs_dir: str | Path):
        self.runs_dir = Path(runs_dir)
        self.runs_dir.mkdir(parents=True, exist_ok=True)

    def path(self, job_id: str) -> Path:
        # Ids come from URLs: never let one name a folder outside runs/.
        if not job_id or "/" in job_id or "\\" in job_id or job_id.startswith("."):
            raise ValueError(f"Not a job id: {job_id!r}.")
        return self.runs_dir / job_id

    def folder(self, job_id: str) -> RunFolder:
        """The run's folder, its files by what they are (core/jobs/runfolder.py)."""
        return RunFolder(self.path(job_id))

    def card(self, job_id: str, default: Any = None) -> RunCard | Any:
        return read_json(self.path(job_id) / "card.json", default)

    def update_card(self, job_id: str, keep: tuple[str, ...] = (), **fields: Any) -> None:
        """Read, change and write the card; fields named in ``keep`` are not overwritten if set."""
        path = self.path(job_id) / "card.json"
        card = read_json(path, {})
        card.update({name: value for name, value in fields.items() if not (name in keep and card.get(name))})
        write_json(path, card)

    def owner_of(self, job_id: str) -> str | None:
        """The run's owner; None when there is no such run."""
        card = self.card(job_id)
        return card.get("owner", "") if card else None

    def create(
        self,
        tool: str,
        target: str,
        config: dict[str, Any],
        *,
        inputs: dict[str, Image.Image] | None = None,
        title: str = "",
        owner: str = EVERYONE,
        uploads: list[str] | tuple[str, ...] = (),
        card_fields: dict[str, Any] | None = None,
    ) -> str:
        """A new queued run: its folder, inputs, job file and card. Returns its id."""
        job_id = new_job_id(tool)
        run_dir = self.runs_dir / job_id
        (run_dir / "inputs").mkdir(parents=True)
        for name, image in (inputs or {}).items():
            image.save(run_dir / "inputs" / f"{name}.png")
        config = json.loads(json.dumps(config, default=str))  # JSON-able, and our own copy
        write_json(run_dir / "job.json", {"tool": tool, "target": target, "config": config})
        card: RunCard = {
            "id": job_id,
            "tool": tool,
            "title": title or tool,
            "status": Status.QUEUED,
            "parameters": config,
            "seed": config.get("seed"),
            "created": now(),
            "queued_at": time.time(),
            "inputs": sorted(f"inputs/{name}.png" for name in (inputs or {})),
            "owner": owner,
            "uploads": sorted(uploads),
        }
        write_json(run_dir / "card.json", {**card, **(card_fields or {})})
        return job_id

    def cards(self, tool: str | None = None, *, owner: str | None = None) -> list[RunCard]:
        """Run cards, newest first. With ``owner``, only that owner's (``EVERYONE`` sees all)."""
        from core.history.index import index_for  # (History's index: a card is read again only when it changed)

        return [
            card
            for card in index_for(self.runs_dir).cards()
            if (tool is None or card.get("tool") == tool) and visible(card, owner)
        ]

    def previews(self, job_id: str) -> list[tuple[int, Path]]:
        """(step, path) of every preview the job has saved, in step order."""
        folder = self.path(job_id) / "previews"
        found = [(int(path.stem), path) for path in folder.glob("*.png") if path.stem.isdigit()]
        return sorted(found)

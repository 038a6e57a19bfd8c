"""Deleting runs, and the retention policy that keeps a long-running server's disk from filling.

Plain functions on the runs folder (no manager needed), so the command line (``python -m core runs
list|delete|prune``) and every server do the same thing. Only ended runs are ever removed: a
queued, running or stopping job is never touched, whatever the policy says, and neither is a run
starred in History (``core.history.marks``): a person keeps what they starred until they delete it.

Uploads (``runs/uploads/<owner key>/...``) belong to the runs that name them in their card's
``uploads`` list; deleting a run deletes its uploads unless another run still names them. An upload
that no run names (a zip checked in a page and never trained on) goes after a day.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.jobs.files import parse_time, read_json
from core.jobs.status import TERMINAL
from core.settings import Settings, default

UPLOADS = "uploads"
ORPHAN_UPLOAD_SECONDS = 24 * 3600
DEFAULT_KEEP_DAYS = default("keep_days")  # declared with the variable, ATELIER_KEEP_DAYS
DEFAULT_MAX_GB = default("runs_max_gb")


@dataclasses.dataclass(frozen=True)
class Policy:
    """Finished runs are kept ``keep_days`` days (0: no age limit) and, together, under
    ``max_bytes`` (0: no size limit); the oldest go first."""

    keep_days: float = DEFAULT_KEEP_DAYS
    max_bytes: int = int(DEFAULT_MAX_GB * 1e9)

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] | None = None) -> Policy:
        settings = Settings.read(environment)
        return cls(keep_days=settings.keep_days, max_bytes=int(settings.runs_max_gb * 1e9))

    def words(self) -> str:
        """The policy for the Home page, in a sentence."""
        parts = []
        if self.keep_days:
            parts.append(f"for {self.keep_days:g} days")
        if self.max_bytes:
            parts.append(f"up to {self.max_bytes / 1e9:g} GB in all")
        if not parts:
            return "Finished runs are kept until someone deletes them (no retention limit is set)."
        return (
            f"Finished runs are kept {' and '.join(parts)}, oldest removed first; queued and running "
            "jobs, and runs starred in History, are never removed."
        )


@dataclasses.dataclass
class PruneReport:
    removed: list[str]  # run ids, oldest first
    freed_bytes: int
    kept_bytes: int  # every run folder left, active ones included
    over_budget: bool  # still over the size budget: what is left is active (or the budget is tiny)
    orphan_uploads: int


def folder_bytes(folder: Path) -> int:
    total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def run_cards(runs_dir: Path) -> list[dict[str, Any]]:
    cards = []
    for card_path in Path(runs_dir).glob("*/card.json"):
        card = read_json(card_path)
        if card and card.get("id") == card_path.parent.name:
            cards.append(card)
    return cards


def ended_at(card: dict[str, Any], folder: Path) -> float:
    """When a run ended (its card), else when its folder last changed."""
    stamp = parse_time(card.get("ended")) or parse_time(card.get("created"))
    if stamp is None:
        try:
            stamp = folder.stat().st_mtime
        except OSError:
            stamp = 0.0
    return stamp


def delete_run(runs_dir: Path, job_id: str) -> int:
    """Remove an ended run's folder and the uploads no other run uses; returns the bytes freed.
    Raises ValueError for an unknown id or a job that is still queued or running."""
    runs_dir = Path(runs_dir)
    folder = runs_dir / job_id
    card = read_json(folder / "card.json")
    if not job_id or "/" in job_id or job_id.startswith(".") or card is None:
        raise ValueError(f"There is no run called {job_id!r}.")
    if card.get("status") not in TERMINAL:
        raise ValueError(f"The run {job_id!r} is still {card.get('status', 'active')}: stop it before deleting it.")
    freed = folder_bytes(folder)
    # The card first: from this moment the run is gone for every reader (pages, the file service),
    # even while the rest of a large folder is still being removed.
    (folder / "card.json").unlink(missing_ok=True)
    from core import shares  # (imported here: core.shares reads core.jobs.files)

    shares.forget_run(runs_dir, folder)  # its links' pointers (its list of them goes with the folder)
    shutil.rmtree(folder, ignore_errors=True)
    still_used = {name for other in run_cards(runs_dir) for name in other.get("uploads", [])}
    for name in card.get("uploads", []):
        if name in still_used:
            continue
        target = (runs_dir / UPLOADS / name).resolve()
        if (runs_dir / UPLOADS).resolve() not in target.parents:
            continue  # a card that names something outside the upload store: never follow it
        freed += folder_bytes(target) if target.is_dir() else (target.stat().st_size if target.exists() else 0)
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
    return freed


def prune(runs_dir: Path, policy: Policy, *, now: float | None = None, dry_run: bool = False) -> PruneReport:
    """Apply the policy: ended runs past ``keep_days``, then the oldest ended runs while the runs
    folder is over ``max_bytes``; then uploads no run names, once they are a day old."""
    from core.history.marks import read_marks  # (History's star; imported here: core.history reads core.jobs)

    runs_dir = Path(runs_dir)
    now = time.time() if now is None else now
    cards = run_cards(runs_dir)
    sizes = {card["id"]: folder_bytes(runs_dir / card["id"]) for card in cards}
    upload_bytes = folder_bytes(runs_dir / UPLOADS) if (runs_dir / UPLOADS).exists() else 0
    total = sum(sizes.values()) + upload_bytes
    ended = sorted(
        (
            card
            for card in cards
            if card.get("status") in TERMINAL and not read_marks(runs_dir / card["id"]).starred  # a star keeps it
        ),
        key=lambda card: ended_at(card, runs_dir / card["id"]),
    )
    removed, freed = [], 0
    for card in ended:
        too_old = policy.keep_days and now - ended_at(card, runs_dir / card["id"]) > policy.keep_days * 86400
        too_big = policy.max_bytes and total - freed > policy.max_bytes
        if not (too_old or too_big):
            continue
        removed.append(card["id"])
        if dry_run:
            freed += sizes[card["id"]]
        else:
            try:
                freed += delete_run(runs_dir, card["id"])
            except ValueError:
                continue  # it changed under us (another server deleted it)
    orphans = 0 if dry_run else _remove_orphan_uploads(runs_dir, now)
    left = total - freed
    return PruneReport(
        removed=removed,
        freed_bytes=freed,
        kept_bytes=max(0, left),
        over_budget=bool(policy.max_bytes) and left > policy.max_bytes,
        orphan_uploads=orphans,
    )


def _remove_orphan_uploads(runs_dir: Path, now: float) -> int:
    store = runs_dir / UPLOADS
    if not store.exists():
        return 0
    used = {name for card in run_cards(runs_dir) for name in card.get("uploads", [])}
    removed = 0
    for owner_folder in store.iterdir():
        if not owner_folder.is_dir():
            continue
        for item in owner_folder.iterdir():
            name = f"{owner_folder.name}/{item.name}"
            try:
                age = now - item.stat().st_mtime
            except OSError:
                continue
            if name in used or age < ORPHAN_UPLOAD_SECONDS:
                continue
            shutil.rmtree(item, ignore_errors=True) if item.is_dir() else item.unlink(missing_ok=True)
            removed += 1
    return removed

"""Share links: a run shown read-only to anyone who has its link, until it expires, is revoked or the
run is deleted.

A link is an unguessable token (192 random bits, URL-safe). The run's own folder keeps its links
(``runs/<id>/shares.json``: its owner lists and revokes them in History, and they go with the run);
``runs/shares/<SHA-256 of the token>`` points from a token to its run, so the file service finds it
without reading every run, and a copy of the runs folder's pointers holds no usable token. A link is
good only while both agree: a revoked link is gone from the run's list, a deleted run takes its list
with it, an expired one is refused by its time.

What a link shows is the run's products and settings (paths made portable), never its owner, its log
or its card, and its input pictures only when the owner ticked "include the input".
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
from pathlib import Path

from core.jobs.files import read_json, write_json

SHARES = "shares.json"  # in a run's folder: its links
POINTERS = "shares"  # runs/shares/<sha256 of a token>: the run it opens
MAX_LINKS_PER_RUN = 20


@dataclasses.dataclass(frozen=True)
class Share:
    token: str
    created: float  # epoch seconds
    expires: float | None = None  # epoch seconds; None: until revoked
    include_inputs: bool = False

    def live(self, now: float | None = None) -> bool:
        return self.expires is None or (time.time() if now is None else now) < self.expires

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def links(run_dir: str | Path) -> list[Share]:
    """The run's links, newest first (expired ones included, for its owner to see and remove)."""
    data = read_json(Path(run_dir) / SHARES, [])
    found = []
    for item in data if isinstance(data, list) else []:
        try:
            found.append(Share(**item))
        except TypeError:
            continue
    return sorted(found, key=lambda share: share.created, reverse=True)


def create(run_dir: str | Path, *, days: float | None = None, include_inputs: bool = False) -> Share:
    """A new link to the run (``days``: how long it lasts; None until revoked)."""
    run_dir = Path(run_dir)
    if not (run_dir / "card.json").is_file():
        raise ValueError("That run has been deleted.")
    if days is not None and not 0 < days <= 3650:
        raise ValueError("A link lasts between a moment and ten years, or until it is revoked.")
    existing = links(run_dir)
    if len(existing) >= MAX_LINKS_PER_RUN:
        raise ValueError(f"A run has at most {MAX_LINKS_PER_RUN} links: revoke one first.")
    now = time.time()
    share = Share(
        token=secrets.token_urlsafe(24),
        created=now,
        expires=None if days is None else now + days * 86400,
        include_inputs=include_inputs,
    )
    pointers = run_dir.parent / POINTERS
    pointers.mkdir(exist_ok=True)
    write_json(pointers / _digest(share.token), {"run": run_dir.name})
    write_json(run_dir / SHARES, [item.to_dict() for item in [share, *existing]])
    return share


def revoke(run_dir: str | Path, token: str) -> None:
    """The link stops working at once (its pointer and its entry both go)."""
    run_dir = Path(run_dir)
    kept = [share for share in links(run_dir) if share.token != token]
    write_json(run_dir / SHARES, [share.to_dict() for share in kept])
    Path(run_dir.parent / POINTERS / _digest(token)).unlink(missing_ok=True)


def resolve(runs_dir: str | Path, token: str, *, now: float | None = None) -> tuple[Path, Share] | None:
    """The run folder and link a token opens; None for a token that is unknown, revoked, expired, or
    whose run is gone (every case the same to the asker)."""
    if not token or len(token) > 100 or not all(c.isalnum() or c in "-_" for c in token):
        return None
    runs_dir = Path(runs_dir)
    pointer = read_json(runs_dir / POINTERS / _digest(token))
    if not isinstance(pointer, dict) or not isinstance(pointer.get("run"), str):
        return None
    run_id = pointer["run"]
    if not run_id or "/" in run_id or "\\" in run_id or run_id.startswith("."):
        return None
    run_dir = runs_dir / run_id
    if not (run_dir / "card.json").is_file():
        return None
    share = next((share for share in links(run_dir) if secrets.compare_digest(share.token, token)), None)
    if share is None or not share.live(now):
        return None
    return run_dir, share


def forget_run(runs_dir: str | Path, run_dir: str | Path) -> None:
    """Remove the pointers of a run's links (before the run is deleted: its list goes with it)."""
    for share in links(run_dir):
        (Path(runs_dir) / POINTERS / _digest(share.token)).unlink(missing_ok=True)

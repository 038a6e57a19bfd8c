"""Personal API tokens: a program acts as the person who made the token, until it is revoked.

A token is shown once, when it is made (``atelier_`` and 256 random bits, URL-safe); the server keeps
only its SHA-256 (``runs/api-tokens/<sha256>.json``: the owner, a name, when it was made and last
used), so a copy of the runs folder holds no usable token. A request sends it as
``Authorization: Bearer <token>``. Revoking removes the file: the very next request is refused.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import secrets
import time
from pathlib import Path

from core.jobs.files import read_json, write_json

FOLDER = "api-tokens"  # in the runs folder
PREFIX = "atelier_"
MAX_PER_OWNER = 20
MAX_NAME = 60
LAST_USED_EVERY_SECONDS = 60.0  # "last used" is written at most this often per token


@dataclasses.dataclass(frozen=True)
class Token:
    """What the server keeps of a token (never the token itself)."""

    id: str  # the first 12 hex digits of its SHA-256: what the page shows and revokes by
    owner: str
    name: str
    created: float  # epoch seconds
    last_used: float | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _folder(runs_dir: str | Path) -> Path:
    return Path(runs_dir) / FOLDER


def _read(path: Path) -> Token | None:
    data = read_json(path)
    if not isinstance(data, dict):
        return None
    try:
        return Token(**{**data, "last_used": _last_used(path.with_suffix(".used"))})
    except TypeError:
        return None


def listed(runs_dir: str | Path, owner: str) -> list[Token]:
    """The owner's tokens, newest first."""
    found = [_read(path) for path in sorted(_folder(runs_dir).glob("*.json"))]
    return sorted(
        (token for token in found if token is not None and token.owner == owner),
        key=lambda token: token.created,
        reverse=True,
    )


def create(runs_dir: str | Path, owner: str, name: str) -> tuple[str, Token]:
    """A new token for ``owner``: (the token, to show once; what is kept of it)."""
    if not owner:
        raise ValueError("Only a person (signed in, or this browser) can make an API token.")
    name = " ".join(str(name).split())[:MAX_NAME] or "API token"
    if len(listed(runs_dir, owner)) >= MAX_PER_OWNER:
        raise ValueError(f"You have {MAX_PER_OWNER} API tokens, the most one person may have: revoke one first.")
    token = PREFIX + secrets.token_urlsafe(32)
    digest = _digest(token)
    kept = Token(id=digest[:12], owner=owner, name=name, created=time.time())
    folder = _folder(runs_dir)
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / f"{digest}.json", kept.to_dict())
    return token, kept


def revoke(runs_dir: str | Path, owner: str, token_id: str) -> bool:
    """Revoke the owner's token ``token_id``; False when they have none by that id."""
    for path in _folder(runs_dir).glob(f"{token_id}*.json") if token_id.isalnum() else ():
        found = _read(path)
        if found is not None and found.owner == owner and found.id == token_id:
            path.unlink(missing_ok=True)
            path.with_suffix(".used").unlink(missing_ok=True)
            return True
    return False


def owner_of(runs_dir: str | Path, token: str, *, now: float | None = None) -> str | None:
    """The owner a token acts as; None for a token that is malformed, unknown or revoked."""
    if not token.startswith(PREFIX) or len(token) > 100 or not all(c.isalnum() or c in "-_" for c in token):
        return None
    path = _folder(runs_dir) / f"{_digest(token)}.json"
    found = _read(path)
    if found is None:
        return None
    now = time.time() if now is None else now
    used = path.with_suffix(".used")  # apart from the token's file: writing it never brings a revoked token back
    last = _last_used(used)
    if last is None or now - last > LAST_USED_EVERY_SECONDS:
        with contextlib.suppress(OSError):  # "last used" is a courtesy; the request still acts as its owner
            used.write_text(f"{now:.0f}")
    return found.owner


def _last_used(path: Path) -> float | None:
    try:
        return float(path.read_text())
    except (OSError, ValueError):
        return None

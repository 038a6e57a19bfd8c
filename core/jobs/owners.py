"""Who owns a run: the signed-in user, this browser, or everyone (a trusted team, on purpose).

An owner is a short string written into each run card (``"owner"``) and never shown in a page:
- ``user:<digest>``: a signed-in user; the digest is of the provider's issuer and the user's stable
  subject id, so a card names no e-mail address and two providers' users never collide;
- ``browser:<id>``: one browser, by a random 128-bit id kept in a signed cookie (the default when
  nobody signs in). Not the client address: behind a reverse proxy every visitor is 127.0.0.1;
- ``everyone``: ``ATELIER_SHARED_RUNS=1``, every visitor sees every run.

The cookie is ``<id>.<HMAC-SHA256 of the id>`` under a secret kept in the runs folder (created once,
readable by the server only), so replicas sharing the runs folder accept each other's cookies and a
forged or edited cookie is refused (the browser then gets a new private space).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

EVERYONE = "everyone"
COOKIE_NAME = "atelier_space"
COOKIE_DAYS = 400  # browsers cap cookie lifetimes at about 400 days
SECRET_FILE = ".cookie-secret"


def signed_in_owner(issuer: str, subject: str) -> str:
    if not subject:
        raise ValueError("The sign-in provider gave no subject id ('sub') for this user.")
    return "user:" + hashlib.sha256(f"{issuer}|{subject}".encode()).hexdigest()[:32]


def new_browser_id() -> str:
    return secrets.token_hex(16)


def browser_owner(browser_id: str) -> str:
    return f"browser:{browser_id}"


def owner_key(owner: str) -> str:
    """A folder name for an owner's uploads: a digest, so a folder listing shows no cookie."""
    return hashlib.sha256(owner.encode()).hexdigest()[:20]


def describe(owner: str | None) -> str:
    """What kind of owner, in words, never the id itself (for the command line's runs list)."""
    if not owner:
        return "unowned (from before owners)"
    if owner == EVERYONE:
        return "everyone"
    return {"user": "signed-in user", "browser": "a browser"}.get(owner.partition(":")[0], "unknown")


def cookie_secret(runs_dir: Path) -> bytes:
    """The server's signing key: ``ATELIER_COOKIE_SECRET``, else a random one created once in the
    runs folder (so a restart or another replica keeps accepting the same cookies)."""
    configured = os.environ.get("ATELIER_COOKIE_SECRET", "")
    if configured:
        return configured.encode()
    path = Path(runs_dir) / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:  # another replica made it a moment ago
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def sign(browser_id: str, secret: bytes) -> str:
    mac = hmac.new(secret, browser_id.encode(), hashlib.sha256).hexdigest()
    return f"{browser_id}.{mac}"


def verify(cookie: str | None, secret: bytes) -> str | None:
    """The browser id in a cookie we signed; None for a missing, malformed or tampered one."""
    if not isinstance(cookie, str) or cookie.count(".") != 1:
        return None
    browser_id, _, mac = cookie.partition(".")
    if len(browser_id) != 32 or any(c not in "0123456789abcdef" for c in browser_id):
        return None
    expected = hmac.new(secret, browser_id.encode(), hashlib.sha256).hexdigest()
    return browser_id if hmac.compare_digest(mac, expected) else None

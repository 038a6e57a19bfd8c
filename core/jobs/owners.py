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

from core import settings

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
    configured = settings.value("cookie_secret")
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


# --- the file pass: who a request to the file service (core/api) comes from ---------------------
# In browser mode the space cookie above already says who a request is from. A signed-in user's
# identity lives in Streamlit's own session (its auth cookie is Tornado's to read), so the page
# also writes this short-lived pass, "<owner>|<expiry>|<HMAC>", under the same secret: the file
# service reads it on every request, and a pass that is forged, edited or out of date is refused.
PASS_COOKIE = "atelier_pass"
PASS_SECONDS = 12 * 3600  # renewed by the page whenever less than half is left


def sign_pass(owner: str, secret: bytes, *, expires: float) -> str:
    if not owner or "|" in owner:
        raise ValueError(f"Not an owner that a pass can carry: {owner!r}.")
    body = f"{owner}|{int(expires)}"
    return f"{body}|{hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()}"


def verify_pass(value: str | None, secret: bytes, *, now: float) -> str | None:
    """The owner a pass we signed names, while it is in date; None otherwise."""
    if not isinstance(value, str) or value.count("|") != 2:
        return None
    owner, expires, mac = value.split("|")
    expected = hmac.new(secret, f"{owner}|{expires}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, expected) or not expires.isdigit() or int(expires) < now:
        return None
    return owner or None


def pass_expiry(value: str | None) -> float:
    """When a pass runs out (0 for anything that is not one): the page renews it in time."""
    parts = value.split("|") if isinstance(value, str) else []
    return float(parts[1]) if len(parts) == 3 and parts[1].isdigit() else 0.0


def owner_from_cookies(cookies: dict[str, str], secret: bytes, *, now: float, shared: bool) -> str | None:
    """Who a request is from: everyone in shared mode; else the pass's owner, else this browser's
    space; None for nobody we know (no cookie, a forged one, a pass out of date)."""
    if shared:
        return EVERYONE
    owner = verify_pass(cookies.get(PASS_COOKIE), secret, now=now)
    if owner is not None:
        return owner
    browser_id = verify(cookies.get(COOKIE_NAME), secret)
    return browser_owner(browser_id) if browser_id else None


def visible(card: dict, owner: str | None) -> bool:
    """Whether ``owner`` (None: nobody in particular, the server itself) may see the run ``card`` is of."""
    return owner is None or owner == EVERYONE or card.get("owner") == owner

"""Whose runs a page shows: the signed-in user, this browser, or everyone (``core.jobs.owners``).

- Sign-in, when ``.streamlit/secrets.toml`` has an ``[auth]`` section (Streamlit's own OpenID
  Connect sign-in, ``st.login``): the owner is the user's stable subject id; pages other than Home
  ask to sign in; the sidebar has Sign in / Sign out.
- Otherwise, per browser: a random id in a signed cookie (set by a line of JavaScript, since
  Streamlit reads cookies but cannot set one). A reload, a second tab or a restarted server keep it;
  a forged or edited cookie is refused and the browser gets a new private space (said once).
- ``ATELIER_SHARED_RUNS=1``: everyone sees every run (a trusted team), and the pages say so.
"""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.parse
import urllib.request

import streamlit as st

from core import settings
from core.jobs import owners
from core.settings import REPO_ROOT

RUNS_DIR = settings.value("runs")

log = logging.getLogger(__name__)
_STATE = "atelier_owner"
UNWRITABLE = (
    "The server cannot write its runs folder, so the tools cannot run jobs or keep your work private. "
    "Whoever runs Atelier can find the details in the server log (ATELIER_RUNS)."
)


def mode() -> str:
    """ "signin", "shared" or "browser"."""
    if sign_in_configured():
        return "signin"
    if settings.value("shared_runs"):
        return "shared"
    return "browser"


def sign_in_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all, or one that does not parse
        return False


def owner() -> str | None:
    """This session's owner; None while nobody is signed in (sign-in mode)."""
    current = mode()
    if current == "shared":
        return owners.EVERYONE
    if current == "signin":
        if not st.user.is_logged_in:
            return None
        return owners.signed_in_owner(str(st.user.get("iss") or ""), str(st.user.get("sub") or ""))
    if not st.session_state.get(_STATE):
        st.session_state[_STATE] = _browser_owner()
    return st.session_state[_STATE]


def _browser_owner() -> str | None:
    """None when the server cannot keep the signing key (its runs folder is not writable)."""
    try:
        secret = owners.cookie_secret(RUNS_DIR)
    except OSError as error:
        log.error("cannot read or create the cookie secret in the runs folder %s: %s", RUNS_DIR, error)
        return None
    cookie = st.context.cookies.get(owners.COOKIE_NAME)
    cookie = cookie if isinstance(cookie, str) else None  # (AppTest has no real cookies)
    browser_id = owners.verify(cookie, secret)
    if browser_id is None:
        if cookie:
            log.warning("refused a tampered or foreign %s cookie", owners.COOKIE_NAME)
            st.session_state["atelier_cookie_refused"] = True
        browser_id = owners.new_browser_id()
        st.session_state["atelier_set_cookie"] = owners.sign(browser_id, secret)
    return owners.browser_owner(browser_id)


def set_cookie_if_new() -> None:
    """Write this browser's cookie (once per new space), and say once if an old one was refused."""
    # Both go into slots drawn on every run, so the page below keeps its element positions (a
    # one-off element at the top would make the next run redraw every widget under it).
    script_slot, notice_slot = st.sidebar.empty(), st.empty()
    value = st.session_state.pop("atelier_set_cookie", None)
    if value:
        age = owners.COOKIE_DAYS * 86400
        script_slot.html(
            f"<script>document.cookie = {json.dumps(f'{owners.COOKIE_NAME}={value}')} + "
            f"'; Max-Age={age}; Path=/; SameSite=Lax';</script>",
            unsafe_allow_javascript=True,
        )
    if st.session_state.pop("atelier_cookie_refused", False):
        notice_slot.warning(
            "This browser's Atelier cookie was not one this server made, so this browser starts a new, "
            "empty private space.",
            icon=":material/cookie_off:",
        )


RETURN_COOKIE = "atelier_return"  # the page a person signed in from (Streamlit's sign-in lands on Home)


def _pages() -> dict[str, str]:
    """URL path -> page file, for the pages a person may be sent back to (nothing else is followed)."""
    return {
        re.sub(r"^\d+_", "", path.stem): f"pages/{path.name}" for path in sorted((REPO_ROOT / "pages").glob("*.py"))
    }


def come_back_after_sign_in(who: str | None) -> None:
    """Streamlit's sign-in always ends on Home: while signed out on a page, the browser remembers
    which page (and run) it was; once signed in, Home sends the person back there."""
    slot = st.sidebar.empty()  # drawn on every run, so the elements under it keep their places
    held = st.context.cookies.get(RETURN_COOKIE)
    held = held if isinstance(held, str) else ""
    path = urllib.parse.urlsplit(st.context.url or "").path.strip("/").rsplit("/", 1)[-1]
    if who is None:
        job = st.query_params.get("job", "")
        wanted = f"{path}?job={urllib.parse.quote(job)}" if job and len(job) <= 100 else path
        if path in _pages() and held != wanted:
            slot.html(
                f"<script>document.cookie = {json.dumps(f'{RETURN_COOKIE}={wanted}')} + "
                "'; Max-Age=900; Path=/; SameSite=Lax';</script>",
                unsafe_allow_javascript=True,
            )
        return
    if not held:
        return
    slot.html(
        f"<script>document.cookie = '{RETURN_COOKIE}=; Max-Age=0; Path=/; SameSite=Lax';</script>",
        unsafe_allow_javascript=True,
    )
    target, _, query = held.partition("?job=")
    if path == "" and target in _pages() and not st.session_state.get("atelier_returned"):
        st.session_state["atelier_returned"] = True  # once: Home stays reachable afterwards
        st.switch_page(_pages()[target], query_params={"job": urllib.parse.unquote(query)} if query else None)


def keep_file_pass(who: str | None) -> None:
    """Signed in: make sure the browser holds a pass naming this person for the file service (it
    cannot read Streamlit's own sign-in), renewed before it runs out; signed out: remove it."""
    slot = st.sidebar.empty()  # drawn on every run, so the elements under it keep their places
    held = st.context.cookies.get(owners.PASS_COOKIE)
    held = held if isinstance(held, str) else None
    if who is None:
        if held:
            slot.html(
                f"<script>document.cookie = '{owners.PASS_COOKIE}=; Max-Age=0; Path=/; SameSite=Lax';</script>",
                unsafe_allow_javascript=True,
            )
        return
    try:
        secret = owners.cookie_secret(RUNS_DIR)
    except OSError as error:
        log.error("cannot read or create the cookie secret in the runs folder %s: %s", RUNS_DIR, error)
        return
    now = time.time()
    if owners.verify_pass(held, secret, now=now) == who and owners.pass_expiry(held) - now > owners.PASS_SECONDS / 2:
        return
    if st.session_state.get("atelier_pass_written", 0) > now - 60:
        return  # written a moment ago; the browser sends it from its next request on
    value = owners.sign_pass(who, secret, expires=now + owners.PASS_SECONDS)
    slot.html(
        f"<script>document.cookie = {json.dumps(f'{owners.PASS_COOKIE}={value}')} + "
        f"'; Max-Age={owners.PASS_SECONDS}; Path=/; SameSite=Lax';</script>",
        unsafe_allow_javascript=True,
    )
    st.session_state["atelier_pass_written"] = now


@st.cache_data(ttl=30, show_spinner=False)
def provider_answers(url: str) -> bool:
    """Whether the sign-in provider's discovery document answers (checked before offering Sign in,
    so an unreachable provider gets a sentence instead of a failed redirect)."""
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status == 200
    except Exception as error:
        log.warning("the sign-in provider at %s does not answer: %s", url, error)
        return False


def _metadata_url() -> str:
    auth = st.secrets.get("auth", {})
    url = auth.get("server_metadata_url", "")
    if not url:  # a named provider: [auth.<name>]
        for value in auth.values():
            if hasattr(value, "get") and value.get("server_metadata_url"):
                return value["server_metadata_url"]
    return url


def sidebar(require: bool) -> str | None:
    """The sign-in control and the privacy line in the sidebar; with ``require`` (every page but
    Home), a page without an owner asks to sign in and stops. Returns the owner."""
    current = mode()
    who = owner()
    with st.sidebar:
        if current == "signin":
            if who is None:
                if provider_answers(_metadata_url()):
                    st.button(
                        "Sign in", key="atelier_sign_in", on_click=st.login, icon=":material/login:", type="primary"
                    )
                else:
                    st.error("Sign-in is set up, but the sign-in service does not answer. Try again in a minute.")
            else:
                name = st.user.get("name") or st.user.get("email") or "signed in"
                st.caption(f"Signed in as **{name}**. Your runs, uploads and models are yours alone.")
                st.button("Sign out", key="atelier_sign_out", on_click=st.logout, icon=":material/logout:")
        elif current == "shared":
            st.caption(
                ":orange[:material/group:] Shared runs: everyone using this server sees every run, upload "
                "and model (ATELIER_SHARED_RUNS=1)."
            )
        elif who is None:
            st.error(UNWRITABLE)
        else:
            st.caption(":material/lock: Your runs, uploads and models are private to this browser.")
    if current == "browser":
        set_cookie_if_new()
    elif current == "signin":
        keep_file_pass(who)
        come_back_after_sign_in(who)
    if require and who is None and current == "browser":
        st.error(UNWRITABLE)
        st.stop()
    if require and who is None:
        st.info(
            "Please sign in (in the sidebar) to use this tool: your runs, photos and models are kept for you alone.",
            icon=":material/lock:",
        )
        st.stop()
    return who

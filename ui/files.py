"""How a run's files and pictures reach the browser without anybody else being able to fetch them.

Streamlit serves every ``st.image``, ``st.video`` and ``st.download_button`` from ``/media/<hash>``
to whoever asks for that address, with no check of who they are. So nothing personal goes there:
- pictures drawn in a page travel inline (``data_url``): their bytes go down the person's own
  connection and have no address to fetch;
- a run's downloads and videos are links to the file service (``core/api``) beside Streamlit,
  which checks the person's cookie against the run's owner on every request, answers 404 to
  anybody else, and stops answering the moment the run is deleted;
- what a page makes on the spot (an ASCII export, a sketch of an upload) downloads from an
  inline link too (``download_inline``).

The service is started once per Streamlit server, on its port + 1 (``ATELIER_API_PORT``), unless
one for the same runs folder already answers there; ``ATELIER_API_URL`` names it when the browser
reaches it at another address (behind a proxy).
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import html
import io
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image

from core import settings
from core.api import serve
from core.jobs.files import runs_folder_key
from core.settings import REPO_ROOT

RUNS_DIR = settings.value("runs")

log = logging.getLogger(__name__)

INLINE_PNG_LIMIT = 400_000  # bytes (and pixels): past this an on-screen picture goes as a JPEG (a view, not the file)
DISPLAY_SIDE = 1600  # px: the longest side a picture is drawn at in a page
BUTTON_STYLE = (
    "display:inline-flex;align-items:center;justify-content:center;width:100%;box-sizing:border-box;"
    "padding:0.25rem 0.75rem;min-height:2.5rem;border:1px solid rgba(49,51,63,0.2);border-radius:0.5rem;"
    "text-decoration:none;color:inherit;background:white;font-size:0.95rem"
)


# --- pictures in the page: inline, never by URL -------------------------------------------------


def data_url(picture: Image.Image | np.ndarray | bytes | Path | str | None) -> str | None:
    """A picture as a ``data:`` URL for ``st.image`` (which passes such a URL straight to the
    browser). PNG, or JPEG when the PNG would be large; GIFs stay GIFs (they move)."""
    if picture is None:
        return None
    if isinstance(picture, (str, Path)):
        try:
            picture = Path(picture).read_bytes()
        except OSError:  # replaced or deleted while we read: nothing to draw this time
            return None
    if isinstance(picture, (bytes, bytearray)):
        if not picture:
            return None
        kind = "gif" if picture[:4] == b"GIF8" else "png" if picture[:4] == b"\x89PNG" else "jpeg"
        if kind != "png" or len(picture) <= INLINE_PNG_LIMIT:
            return f"data:image/{kind};base64," + base64.b64encode(picture).decode()
        picture = Image.open(io.BytesIO(picture))
    if isinstance(picture, np.ndarray):
        picture = Image.fromarray(picture)
    if max(picture.size) > DISPLAY_SIDE:  # a view at most this large: the file itself keeps every pixel
        picture = picture.copy()
        picture.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if picture.width * picture.height <= INLINE_PNG_LIMIT:  # small: lossless (ASCII glyphs, grids, sketches)
        picture.save(buffer, format="PNG")
        if buffer.tell() <= INLINE_PNG_LIMIT:
            return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
        buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, format="JPEG", quality=92)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def show(picture, target=None, **options) -> None:
    """``st.image`` with the picture inline (``target``: a column or container; st by default)."""
    url = data_url(picture)
    if url is not None:
        (target or st).image(url, **options)


# --- downloads -----------------------------------------------------------------------------------


def _link(label: str, href: str, *, key: str, file_name: str | None = None, target=None) -> None:
    """A download link drawn like a button, in a container keyed ``key`` (``.st-key-<key>``)."""
    download = f' download="{html.escape(file_name)}"' if file_name else " download"
    anchor = f'<a href="{html.escape(href)}"{download} style="{BUTTON_STYLE}">⤓&nbsp;{html.escape(label)}</a>'
    if href.startswith("data:"):  # st.html's sanitiser drops data: links; markdown keeps them
        (target or st).container(key=key).markdown(anchor, unsafe_allow_html=True)
    else:  # a file service link: st.html, since markdown would open a new tab for it first
        (target or st).container(key=key).html(anchor)


def download_inline(label: str, data: bytes | str, file_name: str, mime: str, *, key: str, target=None) -> None:
    """A download of bytes the page made on the spot, carried inside the page (no server URL)."""
    payload = data.encode() if isinstance(data, str) else data
    _link(
        label, f"data:{mime};base64,{base64.b64encode(payload).decode()}", key=key, file_name=file_name, target=target
    )


def download_run_file(label: str, run_id: str, name: str, *, key: str, target=None) -> None:
    """A download of one of a run's files, from the owner-checked service."""
    base = service_url()
    if base is None:
        (target or st).caption(f"{label}: {UNAVAILABLE}")
        return
    _link(label, run_file_url(run_id, name, download=True, base=base), key=key, target=target)


def download_run_zip(label: str, run_id: str, *, key: str, target=None) -> None:
    base = service_url()
    if base is None:
        (target or st).caption(f"{label}: {UNAVAILABLE}")
        return
    _link(label, f"{base}/api/v1/runs/{urllib.parse.quote(run_id)}/zip", key=key, target=target)


def run_file_url(run_id: str, name: str, *, download: bool = False, base: str | None = None) -> str | None:
    """The owner-checked address of ``runs/<run_id>/<name>``; None while the service is down."""
    base = base or service_url()
    if base is None:
        return None
    url = f"{base}/api/v1/runs/{urllib.parse.quote(run_id)}/files/{urllib.parse.quote(name)}"
    return url + ("?download=true" if download else "")


# --- the service beside Streamlit --------------------------------------------------------------------

UNAVAILABLE = (
    "the file service beside Atelier is not running, so downloads are off for now (whoever runs Atelier "
    "finds why in the server log)."
)


def _streamlit_port() -> int:
    try:
        return int(st.get_option("server.port") or 8501)
    except Exception:  # (AppTest has no server options)
        return 8501


def service_port() -> int:
    return settings.value("api_port") or _streamlit_port() + 1


@st.cache_resource(show_spinner=False)
def _starter() -> threading.Lock:
    return threading.Lock()  # one start at a time per server, however many sessions ask


def _ensure_service(port: int) -> bool:
    """Make sure a file service for our runs folder answers on ``port``, starting one beside this
    server when nothing answers (again, if the one it started has gone). False, with the reason
    in the server log, when it cannot."""
    local, mine = f"http://127.0.0.1:{port}", runs_folder_key(RUNS_DIR)
    with _starter():
        answer = serve.health(local)
        if answer is None:
            answer = _start(port, local)
    if answer is None:
        return False
    if answer.get("runs") != mine:
        log.error("the service on port %d serves another runs folder: set ATELIER_API_PORT to a free port", port)
        return False
    return True


def _start(port: int, local: str) -> dict | None:
    address = st.get_option("server.address") or "0.0.0.0"
    log_path = RUNS_DIR / "api.log"
    with contextlib.ExitStack() as files:
        try:
            output = files.enter_context(open(log_path, "a"))  # the child keeps its own copy
        except OSError:
            output = subprocess.DEVNULL
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "core",
                "api",
                "--runs",
                str(RUNS_DIR),
                "--host",
                address,
                "--port",
                str(port),
                "--parent",
                str(os.getpid()),
            ],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    atexit.register(_end, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = serve.health(local, timeout=0.5)
        if answer is not None:
            log.info("started the file service on port %d", port)
            return answer
        if process.poll() is not None:
            log.error("the file service could not start on port %d (see %s)", port, log_path)
            return None
        time.sleep(0.1)
    log.error("the file service did not answer on port %d within 30 s (see %s)", port, log_path)
    return None


@st.cache_resource(show_spinner=False)
def start_with_the_server() -> threading.Thread | None:
    """Once per Streamlit server, as its first page is drawn: start the file service in the
    background (so ``make run`` has it up before anybody downloads, and no page waits for it)."""
    if settings.value("api_url"):
        return None  # run elsewhere, by whoever runs Atelier
    thread = threading.Thread(target=_ensure_service, args=(service_port(),), name="atelier-file-service", daemon=True)
    thread.start()
    return thread


def _end(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()


def service_url() -> str | None:
    """The service's address as this person's browser reaches it; None while it is not running."""
    configured = settings.value("api_url").rstrip("/")
    if configured:
        return configured
    port = service_port()
    if not _ensure_service(port):
        return None
    page = urllib.parse.urlsplit(st.context.url or f"http://127.0.0.1:{_streamlit_port()}")
    return f"{page.scheme or 'http'}://{page.hostname or '127.0.0.1'}:{port}"

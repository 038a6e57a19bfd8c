"""Page set-up and the device probe (torch is imported in a child process, never here)."""

from __future__ import annotations

import concurrent.futures
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import streamlit as st

from core import settings

REPO_ROOT = Path(__file__).resolve().parent.parent
RUNS_DIR = settings.value("runs")


def page(title: str, icon: str, blurb: str, *, home: bool = False) -> None:
    """Every page's set-up: the server log (once per process), the title, and whose work it shows
    (``ui.identity``): every page but Home stops here until someone is signed in, where sign-in is
    configured."""
    from core import logs
    from ui import files, identity

    logs.configure(RUNS_DIR)
    _report_settings()
    files.start_with_the_server()
    st.set_page_config(page_title=f"{title} · Atelier", page_icon=icon, layout="wide")
    st.title(f"{icon} {title}")
    if blurb:
        st.caption(blurb)
    identity.sidebar(require=not home)


@st.cache_resource(show_spinner=False)
def _report_settings() -> list[str]:
    """Once per server: a bad ATELIER_ value or an unknown ATELIER_ name, in the server log."""
    found = settings.problems()
    for problem in found:
        logging.getLogger("atelier.settings").warning("%s", problem)
    return found


def _probe_device() -> dict:
    completed = subprocess.run(
        [sys.executable, "-m", "core", "device", "--json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    if completed.returncode != 0:
        logging.getLogger(__name__).error(
            "the device probe (python -m core device) failed:\n%s", completed.stderr[-2000:]
        )
        return {"device": "cpu", "name": "unknown (the probe failed)", "error": completed.stderr[-500:]}
    return json.loads(completed.stdout)


@st.cache_resource(show_spinner=False)
def device_probe() -> concurrent.futures.Future:
    """Started once per server: the answer of ``python -m core device`` in a child process."""
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="device-probe")
    return executor.submit(_probe_device)


def device_info(timeout: float | None = None) -> dict | None:
    """The probe's answer; None while it is still running (when ``timeout`` is 0)."""
    future = device_probe()
    try:
        return future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        return None


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "…"
    seconds = int(round(seconds))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"

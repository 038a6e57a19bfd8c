"""``python -m core api``: the HTTP service on a port, over a runs folder.

A Streamlit server starts one beside itself on the next port (``ui/files.py``) when none answers
there, so ``make run`` starts both; it can also be run on its own (several Streamlit replicas
behind one proxy share one).
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from pathlib import Path


def serve(runs_dir: Path, host: str, port: int, parent: int | None = None) -> None:
    """Serve until stopped; with ``parent``, also end once that process (the Streamlit server
    that started this one) has gone, however it went."""
    import uvicorn

    from core.api.app import create_app

    if parent:
        threading.Thread(target=_end_with, args=(parent,), name="atelier-parent-watch", daemon=True).start()
    uvicorn.run(create_app(runs_dir), host=host, port=port, log_level="warning", access_log=False)


def health(base_url: str, timeout: float = 1.0) -> dict | None:
    """The service's health answer at ``base_url``; None when nothing (or not Atelier) answers."""
    try:
        with urllib.request.urlopen(f"{base_url}/api/v1/health", timeout=timeout) as response:
            answer = json.loads(response.read())
    except (OSError, ValueError):
        return None
    return answer if isinstance(answer, dict) and answer.get("ok") else None


def _end_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)

"""The server log: Python's ``logging``, set up once per process.

Everything core and the pages report (a job monitor surviving an error, a refused cookie, a
retention pass, a provider that does not answer) goes through ``logging.getLogger(__name__)``;
this decides where it lands: the console, and for the app a rotating file in the runs folder
(``runs/atelier.log``, 5 MB x 4), which is the "server log" the pages point to. Job workers log
to their own output, which is the run's ``log.txt``.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from core import settings

LOG_NAME = "atelier.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d]: %(message)s"
_configured: set[str] = set()


def configure(runs_dir: str | os.PathLike | None = None, level: int | str | None = None) -> Path | None:
    """Console logging, plus the rotating file in ``runs_dir`` when given (and writable). Safe to
    call on every page run: it sets up once per process. Returns the log file's path, if any."""
    level = level or settings.value("log_level").upper()
    root = logging.getLogger()
    if "console" not in _configured:
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(console)
        root.setLevel(level)
        for noisy in ("urllib3", "matplotlib", "PIL", "aioice", "aiortc", "asyncio"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        _configured.add("console")
    if runs_dir is None:
        return None
    path = Path(runs_dir) / LOG_NAME
    if str(path) in _configured:
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    except OSError as error:
        logging.getLogger(__name__).error("cannot write the server log in %s: %s", path.parent, error)
        return None
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    _configured.add(str(path))
    return path

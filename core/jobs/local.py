"""The local backend: each job is a process on this machine, started by the server (the default).

Why a process and not a thread: TensorFlow >= 2.20 and torch (with triton) segfault when they
share a process, and a segfault in the Streamlit server would end every user's session. A
process also lets Stop always end the work, even inside a long native call, and does not fight
the server for the GIL.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from core.jobs.backend import Poll, PollState

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


class LocalBackend:
    name = "local"
    collects_logs = False  # the worker writes log.txt itself
    error = ""

    def __init__(self, python: str = sys.executable):
        self.python = python
        self._popens: dict[str, subprocess.Popen] = {}  # the workers this server started
        # Exit codes of workers reaped before the manager asked (most end by writing their own
        # card, and the manager never asks): bounded, so a server running for months stays small.
        self._exit_codes: collections.OrderedDict[str, int] = collections.OrderedDict()

    def ready(self) -> bool:
        return True

    def default_cap(self) -> int:
        return 1  # the page raises it on a GPU (ui/jobs.py); one heavy job at a time on 2 cores

    def prepare(self, runs_dir: Path) -> None:
        pass  # this machine always sees its own runs folder

    def start(self, job_id: str, run_dir: Path, tool: str) -> None:
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(REPO_ROOT)] + [p for p in environment.get("PYTHONPATH", "").split(os.pathsep) if p]
        )
        environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        environment["PYTHONUNBUFFERED"] = "1"
        with (run_dir / "log.txt").open("ab") as log:
            self._popens[job_id] = subprocess.Popen(
                [self.python, "-m", "core.jobs.worker", str(run_dir.resolve())],
                cwd=REPO_ROOT,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def reap(self) -> None:
        """Wait for every worker of ours that has exited, so none is left a zombie (a worker that
        wrote its own ending is never polled again)."""
        for job_id, popen in list(self._popens.items()):
            code = popen.poll()
            if code is not None:
                del self._popens[job_id]
                self._exit_codes[job_id] = code
                while len(self._exit_codes) > 1000:
                    self._exit_codes.popitem(last=False)

    def poll(self, job_id: str, card: dict) -> Poll:
        if job_id in self._exit_codes:
            code = self._exit_codes.pop(job_id)
            return Poll(PollState.ENDED, reason=f"exit code {code}", exit_code=code)
        popen = self._popens.get(job_id)
        if popen is not None:
            code = popen.poll()  # also reaps it, so no zombie is left behind
            if code is None:
                return Poll(PollState.RUNNING)
            del self._popens[job_id]
            return Poll(PollState.ENDED, reason=f"exit code {code}", exit_code=code)
        # A worker another server (or this server before a restart) started: judge it by its pid,
        # which only means something on the machine it runs on.
        pid, host = card.get("pid"), card.get("host")
        if not pid or (host and host != socket.gethostname()):
            return Poll(PollState.UNKNOWN)
        return Poll(PollState.RUNNING) if _alive(pid, job_id) else Poll(PollState.ENDED)

    def terminate(self, job_id: str, card: dict) -> None:
        self._signal(job_id, card, signal.SIGTERM)

    def kill(self, job_id: str, card: dict) -> None:
        self._signal(job_id, card, signal.SIGKILL)

    def collect_logs(self, job_id: str, run_dir: Path) -> None:
        pass  # the worker's output already goes to run_dir/log.txt

    def describe(self) -> dict:
        return {
            "backend": "local",
            "where": f"this machine ({socket.gethostname()})",
            "cpus": os.cpu_count(),
            "gpus": None,
            "nodes": 1,
            "error": "",
        }

    def close(self, kill: bool = False) -> None:
        if kill:
            for popen in self._popens.values():
                popen.kill()
                popen.wait(timeout=10)
        self._popens.clear()

    def _signal(self, job_id: str, card: dict, signum: int) -> None:
        popen = self._popens.get(job_id)
        pid = popen.pid if popen is not None else card.get("pid")
        if not pid or (popen is None and not _alive(pid, job_id)):
            return  # never signal a pid that may now belong to someone else
        with contextlib.suppress(OSError):  # it ended meanwhile
            os.kill(pid, signum)


def _alive(pid: int, job_id: str) -> bool:
    """Whether ``pid`` is still this job's worker (and not a process that reused the number)."""
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.exists():
        return True  # no /proc (macOS): trust the pid
    return job_id in cmdline.read_text(errors="ignore")  # a zombie's is empty: ended

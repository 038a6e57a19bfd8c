"""What the manager asks of a backend, the thing that actually runs a job's worker somewhere.

Two backends exist: ``local.LocalBackend`` (a process on this machine, the default) and
``ray_backend.RayBackend`` (a Ray job on a cluster). ``Backend`` below is the whole of what the
manager relies on, as a typing protocol (no base class: each backend stands alone, and a type
checker or ``isinstance(backend, Backend)`` says whether one fits).
"""

from __future__ import annotations

import dataclasses
import enum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

# The tools whose work runs on a GPU when the cluster has one (torch, or Keras on torch).
GPU_TOOLS = frozenset({"style", "gan", "sketch", "sketch-video", "demo"})


class BackendError(Exception):
    """A job cannot be started; the message is written for the person who asked for it."""


class PollState(enum.StrEnum):
    PENDING = "pending"  # accepted, waiting for room on the cluster
    RUNNING = "running"
    ENDED = "ended"  # the process has gone (the card says how, if the worker could write it)
    LOST = "lost"  # ended by the cluster, not by the job: its node or the cluster went away
    UNKNOWN = "unknown"  # this server cannot see it: another machine's local process
    UNREACHABLE = "unreachable"  # the cluster did not answer


@dataclasses.dataclass
class Poll:
    """One look at a job's process."""

    state: PollState | str
    reason: str = ""  # one line: why it ended, or why it cannot be reached
    exit_code: int | None = None


@runtime_checkable
class Backend(Protocol):
    """Runs ``python -m core.jobs.worker RUN_DIR`` for each job, somewhere."""

    name: str  # "local" or "ray", written into each run card
    collects_logs: bool  # whether the job's output must be fetched into log.txt at the end
    error: str  # "" while fine, else one sentence for the page

    def ready(self) -> bool:
        """False while jobs cannot be started (queued ones stay queued)."""

    def default_cap(self) -> int:
        """How many jobs may run at once when nobody said."""

    def prepare(self, runs_dir: Path) -> None:
        """Checks before the first start; raises BackendError."""

    def start(self, job_id: str, run_dir: Path, tool: str) -> None:
        """Start the job's worker; raises BackendError."""

    def poll(self, job_id: str, card: dict[str, Any]) -> Poll:
        """Where the job's process is."""

    def reap(self) -> None:
        """Collect the exit of every finished process (no zombies)."""

    def terminate(self, job_id: str, card: dict[str, Any]) -> None:
        """The polite stop (SIGTERM): the worker saves its latest result."""

    def kill(self, job_id: str, card: dict[str, Any]) -> None:
        """The forced stop, for a worker that ignored the polite one."""

    def collect_logs(self, job_id: str, run_dir: Path) -> None:
        """After the end: the job's output into run_dir/log.txt if it is elsewhere."""

    def describe(self) -> dict[str, Any]:
        """backend, where, cpus, gpus, nodes, error (for the Home page)."""

    def close(self, kill: bool = False) -> None:
        """Forget this server's handles (and end the jobs, for tests)."""

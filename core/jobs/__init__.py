"""Background jobs: each one a worker process, its whole state on disk under ``runs/<id>/``.

One design, four rooms:
- ``manager``: submit, stop, snapshot, the queue (on disk, safe across servers) and the runs list;
- ``local``: the default backend, a process on this machine;
- ``ray_backend``: a Ray job per run on a cluster, through Ray's Jobs API (imports Ray; only
  loaded when ``ATELIER_JOBS_BACKEND=ray``);
- ``worker``: the entry point every backend runs, ``python -m core.jobs.worker RUN_DIR``.
``files`` holds the run-folder reading and writing they share, ``backend`` what a backend offers,
``runfolder`` every file name of a run (what a page may read), ``owners`` who a run belongs to,
``uploads`` each owner's upload store, ``retention`` deleting runs and the policy that keeps the disk from filling.

Why the disk and not a pipe: a page that reloads, a second tab, a server that restarted, or
another server sharing the runs folder reads the same files, so reattaching is just reading
``runs/<id>/``:

    job.json       what to run: tool, target ("module:function"), config     (written once)
    card.json      the run card: status, parameters, seed, device, versions,
                   times, final metrics, error
    events.jsonl   one progress record per line (step, total, metrics, time)  (worker appends)
    preview.png    the latest preview image                                    (worker replaces)
    previews/      every preview, as <step>.png, for a strip of the run's progress
    result.png     the latest result image, kept when the job is stopped       (worker replaces)
    inputs/        the images the job was started with
    log.txt        the worker's output and any traceback; never shown raw in a page
    CLAIM          created exclusively by the one server that starts (or unqueues) the job
    STOP           exists once a stop was asked for

A job target is ``def job(config: dict, run_dir: Path) -> Iterator[Progress]``. The worker stops
asking for events after a stop request (the generator's ``finally`` runs); a worker that does
not reach its next event within the grace period is terminated, then killed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.jobs.backend import BackendError, Poll
from core.jobs.files import now, read_json, save_image_atomically, write_json
from core.jobs.local import LocalBackend
from core.jobs.manager import ACTIVE, TERMINAL, JobManager, JobSnapshot, OwnedJobs, QueueFull
from core.jobs.retention import Policy
from core.jobs.runfolder import RunFolder
from core.settings import Settings

BACKENDS = ("local", "ray")

__all__ = [
    "ACTIVE",
    "TERMINAL",
    "BACKENDS",
    "BackendError",
    "JobManager",
    "JobSnapshot",
    "LocalBackend",
    "OwnedJobs",
    "RunFolder",
    "Poll",
    "Policy",
    "QueueFull",
    "backend_from_environment",
    "manager_from_environment",
    "now",
    "read_json",
    "save_image_atomically",
    "write_json",
]


def backend_from_environment(environment: Mapping[str, str] | None = None) -> Any:
    """The backend the settings ask for: ``ATELIER_JOBS_BACKEND=local`` (the default) or ``ray``
    with ``ATELIER_RAY_ADDRESS`` (the dashboard's HTTP address). Raises ValueError, in words a
    user can act on, for a bad setting or a missing Ray."""
    settings = Settings.read(environment)
    if settings.jobs_backend == "local":
        return LocalBackend()
    try:
        from core.jobs.ray_backend import RayBackend
    except ImportError as error:
        raise ValueError(f"ATELIER_JOBS_BACKEND=ray needs Ray ({error}): pip install -r requirements-ray.txt") from None
    return RayBackend(
        settings.ray_address,
        python=settings.ray_python or None,
        code_dir=settings.ray_code or None,
        runs_dir_on_nodes=settings.ray_runs_on_nodes or None,
        cpus_per_job=settings.ray_cpus_per_job,
        kill_after_seconds=settings.kill_after,
    )


def manager_from_environment(
    runs_dir: str | os.PathLike,
    *,
    max_concurrent: int | None = None,
    environment: Mapping[str, str] | None = None,
    retention: Policy | None = None,
) -> JobManager:
    """A manager on the configured backend; ``ATELIER_STOP_GRACE`` and ``ATELIER_KILL_AFTER``
    (seconds) set the stop's patience, ``ATELIER_RAY_LOST_AFTER`` how long a cluster may stay
    unreachable before its running jobs count as interrupted, ``ATELIER_MAX_QUEUED_PER_USER`` how
    many jobs one owner may have waiting (3). ``retention``: the policy this manager applies."""
    settings = Settings.read(environment)
    return JobManager(
        Path(runs_dir),
        max_concurrent=max_concurrent,
        backend=backend_from_environment(environment),
        max_queued_per_owner=settings.max_queued_per_user,
        retention=retention,
        grace_seconds=settings.stop_grace,
        kill_after_seconds=settings.kill_after,
        lost_after_seconds=settings.ray_lost_after,
    )

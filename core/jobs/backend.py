"""What the manager asks of a backend, the thing that actually runs a job's worker somewhere.

Two backends exist: ``local.LocalBackend`` (a process on this machine, the default) and
``ray_backend.RayBackend`` (a Ray job on a cluster). Each has these attributes; the manager
relies on nothing else, so this is written down here rather than enforced by a base class:

    name: str                       "local" or "ray", written into each run card
    collects_logs: bool             whether the job's output must be fetched into log.txt at the end
    error: str                      "" while fine, else one sentence for the page
    ready() -> bool                 False while jobs cannot be started (queued ones stay queued)
    default_cap() -> int            how many jobs may run at once when nobody said
    prepare(runs_dir) -> None       checks before the first start; raises BackendError
    start(job_id, run_dir, tool)    starts ``python -m core.jobs.worker RUN_DIR``; raises BackendError
    poll(job_id, card) -> Poll      where the job's process is
    reap() -> None                  collect the exit of every finished process (no zombies)
    terminate(job_id, card)         the polite stop (SIGTERM): the worker saves its latest result
    kill(job_id, card)              the forced stop, for a worker that ignored the polite one
    collect_logs(job_id, run_dir)   after the end: the job's output into run_dir/log.txt if it is elsewhere
    describe() -> dict              backend, where, cpus, gpus, nodes, error (for the Home page)
    close(kill: bool)               forget this server's handles (and end the jobs, for tests)
"""

from __future__ import annotations

import dataclasses

# The tools whose work runs on a GPU when the cluster has one (torch, or Keras on torch).
GPU_TOOLS = frozenset({"style", "gan", "sketch", "sketch-video", "demo"})


class BackendError(Exception):
    """A job cannot be started; the message is written for the person who asked for it."""


@dataclasses.dataclass
class Poll:
    """One look at a job's process.

    state: "pending" (accepted, waiting for room), "running", "ended", "lost" (ended by the
    cluster, not by the job: its node or the cluster went away), "unknown" (this server cannot see
    it: another machine's local process) or "unreachable" (the cluster did not answer).
    """

    state: str
    reason: str = ""  # one line: why it ended, or why it cannot be reached
    exit_code: int | None = None

"""The job manager: submit, stop, snapshot, delete and the runs listing, whatever runs the jobs.

A backend (``local.LocalBackend`` by default, ``ray_backend.RayBackend`` on a cluster) starts
and stops worker processes; everything else lives in the run folder, so a page that reloads, a
second tab, a restarted server or another server sharing the runs folder (several Streamlit
replicas behind one load balancer) all read the same state. The manager puts together the parts,
each in a file of its own:

    store.py      the runs folder: run cards (typed), new runs, listings
    queue.py      the fair queue and the cap on running jobs, safe across servers
    monitor.py    one poll of each job's process per tick, and what follows from it
    retention.py  deleting runs, and the policy that keeps the disk from filling
    backend.py    what a backend offers (a typed protocol), local.py and ray_backend.py
    status.py     a job's status, as an enum
    owned.py      one owner's view, which is what pages get (``manager.for_owner(owner)``)
"""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import socket
import threading
import time
from pathlib import Path
from typing import Any

from PIL import Image

from core.jobs.backend import Backend, PollState
from core.jobs.files import EventLog, create_exclusively, elapsed, eta, existing, now
from core.jobs.local import LocalBackend
from core.jobs.monitor import Monitor
from core.jobs.owned import OwnedJobs
from core.jobs.owners import EVERYONE
from core.jobs.queue import FairQueue, QueueFull, fair_order
from core.jobs.retention import Policy, delete_run, prune
from core.jobs.runfolder import RunFolder
from core.jobs.status import ACTIVE, RUNNING, TERMINAL, Status
from core.jobs.store import RunCard, RunStore, no_such_run

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 600.0

__all__ = ["ACTIVE", "TERMINAL", "JobManager", "JobSnapshot", "OwnedJobs", "QueueFull", "fair_order", "no_such_run"]


@dataclasses.dataclass
class JobSnapshot:
    """What a page needs to draw a job, read from its run folder."""

    id: str
    tool: str
    status: Status
    step: int
    total: int
    history: list[dict[str, Any]]  # one dict per event: step, time and the metrics
    message: str
    error: str
    queue_position: int  # 1 = next to start; 0 when not queued
    owner_running: int  # how many of this run's owner's jobs are running (for "1 of yours running")
    elapsed_seconds: float
    eta_seconds: float | None
    preview_path: Path | None
    result_path: Path | None
    card: RunCard

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total) if self.total > 0 else 0.0


class JobManager:
    """Starts, watches, queues and stops background jobs; one per server process.

    ``max_concurrent`` caps how many jobs run at once across every server sharing the runs
    folder (the rest wait in the fair queue; by default what the backend says it can run);
    ``max_queued_per_owner`` how many jobs one owner may have waiting (None: no limit; the app
    sets ``ATELIER_MAX_QUEUED_PER_USER``, 3 by default); ``retention`` the policy the monitor
    applies every ten minutes (None: none, as for tests and scripts); ``grace_seconds`` is how
    long a stop request may take before the worker is terminated, and ``kill_after_seconds`` how
    long after that it is killed. ``lost_after_seconds`` is how long a cluster may stay
    unreachable before its running jobs are marked interrupted.
    """

    def __init__(
        self,
        runs_dir: str | os.PathLike,
        *,
        max_concurrent: int | None = None,
        grace_seconds: float = 10.0,
        kill_after_seconds: float = 3.0,
        lost_after_seconds: float = 60.0,
        poll_interval: float = 0.25,
        backend: Backend | None = None,
        max_queued_per_owner: int | None = None,
        retention: Policy | None = None,
    ):
        self.backend = backend if backend is not None else LocalBackend()
        self.store = RunStore(runs_dir)
        self.runs_dir = self.store.runs_dir
        self.retention = retention  # None: this server prunes nothing (tests, scripts)
        self._pruned_at = float("-inf")
        self.poll_interval = poll_interval
        self.server = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._lock = threading.RLock()
        self.monitor = Monitor(
            self.store,
            self.backend,
            self._lock,
            grace_seconds=grace_seconds,
            kill_after_seconds=kill_after_seconds,
            lost_after_seconds=lost_after_seconds,
        )
        self.queue = FairQueue(
            self.store,
            self.backend,
            self._lock,
            self.monitor.active_cards,
            max_concurrent=self.backend.default_cap() if max_concurrent is None else max_concurrent,
            max_queued_per_owner=max_queued_per_owner,
            server=self.server,
        )
        self._logs: dict[str, EventLog] = {}
        self._closed = threading.Event()
        self.monitor.adopt_previous_runs()
        self._watcher = threading.Thread(target=self._watch, name="atelier-jobs", daemon=True)
        self._watcher.start()

    @property
    def max_concurrent(self) -> int:
        return self.queue.max_concurrent

    @property
    def max_queued_per_owner(self) -> int | None:
        return self.queue.max_queued_per_owner

    @property
    def grace_seconds(self) -> float:
        return self.monitor.grace_seconds

    # --- public API --------------------------------------------------------------------

    def submit(
        self,
        tool: str,
        target: str,
        config: dict[str, Any],
        *,
        inputs: dict[str, Image.Image] | None = None,
        title: str = "",
        owner: str = EVERYONE,
        uploads: list[str] | tuple[str, ...] = (),
        card_fields: dict[str, Any] | None = None,
    ) -> str:
        """Queue a job for ``owner``; it starts as soon as a slot is free (and it is the owner's
        turn). ``uploads`` names the upload-store entries it uses; ``card_fields`` adds to its run
        card (what was estimated before Start, say). Returns the job id; raises
        QueueFull when the owner already has ``max_queued_per_owner`` jobs waiting."""
        if ":" not in target:
            raise ValueError(f"target must look like 'package.module:function', not {target!r}.")
        self.queue.check_room(owner)
        job_id = self.store.create(
            tool,
            target,
            config,
            inputs=inputs,
            title=title,
            owner=owner,
            uploads=uploads,
            card_fields=card_fields,
        )
        self._schedule()
        return job_id

    def stop(self, job_id: str) -> None:
        """Ask a job to stop. It keeps its latest result; a queued job simply leaves the queue."""
        run_dir = self.store.path(job_id)
        with self._lock:
            card = self.store.card(job_id, {})
            if card.get("status") == Status.QUEUED and create_exclusively(
                run_dir / "CLAIM", f"stopped by {self.server}"
            ):
                self.store.update_card(job_id, status=Status.STOPPED, ended=now(), note="stopped before it started")
                return
            if card.get("status") in TERMINAL or not card:
                return
            (run_dir / "STOP").touch()
            self.monitor.stop_pending(job_id, card)

    def snapshot(self, job_id: str) -> JobSnapshot:
        run_dir = self.store.path(job_id)
        card = self.store.card(job_id)
        if card is None:
            raise no_such_run(job_id)
        status = Status.of(card.get("status"))
        if status == Status.RUNNING and (run_dir / "STOP").exists():
            status = Status.STOPPING
        position, owner_running = 0, 0
        if status in ACTIVE:
            active = self.monitor.active_cards()
            owner = card.get("owner", EVERYONE)
            owner_running = sum(
                1 for other in active if other["status"] in RUNNING and other.get("owner", EVERYONE) == owner
            )
            if status == Status.QUEUED:
                position = self.queue.position(job_id, active)
        with self._lock:
            records = self._logs.setdefault(job_id, EventLog(run_dir / "events.jsonl")).refresh()
        last_poll = self.monitor.last_poll(job_id)
        history = [{"step": r["step"], "time": r.get("time", 0.0), **r.get("metrics", {})} for r in records]
        last = records[-1] if records else {}
        message = last.get("message", "") or card.get("note", "")
        if status == Status.RUNNING and last_poll is not None and last_poll.state == PollState.PENDING:
            message = "Waiting for room on the cluster (CPUs or a GPU) to start."
        elif status in ACTIVE and last_poll is not None and last_poll.state == PollState.UNREACHABLE:
            message = last_poll.reason
        return JobSnapshot(
            id=job_id,
            tool=card.get("tool", ""),
            status=status,
            step=last.get("step", 0),
            total=last.get("total", card.get("total", 0)),
            history=history,
            message=message,
            error=card.get("error", ""),
            queue_position=position,
            owner_running=owner_running,
            elapsed_seconds=elapsed(card),
            eta_seconds=eta(records) if status in RUNNING else None,
            preview_path=existing(run_dir / "preview.png"),
            result_path=existing(run_dir / "result.png"),
            card=card,
        )

    def list_runs(self, tool: str | None = None, *, owner: str | None = None) -> list[RunCard]:
        """Run cards, newest first; finished runs of earlier server processes included. With
        ``owner``, only that owner's (``EVERYONE`` sees all)."""
        return self.store.cards(tool, owner=owner)

    def run_dir(self, job_id: str) -> Path:
        return self.store.path(job_id)

    def folder(self, job_id: str) -> RunFolder:
        """The run's folder, its files by what they are (core/jobs/runfolder.py)."""
        return self.store.folder(job_id)

    def owner_of(self, job_id: str) -> str | None:
        """The run's owner; None when there is no such run."""
        return self.store.owner_of(job_id)

    def previews(self, job_id: str) -> list[tuple[int, Path]]:
        """(step, path) of every preview the job has saved, in step order."""
        return self.store.previews(job_id)

    def delete(self, job_id: str) -> int:
        """Remove an ended run, and its uploads where no other run uses them; returns the bytes
        freed. Raises ValueError for a job still queued or running."""
        with self.queue.scheduling_lock():
            freed = delete_run(self.runs_dir, self.store.path(job_id).name)
        with self._lock:
            self._logs.pop(job_id, None)
        log.info("deleted run %s (%d bytes)", job_id, freed)
        return freed

    def prune(self) -> None:
        """Apply the retention policy now (the monitor also does, every ten minutes)."""
        if self.retention is None:
            return
        with self.queue.scheduling_lock():
            report = prune(self.runs_dir, self.retention)
        self._pruned_at = time.monotonic()
        if report.removed or report.orphan_uploads:
            log.info(
                "retention removed %d runs and %d unused uploads (%d bytes)",
                len(report.removed),
                report.orphan_uploads,
                report.freed_bytes,
            )
        if report.over_budget:
            log.warning(
                "the runs folder holds %d bytes, over the budget of %d, and what is left is in use",
                report.kept_bytes,
                self.retention.max_bytes,
            )

    def for_owner(self, owner: str) -> OwnedJobs:
        return OwnedJobs(self, owner)

    def describe(self) -> dict[str, Any]:
        """Where jobs go (backend, cluster, CPUs, GPUs), the cap, and any backend error."""
        return {**self.backend.describe(), "max_concurrent": self.max_concurrent}

    def wait(self, job_id: str, timeout: float = 60.0) -> JobSnapshot:
        """Block until the job has ended (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            snapshot = self.snapshot(job_id)
            if snapshot.status in TERMINAL:
                return snapshot
            time.sleep(self.poll_interval / 2)
        raise TimeoutError(f"Job {job_id} still {self.snapshot(job_id).status} after {timeout} s.")

    def close(self, *, stop_jobs: bool = False) -> None:
        """Stop watching. With ``stop_jobs``, also end every job still queued or running (tests)."""
        self._closed.set()
        self._watcher.join(timeout=10)
        if stop_jobs:
            with self._lock:
                for card in self.monitor.active_cards():
                    if card["status"] == Status.QUEUED:
                        self.stop(card["id"])
                    else:
                        self.backend.terminate(card["id"], card)
                        self.backend.kill(card["id"], card)
        self.backend.close(kill=stop_jobs)

    # --- inside ------------------------------------------------------------------------

    def _schedule(self) -> None:
        if not self._closed.is_set():
            self.queue.schedule()

    def _watch(self) -> None:
        """The monitor's tick, in a thread of its own: reap, poll, start what the queue allows,
        settle what has ended, and now and then apply the retention policy."""
        while not self._closed.wait(self.poll_interval):
            try:
                self.backend.reap()
                self.monitor.reap_and_enforce()
                self._schedule()
                self.monitor.settle()
                if self.retention is not None and time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
                    self.prune()
            except Exception:  # the monitor must outlive any one bad run folder or network fault
                log.exception("the job monitor hit an error; it carries on")
                continue

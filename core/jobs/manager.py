"""The job manager: submit, stop, snapshot, the queue and the runs listing, whatever runs the jobs.

A backend (``local.LocalBackend`` by default, ``ray_backend.RayBackend`` on a cluster) starts
and stops worker processes; everything else lives here and in the run folder, so a page that
reloads, a second tab, a restarted server or another server sharing the runs folder (several
Streamlit replicas behind one load balancer) all read the same state.

The queue is on disk: a queued job is a run card with status "queued". It is fair between owners
(``owners``): when a slot frees, the next job is the oldest queued job of the owner with the fewest
jobs running, and among those the owner whose last job started longest ago (round robin), so
nobody waits behind another person's second job; each owner may have at most
``max_queued_per_owner`` jobs waiting. Starting one takes two steps, both safe across servers and
nodes:
- a scheduling lock (``flock`` on ``runs/.queue.lock``, which Linux maps onto NFS locks), held
  while a server counts the running jobs and starts the next ones, so the cap holds across
  servers;
- a claim, ``runs/<id>/CLAIM``, created exclusively (O_EXCL) before a job is started or a queued
  job is stopped, so exactly one server ever acts on a queued job, even without the lock.

Who writes card.json: a manager while the job is queued and after its process has gone; the
worker while it runs. They never write it at the same time.

Pages never hold a ``JobManager``: they get ``manager.for_owner(owner)``, an ``OwnedJobs`` view
whose every call that takes a run id answers "There is no run called ..." for another owner's run
(the same words as for an id that does not exist, so ids cannot be probed).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import secrets
import socket
import threading
import time
from pathlib import Path
from typing import Any

from PIL import Image

from core.jobs.backend import BackendError, Poll
from core.jobs.files import EventLog, create_exclusively, elapsed, eta, existing, new_job_id, now, read_json, write_json
from core.jobs.local import LocalBackend
from core.jobs.owners import EVERYONE
from core.jobs.retention import Policy, delete_run, prune
from core.jobs.runfolder import RunFolder
from core.jobs.uploads import UploadStore

log = logging.getLogger(__name__)

ACTIVE = ("queued", "running", "stopping")
TERMINAL = ("finished", "stopped", "failed", "interrupted")
QUEUE_STATE = ".queue-state.json"  # owner -> when their latest job started (the round robin's memory)
PRUNE_EVERY_SECONDS = 600.0


class QueueFull(ValueError):
    """An owner already has as many jobs waiting as they may."""


def no_such_run(job_id: str) -> ValueError:
    # An id comes from a URL: a long one is cut, so the page never echoes pages of it back.
    shown = job_id if len(job_id) <= 60 else f"{job_id[:40]}… ({len(job_id):,} characters)"
    return ValueError(f"There is no run called {shown!r}.")


@dataclasses.dataclass
class JobSnapshot:
    """What a page needs to draw a job, read from its run folder."""

    id: str
    tool: str
    status: str  # one of ACTIVE or TERMINAL
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
    card: dict[str, Any]

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
        backend: Any = None,
        max_queued_per_owner: int | None = None,
        retention: Policy | None = None,
    ):
        self.backend = backend if backend is not None else LocalBackend()
        if max_concurrent is None:
            max_concurrent = self.backend.default_cap()
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1.")
        self.runs_dir = Path(runs_dir)
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.max_concurrent = max_concurrent
        if max_queued_per_owner is not None and max_queued_per_owner < 1:
            raise ValueError("max_queued_per_owner must be at least 1 (or None: no limit).")
        self.max_queued_per_owner = max_queued_per_owner
        self.retention = retention  # None: this server prunes nothing (tests, scripts)
        self._pruned_at = float("-inf")
        self.grace_seconds = grace_seconds
        self.kill_after_seconds = kill_after_seconds
        self.lost_after_seconds = lost_after_seconds
        self.poll_interval = poll_interval
        self.server = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._lock = threading.RLock()
        self._ended: set[str] = set()  # ids whose card is terminal: never read again to schedule
        self._unsettled: set[str] = set()  # terminal cards whose output the backend still holds
        self._terminated: dict[str, float] = {}  # id -> monotonic time of the polite stop
        self._unreachable_since: dict[str, float] = {}
        self._last_poll: dict[str, Poll] = {}
        self._logs: dict[str, EventLog] = {}
        self._closed = threading.Event()
        self._adopt_previous_runs()
        self._monitor = threading.Thread(target=self._watch, name="atelier-jobs", daemon=True)
        self._monitor.start()

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
        waiting = sum(1 for card in self._queued_cards() if card.get("owner", EVERYONE) == owner)
        if self.max_queued_per_owner is not None and waiting >= self.max_queued_per_owner:
            raise QueueFull(
                f"You already have {waiting} jobs waiting, the most one person may queue at once. "
                "Start this one when one of them has started, or stop one."
            )
        job_id = new_job_id(tool)
        run_dir = self.runs_dir / job_id
        (run_dir / "inputs").mkdir(parents=True)
        for name, image in (inputs or {}).items():
            image.save(run_dir / "inputs" / f"{name}.png")
        config = json.loads(json.dumps(config, default=str))  # JSON-able, and our own copy
        write_json(run_dir / "job.json", {"tool": tool, "target": target, "config": config})
        write_json(
            run_dir / "card.json",
            {
                "id": job_id,
                "tool": tool,
                "title": title or tool,
                "status": "queued",
                "parameters": config,
                "seed": config.get("seed"),
                "created": now(),
                "queued_at": time.time(),  # the queue's order (created has only whole seconds)
                "inputs": sorted(f"inputs/{name}.png" for name in (inputs or {})),
                "owner": owner,
                "uploads": sorted(uploads),
                **(card_fields or {}),
            },
        )
        self._schedule()
        return job_id

    def stop(self, job_id: str) -> None:
        """Ask a job to stop. It keeps its latest result; a queued job simply leaves the queue."""
        run_dir = self._run_dir(job_id)
        with self._lock:
            card = read_json(run_dir / "card.json", {})
            if card.get("status") == "queued" and create_exclusively(run_dir / "CLAIM", f"stopped by {self.server}"):
                self._update_card(job_id, status="stopped", ended=now(), note="stopped before it started")
                return
            if card.get("status") in TERMINAL or not card:
                return
            (run_dir / "STOP").touch()
            if self._last_poll.get(job_id, Poll("")).state == "pending":
                # Waiting for room on the cluster: nothing runs yet that could save a result.
                self.backend.terminate(job_id, card)
                self._terminated.setdefault(job_id, time.monotonic())

    def snapshot(self, job_id: str) -> JobSnapshot:
        run_dir = self._run_dir(job_id)
        card = read_json(run_dir / "card.json")
        if card is None:
            raise no_such_run(job_id)
        status = card.get("status", "interrupted")
        if status == "running" and (run_dir / "STOP").exists():
            status = "stopping"
        position, owner_running = 0, 0
        if status in ("queued", "running", "stopping"):
            active = self._active_cards()
            owner = card.get("owner", EVERYONE)
            owner_running = sum(
                1
                for other in active
                if other["status"] in ("running", "stopping") and other.get("owner", EVERYONE) == owner
            )
            if status == "queued":
                queue = [other["id"] for other in self._fair_order(active)]
                position = queue.index(job_id) + 1 if job_id in queue else 1
        with self._lock:
            log = self._logs.setdefault(job_id, EventLog(run_dir / "events.jsonl"))
            records = log.refresh()
            last_poll = self._last_poll.get(job_id)
        history = [{"step": r["step"], "time": r.get("time", 0.0), **r.get("metrics", {})} for r in records]
        last = records[-1] if records else {}
        step, total = last.get("step", 0), last.get("total", card.get("total", 0))
        message = last.get("message", "") or card.get("note", "")
        if status == "running" and last_poll is not None and last_poll.state == "pending":
            message = "Waiting for room on the cluster (CPUs or a GPU) to start."
        elif status in ACTIVE and last_poll is not None and last_poll.state == "unreachable":
            message = last_poll.reason
        return JobSnapshot(
            id=job_id,
            tool=card.get("tool", ""),
            status=status,
            step=step,
            total=total,
            history=history,
            message=message,
            error=card.get("error", ""),
            queue_position=position,
            owner_running=owner_running,
            elapsed_seconds=elapsed(card),
            eta_seconds=eta(records) if status in ("running", "stopping") else None,
            preview_path=existing(run_dir / "preview.png"),
            result_path=existing(run_dir / "result.png"),
            card=card,
        )

    def list_runs(self, tool: str | None = None, *, owner: str | None = None) -> list[dict[str, Any]]:
        """Run cards, newest first; finished runs of earlier server processes included. With
        ``owner``, only that owner's (``EVERYONE`` sees all)."""
        cards = []
        for card_path in self.runs_dir.glob("*/card.json"):
            card = read_json(card_path)
            if card and (tool is None or card.get("tool") == tool) and _visible(card, owner):
                cards.append(card)
        return sorted(cards, key=lambda card: card.get("created", ""), reverse=True)

    def run_dir(self, job_id: str) -> Path:
        return self._run_dir(job_id)

    def folder(self, job_id: str) -> RunFolder:
        """The run's folder, its files by what they are (core/jobs/runfolder.py)."""
        return RunFolder(self._run_dir(job_id))

    def owner_of(self, job_id: str) -> str | None:
        """The run's owner; None when there is no such run."""
        card = read_json(self._run_dir(job_id) / "card.json")
        return card.get("owner", "") if card else None

    def delete(self, job_id: str) -> int:
        """Remove an ended run, and its uploads where no other run uses them; returns the bytes
        freed. Raises ValueError for a job still queued or running."""
        with self._scheduling_lock():
            freed = delete_run(self.runs_dir, self._run_dir(job_id).name)
        with self._lock:
            self._logs.pop(job_id, None)
        log.info("deleted run %s (%d bytes)", job_id, freed)
        return freed

    def prune(self) -> None:
        """Apply the retention policy now (the monitor also does, every ten minutes)."""
        if self.retention is None:
            return
        with self._scheduling_lock():
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

    def for_owner(self, owner: str) -> "OwnedJobs":
        return OwnedJobs(self, owner)

    def previews(self, job_id: str) -> list[tuple[int, Path]]:
        """(step, path) of every preview the job has saved, in step order."""
        folder = self._run_dir(job_id) / "previews"
        found = [(int(path.stem), path) for path in folder.glob("*.png") if path.stem.isdigit()]
        return sorted(found)

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
        self._monitor.join(timeout=10)
        if stop_jobs:
            with self._lock:
                for card in self._active_cards():
                    if card["status"] == "queued":
                        self.stop(card["id"])
                    else:
                        self.backend.terminate(card["id"], card)
                        self.backend.kill(card["id"], card)
        self.backend.close(kill=stop_jobs)

    # --- inside ------------------------------------------------------------------------

    def _run_dir(self, job_id: str) -> Path:
        # Ids come from URLs: never let one name a folder outside runs/.
        if not job_id or "/" in job_id or "\\" in job_id or job_id.startswith("."):
            raise ValueError(f"Not a job id: {job_id!r}.")
        return self.runs_dir / job_id

    def _watch(self) -> None:
        while not self._closed.wait(self.poll_interval):
            try:
                self.backend.reap()
                self._reap_and_enforce()
                self._schedule()
                self._settle()
                if self.retention is not None and time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
                    self.prune()
            except Exception:  # the monitor must outlive any one bad run folder or network fault
                log.exception("the job monitor hit an error; it carries on")
                continue

    def _active_cards(self) -> list[dict[str, Any]]:
        """Cards of every queued or running job in the runs folder, whichever server started it."""
        cards = []
        for run_dir in self.runs_dir.iterdir():
            if run_dir.name in self._ended or run_dir.name.startswith("."):
                continue
            card = read_json(run_dir / "card.json")
            if not card or "id" not in card:
                continue  # being written, or not a run
            if card.get("status") in TERMINAL:
                if self._output_to_collect(card):
                    self._unsettled.add(card["id"])  # ended by its card; Ray still has its output
                else:
                    self._ended.add(run_dir.name)
            elif card.get("status") in ACTIVE:
                cards.append(card)
        return cards

    def _output_to_collect(self, card: dict[str, Any]) -> bool:
        return (
            self.backend.collects_logs
            and card.get("backend") == self.backend.name
            and not card.get("logs_collected")
            and bool(card.get("server"))
        )

    def _settle(self) -> None:
        """Jobs whose worker wrote its ending: once the backend says the process has gone, keep
        its output (Ray holds it) in log.txt."""
        for job_id in list(self._unsettled):
            card = read_json(self._run_dir(job_id) / "card.json", {})
            poll = self.backend.poll(job_id, card)
            if poll.state in ("ended", "unknown"):
                self.backend.collect_logs(job_id, self._run_dir(job_id))
                self._update_card(job_id, logs_collected=True)
                self._unsettled.discard(job_id)
                self._ended.add(job_id)

    def _queued_cards(self, active: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        queued = [
            card
            for card in (self._active_cards() if active is None else active)
            if card["status"] == "queued" and not (self.runs_dir / card["id"] / "CLAIM").exists()
        ]
        return sorted(queued, key=lambda card: (card.get("queued_at", 0.0), card["id"]))

    def _fair_order(self, active: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The queued jobs in the order they will start, if every started job kept running."""
        return fair_order(self._queued_cards(active), active, read_json(self.runs_dir / QUEUE_STATE, {}))

    @contextlib.contextmanager
    def _scheduling_lock(self):
        with self._lock, open(self.runs_dir / ".queue.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _schedule(self) -> None:
        if self._closed.is_set() or not self.backend.ready():
            return  # a cluster that cannot be reached: queued jobs stay queued
        with self._scheduling_lock():
            active = self._active_cards()
            running = sum(1 for card in active if card["status"] in ("running", "stopping"))
            if running >= self.max_concurrent:
                return
            last_started = read_json(self.runs_dir / QUEUE_STATE, {})
            for card in fair_order(self._queued_cards(active), active, last_started):
                if running >= self.max_concurrent:
                    break
                job_id, run_dir = card["id"], self.runs_dir / card["id"]
                if not create_exclusively(run_dir / "CLAIM", self.server):
                    continue  # another server started or stopped it a moment ago
                try:
                    self.backend.prepare(self.runs_dir)
                    self.backend.start(job_id, run_dir, card.get("tool", ""))
                except BackendError as error:
                    self._update_card(job_id, status="failed", ended=now(), error=str(error))
                    continue
                # Only now "running": no server polls the backend for a job it has not accepted yet.
                # (The worker may already have written its own start, or even its end: keep that.)
                started = read_json(run_dir / "card.json", {}).get("status") != "queued"
                self._update_card(
                    job_id,
                    status="running",
                    started=now(),
                    backend=self.backend.name,
                    server=self.server,
                    keep=("started", "pid", "host") + (("status",) if started else ()),
                )
                running += 1
                last_started[card.get("owner", EVERYONE)] = time.time()
                write_json(self.runs_dir / QUEUE_STATE, last_started)

    def _reap_and_enforce(self) -> None:
        for card in self._active_cards():
            if card["status"] == "queued" or card.get("backend", "local") != self.backend.name:
                continue  # a job of another backend (the setting changed): its own servers watch it
            job_id = card["id"]
            poll = self.backend.poll(job_id, card)
            with self._lock:
                self._last_poll[job_id] = poll
            if poll.state == "unknown":
                continue  # another machine's local worker: its own server watches it
            if poll.state == "unreachable":
                since = self._unreachable_since.setdefault(job_id, time.monotonic())
                if time.monotonic() - since > self.lost_after_seconds:
                    self._update_card(
                        job_id,
                        status="interrupted",
                        ended=now(),
                        note=f"lost: {poll.reason} The latest result and checkpoint are kept.",
                    )
                continue
            self._unreachable_since.pop(job_id, None)
            if poll.state in ("ended", "lost"):
                self._finish(job_id, poll)
                continue
            stop_file = self.runs_dir / job_id / "STOP"
            if not stop_file.exists():
                continue
            terminated = self._terminated.get(job_id)
            if terminated is None and time.time() - stop_file.stat().st_mtime > self.grace_seconds:
                self.backend.terminate(job_id, card)  # the worker saves its latest result, then exits
                self._terminated[job_id] = time.monotonic()
            elif terminated is not None and time.monotonic() - terminated > self.kill_after_seconds:
                self.backend.kill(job_id, card)

    def _finish(self, job_id: str, poll: Poll) -> None:
        run_dir = self._run_dir(job_id)
        self.backend.collect_logs(job_id, run_dir)
        if self.backend.collects_logs:
            self._update_card(job_id, logs_collected=True)
        card = read_json(run_dir / "card.json", {})
        if card.get("status") not in TERMINAL:  # the worker could not write its own ending
            if poll.state == "lost":
                self._update_card(
                    job_id,
                    status="interrupted",
                    ended=now(),
                    note=f"lost: {poll.reason} The latest result and checkpoint are kept.",
                )
            elif (run_dir / "STOP").exists() and not card.get("pid"):
                self._update_card(job_id, status="stopped", ended=now(), note="stopped before it started")
            elif (run_dir / "STOP").exists():
                self._update_card(
                    job_id,
                    status="stopped",
                    ended=card.get("ended") or now(),
                    note=f"did not stop within {self.grace_seconds:g} s, so it was ended; the latest result was kept",
                )
            else:
                because = f" ({poll.reason})" if poll.reason else ""
                self._update_card(
                    job_id,
                    status="failed",
                    ended=now(),
                    error=f"The job's process ended unexpectedly{because}; see log.txt in its run folder.",
                )
        self._terminated.pop(job_id, None)
        self._last_poll.pop(job_id, None)
        self._unsettled.discard(job_id)
        self._ended.add(job_id)

    def _update_card(self, job_id: str, keep: tuple[str, ...] = (), **fields: Any) -> None:
        """Read, change and write the card; fields named in ``keep`` are not overwritten if set."""
        path = self._run_dir(job_id) / "card.json"
        card = read_json(path, {})
        card.update({name: value for name, value in fields.items() if not (name in keep and card.get(name))})
        write_json(path, card)

    def _adopt_previous_runs(self) -> None:
        """After a server restart: running jobs whose worker is still there are watched again
        (re-attached by id); the rest are closed out. Queued jobs stay queued."""
        for card in self._active_cards():
            if card["status"] == "queued" or card.get("backend", "local") != self.backend.name:
                continue
            poll = self.backend.poll(card["id"], card)
            if poll.state in ("ended", "lost"):
                self.backend.collect_logs(card["id"], self._run_dir(card["id"]))
                if read_json(self._run_dir(card["id"]) / "card.json", {}).get("status") in ACTIVE:
                    self._update_card(
                        card["id"],
                        status="interrupted",
                        ended=card.get("ended") or now(),
                        note="the server restarted while this job was running",
                    )


def fair_order(
    queued: list[dict[str, Any]], active: list[dict[str, Any]], last_started: dict[str, float]
) -> list[dict[str, Any]]:
    """Round robin between owners: repeatedly take the oldest queued job of the owner with the
    fewest jobs running, breaking ties by whose latest job started longest ago (never started
    first), then by how long their oldest job has waited. ``queued`` is in arrival order."""
    running: dict[str, int] = {}
    for card in active:
        if card["status"] in ("running", "stopping"):
            owner = card.get("owner", EVERYONE)
            running[owner] = running.get(owner, 0) + 1
    waiting: dict[str, list[dict[str, Any]]] = {}
    for card in queued:
        waiting.setdefault(card.get("owner", EVERYONE), []).append(card)
    started = dict(last_started)
    order, clock = [], max([time.time(), *started.values()])
    while waiting:
        owner = min(
            waiting,
            key=lambda name: (
                running.get(name, 0),
                started.get(name, float("-inf")),
                waiting[name][0].get("queued_at", 0.0),
            ),
        )
        order.append(waiting[owner].pop(0))
        if not waiting[owner]:
            del waiting[owner]
        running[owner] = running.get(owner, 0) + 1
        clock += 1e-3  # a simulated start: later than every real one, in order
        started[owner] = clock
    return order


def _visible(card: dict[str, Any], owner: str | None) -> bool:
    return owner is None or owner == EVERYONE or card.get("owner") == owner


class OwnedJobs:
    """One owner's view of the jobs: what every page gets. Each call that takes a run id checks
    the owner first and answers another owner's id exactly as an unknown one."""

    def __init__(self, manager: JobManager, owner: str):
        if not owner:
            raise ValueError("An owner is needed.")
        self.manager = manager
        self.owner = owner
        self.uploads = UploadStore(manager.runs_dir, owner)

    @property
    def shared(self) -> bool:
        return self.owner == EVERYONE

    @property
    def backend(self):
        return self.manager.backend

    @property
    def max_concurrent(self) -> int:
        return self.manager.max_concurrent

    def submit(
        self,
        tool: str,
        target: str,
        config: dict[str, Any],
        *,
        inputs: dict[str, Image.Image] | None = None,
        title: str = "",
        card_fields: dict[str, Any] | None = None,
    ) -> str:
        return self.manager.submit(
            tool,
            target,
            config,
            inputs=inputs,
            title=title,
            owner=self.owner,
            uploads=self.uploads.names_in(config),
            card_fields=card_fields,
        )

    def check(self, job_id: str) -> str:
        """The id, if it names a run of this owner; else the ValueError an unknown id gets."""
        try:
            owner = self.manager.owner_of(job_id)
        except ValueError:
            owner = None
        if owner is None or not (self.shared or owner == self.owner):
            raise no_such_run(job_id)
        return job_id

    def snapshot(self, job_id: str) -> JobSnapshot:
        return self.manager.snapshot(self.check(job_id))

    def stop(self, job_id: str) -> None:
        self.manager.stop(self.check(job_id))

    def delete(self, job_id: str) -> int:
        return self.manager.delete(self.check(job_id))

    def run_dir(self, job_id: str) -> Path:
        return self.manager.run_dir(self.check(job_id))

    def folder(self, job_id: str) -> RunFolder:
        return self.manager.folder(self.check(job_id))

    def previews(self, job_id: str) -> list[tuple[int, Path]]:
        return self.manager.previews(self.check(job_id))

    def wait(self, job_id: str, timeout: float = 60.0) -> JobSnapshot:
        return self.manager.wait(self.check(job_id), timeout)

    def list_runs(self, tool: str | None = None) -> list[dict[str, Any]]:
        return self.manager.list_runs(tool, owner=self.owner)

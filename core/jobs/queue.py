"""The fair queue: which queued job starts next, and the cap on how many run at once.

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
"""

from __future__ import annotations

import contextlib
import fcntl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from core.jobs.backend import Backend, BackendError
from core.jobs.files import create_exclusively, now, read_json, write_json
from core.jobs.owners import EVERYONE
from core.jobs.status import RUNNING, Status
from core.jobs.store import RunCard, RunStore

QUEUE_STATE = ".queue-state.json"  # owner -> when their latest job started (the round robin's memory)


class QueueFull(ValueError):
    """An owner already has as many jobs waiting as they may."""


def fair_order(
    queued: list[dict[str, Any]], active: list[dict[str, Any]], last_started: dict[str, float]
) -> list[dict[str, Any]]:
    """Round robin between owners: repeatedly take the oldest queued job of the owner with the
    fewest jobs running, breaking ties by whose latest job started longest ago (never started
    first), then by how long their oldest job has waited. ``queued`` is in arrival order."""
    running: dict[str, int] = {}
    for card in active:
        if card["status"] in RUNNING:
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


class FairQueue:
    """Starts queued jobs on ``backend`` in fair order while fewer than ``max_concurrent`` run
    (across every server sharing the runs folder). ``active_cards`` lists the queued and running
    jobs (the monitor's scan); ``server`` names this server in each claim and card."""

    def __init__(
        self,
        store: RunStore,
        backend: Backend,
        lock: threading.RLock,
        active_cards: Callable[[], list[RunCard]],
        *,
        max_concurrent: int,
        max_queued_per_owner: int | None,
        server: str,
    ):
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1.")
        if max_queued_per_owner is not None and max_queued_per_owner < 1:
            raise ValueError("max_queued_per_owner must be at least 1 (or None: no limit).")
        self.store, self.backend, self.lock, self.active_cards = store, backend, lock, active_cards
        self.max_concurrent = max_concurrent
        self.max_queued_per_owner = max_queued_per_owner
        self.server = server

    def check_room(self, owner: str) -> None:
        """Raise QueueFull when ``owner`` already has as many jobs waiting as they may."""
        waiting = sum(1 for card in self.queued_cards() if card.get("owner", EVERYONE) == owner)
        if self.max_queued_per_owner is not None and waiting >= self.max_queued_per_owner:
            raise QueueFull(
                f"You already have {waiting} jobs waiting, the most one person may queue at once. "
                "Start this one when one of them has started, or stop one."
            )

    def queued_cards(self, active: list[RunCard] | None = None) -> list[RunCard]:
        """Queued jobs nobody has claimed yet, in arrival order."""
        queued = [
            card
            for card in (self.active_cards() if active is None else active)
            if card["status"] == Status.QUEUED and not (self.store.runs_dir / card["id"] / "CLAIM").exists()
        ]
        return sorted(queued, key=lambda card: (card.get("queued_at", 0.0), card["id"]))

    def order(self, active: list[RunCard]) -> list[RunCard]:
        """The queued jobs in the order they will start, if every started job kept running."""
        return fair_order(self.queued_cards(active), active, read_json(self.store.runs_dir / QUEUE_STATE, {}))

    def position(self, job_id: str, active: list[RunCard]) -> int:
        """1 for the next job to start."""
        queue = [card["id"] for card in self.order(active)]
        return queue.index(job_id) + 1 if job_id in queue else 1

    @contextlib.contextmanager
    def scheduling_lock(self) -> Iterator[None]:
        """This server's lock and the runs folder's (across servers), for whatever changes the
        set of running or existing runs."""
        with self.lock, open(self.store.runs_dir / ".queue.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def schedule(self) -> None:
        """Start the next jobs in fair order while there is room."""
        if not self.backend.ready():
            return  # a cluster that cannot be reached: queued jobs stay queued
        with self.scheduling_lock():
            active = self.active_cards()
            running = sum(1 for card in active if card["status"] in RUNNING)
            if running >= self.max_concurrent:
                return
            last_started = read_json(self.store.runs_dir / QUEUE_STATE, {})
            for card in fair_order(self.queued_cards(active), active, last_started):
                if running >= self.max_concurrent:
                    break
                if self._start(card):
                    running += 1
                    last_started[card.get("owner", EVERYONE)] = time.time()
                    write_json(self.store.runs_dir / QUEUE_STATE, last_started)

    def _start(self, card: RunCard) -> bool:
        job_id, run_dir = card["id"], self.store.path(card["id"])
        if not create_exclusively(run_dir / "CLAIM", self.server):
            return False  # another server started or stopped it a moment ago
        try:
            self.backend.prepare(self.store.runs_dir)
            self.backend.start(job_id, run_dir, card.get("tool", ""))
        except BackendError as error:
            self.store.update_card(job_id, status=Status.FAILED, ended=now(), error=str(error))
            return False
        # Only now "running": no server polls the backend for a job it has not accepted yet.
        # (The worker may already have written its own start, or even its end: keep that.)
        started = read_json(run_dir / "card.json", {}).get("status") != Status.QUEUED
        self.store.update_card(
            job_id,
            status=Status.RUNNING,
            started=now(),
            backend=self.backend.name,
            server=self.server,
            keep=("started", "pid", "host") + (("status",) if started else ()),
        )
        return True

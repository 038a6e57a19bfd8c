"""Monitoring: one look at every active job's process per tick, through the backend, and what
follows from it: a job whose process has gone gets its ending written (when its worker could not),
a stop that takes too long becomes a terminate and then a kill, a cluster out of reach for too
long turns its jobs interrupted, and after a restart the jobs still running are watched again.

The monitor holds what this server has seen (the last poll of each job, when it was asked to stop,
which runs have ended for good); the run cards on disk hold everything else.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from core.jobs.backend import Backend, Poll, PollState
from core.jobs.files import now, read_json
from core.jobs.status import ACTIVE, TERMINAL, Status
from core.jobs.store import RunCard, RunStore

LOST_NOTE = "lost: {reason} The latest result and checkpoint are kept."


class Monitor:
    """What one server knows of the jobs' processes. ``grace_seconds``: how long a stop request
    may take before the worker is terminated; ``kill_after_seconds``: how long after that it is
    killed; ``lost_after_seconds``: how long a cluster may stay unreachable before its running
    jobs are marked interrupted."""

    def __init__(
        self,
        store: RunStore,
        backend: Backend,
        lock: threading.RLock,
        *,
        grace_seconds: float,
        kill_after_seconds: float,
        lost_after_seconds: float,
    ):
        self.store, self.backend, self.lock = store, backend, lock
        self.grace_seconds = grace_seconds
        self.kill_after_seconds = kill_after_seconds
        self.lost_after_seconds = lost_after_seconds
        self.ended: set[str] = set()  # ids whose card is terminal: never read again to schedule
        self.unsettled: set[str] = set()  # terminal cards whose output the backend still holds
        self.terminated: dict[str, float] = {}  # id -> monotonic time of the polite stop
        self.unreachable_since: dict[str, float] = {}
        self.last_polls: dict[str, Poll] = {}

    def last_poll(self, job_id: str) -> Poll | None:
        with self.lock:
            return self.last_polls.get(job_id)

    def active_cards(self) -> list[RunCard]:
        """Cards of every queued or running job in the runs folder, whichever server started it."""
        cards = []
        for run_dir in self.store.runs_dir.iterdir():
            if run_dir.name in self.ended or run_dir.name.startswith("."):
                continue
            card = read_json(run_dir / "card.json")
            if not card or "id" not in card:
                continue  # being written, or not a run
            if card.get("status") in TERMINAL:
                if self._output_to_collect(card):
                    self.unsettled.add(card["id"])  # ended by its card; Ray still has its output
                else:
                    self.ended.add(run_dir.name)
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

    def stop_pending(self, job_id: str, card: RunCard) -> None:
        """A stop asked for while the job still waits for room on a cluster: nothing runs yet that
        could save a result, so it is ended now."""
        if self.last_polls.get(job_id, Poll("")).state == PollState.PENDING:
            self.backend.terminate(job_id, card)
            self.terminated.setdefault(job_id, time.monotonic())

    def settle(self) -> None:
        """Jobs whose worker wrote its ending: once the backend says the process has gone, keep
        its output (Ray holds it) in log.txt."""
        for job_id in list(self.unsettled):
            card = self.store.card(job_id, {})
            poll = self.backend.poll(job_id, card)
            if poll.state in (PollState.ENDED, PollState.UNKNOWN):
                self.backend.collect_logs(job_id, self.store.path(job_id))
                self.store.update_card(job_id, logs_collected=True)
                self.unsettled.discard(job_id)
                self.ended.add(job_id)

    def reap_and_enforce(self) -> None:
        """One poll of each job this backend runs, and what follows (an ending, a terminate, a kill)."""
        for card in self.active_cards():
            if card["status"] == Status.QUEUED or card.get("backend", "local") != self.backend.name:
                continue  # a job of another backend (the setting changed): its own servers watch it
            job_id = card["id"]
            poll = self.backend.poll(job_id, card)
            with self.lock:
                self.last_polls[job_id] = poll
            if poll.state == PollState.UNKNOWN:
                continue  # another machine's local worker: its own server watches it
            if poll.state == PollState.UNREACHABLE:
                self._unreachable(job_id, poll)
                continue
            self.unreachable_since.pop(job_id, None)
            if poll.state in (PollState.ENDED, PollState.LOST):
                self.finish(job_id, poll)
                continue
            self._enforce_stop(job_id, card)

    def _unreachable(self, job_id: str, poll: Poll) -> None:
        since = self.unreachable_since.setdefault(job_id, time.monotonic())
        if time.monotonic() - since > self.lost_after_seconds:
            self.store.update_card(
                job_id, status=Status.INTERRUPTED, ended=now(), note=LOST_NOTE.format(reason=poll.reason)
            )

    def _enforce_stop(self, job_id: str, card: RunCard) -> None:
        """A stop asked for: after the grace, the polite terminate (the worker saves its latest
        result, then exits); after that, the kill."""
        stop_file = self.store.path(job_id) / "STOP"
        if not stop_file.exists():
            return
        terminated = self.terminated.get(job_id)
        if terminated is None and time.time() - stop_file.stat().st_mtime > self.grace_seconds:
            self.backend.terminate(job_id, card)
            self.terminated[job_id] = time.monotonic()
        elif terminated is not None and time.monotonic() - terminated > self.kill_after_seconds:
            self.backend.kill(job_id, card)

    def finish(self, job_id: str, poll: Poll) -> None:
        """The job's process has gone: keep its output, and write its ending if the worker could not."""
        run_dir = self.store.path(job_id)
        self.backend.collect_logs(job_id, run_dir)
        if self.backend.collects_logs:
            self.store.update_card(job_id, logs_collected=True)
        card = self.store.card(job_id, {})
        if card.get("status") not in TERMINAL:  # the worker could not write its own ending
            self.store.update_card(job_id, **self._ending(card, poll, stopped=(run_dir / "STOP").exists()))
            from core.history import thumbnails  # (nor make History's picture of what it had saved)

            thumbnails.make(run_dir)
        self.terminated.pop(job_id, None)
        self.last_polls.pop(job_id, None)
        self.unsettled.discard(job_id)
        self.ended.add(job_id)

    def _ending(self, card: RunCard, poll: Poll, *, stopped: bool) -> dict[str, Any]:
        if poll.state == PollState.LOST:
            return dict(status=Status.INTERRUPTED, ended=now(), note=LOST_NOTE.format(reason=poll.reason))
        if stopped and not card.get("pid"):
            return dict(status=Status.STOPPED, ended=now(), note="stopped before it started")
        if stopped:
            return dict(
                status=Status.STOPPED,
                ended=card.get("ended") or now(),
                note=f"did not stop within {self.grace_seconds:g} s, so it was ended; the latest result was kept",
            )
        because = f" ({poll.reason})" if poll.reason else ""
        return dict(
            status=Status.FAILED,
            ended=now(),
            error=f"The job's process ended unexpectedly{because}; see log.txt in its run folder.",
        )

    def adopt_previous_runs(self) -> None:
        """After a server restart: running jobs whose worker is still there are watched again
        (re-attached by id); the rest are closed out. Queued jobs stay queued."""
        for card in self.active_cards():
            if card["status"] == Status.QUEUED or card.get("backend", "local") != self.backend.name:
                continue
            poll = self.backend.poll(card["id"], card)
            if poll.state in (PollState.ENDED, PollState.LOST):
                self.backend.collect_logs(card["id"], self.store.path(card["id"]))
                if self.store.card(card["id"], {}).get("status") in ACTIVE:
                    self.store.update_card(
                        card["id"],
                        status=Status.INTERRUPTED,
                        ended=card.get("ended") or now(),
                        note="the server restarted while this job was running",
                    )

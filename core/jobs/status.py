"""A job's status: one word in its run card, and what each means.

    queued       waiting in the fair queue (the manager writes it at submit)
    running      its worker process has been started (it may still wait for room on a cluster)
    stopping     running, with a stop asked for (only in snapshots: the card says running, STOP exists)
    finished     the worker returned; its result is kept
    stopped      stopped by its owner (before it started, or after: the latest result is kept)
    failed       the worker raised, or its process ended unexpectedly; the card has the error
    interrupted  its process was lost (a restart, a node gone); the latest result is kept

A ``StrEnum``: a member is the word itself, so it goes into JSON and compares with what a card
read back from disk holds.
"""

from __future__ import annotations

import enum


class Status(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    STOPPING = "stopping"
    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"

    @classmethod
    def of(cls, word: str | None) -> Status:
        """The status a card's word names; a card without one, or with a word this version does
        not know, reads as interrupted (its process cannot be watched)."""
        try:
            return cls(word)
        except ValueError:
            return cls.INTERRUPTED

    @property
    def active(self) -> bool:
        return self in ACTIVE

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


ACTIVE = (Status.QUEUED, Status.RUNNING, Status.STOPPING)
RUNNING = (Status.RUNNING, Status.STOPPING)  # holding a slot: what the cap on concurrent jobs counts
TERMINAL = (Status.FINISHED, Status.STOPPED, Status.FAILED, Status.INTERRUPTED)

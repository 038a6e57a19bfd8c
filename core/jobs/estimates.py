"""How long a job will take, said before Start, learned from the runs this server has finished.

A page says how much work a run asks for, in its tool's own unit (megapixel-steps for Style
Transfer, picture-epochs for the trainings), and of what kind (the settings that change the cost
of one unit: the optimiser, the network's width...). ``Plan`` goes into the run card at submission;
once runs of that kind have finished, the seconds one unit takes on this server are the median of
the latest ones (so one run beside a busy neighbour does not set it). Before any such run has
ended, the tool's own rate, measured on a 2-core CPU (bench/results/), stands in, and the page says
which of the two it used. Each card keeps what was estimated beside what it took
(``estimated_seconds``, ``wall_seconds``), so anyone can check how honest the estimates are.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterable
from typing import Any

from core.jobs.status import Status

LEARN_FROM = 8  # the latest finished runs of the same kind that set the rate


@dataclasses.dataclass(frozen=True)
class Plan:
    """What a run asks for: ``work`` units of a ``kind``, and the seconds a process takes to start."""

    work: float
    kind: str
    start_seconds: float = 10.0

    def __post_init__(self):
        if not self.work > 0:
            raise ValueError("A run's work must be more than nothing.")


@dataclasses.dataclass(frozen=True)
class Estimate:
    plan: Plan
    seconds: float
    learned_from: int  # finished runs of this kind it was learned from; 0: the measured first guess

    def basis(self) -> str:
        if self.learned_from:
            runs = f"{self.learned_from} finished run{'s' if self.learned_from > 1 else ''}"
            return f"learned from the last {runs} like it on this server"
        return "a first guess from a 2-core CPU's measurements; it learns from the runs that finish here"

    def card_fields(self) -> dict[str, Any]:
        """What the run card keeps of it (and what later estimates learn from)."""
        return {
            "estimate": {
                "work": self.plan.work,
                "kind": self.plan.kind,
                "start_seconds": self.plan.start_seconds,
                "seconds": round(self.seconds, 1),
                "learned_from": self.learned_from,
            }
        }


def learned_rate(cards: Iterable[dict[str, Any]], kind: str) -> tuple[float | None, int]:
    """(seconds per unit of work, how many runs said so) from finished runs of ``kind``, newest
    first as the job manager lists them; (None, 0) without any."""
    rates = []
    for card in cards:
        planned = card.get("estimate") or {}
        if card.get("status") != Status.FINISHED or planned.get("kind") != kind or not card.get("wall_seconds"):
            continue
        work = float(planned.get("work") or 0)
        if work <= 0:
            continue
        rates.append(max(float(card["wall_seconds"]) - float(planned.get("start_seconds", 0.0)), 0.0) / work)
        if len(rates) == LEARN_FROM:
            break
    return (statistics.median(rates), len(rates)) if rates else (None, 0)


def estimate(plan: Plan, cards: Iterable[dict[str, Any]], *, first_guess_rate: float) -> Estimate:
    """What a run of ``plan`` will take, in seconds."""
    rate, count = learned_rate(cards, plan.kind)
    return Estimate(plan, plan.start_seconds + plan.work * (rate if rate is not None else first_guess_rate), count)

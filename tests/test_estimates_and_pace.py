"""Estimates before Start, learned from finished runs (core/jobs/estimates.py), and the live tabs'
pace (ui/live.py): both plain logic, tested without a clock."""

import pytest

from core import demo
from core.jobs import estimates
from ui.live import TARGET_FPS, Pace


def finished(kind: str, work: float, seconds: float, start: float = 10.0) -> dict:
    return {
        "status": "finished",
        "wall_seconds": seconds,
        "estimate": {"work": work, "kind": kind, "start_seconds": start},
    }


def test_the_first_guess_stands_until_runs_of_the_kind_have_finished():
    plan = estimates.Plan(work=100, kind="lbfgs-max", start_seconds=10)
    guess = estimates.estimate(plan, [], first_guess_rate=2.0)
    assert guess.seconds == 210 and guess.learned_from == 0 and "first guess" in guess.basis()
    other_kind = [finished("adam-max", 100, 1000)]
    assert estimates.estimate(plan, other_kind, first_guess_rate=2.0).learned_from == 0


def test_the_rate_is_the_median_of_the_latest_finished_runs_of_the_kind():
    cards = [finished("k", 10, 10 + 10 * rate) for rate in (1.0, 1.2, 50.0)]  # one beside a busy neighbour
    cards += [{"status": "stopped", "wall_seconds": 5, "estimate": {"work": 10, "kind": "k"}}]
    cards += [finished("k", 10, 10 + 10 * 9.0)] * 20  # older runs: past the eight that count
    found = estimates.estimate(estimates.Plan(work=100, kind="k", start_seconds=10), cards, first_guess_rate=99)
    assert found.learned_from == estimates.LEARN_FROM
    assert found.seconds == pytest.approx(10 + 100 * 9.0)  # the median of 1, 1.2, 50 and five 9s
    recent = estimates.estimate(estimates.Plan(work=100, kind="k", start_seconds=10), cards[:3], first_guess_rate=99)
    assert recent.seconds == pytest.approx(10 + 100 * 1.2) and "3 finished runs" in recent.basis()


def test_an_estimate_goes_into_the_card_and_a_plan_needs_work():
    plan = demo.plan(demo.DemoConfig(steps=300, size=128))
    assert plan.work == 1200 and plan.kind.startswith("torch")
    fields = estimates.estimate(plan, [], first_guess_rate=0.01).card_fields()
    assert fields["estimate"]["work"] == 1200 and fields["estimate"]["seconds"] == pytest.approx(18.0)
    with pytest.raises(ValueError):
        estimates.Plan(work=0, kind="nothing")


def test_the_pace_steps_down_while_frames_are_slow_and_back_up_to_what_was_asked():
    pace = Pace((128, 192, 256, 384))
    assert pace.ask(256) == 256 and pace.words() is None
    slow, quick = 2.0 / TARGET_FPS, 0.2 / TARGET_FPS
    for _ in range(Pace.EVERY - 1):
        pace.observe(slow)
    assert pace.side == 256  # one decision per few frames, not per frame
    pace.observe(slow)
    assert pace.side == 192 and "Working at 192 px, not the 256 px" in pace.words()
    for _ in range(Pace.EVERY * 5):
        pace.observe(slow)
    assert pace.side == 128  # the smallest size: it stays there
    for _ in range(Pace.EVERY * 5):
        pace.observe(quick)
    assert pace.side == 256 and pace.words() is None  # back up, never past the size asked for
    pace.observe(slow)
    assert pace.ask(384) == 384  # a new choice starts from itself

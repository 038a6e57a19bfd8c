"""History with 1,000 runs: how long its first screen and a rerun take, against the floor of what
the pages did before it (reading every run card, as the job list did every second for every open tab).

    python bench/history.py        # writes bench/results/history.txt

The runs are written as the worker leaves them (card, job file, inputs, result, thumbnail), 1,000 of
one person and 200 of another (whom the person must never see). Timings are Streamlit's AppTest
running pages/6_History.py: the whole script, widgets, thumbnails and all, as a server would run it.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RUNS = Path(tempfile.mkdtemp(prefix="atelier-history-bench-"))
os.environ["ATELIER_RUNS"] = str(RUNS)  # before ui.common reads it

from tests.helpers import finished_run  # noqa: E402

RESULTS = REPO / "bench" / "results" / "history.txt"
PERSON, OTHER = "browser:" + "a" * 32, "browser:" + "b" * 32
COUNT, OTHERS = 1000, 200


def read_every_card() -> int:
    """The floor: what RunStore.cards did before the index (a glob and a JSON read per run)."""
    return sum(1 for path in RUNS.glob("*/card.json") if json.loads(path.read_text()))


def median_seconds(function, repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    from streamlit.testing.v1 import AppTest

    from core.history import index as index_module

    started = time.perf_counter()
    for number in range(COUNT):
        finished_run(RUNS, number, PERSON, tool=("style", "gan", "sketch")[number % 3], day=1 + number % 28)
    for number in range(COUNT, COUNT + OTHERS):
        finished_run(RUNS, number, OTHER, day=1 + number % 28)
    made = time.perf_counter() - started

    def page() -> AppTest:
        app = AppTest.from_file(str(REPO / "pages" / "6_History.py"), default_timeout=120)
        app.session_state["atelier_owner"] = PERSON
        return app

    def timed_run(app: AppTest) -> float:
        started = time.perf_counter()
        app.run()
        elapsed = time.perf_counter() - started
        assert not app.exception, [item.value for item in app.exception]
        return elapsed

    cold_process = timed_run(page())  # imports, the file service, the index: a server's first visitor
    firsts, reruns = [], []
    for _ in range(5):
        index_module._INDEXES.clear()  # a cold index and picture cache: as after a restart, imports warm
        import ui.history

        ui.history._URLS.clear()
        app = page()
        firsts.append(timed_run(app))
        reruns += [timed_run(app) for _ in range(5)]
    shown = [item.value for item in app.caption if "runs (" in str(item.value)]
    index = index_module.index_for(RUNS)
    cold_index = median_seconds(lambda: (index_module._INDEXES.clear(), index_module.index_for(RUNS).refresh()))
    index = index_module.index_for(RUNS)
    index.refresh()
    warm_index = median_seconds(index.refresh, repeats=21)
    floor = median_seconds(read_every_card)
    lines = [
        f"History with {COUNT:,} runs of one person and {OTHERS} of another ({made:.0f} s to write them)",
        f"page says: {shown[0] if shown else '?'}",
        "",
        f"{'what':58} {'seconds':>9}  goal",
        f"{'first screen, new session (cold index and pictures)':58} {statistics.median(firsts):9.3f}  < 1",
        f"{'rerun (a click, a filter)':58} {statistics.median(reruns):9.3f}  < 0.100",
        f"{'first screen, fresh server process (imports included)':58} {cold_process:9.3f}  -",
        f"{'index: first read of every card':58} {cold_index:9.3f}",
        f"{'index: refresh with nothing changed (stats only)':58} {warm_index:9.4f}",
        f"{'floor before: read every card (old job list, every s)':58} {floor:9.3f}",
        "",
        f"medians of {len(firsts)} first screens and {len(reruns)} reruns; "
        f"{os.cpu_count()} CPUs; python {sys.version.split()[0]}",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()

"""How much a background job costs over running the same work in-process.

    python bench/jobs.py [--steps 300] [--repeats 3]

Runs the demo (torch, 64 px) three ways in one run and prints a table: in this process (the
floor), as a job (spawned process: start-up, event files, previews), and the latency from a
stop request to the job's card saying "stopped".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import demo, images, jobs  # noqa: E402


def in_process(target: np.ndarray, steps: int) -> float:
    started = time.perf_counter()
    for _ in demo.paint(target, demo.DemoConfig(steps=steps)):
        pass
    return time.perf_counter() - started


def as_job(manager: jobs.JobManager, picture, steps: int) -> tuple[float, float]:
    started = time.perf_counter()
    job_id = manager.submit("bench", "core.demo:job", {"steps": steps}, inputs={"image": picture})
    first_event = None
    while True:
        snapshot = manager.snapshot(job_id)
        if first_event is None and snapshot.step > 0:
            first_event = time.perf_counter() - started
        if snapshot.status in jobs.TERMINAL:
            return time.perf_counter() - started, first_event or float("nan")
        time.sleep(0.005)


def stop_latency(manager: jobs.JobManager, picture) -> float:
    job_id = manager.submit("bench", "core.demo:job", {"steps": 100_000}, inputs={"image": picture})
    while manager.snapshot(job_id).step < 20:
        time.sleep(0.01)
    asked = time.perf_counter()
    manager.stop(job_id)
    while manager.snapshot(job_id).status not in jobs.TERMINAL:
        time.sleep(0.005)
    return time.perf_counter() - asked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    picture = images.load_sample("Astronaut")
    target = np.asarray(images.fit_within(picture, demo.DemoConfig().size))
    in_process(target, 5)  # warm up torch in this process
    with tempfile.TemporaryDirectory() as runs:
        manager = jobs.JobManager(runs, poll_interval=0.02)
        floor = [in_process(target, arguments.steps) for _ in range(arguments.repeats)]
        job_runs = [as_job(manager, picture, arguments.steps) for _ in range(arguments.repeats)]
        stops = [stop_latency(manager, picture) for _ in range(arguments.repeats)]
        manager.close(stop_jobs=True)
    whole, first = [run[0] for run in job_runs], [run[1] for run in job_runs]
    rows = [
        ("in-process demo (floor)", statistics.median(floor), "1.00x"),
        ("same demo as a job", statistics.median(whole), f"{statistics.median(whole) / statistics.median(floor):.2f}x"),
        ("job: submit -> first event", statistics.median(first), "process start + imports"),
        ("job: stop -> stopped", statistics.median(stops), "cooperative stop"),
    ]
    print(f"demo: torch, {arguments.steps} steps, 64 px, median of {arguments.repeats}")
    print(f"{'what':32} {'seconds':>9}  note")
    for name, seconds, note in rows:
        print(f"{name:32} {seconds:9.3f}  {note}")


if __name__ == "__main__":
    main()

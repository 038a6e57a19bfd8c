"""How much a background job costs over running the same work in-process, locally and on Ray.

    python bench/jobs.py [--steps 300] [--repeats 3] [--backends local,ray]

Runs the demo (torch, 64 px) in this process (the floor), then as a job on each backend in the
same run, and prints one table: the whole job against the floor, seconds from submit to the
first progress event, from a stop request to the card saying "stopped", and the per-event
overhead inside the worker (event log and preview files; the same code on both backends, since
events travel through the run folder, not through Ray). The Ray column uses a throwaway local
head started here (tests/ray_head.py), so it measures the Jobs API's own costs on one machine.
"""

from __future__ import annotations

import argparse
import contextlib
import os
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


def as_job(manager: jobs.JobManager, picture, steps: int) -> tuple[float, float, float]:
    """(whole job, submit to first event, seconds per event inside the worker)."""
    started = time.perf_counter()
    job_id = manager.submit("bench", "core.demo:job", {"steps": steps}, inputs={"image": picture})
    first_event = None
    while True:
        snapshot = manager.snapshot(job_id)
        if first_event is None and snapshot.step > 0:
            first_event = time.perf_counter() - started
        if snapshot.status in jobs.TERMINAL:
            whole = time.perf_counter() - started
            break
        time.sleep(0.005)
    times = [row["time"] for row in snapshot.history]
    per_event = (times[-1] - times[0]) / max(1, len(times) - 1)
    return whole, first_event or float("nan"), per_event


def stop_latency(manager: jobs.JobManager, picture) -> float:
    job_id = manager.submit("bench", "core.demo:job", {"steps": 100_000}, inputs={"image": picture})
    while manager.snapshot(job_id).step < 20:
        time.sleep(0.01)
    asked = time.perf_counter()
    manager.stop(job_id)
    while manager.snapshot(job_id).status not in jobs.TERMINAL:
        time.sleep(0.005)
    return time.perf_counter() - asked


@contextlib.contextmanager
def backend_for(name: str):
    if name == "local":
        yield jobs.LocalBackend(), "local processes"
        return
    from core.jobs.ray_backend import RayBackend
    from tests.ray_head import ray_head

    cpus = os.cpu_count() or 2
    with ray_head(cpus=cpus) as address:
        # Every CPU for the job, as a local worker has: Ray sets OMP_NUM_THREADS to a job's CPU
        # count, and with 1 CPU torch's steps alone would take longer (not a cost of Ray's).
        yield RayBackend(address, cpus_per_job=cpus), f"Ray Jobs API, local head at {address}, {cpus} CPUs per job"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", default="local,ray")
    arguments = parser.parse_args()
    picture = images.load_sample("Astronaut")
    target = np.asarray(images.fit_within(picture, demo.DemoConfig().size))
    in_process(target, 5)  # warm up torch in this process
    floor = statistics.median(in_process(target, arguments.steps) for _ in range(arguments.repeats))
    per_step_floor = floor / arguments.steps
    results, described = {}, []
    for name in arguments.backends.split(","):
        with backend_for(name) as (backend, description), tempfile.TemporaryDirectory() as runs:
            manager = jobs.JobManager(runs, backend=backend, poll_interval=0.02, max_concurrent=1)
            runs_done = [as_job(manager, picture, arguments.steps) for _ in range(arguments.repeats)]
            stops = [stop_latency(manager, picture) for _ in range(arguments.repeats)]
            manager.close(stop_jobs=True)
        described.append(f"{name}: {description}")
        results[name] = {
            "whole": statistics.median(run[0] for run in runs_done),
            "first": statistics.median(run[1] for run in runs_done),
            "stop": statistics.median(stops),
            "event": statistics.median(run[2] for run in runs_done),
        }
    names = list(results)
    print(
        f"demo: torch, {arguments.steps} steps, 64 px, median of {arguments.repeats}; "
        f"in-process floor {floor:.3f} s ({per_step_floor * 1000:.2f} ms per step)"
    )
    for line in described:
        print(f"  {line}")
    print(f"{'what':40}" + "".join(f"{name:>12}" for name in names))
    rows = [
        ("whole job, seconds", lambda r: f"{r['whole']:.3f}"),
        ("whole job / in-process floor", lambda r: f"{r['whole'] / floor:.2f}x"),
        ("submit -> first progress event, s", lambda r: f"{r['first']:.3f}"),
        ("stop -> stopped, s", lambda r: f"{r['stop']:.3f}"),
        ("per-event overhead in the worker, ms", lambda r: f"{(r['event'] - per_step_floor) * 1000:.2f}"),
    ]
    for label, cell in rows:
        print(f"{label:40}" + "".join(f"{cell(results[name]):>12}" for name in names))


if __name__ == "__main__":
    main()

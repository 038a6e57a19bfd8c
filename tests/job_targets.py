"""Tiny job targets for the job-runner tests. They run in the worker process (core.jobs.worker)."""

import os
import time
from pathlib import Path

import numpy as np

from core.progress import Progress


def count(config: dict, run_dir: Path):
    """``steps`` events; a result image whose brightness is the step number."""
    steps, delay = config.get("steps", 5), config.get("delay", 0.0)
    try:
        for step in range(1, steps + 1):
            image = np.full((4, 4, 3), step % 256, dtype=np.uint8)
            yield Progress(
                step=step,
                total=steps,
                metrics={"value": float(step)},
                preview=image,
                result=image,
                message=f"at {step}",
            )
            time.sleep(delay)
    finally:
        (run_dir / "cleaned_up").write_text("yes")  # proves the generator was closed


def stubborn(config: dict, run_dir: Path):
    """Emits a result, then blocks for a long time without yielding (ignores stop requests)."""
    yield Progress(step=1, total=2, metrics={"value": 1.0}, result=np.full((4, 4, 3), 7, np.uint8))
    (run_dir / "sleeping").write_text("past the worker's stop check")  # the test waits for this
    time.sleep(config.get("sleep", 120))
    yield Progress(step=2, total=2)


def failing(config: dict, run_dir: Path):
    yield Progress(step=1, total=3, result=np.zeros((4, 4, 3), np.uint8))
    raise ValueError("The picture is too dark to work with.")


def crashing(config: dict, run_dir: Path):
    yield Progress(step=1, total=3)
    os._exit(7)  # as a segfault would: no clean-up, no card update


def bug(config: dict, run_dir: Path):
    yield Progress(step=1, total=3)
    raise KeyError("missing")


def deaf(config: dict, run_dir: Path):
    """Ignores SIGTERM, then blocks: only a forced stop (SIGKILL) can end it."""
    import signal

    yield Progress(step=1, total=2, metrics={"value": 1.0}, result=np.full((4, 4, 3), 7, np.uint8))
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    (run_dir / "sleeping").write_text("deaf to SIGTERM now")
    time.sleep(config.get("sleep", 120))
    yield Progress(step=2, total=2)


def timed(config: dict, run_dir: Path):
    """Records when it ran (for the tests of the cap across servers), then counts briefly."""
    started = time.time()
    yield from count({"steps": config.get("steps", 3), "delay": config.get("delay", 0.05)}, run_dir)
    with (run_dir / "spans.txt").open("a") as spans:  # appended: a job run twice leaves two lines
        spans.write(f"{started} {time.time()}\n")

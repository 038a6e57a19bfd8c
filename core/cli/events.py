"""The one loop every command runs its tool's progress events through.

A tool yields ``core.progress.Progress`` events and owns nothing else; here they become a
progress line on stderr now and then, a metrics JSON, the latest result on disk, the training
film, and a clean exit on Ctrl-C (status 130) that keeps what was made. Each command says only
what differs: how a line reads, how often, and what to save at the end.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from core.progress import Progress, as_uint8_image

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def step_line(event: Progress, seconds: float) -> str:
    """ "step 12/200  loss 1.23  ..." (the default progress line)."""
    metrics = "  ".join(f"{name} {value:.4g}" for name, value in event.metrics.items())
    return f"step {event.step}/{event.total}  {metrics}"


def frame_line(event: Progress, seconds: float) -> str:
    """ "frame 40/300  12.5 frames/s  about 21 s left" (videos)."""
    rate = event.step / max(seconds, 1e-6)
    left = (event.total - event.step) / rate if rate else 0
    return f"frame {event.step}/{event.total}  {rate:.1f} frames/s  about {left:.0f} s left"


def consume(
    events: Iterator[Progress],
    *,
    line: Callable[[Progress, float], str] = step_line,
    every: float = 1.0,
    always: Callable[[Progress], bool] = lambda event: event.step == event.total,
    watchers: tuple[Callable[[Progress], None], ...] = (),
    interrupted: str | Callable[[], str] = "interrupted",
    finish: Callable[[Progress | None], None] | None = None,
) -> int:
    """Run ``events`` to the end; return 0, or EXIT_INTERRUPTED after Ctrl-C.

    Every event goes to each of ``watchers`` (a recorder, the film, ...). A line (``line(event,
    seconds since the start)``; an empty one is skipped) is printed when ``every`` seconds have
    passed since the last, and for every event ``always`` picks (by default the last step).
    ``interrupted`` (or what it returns, asked at that moment) is printed on Ctrl-C.
    The events are closed and ``finish(last event)`` runs however the loop ended, so a stopped
    run still saves what it made."""
    started, last_print, status, event = time.time(), 0.0, 0, None
    try:
        for event in events:
            for watcher in watchers:
                watcher(event)
            if time.time() - last_print > every or always(event):
                text = line(event, time.time() - started)
                if text:
                    print(text, file=sys.stderr)
                    last_print = time.time()
    except KeyboardInterrupt:
        status = EXIT_INTERRUPTED
        print(interrupted() if callable(interrupted) else interrupted, file=sys.stderr)
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()
        if finish is not None:
            finish(event)
    return status


class Recorder:
    """A watcher that keeps every event's record (step, metrics, seconds since the first) and
    the latest result picture, and writes them out at the end."""

    def __init__(self, only_with_metrics: bool = False):
        self.records: list[dict[str, Any]] = []
        self.latest = None
        self.final: dict[str, float] = {}
        self.only_with_metrics = only_with_metrics
        self.started = time.time()

    def __call__(self, event: Progress) -> None:
        if event.metrics or not self.only_with_metrics:
            self.records.append({**event.to_record(), "time": round(time.time() - self.started, 4)})
            if event.metrics:
                self.final = event.metrics
        if event.result is not None:
            self.latest = event.result

    def save_latest(self, output: Path) -> None:
        if self.latest is not None:
            from core import images

            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_bytes(images.to_png_bytes(as_uint8_image(self.latest)))
            print(f"saved {output}", file=sys.stderr)

    def write_json(self, path: str | Path | None, key: str = "steps", **extra: Any) -> None:
        if path:
            Path(path).write_text(json.dumps({**extra, key: self.records}, indent=1))


def drive(
    events: Iterator[Progress],
    output: Path,
    metrics_json: str | None,
    watchers: tuple[Callable[[Progress], None], ...] = (),
) -> int:
    """A step-by-step tool (style, GAN training, demo): a line a second, and on exit the latest
    result saved to ``output`` and every step's metrics to ``metrics_json``."""
    recorder = Recorder()

    def finish(last: Progress | None) -> None:
        recorder.save_latest(output)
        recorder.write_json(metrics_json)

    return consume(
        events, watchers=(recorder, *watchers), interrupted="interrupted: saving the latest result", finish=finish
    )

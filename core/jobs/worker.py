"""The job process: ``python -m core.jobs.worker RUN_DIR``, which every backend starts (a local
process, or the entry point of a Ray job).

It runs the target named in ``RUN_DIR/job.json``, writes each progress event to the run folder,
and stops asking for events once ``RUN_DIR/STOP`` exists. Whatever happens it writes the run
card's final state and keeps the latest result image.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import re
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core import device
from core.jobs import files
from core.jobs.status import Status
from core.progress import Progress, as_uint8_image

RESULT_SAVE_INTERVAL = 2.0  # seconds; the result also lands on disk at the end, however it ends


class HardStop(BaseException):
    """Raised by SIGTERM/SIGINT: leave the generator now, but still save what we have."""


def resolve(target: str) -> Callable[[dict[str, Any], Path], Iterator[Progress]]:
    module_name, _, function_name = target.partition(":")
    return getattr(importlib.import_module(module_name), function_name)


def run(run_dir: Path) -> str:
    spec = json.loads((run_dir / "job.json").read_text())
    card_path = run_dir / "card.json"
    card = files.read_json(card_path, {})
    card.update(
        status=Status.RUNNING, started=card.get("started") or files.now(), pid=os.getpid(), host=socket.gethostname()
    )
    files.write_json(card_path, card)

    def raise_hard_stop(signum, frame):
        raise HardStop()

    signal.signal(signal.SIGTERM, raise_hard_stop)
    signal.signal(signal.SIGINT, raise_hard_stop)

    status, error, note = Status.FINISHED, "", ""
    final_metrics: dict[str, float] = {}
    latest_result: np.ndarray | None = None
    result_saved_at, result_dirty = 0.0, False
    started = time.time()
    events = None
    previews = run_dir / "previews"
    previews.mkdir(exist_ok=True)
    try:
        events = resolve(spec["target"])(spec["config"], run_dir)
        with (run_dir / "events.jsonl").open("a") as event_log:
            for event in events:
                record = event.to_record()
                record["time"] = round(time.time() - started, 4)
                event_log.write(json.dumps(record) + "\n")
                event_log.flush()
                final_metrics.update(record["metrics"])
                if event.preview is not None:
                    preview = _image(event.preview)
                    files.save_image_atomically(run_dir / "preview.png", preview)
                    preview.save(previews / f"{event.step:06d}.png")  # the strip of earlier previews
                if event.result is not None:
                    latest_result, result_dirty = event.result, True
                    if time.time() - result_saved_at > RESULT_SAVE_INTERVAL:
                        files.save_image_atomically(run_dir / "result.png", _image(latest_result))
                        result_saved_at, result_dirty = time.time(), False
                if (run_dir / "STOP").exists():
                    status, note = Status.STOPPED, "stopped on request; the latest result was kept"
                    break
    except HardStop:
        status, note = (
            Status.STOPPED,
            "did not stop within the grace period, so it was ended; the latest result was kept",
        )
    except Exception as exception:  # the page gets one readable sentence, the log the traceback
        status, error = Status.FAILED, without_server_paths(readable_error(exception), run_dir)
        traceback.print_exc()
    finally:
        if events is not None and hasattr(events, "close"):
            try:
                events.close()  # runs the tool's own clean-up (its finally blocks)
            except Exception:
                traceback.print_exc()
        if latest_result is not None and result_dirty:
            files.save_image_atomically(run_dir / "result.png", _image(latest_result))
        from core.history import thumbnails  # History's picture of the run, made once, before the card says it ended

        thumbnails.make(run_dir)
        card = files.read_json(card_path, {})
        card.update(
            status=status,
            ended=files.now(),
            error=error,
            note=note or card.get("note", ""),
            final_metrics=final_metrics,
            device=device.describe_loaded(),
            versions=library_versions(),
            wall_seconds=round(time.time() - started, 3),
            files=sorted(p.name for p in run_dir.iterdir() if p.is_file() and not p.name.startswith(".")),
        )
        files.write_json(card_path, card)
    return status


def readable_error(exception: BaseException) -> str:
    """``ValueError`` messages are written for users; anything else names its type too."""
    if isinstance(exception, ValueError):
        return str(exception)
    if isinstance(exception, MemoryError):
        return "The job ran out of memory. Try a smaller image or batch size."
    return f"{type(exception).__name__}: {exception} (details in the run's log.txt)"


def without_server_paths(message: str, run_dir: Path) -> str:
    """The page must never show where the server keeps things (nor, through an upload's folder,
    whose it is): paths under the runs folder become words, the code's own folder disappears."""
    run_dir = run_dir.resolve()
    runs = re.escape(str(run_dir.parent))
    message = re.sub(runs + r"/uploads/[^\s'\"]+", "your upload", message)
    message = message.replace(str(run_dir), "this run's folder")
    message = re.sub(runs + r"/[^\s'\"]*", "the runs folder", message)
    return message.replace(str(Path(__file__).resolve().parent.parent.parent) + os.sep, "")


def library_versions() -> dict[str, str]:
    """Versions of the libraries this job actually loaded, plus Python's."""
    versions = {"python": platform.python_version(), "atelier": sys.modules["core"].__version__}
    for name in ("numpy", "PIL", "torch", "torchvision", "tensorflow", "keras", "cv2", "skimage"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = str(getattr(module, "__version__", "?"))
    return versions


def _image(array: np.ndarray) -> Image.Image:
    return Image.fromarray(as_uint8_image(array))


if __name__ == "__main__":
    from core import logs

    logs.configure()  # to this process's output, which is the run's log.txt
    sys.exit(0 if run(Path(sys.argv[1])) in (Status.FINISHED, Status.STOPPED) else 1)

"""The child side of ``core.sketch.service.SketchService``: one JSON request per line on stdin,
one JSON reply per line on stdout. Keras and the model stay loaded between requests."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from core.sketch.inference import sketch_photo, tile_side
from core.sketch.model import load_model, model_size


def serve(requests=sys.stdin, replies=sys.stdout) -> None:
    """The child side of :class:`SketchService`: one JSON request per line, one JSON reply."""
    models: dict[tuple[str, float], Any] = {}
    for line in requests:
        try:
            request = json.loads(line)
            path = Path(request["model"])
            key = (str(path), path.stat().st_mtime if path.exists() else 0.0)
            if key not in models:
                models.clear()  # one model at a time keeps the child small
                models[key] = load_model(path)
                warm_up(models[key])
            model = models[key]
            photo = np.load(request["photo"])
            started = time.perf_counter()
            drawn = sketch_photo(model, photo, working_side=request.get("working_side"))
            seconds = time.perf_counter() - started
            np.save(request["output"], drawn)
            reply = {
                "ok": True,
                "seconds": seconds,
                "model_size": model_size(model),
                "tile_side": tile_side(model),
                "tiles": max(drawn.shape) > tile_side(model),
            }
        except ValueError as error:
            reply = {"ok": False, "error": str(error)}
        except Exception as error:  # one bad request must not end the service
            reply = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def warm_up(model) -> None:
    """Two small drawings of different shapes, so the compiled call has generalised to any shape
    before the first real photo: the page shows the network's time beside the slow method's,
    and a first call that traces the graph would report ten times the real figure."""
    for height, width in ((64, 64), (96, 128)):
        sketch_photo(model, np.full((height, width, 3), 128, np.uint8), working_side=max(height, width))

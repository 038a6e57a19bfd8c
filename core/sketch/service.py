"""The sketch service's client: the Streamlit server asks a long-lived child process
(``python -m core sketch-serve``, ``core.sketch.server``) to draw, so it never imports Keras."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np


class SketchService:
    """Sketches photos in a long-lived child process (``python -m core sketch-serve``).

    The server never imports TensorFlow; the child loads it once, keeps recently used models,
    and answers one request at a time. A crashed child is restarted on the next request.
    """

    def __init__(self, timeout: float = 180.0):
        self.timeout = timeout
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._replies: queue.Queue = queue.Queue()
        self._folder = Path(tempfile.mkdtemp(prefix="atelier-sketch-"))

    def sketch(self, photo: np.ndarray, model_path: str | Path, *, working_side: int | None = None) -> dict[str, Any]:
        """Returns {"sketch": HxW uint8, "seconds": model time, "tiles": bool (drawn in tiles),
        "tile_side": int (the side above which it tiles), "model_size": int}."""
        with self._lock:
            photo_file, output_file = self._folder / "photo.npy", self._folder / "sketch.npy"
            np.save(photo_file, np.ascontiguousarray(photo[:, :, :3], dtype=np.uint8))
            request = {
                "photo": str(photo_file),
                "output": str(output_file),
                "model": str(model_path),
                "working_side": working_side,
            }
            reply = self._ask(request)
            if not reply.get("ok"):
                raise ValueError(reply.get("error", "The sketch process failed."))
            reply["sketch"] = np.load(output_file)
            return reply

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        for _attempt in range(2):
            process = self._ensure_started()
            try:
                process.stdin.write(json.dumps(request) + "\n")
                process.stdin.flush()
                line = self._replies.get(timeout=self.timeout)
            except (BrokenPipeError, OSError):
                line = None
            except queue.Empty:
                self.close()
                raise ValueError(f"Sketching took longer than {self.timeout:.0f} s and was cancelled.") from None
            if line:
                return json.loads(line)
            self._process = None  # it died: start a fresh one and try once more
        raise ValueError(
            "The sketch process stopped unexpectedly; see the server log (atelier.log in the runs folder)."
        )

    def _ensure_started(self) -> subprocess.Popen:
        if self._process is None or self._process.poll() is not None:
            self._replies = queue.Queue()
            self._process = subprocess.Popen(
                [sys.executable, "-m", "core", "sketch-serve"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=str(Path(__file__).resolve().parents[2]),
            )
            replies, stdout = self._replies, self._process.stdout
            threading.Thread(
                target=lambda: [replies.put(line) for line in stdout] and None or replies.put(""),
                daemon=True,
                name="sketch-replies",
            ).start()
        return self._process

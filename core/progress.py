"""The progress event every long-running piece of core emits.

Long work in core is a generator of :class:`Progress` events. The consumer (the command line,
a background job, a test) decides what to show and stops the work by no longer asking for the
next event: ``generator.close()`` raises ``GeneratorExit`` at the ``yield``, so a tool's
``finally`` block is the place to tidy up.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np


@dataclasses.dataclass
class Progress:
    step: int  # steps done so far (1-based once work has started)
    total: int  # steps planned; the progress bar is step / total
    metrics: dict[str, float] = dataclasses.field(default_factory=dict)  # scalar per step: losses, PSNR, ...
    preview: np.ndarray | None = None  # occasional HxWx3 uint8 image to show while the work runs
    result: np.ndarray | None = None  # the best output so far, HxWx3 uint8; kept if the work is stopped
    message: str = ""  # a short human-readable note ("warming up", "loss diverged", ...)

    def to_record(self) -> dict[str, Any]:
        """The JSON-able part of the event (images travel separately, as files)."""
        return {
            "step": int(self.step),
            "total": int(self.total),
            "metrics": {name: float(value) for name, value in self.metrics.items()},
            "message": self.message,
        }


def as_uint8_image(array: np.ndarray) -> np.ndarray:
    """Float images in [0, 1] or uint8 images, grey or RGB, become HxWx3 uint8."""
    array = np.asarray(array)
    if array.dtype != np.uint8:
        array = (np.clip(array, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4):
        raise ValueError(f"Expected an HxW or HxWxC image, got shape {array.shape}.")
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    return np.ascontiguousarray(array[:, :, :3])

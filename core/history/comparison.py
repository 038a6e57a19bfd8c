"""Two runs side by side: where their pictures differ, which settings differ, how their metrics moved.

The runs may come from different tools (a photo's sketch against its style transfer, say): the
pictures are brought to one size, and a setting only one of them has is shown against a blank.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
from PIL import Image

MAX_SIDE = 768  # px: the difference map is for looking at, not for measuring
# A dark-to-bright ramp (black, purple, orange, pale yellow): equal steps in difference read as
# equal steps in brightness, and no difference is black.
_RAMP = np.array([[0, 0, 0], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], dtype=np.float32)


@dataclasses.dataclass(frozen=True)
class Difference:
    heat_map: np.ndarray  # H x W x 3 uint8
    mean: float  # mean absolute difference, 0 (same) to 1 (black against white everywhere)
    changed_share: float  # share of pixels differing by more than a tenth
    resized: bool  # the second picture was brought to the first one's size


def same_size(first: Image.Image, second: Image.Image) -> tuple[Image.Image, Image.Image, bool]:
    """Both pictures in RGB, the first at most ``MAX_SIDE`` px on its longer side and the second at its size."""
    first = first.convert("RGB")
    if max(first.size) > MAX_SIDE:
        first = first.copy()
        first.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    resized = second.size != first.size
    second = second.convert("RGB")
    if resized:
        second = second.resize(first.size, Image.Resampling.LANCZOS)
    return first, second, resized


def difference(first: Image.Image, second: Image.Image) -> Difference:
    """Where ``second`` differs from ``first``, per pixel (the mean over red, green and blue)."""
    first, second, resized = same_size(first, second)
    a = np.asarray(first, dtype=np.float32) / 255.0
    b = np.asarray(second, dtype=np.float32) / 255.0
    per_pixel = np.abs(a - b).mean(axis=2)
    # Stretch so the largest difference is bright: small changes (a new seed) stay visible.
    top = float(per_pixel.max())
    scaled = per_pixel / top if top > 0 else per_pixel
    positions = scaled * (len(_RAMP) - 1)
    low = np.clip(np.floor(positions).astype(int), 0, len(_RAMP) - 2)
    share = (positions - low)[..., None]
    heat = _RAMP[low] * (1 - share) + _RAMP[low + 1] * share
    return Difference(
        heat_map=np.clip(heat, 0, 255).astype(np.uint8),
        mean=float(per_pixel.mean()),
        changed_share=float((per_pixel > 0.1).mean()),
        resized=resized,
    )


@dataclasses.dataclass(frozen=True)
class SettingRow:
    name: str
    first: Any
    second: Any

    @property
    def changed(self) -> bool:
        return _canonical(self.first) != _canonical(self.second)


MISSING = None  # a setting one run does not have


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def settings_rows(first: dict[str, Any], second: dict[str, Any]) -> list[SettingRow]:
    """Every setting of either run, the changed ones first, each group in name order."""
    names = sorted(set(first) | set(second))
    rows = [SettingRow(name, first.get(name, MISSING), second.get(name, MISSING)) for name in names]
    return sorted(rows, key=lambda row: (not row.changed, row.name))


@dataclasses.dataclass(frozen=True)
class MetricRow:
    name: str
    first: float | None
    second: float | None

    @property
    def delta(self) -> float | None:
        if self.first is None or self.second is None:
            return None
        return self.second - self.first


def metric_rows(first: dict[str, float], second: dict[str, float]) -> list[MetricRow]:
    """The final metrics of both runs, by name; a metric only one has gets no delta."""
    return [MetricRow(name, first.get(name), second.get(name)) for name in sorted(set(first) | set(second))]

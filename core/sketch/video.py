"""A video clip as a pencil drawing: the sketch network on every frame (in the job's process,
which may load TensorFlow), the darkness and line sliders applied, the clip's sound kept.

Light at the top (the command line builds its parser from ``SketchVideoConfig``); Keras, OpenCV
and SciPy load when a clip is drawn."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from core import configs, videos
from core.progress import Progress


@dataclasses.dataclass
class SketchVideoConfig:
    clip: str = ""
    model: str = "256"  # 256, 512 (the shipped models) or a .keras file
    working_side: int = 512  # the frames' longer side, px
    darkness: float = 1.0
    line_weight: int = 0
    max_seconds: float = videos.MAX_SECONDS

    def __post_init__(self) -> None:
        if not 64 <= self.working_side <= videos.MAX_LONG_SIDE:
            raise ValueError(f"working_side must be between 64 and {videos.MAX_LONG_SIDE} px.")
        if not 0.5 <= self.darkness <= 3.0:
            raise ValueError("darkness must be between 0.5 and 3.")
        if not 0 <= self.line_weight <= 3:
            raise ValueError("line_weight must be between 0 and 3.")
        if not 0 < self.max_seconds <= videos.MAX_SECONDS:
            raise ValueError(f"max_seconds must be above 0 and at most {videos.MAX_SECONDS:g}.")


def clip_plan(clip: str | Path, config: SketchVideoConfig) -> videos.VideoPlan:
    return videos.plan(videos.probe(clip), max_seconds=config.max_seconds, max_side=config.working_side)


def sketch_clip(clip: str | Path, output: str | Path, config: SketchVideoConfig) -> Iterator[Progress]:
    video_plan = clip_plan(clip, config)  # a bad clip is refused before Keras loads
    from core.sketch import inference, model
    from core.sketch.backend import resolve_model_path
    from core.sketch.filters import adjust

    network = model.load_model(resolve_model_path(config.model))

    def draw(frame: np.ndarray) -> np.ndarray:
        drawn = adjust(
            inference.sketch_photo(network, frame, working_side=max(video_plan.width, video_plan.height)),
            config.darkness,
            config.line_weight,
        )
        return np.repeat(drawn[:, :, None], 3, axis=2)

    yield from videos.process(clip, output, video_plan, draw)


def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target ``core.sketch.video:job``."""
    settings = configs.from_dict(SketchVideoConfig, config)
    from core.jobs.runfolder import RunFolder

    yield from sketch_clip(settings.clip, RunFolder(run_dir).video, settings)

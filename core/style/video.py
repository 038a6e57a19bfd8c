"""A video clip in a painting's style: the instant network on every frame, made steady over time
(``temporal``: the previous stylised frame carried along the clip's optical flow and blended in
where the flow is trusted), with the clip's sound kept.

Light at the top (the command line builds its parser from ``StyleVideoConfig``); onnxruntime and
OpenCV load when a clip is painted."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core import configs, videos
from core.progress import Progress
from core.style.config import DEFAULT_STEADINESS


@dataclasses.dataclass
class StyleVideoConfig:
    clip: str = ""  # the clip's path
    strength: float = 1.0  # of the way from the clip's own style to the painting's (0-1)
    steadiness: float = DEFAULT_STEADINESS  # 0 = every frame stylised on its own (flickers)
    side: int = 480  # the frames' longer side, px
    max_seconds: float = videos.MAX_SECONDS

    def __post_init__(self) -> None:
        if not 0.0 <= self.strength <= 1.0:
            raise ValueError("strength must be between 0 and 1.")
        if not 0.0 <= self.steadiness < 1.0:
            raise ValueError("steadiness must be at least 0 and below 1.")
        if not 64 <= self.side <= videos.MAX_LONG_SIDE:
            raise ValueError(f"side must be between 64 and {videos.MAX_LONG_SIDE} px.")
        if not 0 < self.max_seconds <= videos.MAX_SECONDS:
            raise ValueError(f"max_seconds must be above 0 and at most {videos.MAX_SECONDS:g}.")


def clip_plan(clip: str | Path, config: StyleVideoConfig) -> videos.VideoPlan:
    return videos.plan(videos.probe(clip), max_seconds=config.max_seconds, max_side=config.side)


def style_clip(
    clip: str | Path, painting: Image.Image, output: str | Path, config: StyleVideoConfig
) -> Iterator[Progress]:
    """Stylise ``clip`` into ``output``. The painting's style vector is computed once; below full
    strength it is blended with the clip's own, taken from its first frame, so the blend holds
    still for the whole clip."""
    from core.style import instant, temporal

    video_plan = clip_plan(clip, config)
    vector = instant.style_vector(painting)
    if config.strength < 1.0:
        first = next(iter(videos.read_frames(clip, video_plan)))
        vector = instant.blend_vectors(vector, instant.style_vector(Image.fromarray(first)), config.strength)
    steady = temporal.Stabiliser(config.steadiness) if config.steadiness > 0 else None

    def paint(frame: np.ndarray) -> np.ndarray:
        stylised = instant.stylise_frame(frame, vector)
        return steady(frame, stylised) if steady is not None else stylised

    yield from videos.process(clip, output, video_plan, paint)


def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target ``core.style.video:job``: the painting is the run's ``inputs/style.png``."""
    from core.jobs.runfolder import RunFolder

    settings, folder = configs.from_dict(StyleVideoConfig, config), RunFolder(run_dir)
    painting = folder.read_input("style")
    if painting is None:
        raise ValueError("The run has no painting (inputs/style.png).")
    yield from style_clip(settings.clip, painting.convert("RGB"), folder.video, settings)

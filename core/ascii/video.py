"""A video clip as ASCII art: every frame drawn as text in the chosen font, as an H.264 video with
the clip's sound, and as a page of text frames that plays (the HTML export GIFs have).

One grid, polarity, reading and tone curve for the whole clip (``pipeline.clip_converter``, a first
pass over every frame), as for animated GIFs: levelling each frame on its own would make the text
flicker as bright things come and go.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core import configs, videos
from core.ascii import AsciiConfig
from core.ascii.exports import export_frames
from core.ascii.features import cell_grid
from core.ascii.fonts import load_font
from core.ascii.pipeline import clip_converter
from core.ascii.rendering import render
from core.progress import Progress


def clip_plan(clip: str | Path, config: AsciiConfig, max_seconds: float = videos.MAX_SECONDS) -> videos.VideoPlan:
    """The clip's frames, read no larger than the text samples them (the rest would be thrown away)."""
    font = load_font(config.font)
    samples_wide = config.columns * cell_grid(font)[1]
    return videos.plan(videos.probe(clip), max_seconds=max_seconds, max_side=max(64, 2 * samples_wide))


def ascii_clip(
    clip: str | Path,
    output: str | Path,
    config: AsciiConfig,
    *,
    html_output: str | Path | None = None,
    max_seconds: float = videos.MAX_SECONDS,
) -> Iterator[Progress]:
    """Convert ``clip`` into ``output`` (MP4) and, if asked, ``html_output`` (the playing page)."""
    font = load_font(config.font)
    video_plan = clip_plan(clip, config, max_seconds)
    convert_one = clip_converter(videos.read_frames(clip, video_plan), config, font)
    texts = []

    def draw(frame):
        result = convert_one(frame)
        picture = render(result)
        result.source = None  # the text and its glyph indices are all the page of frames needs
        texts.append(result)
        return picture

    try:
        yield from videos.process(clip, output, video_plan, draw)
    finally:
        if html_output is not None and texts:
            duration = round(1000 / video_plan.fps)
            Path(html_output).write_bytes(export_frames(texts, "html", [duration] * len(texts)))


@dataclasses.dataclass
class AsciiVideoJob:
    """What the page hands the video job: the clip (in the owner's upload store) and the settings."""

    clip: str = ""
    ascii: dict[str, Any] = dataclasses.field(default_factory=dict)  # an AsciiConfig, as a dict
    max_seconds: float = videos.MAX_SECONDS


def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target ``core.ascii.video:job``: ``result.mp4`` and ``result.html`` in the run folder."""
    settings = configs.from_dict(AsciiVideoJob, config)
    from core.jobs.runfolder import RunFolder

    folder = RunFolder(run_dir)
    yield from ascii_clip(
        settings.clip,
        folder.video,
        configs.from_dict(AsciiConfig, settings.ascii),
        html_output=folder.page,
        max_seconds=settings.max_seconds,
    )

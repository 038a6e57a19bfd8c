"""One small picture per run, made once: when its job ends (the worker, or the monitor for a job
whose process died), or the first time History lists a run made before thumbnails existed.

What it shows, in this order: a video's poster frame (a moment into the clip, past a fade-in), the
result picture (ASCII Art's video jobs save their rendered frames as pictures, so ASCII comes as a
picture too), a batch's first picture, the latest preview. A run with none of these (one that
failed before its first step) has no thumbnail, and History draws its tool's icon instead.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PIL import Image

from core.jobs.runfolder import RunFolder

log = logging.getLogger(__name__)

THUMBNAIL = "thumbnail.jpg"
SIDE = 320  # px, the longer side: sharp in a four-column grid on a wide screen
POSTER_SECONDS = 1.0  # how far into a clip its poster frame is (the first frame is often black)


def path_of(run_dir: str | Path) -> Path:
    return Path(run_dir) / THUMBNAIL


def source_of(run_dir: str | Path) -> Path | None:
    """The file the thumbnail is made from, or None when the run has no picture yet."""
    folder = RunFolder(run_dir)
    candidates = [folder.video, folder / folder.RESULT]
    batch = folder.finished_results() if folder.results.is_dir() else []
    candidates += batch[:1]
    candidates.append(folder / folder.PREVIEW)
    return next((path for path in candidates if path.is_file() and path.stat().st_size > 0), None)


def poster_frame(clip: Path) -> Image.Image:
    """A frame ``POSTER_SECONDS`` into the clip (its last one, if it is shorter)."""
    import av

    chosen = None
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            chosen = frame
            if frame.time is not None and frame.time >= POSTER_SECONDS:
                break
    if chosen is None:
        raise ValueError("The clip has no frames.")
    return chosen.to_image()


def make(run_dir: str | Path) -> Path | None:
    """Write the run's thumbnail (replacing any) and return its path; None when there is nothing to
    show. A picture that cannot be read is logged, not raised: a thumbnail never fails a job."""
    run_dir = Path(run_dir)
    source = source_of(run_dir)
    if source is None:
        return None
    try:
        picture = poster_frame(source) if source.suffix == ".mp4" else _load(source)
        picture = picture.convert("RGB")
        picture.thumbnail((SIDE, SIDE), Image.Resampling.LANCZOS)
        target = path_of(run_dir)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp.jpg")
        picture.save(temporary, format="JPEG", quality=85)
        os.replace(temporary, target)
        return target
    except Exception:  # a half-written or odd file: History falls back to the tool's icon
        log.warning("could not make a thumbnail of run %s from %s", run_dir.name, source.name, exc_info=True)
        return None


def _load(path: Path) -> Image.Image:
    with Image.open(path) as picture:
        picture.load()
        return picture.copy()


def ensure(run_dir: str | Path, *, ended: bool) -> Path | None:
    """The run's thumbnail: the one made when it ended, else made now from what it has. A run still
    going gets none here (its picture changes; History shows its status instead)."""
    path = path_of(run_dir)
    if path.is_file():
        return path
    return make(run_dir) if ended else None

"""The Video tab every picture tool has: pick a clip, see its limits and the time it will take,
start a job, watch its progress, then play and download the result (an H.264 MP4 with the clip's
sound). The tool gives the frame function's cost (timed on one frame here) and the job."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
from PIL import Image

from core import clips, videos
from core.jobs.runfolder import RunFolder
from ui import files, jobs
from ui.common import format_seconds

JOB_START_SECONDS = 6.0  # a job process starting and loading its libraries, before the first frame
TIMED_FRAMES = 3  # frames timed across the clip for the estimate before Start


@dataclasses.dataclass
class Clip:
    path: Path
    info: videos.VideoInfo
    name: str


def clip_input(key: str) -> Clip | None:
    """An uploaded clip (kept in this person's upload store) or one of the installed samples."""
    samples = clips.sample_clips()
    choices = ["Upload a clip", *samples]
    source = st.radio("Clip", choices, horizontal=True, key=f"{key}_source")
    if source == "Upload a clip":
        upload = st.file_uploader(
            f"A short clip ({', '.join(videos.SUFFIXES).upper()}), up to {videos.MAX_SECONDS:g} s are used",
            type=list(videos.SUFFIXES),
            key=f"{key}_upload",
        )
        if upload is None:
            return None
        suffix = Path(upload.name).suffix.lower()
        path, name = jobs.manager().uploads.file(upload.getvalue(), suffix), upload.name
    else:
        path, name = samples[source], source
    try:
        info = probe(str(path), path.stat().st_mtime)
    except ValueError as error:
        st.error(str(error).replace(path.name, name))
        return None
    st.caption(f"{name}: {info.describe()}.")
    return Clip(path, info, name)


@st.cache_data(max_entries=16, show_spinner="Reading the clip…")
def probe(path: str, modified: float) -> videos.VideoInfo:
    return videos.probe(path)


@st.cache_data(max_entries=16, show_spinner=False)
def spread_frames(path: str, modified: float, width: int, height: int, count: int = TIMED_FRAMES) -> list[np.ndarray]:
    """``count`` frames spread evenly over the part of the clip a job uses (its first, then one
    every 1/count of the way): what the estimate is timed on, so one busy moment or one easy
    frame does not set it."""
    whole = videos.plan(videos.probe(path))
    plan = dataclasses.replace(whole, width=width, height=height, frames=count, fps=count / max(whole.seconds, 1e-3))
    return list(videos.read_frames(path, plan))


def start_panel(
    tool: str,
    target: str,
    clip: Clip,
    plan: videos.VideoPlan,
    config: dict[str, Any],
    *,
    frame_cost: Callable[[np.ndarray], Any],
    title: str,
    inputs: dict[str, Image.Image] | None = None,
    disabled: bool = False,
) -> str | None:
    """The limits and notes, the time it will take (frames across the clip timed here), and Start,
    which waits while this tab's last video job is still queued or running."""
    for note in plan.notes:
        st.info(note, icon=":material/info:")
    # Timed once per clip and settings (a page rerun for another widget does not time it again).
    key = (tool, str(clip.path), plan.width, plan.height, json.dumps(config, sort_keys=True, default=str))
    timings = st.session_state.setdefault("video_frame_timings", {})
    if key not in timings:
        durations, preview = [], None
        for frame in spread_frames(str(clip.path), clip.path.stat().st_mtime, plan.width, plan.height):
            started = time.perf_counter()
            made = frame_cost(frame)
            durations.append(time.perf_counter() - started)
            preview = made if preview is None else preview
        timings.clear()  # only the latest settings matter
        timings[key] = (float(np.median(durations)), preview, len(durations))
    per_frame, preview, timed = timings[key]
    seconds = JOB_START_SECONDS + videos.estimate_seconds(plan, per_frame)
    st.caption(
        f"{plan.frames} frames at {plan.width}x{plan.height}, {plan.fps:.3g} per second · about "
        f"{format_seconds(seconds)} on this machine ({timed} frames across the clip timed here; "
        "longer while another job runs)" + (", with the sound kept." if clip.info.audio_codec else ".")
    )
    if preview is not None:
        st.image(files.data_url(preview), caption="The first frame, as the job will make it", width=360)
    shown = jobs.current_job(tool)
    busy = shown is not None and jobs.manager().snapshot(shown).active
    if st.button(
        "Start the video",
        type="primary",
        key=f"{tool}_start",
        disabled=disabled or busy,
        help="Your video below is still being made: Start comes back when it has ended, or stop it." if busy else None,
    ):
        return jobs.start(tool, target, config, inputs=inputs or {}, title=title)
    return None


def result_panel(tool: str, job_id: str | None, *, extra_downloads: dict[str, tuple[str, str]] | None = None) -> None:
    """The job's progress (frame n of N, time left), then the video playing, and its downloads.
    ``extra_downloads``: a run-folder file name (``RunFolder.PAGE``, ...) -> (button label, mime type)."""
    if job_id:
        snapshot = jobs.job_view(
            job_id, curves=[["frames_per_second"]], unit="frame", product=(RunFolder.VIDEO, "Download the video (MP4)")
        )
        folder = jobs.manager().folder(job_id)
        movie = folder.video
        if not snapshot.active and movie.exists() and movie.stat().st_size:
            address = files.run_file_url(job_id, movie.name)  # owner-checked, like every run file
            if address is not None:
                st.video(address)
            from ui import send

            send.frame_menu(
                movie, words=f"your {jobs.TOOL_WORDS.get(tool, tool)} run", key=f"{tool}-video", parent=job_id
            )
            extras = [
                (name, label) for name, (label, _mime) in (extra_downloads or {}).items() if (folder / name).exists()
            ]
            for column, (name, label) in zip(st.columns(max(1, len(extras))), extras):
                files.download_run_file(label, job_id, name, key=f"{tool}_download_{name}", target=column)

"""The Video tab every picture tool has: pick a clip, see its limits and the time it will take,
start a job, watch its progress, then play and download the result (an H.264 MP4 with the clip's
sound). The tool gives the frame function's cost (timed on one frame here) and the job."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import streamlit as st
from PIL import Image

from core import videos
from ui import jobs
from ui.common import format_seconds

JOB_START_SECONDS = 6.0  # a job process starting and loading its libraries, before the first frame


@dataclasses.dataclass
class Clip:
    path: Path
    info: videos.VideoInfo
    name: str


def clip_input(key: str) -> Clip | None:
    """An uploaded clip (kept in this person's upload store) or one of the installed samples."""
    samples = videos.sample_clips()
    choices = ["Upload a clip", *samples]
    source = st.radio("Clip", choices, horizontal=True, key=f"{key}_source")
    if source == "Upload a clip":
        upload = st.file_uploader(f"A short clip ({', '.join(videos.SUFFIXES).upper()}), up to "
                                  f"{videos.MAX_SECONDS:g} s are used", type=list(videos.SUFFIXES), key=f"{key}_upload")
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
def first_frame(path: str, modified: float, width: int, height: int) -> np.ndarray:
    info = videos.probe(path)
    plan = dataclasses.replace(videos.plan(info), width=width, height=height, frames=1)
    return next(iter(videos.read_frames(path, plan)))


def start_panel(tool: str, target: str, clip: Clip, plan: videos.VideoPlan, config: dict[str, Any], *,
                frame_cost: Callable[[np.ndarray], Any], title: str,
                inputs: dict[str, Image.Image] | None = None, disabled: bool = False) -> str | None:
    """The limits and notes, the time it will take (one frame timed here), and Start."""
    for note in plan.notes:
        st.info(note, icon=":material/info:")
    # Timed once per clip and settings (a page rerun for another widget does not time it again).
    key = (tool, str(clip.path), plan.width, plan.height, json.dumps(config, sort_keys=True, default=str))
    timings = st.session_state.setdefault("video_frame_timings", {})
    if key not in timings:
        frame = first_frame(str(clip.path), clip.path.stat().st_mtime, plan.width, plan.height)
        started = time.perf_counter()
        preview = frame_cost(frame)
        timings.clear()  # only the latest settings matter
        timings[key] = (time.perf_counter() - started, preview)
    per_frame, preview = timings[key]
    seconds = JOB_START_SECONDS + plan.frames * per_frame * 1.15
    st.caption(f"{plan.frames} frames at {plan.width}x{plan.height}, {plan.fps:.3g} per second · about "
               f"{format_seconds(seconds)} on this machine (one frame timed here)"
               + (", with the sound kept." if clip.info.audio_codec else "."))
    if preview is not None:
        st.image(preview, caption="The first frame, as the job will make it", width=360)
    if st.button("Start the video", type="primary", key=f"{tool}_start", disabled=disabled):
        return jobs.start(tool, target, config, inputs=inputs or {}, title=title)
    return None


def result_panel(tool: str, job_id: str | None, *, extra_downloads: dict[str, tuple[str, str]] | None = None) -> None:
    """The job's progress (frame n of N, time left), then the video playing, and its downloads.
    ``extra_downloads``: a run-folder file name (``RunFolder.PAGE``, ...) -> (button label, mime type)."""
    if job_id:
        snapshot = jobs.job_view(job_id, curves=[["frames_per_second"]], result_name="last-frame.png", unit="frame")
        folder = jobs.manager().folder(job_id)
        movie = folder.video
        if not snapshot.active and movie.exists() and movie.stat().st_size:
            st.video(str(movie))
            buttons = st.columns(1 + len(extra_downloads or {}))
            buttons[0].download_button("Download the video (MP4)", data=movie.read_bytes, file_name=f"{job_id}.mp4",
                                       mime="video/mp4", key=f"{tool}_download_video", on_click="ignore",
                                       width="stretch")
            for column, (name, (label, mime)) in zip(buttons[1:], (extra_downloads or {}).items()):
                path = folder / name
                if path.exists():
                    column.download_button(label, data=path.read_bytes, file_name=f"{job_id}-{name}", mime=mime,
                                           key=f"{tool}_download_{name}", on_click="ignore", width="stretch")
    jobs.runs_list(tool, key=f"{tool}-runs")

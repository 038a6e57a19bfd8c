"""Live camera video for any page: each webcam frame through a tool's function, in real time.

streamlit-webrtc carries the camera to the server and the tool's picture back over WebRTC.
Nothing here needs the network: no STUN or TURN server is configured (none can be reached
here), and on one machine, or on one network, the peers' host candidates are enough. The
per-frame function runs in a worker thread of the server process for each frame, so it must
not call ``st.*``: it hands back a picture for the video and, if it likes, a text (the ASCII
tab shows it as text in the page); the page polls both through a fragment.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

import numpy as np
import streamlit as st

# The function a page gives: RGB frame (H, W, 3) uint8 -> (RGB picture to send back, text or None).
FrameFunction = Callable[[np.ndarray], tuple[np.ndarray, str | None]]
NO_FRAME_SECONDS = 8.0  # after this long playing without a frame, the page says the camera is silent
TARGET_FPS = 10.0  # what the live tabs hold to: they lower their working size when frames come slower


class Pace:
    """Keeps a live tab near ``TARGET_FPS`` when the machine is busy (another job on the CPU) or
    the working size asked for is too big for it: once frames have taken longer than their share
    of a second for a while, the working size steps down ``ladder``; once they are quick again,
    it steps back up, never past what was asked. Frames that arrive while one is being made are
    skipped (streamlit-webrtc hands the next callback the newest frame), so the video never lags.

    Written by the frame thread (``observe``), read by the page (``side``, ``words``)."""

    EVERY = 6  # frames between two decisions (an average over them, not one slow frame)

    def __init__(self, ladder: tuple[int, ...], unit: str = "px") -> None:
        self.ladder = tuple(sorted(set(ladder)))
        self.unit = unit
        self._lock = threading.Lock()
        self.requested = self.side = self.ladder[-1]
        self._seconds: list[float] = []
        self.slowest_ms = 0.0

    def ask(self, requested: int) -> int:
        """The size the person chose (a new choice starts from it); returns the size to work at."""
        with self._lock:
            if requested != self.requested:
                self.requested = self.side = requested
                self._seconds.clear()
            return self.side

    def observe(self, seconds: float) -> None:
        with self._lock:
            self._seconds.append(seconds)
            if len(self._seconds) < self.EVERY:
                return
            mean = sum(self._seconds) / len(self._seconds)
            self._seconds.clear()
            budget = 1.0 / TARGET_FPS
            smaller = [size for size in self.ladder if size < self.side]
            larger = [size for size in self.ladder if self.side < size <= self.requested]
            if mean > 1.1 * budget and smaller:
                self.side, self.slowest_ms = smaller[-1], 1000 * mean
            elif mean < 0.45 * budget and larger:
                self.side = larger[0]

    def words(self) -> str | None:
        """What the page says while it works below the size asked for."""
        with self._lock:
            if self.side >= self.requested:
                return None
            return (
                f"Working at {self.side} {self.unit}, not the {self.requested} {self.unit} asked for: frames took "
                f"about {self.slowest_ms:.0f} ms there, more than the {1000 / TARGET_FPS:.0f} ms that "
                f"{TARGET_FPS:.0f} frames a second allow (another job may be using the processor). It goes back "
                "up when frames are quick again."
            )


class LiveStats:
    """What the frame thread tells the page: frames per second, the latest text, the last error.
    Written by the worker thread, read by the page; a lock keeps the two apart."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: deque[float] = deque(maxlen=120)
        self._busy: deque[float] = deque(maxlen=120)
        self.text: str | None = None
        self.error: str | None = None
        self.frames = 0

    def record(self, seconds: float, text: str | None) -> None:
        with self._lock:
            self._times.append(time.monotonic())
            self._busy.append(seconds)
            self.frames += 1
            if text is not None:
                self.text = text
            self.error = None

    def fail(self, message: str) -> None:
        with self._lock:
            self.error = message

    def snapshot(self) -> dict:
        """fps over the last two seconds, mean ms of work per frame, frames so far, seconds since
        the last frame (None before the first), the latest text and error."""
        with self._lock:
            now = time.monotonic()
            recent = [moment for moment in self._times if now - moment <= 2.0]
            fps = (len(recent) - 1) / (recent[-1] - recent[0]) if len(recent) > 2 else 0.0
            busy = 1000 * float(np.mean(self._busy)) if self._busy else None
            since = now - self._times[-1] if self._times else None
            return {
                "fps": fps,
                "work_ms": busy,
                "frames": self.frames,
                "since_last": since,
                "text": self.text,
                "error": self.error,
            }


def pace(key: str, ladder: tuple[int, ...], requested: int, unit: str = "px") -> tuple[Pace, int]:
    """This session's pace for the live panel ``key`` and the size a frame should be made at now."""
    found = st.session_state.get(f"{key}_pace")
    if found is None or found.ladder != tuple(sorted(set(ladder))):
        found = st.session_state[f"{key}_pace"] = Pace(ladder, unit)
    return found, found.ask(requested)


def live_video(
    key: str, frame_function: FrameFunction, *, show_text: bool = False, height: int = 320, paced: Pace | None = None
):
    """A START/STOP webcam panel whose video shows ``frame_function``'s pictures, with frames per
    second under it (and the latest text, when ``show_text``). Returns the webrtc context.
    With ``paced``, each frame's time is reported to it, and the page says when it works smaller.

    The function may change on every script run (new slider values): the component takes the
    newest callback each run, so settings apply to the running stream without a restart.
    """
    from streamlit.runtime import Runtime

    if not Runtime.exists() or getattr(Runtime.instance(), "_session_mgr", None) is None:
        # Streamlit's AppTest runs pages on a stand-in runtime with no browser session to stream to.
        st.info("Live video needs a browser session.")
        return None
    # aiortc's SRTP library crashes a process that has loaded TensorFlow (seen when pytest had
    # run the sketch tests first): the server never loads TensorFlow, and AppTest stops above.
    try:
        import av
        from streamlit_webrtc import WebRtcMode, webrtc_streamer
    except ImportError:  # the component is in requirements.txt; say what to do if it is missing
        st.warning("Live video needs streamlit-webrtc: `pip install -r requirements.txt`.")
        return None
    stats: LiveStats = st.session_state.setdefault(f"{key}_live_stats", LiveStats())

    def callback(frame):
        started = time.perf_counter()
        try:
            picture, text = frame_function(frame.to_ndarray(format="rgb24"))
        except ValueError as error:  # bad settings for this frame: keep the video going, say why
            stats.fail(str(error))
            return frame
        seconds = time.perf_counter() - started
        stats.record(seconds, text)
        if paced is not None:
            paced.observe(seconds)
        out = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
        out.pts, out.time_base = frame.pts, frame.time_base
        return out

    context = webrtc_streamer(
        key=key,
        mode=WebRtcMode.SENDRECV,
        video_frame_callback=callback,
        rtc_configuration={"iceServers": []},  # offline: host candidates only (see the module docstring)
        media_stream_constraints={"video": {"width": 640, "height": 480}, "audio": False},
        video_html_attrs={"style": {"width": "100%"}, "controls": False, "autoPlay": True, "muted": True},
        async_processing=True,
    )
    playing = bool(context.state.playing)
    st.caption(
        "Press START and allow the camera. If the browser refuses the camera or has none, "
        "the rest of the page works as before."
    )

    @st.fragment(run_every=0.5 if playing else None)
    def status() -> None:
        snapshot = stats.snapshot()
        if not playing:
            if snapshot["frames"]:
                st.caption(f"Stopped after {snapshot['frames']} frames.")
            return
        if snapshot["error"]:
            st.error(snapshot["error"])
        since = snapshot["since_last"]
        if since is None or since > NO_FRAME_SECONDS:
            waited = "yet" if since is None else f"for {since:.0f} s"
            st.warning(
                f"No frames from the camera {waited}. Is another program using it, or was the permission refused?"
            )
            return
        fps, work, size = st.columns(3)
        fps.metric("Frames per second", f"{snapshot['fps']:.1f}", help="Converted and sent back, over the last 2 s.")
        work.metric("Work per frame", f"{snapshot['work_ms']:.0f} ms")
        if paced is not None:
            size.metric(
                "Working size",
                f"{paced.side} {paced.unit}",
                help=f"Lowered by itself while frames take longer than 1/{TARGET_FPS:.0f} s.",
            )
            lowered = paced.words()
            if lowered:
                st.info(lowered, icon=":material/speed:")
        if show_text and snapshot["text"]:
            st.code(snapshot["text"], language=None, height=height)

    status()
    return context

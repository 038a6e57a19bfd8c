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
from typing import Callable

import numpy as np
import streamlit as st

# The function a page gives: RGB frame (H, W, 3) uint8 -> (RGB picture to send back, text or None).
FrameFunction = Callable[[np.ndarray], tuple[np.ndarray, str | None]]
NO_FRAME_SECONDS = 8.0  # after this long playing without a frame, the page says the camera is silent


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
            return {"fps": fps, "work_ms": busy, "frames": self.frames, "since_last": since,
                    "text": self.text, "error": self.error}


def live_video(key: str, frame_function: FrameFunction, *, show_text: bool = False, height: int = 320):
    """A START/STOP webcam panel whose video shows ``frame_function``'s pictures, with frames per
    second under it (and the latest text, when ``show_text``). Returns the webrtc context.

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
        stats.record(time.perf_counter() - started, text)
        out = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
        out.pts, out.time_base = frame.pts, frame.time_base
        return out

    context = webrtc_streamer(
        key=key, mode=WebRtcMode.SENDRECV, video_frame_callback=callback,
        rtc_configuration={"iceServers": []},  # offline: host candidates only (see the module docstring)
        media_stream_constraints={"video": {"width": 640, "height": 480}, "audio": False},
        video_html_attrs={"style": {"width": "100%"}, "controls": False, "autoPlay": True, "muted": True},
        async_processing=True,
    )
    playing = bool(context.state.playing)
    st.caption("Press START and allow the camera. If the browser refuses the camera or has none, "
               "the rest of the page works as before.")

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
            st.warning(f"No frames from the camera {waited}. Is another program using it, "
                       "or was the permission refused?")
            return
        fps, work = st.columns(2)
        fps.metric("Frames per second", f"{snapshot['fps']:.1f}", help="Converted and sent back, over the last 2 s.")
        work.metric("Work per frame", f"{snapshot['work_ms']:.0f} ms")
        if show_text and snapshot["text"]:
            st.code(snapshot["text"], language=None, height=height)

    status()
    return context

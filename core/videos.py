"""The one video reader and writer: any clip FFmpeg reads in (MP4, WebM, MOV, AVI, MKV, animated
GIF), H.264 MP4 out, which plays in every browser, with the clip's sound track carried over.

Through PyAV, which ships its own FFmpeg (with libx264 and AAC), so nothing is installed beside it.
Every tool's video job reads a clip through ``probe`` and ``plan`` (the limits, said before
anything starts) and ``read_frames``, and writes through ``VideoWriter``:

- limits: at most ``MAX_SECONDS`` (longer clips are trimmed, and the plan says so), pictures at
  most 1280x720 either way round (a 4K clip is scaled down, said), and the tool's own working size;
- rotation: a phone clip's rotation metadata is applied to the pixels, so portrait stays portrait;
- variable frame rate: frames are resampled onto the clip's average rate by their timestamps, so
  the result lasts as long as the clip and its sound stays in sync;
- bad input: a file that is not a video, a video with no frames or a codec this FFmpeg cannot
  decode gets a ``ValueError`` that names the problem (and the codec).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

MAX_SECONDS = 60.0
MAX_LONG_SIDE, MAX_SHORT_SIDE = 1280, 720  # 720p, landscape or portrait
SUFFIXES = ("mp4", "webm", "mov", "m4v", "mkv", "avi", "gif")
_MARGIN = 1e-3

if TYPE_CHECKING:
    from core.progress import Progress


@dataclasses.dataclass(frozen=True)
class VideoInfo:
    """What a clip is, as it will be shown (width and height after its rotation)."""

    width: int
    height: int
    rotation: int  # degrees counter-clockwise the stored pictures are turned for showing
    fps: float
    frames: int  # an estimate for clips whose container does not count them
    seconds: float
    codec: str
    audio_codec: str | None
    variable_rate: bool

    def describe(self) -> str:
        sound = f"sound ({self.audio_codec})" if self.audio_codec else "no sound"
        return (
            f"{self.width}x{self.height}, {self.fps:.3g} frames per second, {self.seconds:.1f} s "
            f"({self.frames} frames), {self.codec}, {sound}"
        )


@dataclasses.dataclass(frozen=True)
class VideoPlan:
    """What a tool will make of a clip: the size and rate of its frames, how many, and why
    anything differs from the clip (the notes are shown before Start)."""

    info: VideoInfo
    width: int
    height: int
    fps: float
    frames: int
    seconds: float
    notes: tuple[str, ...]


def probe(path: str | Path) -> VideoInfo:
    import av

    path = Path(path)
    try:
        container = av.open(str(path))
    except (av.error.InvalidDataError, av.error.FileNotFoundError, av.error.PermissionError, ValueError):
        raise ValueError(
            f"{path.name} is not a video we can read (MP4, WebM, MOV, AVI, MKV or an animated GIF)."
        ) from None
    except av.FFmpegError as error:
        raise ValueError(f"{path.name} could not be opened as a video ({error.strerror or error}).") from None
    with container:
        if not container.streams.video:
            raise ValueError(f"{path.name} holds no video (no picture track).")
        stream = container.streams.video[0]
        if stream.codec_context is None:  # FFmpeg does not know the codec at all (an unknown FourCC)
            raise ValueError(
                f"{path.name} uses a video codec FFmpeg does not know, so it cannot be decoded here; "
                "convert it to H.264 MP4 or VP9 WebM first."
            )
        codec = stream.codec_context.name
        try:
            frame = next(container.decode(stream), None)
        except av.FFmpegError as error:
            raise ValueError(
                f"{path.name} uses the {codec} codec, which this FFmpeg cannot decode "
                f"({error.strerror or error}); convert it to H.264 MP4 or VP9 WebM first."
            ) from None
        if frame is None:
            raise ValueError(f"{path.name} holds no frames.")
        rotation = int(round((frame.rotation or 0) / 90.0)) * 90 % 360
        width, height = (frame.height, frame.width) if rotation in (90, 270) else (frame.width, frame.height)
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        seconds = _duration(container, stream)
        frames = stream.frames or (round(seconds * fps) if fps else 0)
        if not fps or fps > 240:  # no usable rate in the container: count the frames instead
            frames = 1 + sum(1 for _ in container.decode(stream))
            fps = frames / seconds if seconds else 25.0
        variable = bool(stream.base_rate and rate and abs(float(stream.base_rate) - float(rate)) > 0.01 * float(rate))
        audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
    if seconds <= 0:
        seconds = frames / fps if fps else 0.0
    return VideoInfo(
        width=width,
        height=height,
        rotation=rotation,
        fps=fps,
        frames=max(1, int(frames)),
        seconds=seconds,
        codec=codec,
        audio_codec=audio,
        variable_rate=variable,
    )


def _duration(container, stream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    return 0.0


def plan(info: VideoInfo, *, max_seconds: float = MAX_SECONDS, max_side: int | None = None) -> VideoPlan:
    """The frames a tool will make: trimmed to ``max_seconds``, within 720p, and within the tool's
    own ``max_side`` (its working size), at the clip's own (average) rate, even-sided for H.264."""
    notes = []
    seconds = info.seconds
    if seconds > max_seconds + _MARGIN:
        notes.append(f"The clip lasts {seconds:.0f} s; only its first {max_seconds:g} s are used (the limit here).")
        seconds = max_seconds
    scale = min(1.0, MAX_LONG_SIDE / max(info.width, info.height), MAX_SHORT_SIDE / min(info.width, info.height))
    if scale < 1.0:
        notes.append(f"The clip is {info.width}x{info.height}; it is scaled down to fit 1280x720.")
    if max_side and max(info.width, info.height) * scale > max_side:
        scale = max_side / max(info.width, info.height)
    width, height = _even(info.width * scale), _even(info.height * scale)
    if info.rotation:
        notes.append(f"The clip is stored turned by {info.rotation} degrees; it is shown upright.")
    if info.variable_rate:
        notes.append(f"The clip has a variable frame rate; it is made steady at {info.fps:.3g} frames per second.")
    frames = max(1, min(info.frames, math.floor(seconds * info.fps + 0.5)) if seconds < info.seconds else info.frames)
    return VideoPlan(
        info=info,
        width=width,
        height=height,
        fps=info.fps,
        frames=frames,
        seconds=frames / info.fps if info.fps else seconds,
        notes=tuple(notes),
    )


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def read_frames(path: str | Path, video_plan: VideoPlan) -> Iterator[np.ndarray]:
    """Exactly ``video_plan.frames`` RGB frames (height x width x 3, uint8), upright, at the plan's
    steady rate: each output instant shows the latest clip frame shown by then."""
    import av
    from PIL import Image

    size = (video_plan.width, video_plan.height)
    turns = video_plan.info.rotation // 90
    period = 1.0 / video_plan.fps
    emitted, held = 0, None
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        start = None
        for frame in container.decode(stream):
            moment = frame.time if frame.time is not None else emitted * period
            start = moment if start is None else start
            moment -= start
            while held is not None and emitted < video_plan.frames and emitted * period < moment - period / 2:
                yield held
                emitted += 1
            if emitted >= video_plan.frames:
                return
            picture = frame.to_ndarray(format="rgb24")
            if turns:
                picture = np.ascontiguousarray(np.rot90(picture, k=turns))
            if (picture.shape[1], picture.shape[0]) != size:
                picture = np.asarray(
                    Image.fromarray(picture).resize(
                        size, Image.Resampling.BILINEAR if picture.shape[1] < size[0] else Image.Resampling.BOX
                    )
                )
            held = picture
        while held is not None and emitted < video_plan.frames:  # the last frame lasts to the end
            yield held
            emitted += 1


def frame_at(path: str | Path, seconds: float) -> np.ndarray:
    """The frame shown at ``seconds`` into the clip (RGB, upright): the last one that starts by then,
    so any moment picks the frame a player would show (the first frame before it starts, the last after
    it ends). A ``ValueError`` for a clip with no frames."""
    import av

    info = probe(path)
    chosen = None
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        target = max(0.0, float(seconds))
        if target > 1.0 and stream.time_base:  # jump to the key frame before it rather than decode from the start
            container.seek(int((target - 1.0) / stream.time_base), stream=stream, backward=True, any_frame=False)
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        for frame in container.decode(stream):
            moment = (frame.time or 0.0) - start
            if chosen is not None and moment > target + 1e-6:
                break
            chosen = frame
    if chosen is None:
        raise ValueError("The clip has no frames.")
    picture = chosen.to_ndarray(format="rgb24")
    turns = info.rotation // 90
    return np.ascontiguousarray(np.rot90(picture, k=turns)) if turns else picture


class VideoWriter:
    """H.264 MP4 (yuv420p, fast start: it plays in a browser while it loads), with the sound of
    ``audio_from`` (its first ``seconds``) re-encoded as AAC."""

    def __init__(
        self,
        path: str | Path,
        fps: float,
        width: int,
        height: int,
        *,
        audio_from: str | Path | None = None,
        seconds: float | None = None,
        quality: int = 20,
    ):
        import av

        if width % 2 or height % 2:
            raise ValueError("H.264 needs even frame sizes.")
        self.path = Path(path)
        self.container = av.open(str(self.path), "w", format="mp4", options={"movflags": "+faststart"})
        self.stream = self.container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        self.stream.width, self.stream.height, self.stream.pix_fmt = width, height, "yuv420p"
        self.stream.options = {"crf": str(quality), "preset": "veryfast"}
        self.audio_from, self.seconds = audio_from, seconds
        self.audio = None
        if audio_from is not None:
            with av.open(str(audio_from)) as source:
                if source.streams.audio:
                    rate = source.streams.audio[0].codec_context.sample_rate or 44100
                    self.audio = self.container.add_stream("aac", rate=rate)
                    self.audio.layout = "stereo"
        self.frames = 0

    def write(self, picture: np.ndarray) -> None:
        import av

        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture[..., :3]), format="rgb24")
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)
        if self.audio is not None:
            self._copy_audio()
        self.container.close()

    def _copy_audio(self) -> None:
        import av

        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=self.audio.codec_context.sample_rate)
        with av.open(str(self.audio_from)) as source:
            for frame in source.decode(source.streams.audio[0]):
                if self.seconds is not None and frame.time is not None and frame.time >= self.seconds:
                    break
                frame.pts = None
                for converted in resampler.resample(frame):
                    for packet in self.audio.encode(converted):
                        self.container.mux(packet)
        for converted in resampler.resample(None):
            for packet in self.audio.encode(converted):
                self.container.mux(packet)
        for packet in self.audio.encode(None):
            self.container.mux(packet)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        self.close()


# --- the frame loop every tool's video job runs ------------------------------------------------


def estimate_seconds(video_plan: VideoPlan, seconds_per_frame: float) -> float:
    """What a clip will take, from a measured (or benched) cost per frame, for the page to show
    before Start."""
    return video_plan.frames * seconds_per_frame


def process(
    clip: str | Path,
    output: str | Path,
    video_plan: VideoPlan,
    frame_function: Callable[[np.ndarray], np.ndarray],
    *,
    what: str = "frame",
    preview_seconds: float = 1.0,
) -> Iterator[Progress]:
    """Each frame of ``clip`` through ``frame_function`` (RGB in, RGB out, any even or odd size)
    into ``output`` (H.264 MP4 with the clip's sound), one progress event per frame, a preview
    about every ``preview_seconds``. Stopped early, the video holds the frames made so far (and
    the sound up to them)."""
    import time

    from core.progress import Progress

    writer = None
    shown_at = 0.0
    started = time.perf_counter()
    try:
        for index, frame in enumerate(read_frames(clip, video_plan)):
            picture = frame_function(frame)
            height, width = picture.shape[:2]
            if writer is None:
                writer = VideoWriter(
                    output,
                    video_plan.fps,
                    width + width % 2,
                    height + height % 2,
                    audio_from=clip,
                    seconds=video_plan.seconds,
                )
            if width % 2 or height % 2:
                picture = np.pad(picture, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
            writer.write(picture)
            now = time.perf_counter()
            show = index == 0 or index + 1 == video_plan.frames or now - shown_at > preview_seconds
            if show:
                shown_at = now
            yield Progress(
                step=index + 1,
                total=video_plan.frames,
                metrics={"frames_per_second": (index + 1) / max(now - started, 1e-6)},
                preview=picture if show else None,
                result=picture if show else None,
                message=f"{what} {index + 1} of {video_plan.frames}",
            )
    finally:
        if writer is not None:
            writer.seconds = writer.frames / video_plan.fps  # a stopped run keeps its sound up to its last frame
            writer.close()

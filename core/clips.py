"""Clips to try the video tools on, made or found here (no clip may be downloaded): the real
ones Debian's opencv-doc installs, by a name for the page, and synthetic ones made from an
offline photo (panning, still, moving shapes; with sound, rotation metadata or an uneven frame
rate) for the tests and the bench."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np

OPENCV_CLIPS = Path("/usr/share/doc/opencv-doc/examples/data")  # Debian opencv-doc: vtest.avi, Megamind.avi


def sample_clips() -> dict[str, Path]:
    """The real clips installed here (Debian's opencv-doc), by a name for the page."""
    found = {
        "Pedestrians (vtest.avi, opencv-doc)": OPENCV_CLIPS / "vtest.avi",
        "Megamind, with sound (Megamind.avi, opencv-doc)": OPENCV_CLIPS / "Megamind.avi",
    }
    return {name: path for name, path in found.items() if path.exists()}


def synthetic_clip(
    path: str | Path,
    *,
    kind: str = "pan",
    seconds: float = 2.0,
    fps: float = 24.0,
    size: tuple[int, int] = (320, 240),
    sound: bool = False,
    rotation: int = 0,
    variable_rate: bool = False,
) -> Path:
    """A clip made from an offline sample photo: "pan" (a crop sliding across it), "still" (the
    same frame throughout) or "shapes" (discs moving over a gradient). ``sound`` adds a 440 Hz
    tone, ``rotation`` stores the pictures turned with rotation metadata (as phones do),
    ``variable_rate`` spaces the frames unevenly (1, 2, 1, 2, ... ticks)."""
    import av

    from core import images

    width, height = size
    frames = max(1, round(seconds * fps))
    source = None
    if kind in ("pan", "still"):
        photo = images.load_sample("Astronaut").convert("RGB")
        photo = photo.resize((round(photo.width * height * 1.5 / photo.height), round(height * 1.5)))
        source = np.asarray(photo)
    path = Path(path)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        turns = rotation // 90 % 4
        stored = (height, width) if turns % 2 else (width, height)
        stream.width, stream.height, stream.pix_fmt = stored[0], stored[1], "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        if variable_rate:
            stream.codec_context.time_base = Fraction(1, round(fps * 2))
        audio = container.add_stream("aac", rate=22050) if sound else None
        if audio is not None:
            audio.layout = "mono"
        tick = 0
        for index in range(frames):
            picture = _synthetic_frame(kind, source, index, frames, width, height)
            picture = np.ascontiguousarray(np.rot90(picture, k=-turns)) if turns else np.ascontiguousarray(picture)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            if variable_rate:
                frame.pts, frame.time_base = tick, stream.codec_context.time_base
                tick += 1 + index % 2
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if audio is not None:
            _write_tone(container, audio, tick / (fps * 2) if variable_rate else frames / fps)
    return path


def _synthetic_frame(kind: str, source, index: int, frames: int, width: int, height: int) -> np.ndarray:
    """Frame ``index`` of a synthetic clip: a crop of the photo (sliding or still) or moving discs."""
    if kind == "pan":
        span = source.shape[1] - width
        left = round(span * index / max(1, frames - 1))
        return source[(source.shape[0] - height) // 2 :][:height, left : left + width]
    if kind == "still":
        return source[:height, :width]
    y, x = np.mgrid[0:height, 0:width]
    picture = np.stack([x * 255 // width, y * 255 // height, np.full_like(x, 96)], -1).astype(np.uint8)
    for number in range(3):
        cx = (width * (0.2 + 0.3 * number) + index * 3 * (number + 1)) % width
        cy = height / 2 + height / 4 * math.sin(index / 6 + number)
        picture[(x - cx) ** 2 + (y - cy) ** 2 < (height / 8) ** 2] = (240, 200 - 60 * number, 40 * number)
    return picture


def _write_tone(container, audio, seconds: float) -> None:
    """A 440 Hz tone of ``seconds`` into the clip's audio stream."""
    import av

    samples = np.sin(2 * np.pi * 440 * np.arange(round(seconds * 22050)) / 22050).astype(np.float32) * 0.3
    for start in range(0, len(samples), 1024):
        chunk = av.AudioFrame.from_ndarray(samples[None, start : start + 1024], format="flt", layout="mono")
        chunk.sample_rate, chunk.pts = 22050, start
        for packet in audio.encode(chunk):
            container.mux(packet)
    for packet in audio.encode(None):
        container.mux(packet)

"""Moving pictures: how fast each tool turns a clip into video, how fast the Style live camera
paints, and how much the temporal step steadies stylised video.

    python bench/video.py [--seconds 10] [--output bench/results/video.txt]

The clip: a 10-second 854x480 pan across an offline sample photo (made here with PyAV; no clip
may be downloaded), plus Debian opencv-doc's real vtest.avi (pedestrians, 768x576, its first 10 s)
for the flicker. Each tool runs in this process, frame by frame, exactly as its video job does
(reading, the tool, H.264 encoding with the sound), so the rate is the job's minus its start-up.

Flicker is the warping error (core/style/temporal.py): the mean difference, in grey levels
(0-255), between each stylised frame and the previous one carried along the source's optical
flow, over the pixels the forward-backward check trusts; per frame against with the temporal
step at its default steadiness (and two others). The target: at least 2x lower.
The live rate is the Style live tab's per-frame work on a 640x480 camera frame (resize, the
instant network, optionally the temporal step), as frames per second one core pair can keep up.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core import ascii as ascii_art  # noqa: E402
from core import clips, images, videos  # noqa: E402
from core.ascii import video as ascii_video  # noqa: E402
from core.style import instant, temporal  # noqa: E402
from core.style import video as style_video  # noqa: E402


def rate(events) -> tuple[float, int]:
    started = time.perf_counter()
    count = sum(1 for _ in events)
    return count / (time.perf_counter() - started), count


def flicker(clip: Path, side: int, seconds: float, steadiness_values: list[float]) -> dict[str, float]:
    plan = videos.plan(videos.probe(clip), max_seconds=seconds, max_side=side)
    sources = list(videos.read_frames(clip, plan))
    vector = instant.style_vector(images.load_sample("Starry Night"))
    each = [instant.stylise_frame(frame, vector) for frame in sources]
    errors = {"per frame": temporal.warping_error(sources, each)}
    for steadiness in steadiness_values:
        stabiliser = temporal.Stabiliser(steadiness)
        errors[f"steadiness {steadiness:g}"] = temporal.warping_error(
            sources, [stabiliser(frame, painted) for frame, painted in zip(sources, each)]
        )
    return errors


def live_rate(side: int, steady: bool, seconds: float = 4.0) -> float:
    from PIL import Image

    camera = clips.synthetic_clip(Path(tempfile.mkdtemp()) / "camera.mp4", kind="shapes", seconds=1, size=(640, 480))
    frames = list(videos.read_frames(camera, videos.plan(videos.probe(camera))))
    vector = instant.style_vector(images.load_sample("Starry Night"))
    stabiliser = temporal.Stabiliser() if steady else None
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        frame = frames[count % len(frames)]
        small = np.asarray(images.fit_within(Image.fromarray(frame), side))
        painted = instant.stylise_frame(small, vector)
        if stabiliser is not None:
            stabiliser(small, painted)
        count += 1
    return count / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--output", default=str(REPO / "bench" / "results" / "video.txt"))
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="atelier-video-bench-"))
    clip = clips.synthetic_clip(
        folder / "pan-480p.mp4", kind="pan", seconds=arguments.seconds, fps=24, size=(854, 480), sound=True
    )
    info = videos.probe(clip)
    lines = [
        f"# bench/video.py, {time.strftime('%Y-%m-%d')}: {info.describe()} (a pan over the astronaut, made here)",
        "",
        "tool (as its video job runs it)          frames/s   frames   x real time",
    ]
    painting = images.load_sample("Starry Night")
    runs = {
        "ASCII Art, 100 columns": lambda: ascii_video.ascii_clip(
            clip, folder / "ascii.mp4", ascii_art.AsciiConfig(columns=100), html_output=folder / "ascii.html"
        ),
        "Style Transfer, 480 px, steadiness 0.7": lambda: style_video.style_clip(
            clip, painting, folder / "style.mp4", style_video.StyleVideoConfig(side=480)
        ),
        "Style Transfer, 480 px, per frame": lambda: style_video.style_clip(
            clip, painting, folder / "style-each.mp4", style_video.StyleVideoConfig(side=480, steadiness=0.0)
        ),
    }
    try:
        from core.sketch import video as sketch_video

        runs["Photo to Sketch, 480 px (256 model)"] = lambda: sketch_video.sketch_clip(
            clip, folder / "sketch.mp4", sketch_video.SketchVideoConfig(working_side=480)
        )
    except ImportError as error:  # Keras missing: say so in the table
        print(f"sketch skipped: {error}", file=sys.stderr)
    for name, make in runs.items():
        frames_per_second, count = rate(make())
        lines.append(f"{name:<40} {frames_per_second:>8.1f} {count:>8d} {frames_per_second / info.fps:>12.2f}")
    lines += ["", "Style live camera (640x480 frame -> working size), frames/s of work:"]
    for side in (256, 384):
        lines.append(
            f"  {side} px: {live_rate(side, False):.1f}  (with steady strokes: {live_rate(side, True):.1f})"
            + ("   target at 256 px: 10" if side == 256 else "")
        )
    lines += ["", "Flicker: warping error in grey levels (lower is steadier), 480 px, Starry Night, full strength"]
    targets = {"pan (made here)": clip}
    real = clips.OPENCV_CLIPS / "vtest.avi"
    if real.exists():
        targets["vtest.avi (opencv-doc, real)"] = real
    for name, path in targets.items():
        errors = flicker(path, 480, arguments.seconds, [0.5, style_video.DEFAULT_STEADINESS, 0.85])
        base = errors["per frame"]
        lines.append(
            f"  {name}: "
            + ", ".join(
                f"{label} {value:.2f}" + ("" if label == "per frame" else f" ({base / value:.1f}x lower)")
                for label, value in errors.items()
            )
        )
    text = "\n".join(lines) + "\n"
    print(text)
    Path(arguments.output).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

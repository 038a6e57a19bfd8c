"""Video files: reading (limits, rotation, variable rate, bad files), writing (frames, duration and
sound kept), the temporal step, and each tool's video job on a two-second clip."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import ascii as ascii_art
from core import clips as sample_clips
from core import images, videos
from core.style import instant, temporal

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    return {
        "pan": sample_clips.synthetic_clip(folder / "pan.mp4", kind="pan", seconds=2, sound=True),
        "shapes": sample_clips.synthetic_clip(folder / "shapes.mp4", kind="shapes", seconds=2),
        "rotated": sample_clips.synthetic_clip(folder / "rotated.mp4", kind="shapes", seconds=1, rotation=90),
        "variable": sample_clips.synthetic_clip(
            folder / "variable.mp4", kind="pan", seconds=1, variable_rate=True, sound=True
        ),
        "huge": sample_clips.synthetic_clip(folder / "huge.mp4", kind="pan", seconds=0.25, size=(3840, 2160)),
        "long": sample_clips.synthetic_clip(folder / "long.mp4", kind="shapes", seconds=62, fps=2, size=(64, 48)),
    }


def test_frames_duration_and_sound_survive_a_round_trip(clips, tmp_path):
    info = videos.probe(clips["pan"])
    assert (info.width, info.height, info.frames, info.audio_codec) == (320, 240, 48, "aac")
    plan = videos.plan(info)
    output = tmp_path / "out.mp4"
    with videos.VideoWriter(
        output, plan.fps, plan.width, plan.height, audio_from=clips["pan"], seconds=plan.seconds
    ) as writer:
        for frame in videos.read_frames(clips["pan"], plan):
            writer.write(255 - frame)
    again = videos.probe(output)
    assert abs(again.frames - info.frames) <= 1 and abs(again.seconds - info.seconds) <= 1 / info.fps
    assert again.audio_codec == "aac"
    import av

    with av.open(str(output)) as container:  # the sound really is there, and as long as the picture
        audio = container.streams.audio[0]
        heard = sum(frame.samples for frame in container.decode(audio)) / audio.codec_context.sample_rate
    assert abs(heard - info.seconds) < 0.1


def test_a_rotated_phone_clip_is_turned_upright(clips):
    info = videos.probe(clips["rotated"])
    assert info.rotation == 90 and (info.width, info.height) == (320, 240)
    plan = videos.plan(info)
    assert any("turned by 90 degrees" in note for note in plan.notes)
    first = next(iter(videos.read_frames(clips["rotated"], plan)))
    assert first.shape == (240, 320, 3)
    gradient = first.astype(int)
    assert gradient[:, -20:, 0].mean() > gradient[:, :20, 0].mean() + 100  # red grows left to right, as drawn


def test_a_frame_at_any_moment_is_the_one_a_player_shows(clips, tmp_path):
    """'Send to' under a video result (issue #32) sends the frame at the chosen moment."""
    clip = tmp_path / "steps.mp4"
    with videos.VideoWriter(clip, 10, 64, 48) as writer:  # frame n is n * 10 grey
        for frame in range(25):
            writer.write(np.full((48, 64, 3), frame * 10, np.uint8))

    def grey(seconds):
        return videos.frame_at(clip, seconds).mean() / 10

    assert grey(0.0) == pytest.approx(0, abs=0.6)
    assert grey(0.55) == pytest.approx(5, abs=0.6)
    assert grey(2.05) == pytest.approx(20, abs=0.6)  # past a second: found after a seek
    assert grey(99) == pytest.approx(24, abs=0.6), "past the end: the last frame"
    assert videos.frame_at(clips["rotated"], 0.5).shape == (240, 320, 3), "upright, as read_frames gives it"


def test_a_variable_rate_clip_is_made_steady_and_keeps_its_length(clips):
    info = videos.probe(clips["variable"])
    plan = videos.plan(info)
    assert info.variable_rate and any("variable frame rate" in note for note in plan.notes)
    frames = list(videos.read_frames(clips["variable"], plan))
    assert len(frames) == plan.frames and abs(plan.frames / plan.fps - info.seconds) <= 1 / info.fps


def test_limits_are_said_before_starting(clips):
    huge = videos.plan(videos.probe(clips["huge"]))
    assert (huge.width, huge.height) == (1280, 720) and "scaled down" in huge.notes[0]
    long = videos.plan(videos.probe(clips["long"]))
    assert long.frames == 120 and "first 60 s" in long.notes[0]
    assert len(list(videos.read_frames(clips["long"], long))) == 120


def test_bad_files_get_a_sentence(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all")
    with pytest.raises(ValueError, match="not a video we can read"):
        videos.probe(text)
    picture = tmp_path / "still.png"
    images.load_sample("Astronaut").save(picture)
    info = videos.probe(picture)  # one picture is a one-frame clip, not an error
    assert info.frames == 1
    import av

    empty = tmp_path / "empty.mp4"
    with av.open(str(empty), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height = 64, 48
    with pytest.raises(ValueError, match="no frames|not a video"):
        videos.probe(empty)
    # A codec FFmpeg has no decoder for: an AVI whose FourCC was changed to one nobody uses.
    avi = tmp_path / "clip.avi"
    with av.open(str(avi), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(3):
            for packet in stream.encode(
                av.VideoFrame.from_ndarray(np.full((48, 64, 3), 60 * index, np.uint8), format="rgb24")
            ):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    unknown = tmp_path / "strange.avi"
    unknown.write_bytes(avi.read_bytes().replace(b"FMP4", b"ZQZQ"))
    with pytest.raises(ValueError, match="strange.avi uses a video codec FFmpeg does not know.*H.264"):
        videos.probe(unknown)


def test_the_temporal_step_lowers_the_warping_error_and_leaves_a_still_clip_alone(clips):
    vector = instant.style_vector(images.load_sample("Starry Night"))
    plan = videos.plan(videos.probe(clips["pan"]), max_side=192)
    frames = list(videos.read_frames(clips["pan"], plan))[:16]
    each = [instant.stylise_frame(frame, vector) for frame in frames]
    steady = temporal.Stabiliser(0.7)
    steadied = [steady(frame, painted) for frame, painted in zip(frames, each)]
    per_frame, stabilised = temporal.warping_error(frames, each), temporal.warping_error(frames, steadied)
    assert stabilised < per_frame / 2, (per_frame, stabilised)
    still = [frames[0]] * 6
    painted = [instant.stylise_frame(frame, vector) for frame in still]
    steady = temporal.Stabiliser(0.7)
    kept = [steady(frame, picture) for frame, picture in zip(still, painted)]
    assert max(np.abs(a.astype(int) - b.astype(int)).mean() for a, b in zip(kept, painted)) < 1.0


def test_an_ascii_clip_has_one_tone_for_every_frame_and_plays_as_html(clips, tmp_path):
    from core.ascii import video

    output, page = tmp_path / "ascii.mp4", tmp_path / "ascii.html"
    events = list(video.ascii_clip(clips["shapes"], output, ascii_art.AsciiConfig(columns=40), html_output=page))
    assert [event.step for event in events] == list(range(1, 49))
    assert videos.probe(output).frames == 48
    html = page.read_text()
    assert html.count('<pre class="frame"') == 48 and "setTimeout" in html
    plan = video.clip_plan(clips["shapes"], ascii_art.AsciiConfig(columns=40))
    frames = list(videos.read_frames(clips["shapes"], plan))
    whole = ascii_art.convert_frames(frames, ascii_art.AsciiConfig(columns=40))
    assert [
        result.text for result in ascii_art.convert_clip(lambda: iter(frames), ascii_art.AsciiConfig(columns=40))
    ] == [result.text for result in whole]


@pytest.mark.slow
def test_each_tools_video_job_runs_on_a_two_second_clip(clips, tmp_path):
    from PIL import Image

    from core import jobs

    manager = jobs.JobManager(tmp_path / "runs", max_concurrent=1, poll_interval=0.05)
    try:
        style_id = manager.submit(
            "style",
            "core.style.video:job",
            {"clip": str(clips["pan"]), "side": 160},
            inputs={"style": images.load_sample("Starry Night")},
        )
        sketch_id = manager.submit("sketch", "core.sketch.video:job", {"clip": str(clips["pan"]), "working_side": 160})
        ascii_id = manager.submit(
            "ascii", "core.ascii.video:job", {"clip": str(clips["pan"]), "ascii": {"columns": 30}}
        )
        assert manager.wait(ascii_id, timeout=240).status == "finished"
        assert videos.probe(manager.run_dir(ascii_id) / "result.mp4").audio_codec == "aac"
        assert (manager.run_dir(ascii_id) / "result.html").stat().st_size > 1000
        for job_id in (style_id, sketch_id):
            snapshot = manager.wait(job_id, timeout=240)
            assert snapshot.status == "finished", snapshot.error
            result = manager.run_dir(job_id) / "result.mp4"
            info = videos.probe(result)
            assert info.frames == 48 and info.audio_codec == "aac" and max(info.width, info.height) == 160
        sketch_frame = next(
            iter(
                videos.read_frames(
                    manager.run_dir(sketch_id) / "result.mp4",
                    videos.plan(videos.probe(manager.run_dir(sketch_id) / "result.mp4")),
                )
            )
        )
        assert (
            np.ptp(sketch_frame[..., 0]) > 100
            and np.abs(sketch_frame[..., 0].astype(int) - sketch_frame[..., 2]).max() == 0
        )
        assert Image.open(manager.run_dir(style_id) / "result.png").size == (160, 120)
    finally:
        manager.close(stop_jobs=True)


@pytest.mark.slow
def test_the_video_commands_make_a_video_and_refuse_a_bad_clip(clips, tmp_path):
    output = tmp_path / "ascii.mp4"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "ascii-video",
            str(clips["shapes"]),
            "--columns",
            "30",
            "--output",
            str(output),
            "--max-seconds",
            "1",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert "only its first 1 s" in completed.stderr and videos.probe(output).frames == 24
    bad = tmp_path / "bad.mov"
    bad.write_bytes(b"\x00" * 1000)
    painting = tmp_path / "painting.png"
    images.load_sample("Starry Night").save(painting)
    refused = subprocess.run(
        [sys.executable, "-m", "core", "style-video", str(bad), str(painting), "--output", str(tmp_path / "x.mp4")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert refused.returncode == 2 and "bad.mov is not a video we can read" in refused.stderr

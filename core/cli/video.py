"""What the three video commands (ascii-video, sketch-video, style-video) share."""

from __future__ import annotations

import sys
from pathlib import Path

from core.cli.events import consume, frame_line


def clip_command(tools, name: str, help: str):
    """A subcommand taking CLIP, --output (an MP4) and --max-seconds."""
    from core import videos

    command = tools.add_parser(name, help=help)
    command.add_argument("clip", metavar="CLIP", help=f"a video: {', '.join(videos.SUFFIXES)}")
    command.add_argument("--output", required=True, help="the result, an H.264 MP4 with the clip's sound")
    command.add_argument(
        "--max-seconds",
        type=float,
        default=videos.MAX_SECONDS,
        help=f"use at most this much of the clip (at most {videos.MAX_SECONDS:g} s)",
    )
    return command


def run_clip(make_events, arguments, video_plan) -> int:
    """The clip's plan and limits first, then a progress line with the time left now and then;
    Ctrl-C keeps the frames made so far (and their sound)."""
    output = Path(arguments.output)
    if output.suffix.lower() != ".mp4":
        raise ValueError("--output must end in .mp4 (H.264, which every browser plays).")
    print(
        f"{Path(arguments.clip).name}: {video_plan.info.describe()}; making {video_plan.frames} frames at "
        f"{video_plan.width}x{video_plan.height}",
        file=sys.stderr,
    )
    for note in video_plan.notes:
        print(f"note: {note}", file=sys.stderr)
    output.parent.mkdir(parents=True, exist_ok=True)

    def finish(last) -> None:
        if last is not None:
            print(f"saved {output} ({last.step} frames)", file=sys.stderr)

    return consume(
        make_events(output),
        line=frame_line,
        every=2.0,
        interrupted="interrupted: keeping the frames made so far",
        finish=finish,
    )

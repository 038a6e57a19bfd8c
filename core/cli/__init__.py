"""``python -m core <tool> ...``: the command-line face of core, one file per tool.

Each tool's file registers its subcommands here; a tool's module is imported only when its
subcommand runs, so ``python -m core --help`` stays fast and loads neither torch nor TensorFlow.
Bad input exits with status 2 and one line saying why; an interrupted run keeps what it has
made. Every command that runs a tool's events runs them through ``events.consume``.

    ascii.py    ascii, ascii-video
    style.py    style, style-video
    sketch.py   sketch, sketch-train, sketch-eval, pencil, sketch-video (and sketch-serve)
    gan.py      gan-train, gan-sample, gan-fid, gan-classifier, gan-eval, gan-export
    system.py   demo, device, assets, settings, runs, api, info
    events.py   the event loop, progress lines, metrics JSON, the saved result
    stamps.py   --settings FILE on every tool's command, and the settings inside what they write
    video.py    what the three video commands share: the clip arguments, the plan, the loop
"""

from __future__ import annotations

import argparse
import sys

from core import __version__
from core.cli import ascii, gan, sketch, stamps, style, system
from core.cli.events import EXIT_BAD_INPUT, EXIT_INTERRUPTED

__all__ = ["main", "build_parser", "EXIT_BAD_INPUT", "EXIT_INTERRUPTED"]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if not getattr(arguments, "handler", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        stamps.prepare(parser, arguments, argv)
        return arguments.handler(arguments) or 0
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description="Atelier's tools from the command line. Run 'python -m core TOOL --help' for a tool's options.",
    )
    parser.add_argument("--version", action="version", version=f"atelier {__version__}")
    tools = parser.add_subparsers(title="tools", metavar="TOOL")
    ascii.add(tools)
    style.add(tools)
    sketch.add(tools)
    gan.add(tools)
    ascii.add_video(tools)  # the three video commands together in --help, as before
    sketch.add_video(tools)
    style.add_video(tools)
    system.add(tools)
    return parser

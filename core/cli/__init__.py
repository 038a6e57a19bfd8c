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
import importlib
import sys

from core import __version__
from core.cli import stamps
from core.cli.events import EXIT_BAD_INPUT, EXIT_INTERRUPTED

# Which file and function register each command, so that running one imports only its own file (and
# its tool's config) and builds only its own parser: a whole parser costs every tool's import, a third
# of a second before an ASCII picture is drawn. tests/test_cli.py checks this table against the whole parser.
COMMANDS = {
    "ascii": ("ascii", "add"),
    "ascii-video": ("ascii", "add_video"),
    "style": ("style", "add"),
    "style-video": ("style", "add_video"),
    **dict.fromkeys(("sketch", "sketch-train", "sketch-eval", "pencil", "sketch-serve"), ("sketch", "add")),
    "sketch-video": ("sketch", "add_video"),
    **dict.fromkeys(("gan-train", "gan-sample", "gan-fid", "gan-classifier", "gan-eval", "gan-export"), ("gan", "add")),
    **dict.fromkeys(("demo", "device", "assets", "settings", "runs", "api", "info"), ("system", "add")),
}
# Every registration, in --help's order (the three video commands together, as before).
REGISTRATIONS = (
    ("ascii", "add"),
    ("style", "add"),
    ("sketch", "add"),
    ("gan", "add"),
    ("ascii", "add_video"),
    ("sketch", "add_video"),
    ("style", "add_video"),
    ("system", "add"),
)

__all__ = ["main", "build_parser", "EXIT_BAD_INPUT", "EXIT_INTERRUPTED"]


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    parser = build_parser(only=COMMANDS.get(given[0]) if given else None)
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


def build_parser(only: tuple[str, str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser: every command, or with ``only`` (a file and function of
    ``REGISTRATIONS``) the commands that one registration adds."""
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description="Atelier's tools from the command line. Run 'python -m core TOOL --help' for a tool's options.",
    )
    parser.add_argument("--version", action="version", version=f"atelier {__version__}")
    tools = parser.add_subparsers(title="tools", metavar="TOOL")
    for module, function in REGISTRATIONS:
        if only is None or (module, function) == only:
            getattr(importlib.import_module(f"core.cli.{module}"), function)(tools)
    return parser

"""``--settings FILE`` on every tool's command, and settings inside what the commands write.

A tool's command takes ``--settings FILE`` (an Atelier result with its settings inside, or a JSON
settings file): the file's settings are the starting point and every flag given on the command line
wins over them. ``prepare`` reads the file once, after parsing, and finds which flags the person
actually typed (argparse cannot tell a typed value from a default, so the line is parsed once more
with every default suppressed); a command's config builder then asks ``pick`` for each setting.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core import __version__, provenance, tools


def add_settings_option(command, tool_name: str) -> None:
    found = tools.TOOLS[tool_name]
    command.add_argument(
        "--settings",
        metavar="FILE",
        help=f"start from the {found.title} settings inside FILE (an Atelier result: PNG, JPEG, WebP, MP4, TXT, "
        "HTML, SVG, zip, or a settings .json); the flags given here override them",
    )
    command.set_defaults(settings_tool=tool_name)


def prepare(parser: argparse.ArgumentParser, arguments: argparse.Namespace, argv: list[str] | None) -> None:
    """Give a tool's parsed command ``given`` (the flags typed) and ``base`` (the settings file's
    settings, checked against the tool's config; ``{}`` without one). ValueError for a file
    without settings, with broken ones, or with another tool's."""
    if not getattr(arguments, "settings_tool", None):
        return
    arguments.given = typed_flags(parser, sys.argv[1:] if argv is None else argv)
    arguments.base = {}
    if getattr(arguments, "settings", None):
        stamp = provenance.read_file(arguments.settings)
        wanted = tools.TOOLS[arguments.settings_tool]
        if stamp.tool != wanted.name:
            held = tools.TOOLS[stamp.tool].title if stamp.tool in tools.TOOLS else repr(stamp.tool)
            raise ValueError(
                f"{arguments.settings} holds {held} settings; this command takes {wanted.title}'s "
                f"(python -m core {tools.TOOLS[stamp.tool].command} --settings would read it)."
                if stamp.tool in tools.TOOLS
                else f"{arguments.settings} holds settings of a tool this Atelier does not have ({held})."
            )
        wanted.config(stamp.config)  # refused here, by name, if a value is wrong
        for note in differences_in_version(stamp):
            print(f"note: {note}", file=sys.stderr)
        arguments.base = {name: value for name, value in stamp.config.items() if name not in wanted.inputs}


def differences_in_version(stamp: provenance.Stamp) -> list[str]:
    """What may make the same settings give a different result here."""
    notes = []
    if stamp.version != __version__:
        notes.append(f"these settings come from Atelier {stamp.version}; this is {__version__}.")
    here = tools.weights_of(stamp.tool, stamp.config)
    for name, digest in stamp.weights.items():
        if name in here and here[name] != digest:
            notes.append(f"the {name} weights here differ from the ones that made the file; the result will too.")
    return notes


def typed_flags(parser: argparse.ArgumentParser, argv: list[str]) -> set[str]:
    """The destinations of the options typed in ``argv`` (not the ones left at their defaults)."""
    changed = []
    for each in _parsers(parser):
        for action in each._actions:  # argparse has no public way to walk its actions
            if not isinstance(action, argparse._SubParsersAction | argparse._HelpAction | argparse._VersionAction):
                changed.append((action, action.default))
                action.default = argparse.SUPPRESS
        changed.append((each, dict(each._defaults)))
        each._defaults.clear()
    try:
        return set(vars(parser.parse_args(argv)))
    finally:
        for owner, default in changed:
            if isinstance(owner, argparse.ArgumentParser):
                owner._defaults.update(default)
            else:
                owner.default = default


def _parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _parsers(child)


MISSING = object()


def pick(arguments: argparse.Namespace, name: str, dest: str | None = None, *, default: Any = MISSING) -> Any:
    """A setting's value: the flag when it was typed, else the settings file's, else the flag's
    default (or ``default``)."""
    dest = dest or name
    given, base = getattr(arguments, "given", None), getattr(arguments, "base", {})
    typed = given is None or dest in given  # not prepared (a test's parse_args): the flags as they are
    if typed or name not in base:
        value = getattr(arguments, dest, None)
        return value if default is MISSING or value is not None else default
    return base[name]


def typed(arguments: argparse.Namespace, dest: str) -> bool:
    given = getattr(arguments, "given", None)
    return given is None or dest in given


def required(arguments: argparse.Namespace, name: str, flag: str) -> Any:
    """A setting the command needs: typed, or in the settings file."""
    value = pick(arguments, name, default=None)
    if value is None:
        raise ValueError(f"{flag} is required (or --settings FILE with a {name} in it).")
    return value


def with_base(arguments: argparse.Namespace, values: dict[str, Any]) -> dict[str, Any]:
    """The settings file's settings under ``values``: the ones this command has no flag for (a
    config's fixed layers, say) come back as the file had them."""
    return {**getattr(arguments, "base", {}), **values}


def stamp_outputs(
    tool_name: str,
    config: Any,
    paths,
    *,
    inputs: dict[str, str] | None = None,
    weights: dict[str, str] | None = None,
) -> None:
    """Put the settings into every written file that can hold them (GIFs and models cannot)."""
    stamp = None
    for path in paths:
        path = Path(path)
        if not path.is_file() or path.suffix.lower() not in provenance.SUFFIXES:
            continue
        extra = {} if weights is None else {"weights": weights}
        stamp = stamp or tools.make_stamp(tool_name, config, inputs=inputs or {}, **extra)
        try:
            provenance.embed_file(path, stamp)
        except (ValueError, OSError) as error:
            print(f"note: the settings could not go into {path}: {error}", file=sys.stderr)


def input_hashes(paths) -> dict[str, str]:
    return {Path(path).name: provenance.file_sha256(path) for path in paths if Path(path).is_file()}

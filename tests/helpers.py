"""What many tests share: the command line in a child process, a free port, a wait loop."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parent.parent
Value = TypeVar("Value")


def run_cli(*arguments, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m core ARGUMENTS`` from the repository root (paths may be Path objects)."""
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "core", *map(str, arguments)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
    )


def free_port() -> int:
    """A TCP port nobody listens on now (on 127.0.0.1)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(
    condition: Callable[[], Value], timeout: float = 60, what: str = "the condition", interval: float = 0.05
) -> Value:
    """Poll ``condition`` until it returns something true, and return that; fail the test with
    ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
        time.sleep(interval)


def cli_options() -> dict[str, dict[str, dict]]:
    """Every command of ``python -m core`` ("gan-train", "runs list", ...) -> its flags -> default,
    choices, required, nargs: what tests/data/cli-contract.json records."""
    from core.cli import build_parser

    found: dict[str, dict[str, dict]] = {}

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, command in action.choices.items():
                    walk(command, prefix + [name])
            elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
                default = "==SUPPRESS==" if action.default is argparse.SUPPRESS else action.default
                if not isinstance(default, (int, float, str, bool, type(None), list)):
                    default = repr(default)
                found.setdefault(" ".join(prefix), {})[" ".join(action.option_strings) or action.dest] = {
                    "default": default,
                    "choices": list(action.choices) if action.choices is not None else None,
                    "required": bool(action.required),
                    "nargs": action.nargs,
                }

    walk(build_parser(), [])
    return found


def art_lines(path) -> list[str]:
    """An ASCII-art text file's lines under the settings line every export starts with."""
    lines = Path(path).read_text().splitlines()
    assert lines[0].startswith("atelier-settings: {") and lines[1] == "", lines[:2]
    return lines[2:]

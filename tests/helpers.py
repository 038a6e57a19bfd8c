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


def run_until_said(app, words: str, timeout: float = 120) -> None:
    """Rerun a Streamlit AppTest until a success message holds ``words`` (a job seen to its end)."""

    def said() -> bool:
        assert not app.exception, [item.value for item in app.exception]
        if any(words in str(item.value) for item in app.success):
            return True
        time.sleep(0.5)
        app.run()
        return False

    wait_until(said, timeout=timeout, what=repr(words))


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


def finished_run(
    runs_dir: Path,
    number: int,
    owner: str,
    *,
    tool: str = "style",
    parent: str = "",
    day: int = 1,
    size: tuple[int, int] = (128, 96),
) -> str:
    """A finished run written straight into ``runs_dir`` as the worker leaves one (job file, card,
    inputs, result, thumbnail), with the tool's real default config (``number`` varies its steps and
    seed): History's tests and its bench need many quickly. Returns its id."""
    import numpy as np
    from PIL import Image

    from core import configs, tools
    from core.history import thumbnails
    from core.jobs.files import write_json
    from core.jobs.status import Status

    stamp_tool = {"style": "style", "gan": "gan", "sketch": "sketch-train"}[tool]
    config = configs.to_dict(tools.tool(stamp_tool).config_class()())
    config["seed"] = number
    config["steps" if tool == "style" else "epochs"] = 10 + number % 40
    run_id = f"202612{day:02d}-{number % 86400:06d}-{tool}-{number:06x}"
    folder = Path(runs_dir) / run_id
    (folder / "inputs").mkdir(parents=True)
    rng = np.random.default_rng(number)
    picture = Image.fromarray((rng.random((size[1], size[0], 3)) * 255).astype("uint8"))
    if tool == "style":
        picture.save(folder / "inputs" / "content.png")
        picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(folder / "inputs" / "style0.png")
    write_json(folder / "job.json", {"tool": tool, "target": "tests.job_targets:count", "config": config})
    minute, second = divmod(number % 3600, 60)
    write_json(
        folder / "card.json",
        {
            "id": run_id,
            "tool": tool,
            "title": f"{tool} run number {number}",
            "status": Status.FINISHED,
            "parameters": config,
            "seed": number,
            "created": f"2026-12-{day:02d}T{number // 3600 % 24:02d}:{minute:02d}:{second:02d}",
            "started": f"2026-12-{day:02d}T{number // 3600 % 24:02d}:{minute:02d}:{second:02d}",
            "ended": f"2026-12-{day:02d}T23:59:59",
            "wall_seconds": 3.0 + number % 50,
            "owner": owner,
            "parent": parent,
            "inputs": ["inputs/content.png", "inputs/style0.png"] if tool == "style" else [],
            "final_metrics": {"loss": round(1 / (number + 1), 6)},
            "device": "cpu",
        },
    )
    picture.save(folder / "result.png")
    thumbnails.make(folder)
    return run_id

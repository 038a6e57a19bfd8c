"""The server's settings: every ``ATELIER_*`` environment variable, declared once with its type,
default and a line of help, and read in one place (``current()``; ``Settings.read(environment)``
for an environment of one's own, as the tests and the job backends pass).

A bad value is a ``ValueError`` naming the variable, the value and what it takes, so a server
that cannot run says why before anything starts. ``python -m core settings`` prints what this
process would use; ``python -m core settings --markdown`` prints the table in the README (a test
keeps the two the same).
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
PREFIX = "ATELIER_"
TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def in_words(choices: tuple[str, ...]) -> str:
    """("a", "b", "c") -> "a, b or c"."""
    return choices[0] if len(choices) == 1 else f"{', '.join(choices[:-1])} or {choices[-1]}"


@dataclasses.dataclass(frozen=True)
class Variable:
    """One environment variable: the ``Settings`` field it fills, what it holds, its default
    (what an unset or empty variable means) and its help."""

    field: str
    kind: str  # "path", "text", "choice", "switch", "whole", "number", "port"
    default: Any
    help: str
    group: str
    choices: tuple[str, ...] = ()
    least: float = 0.0  # the smallest number allowed (whole and number)

    @property
    def name(self) -> str:
        return PREFIX + self.field.upper()

    def parse(self, text: str) -> Any:
        text = text.strip()
        if not text:
            return self.default
        if self.kind == "path":
            return Path(text).expanduser()
        if self.kind == "text":
            return text
        if self.kind == "choice":
            if text.lower() not in self.choices:
                raise ValueError(f"{self.name} must be {in_words(self.choices)}, not {text!r}.")
            return text.lower()
        if self.kind == "switch":
            if text.lower() not in TRUE_WORDS + FALSE_WORDS:
                raise ValueError(f"{self.name} must be 1 or 0 (yes or no), not {text!r}.")
            return text.lower() in TRUE_WORDS
        return self._number(text)

    def _number(self, text: str) -> float | int:
        whole = self.kind in ("whole", "port")
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            raise ValueError(f"{self.name} must be a {'whole ' if whole else ''}number, not {text!r}.") from None
        if value < self.least or (self.kind == "port" and value > 65535):
            top = " and at most 65535" if self.kind == "port" else ""
            raise ValueError(f"{self.name} must be at least {self.least:g}{top}, not {text!r}.")
        return value

    def default_words(self) -> str:
        if self.default is None:
            return "-"
        if isinstance(self.default, Path):
            try:
                return f"`{self.default.relative_to(REPO_ROOT)}/`"
            except ValueError:
                return f"`{self.default}`"
        if isinstance(self.default, bool):
            return "`1`" if self.default else "`0`"
        return (
            f"`{self.default:g}`" if isinstance(self.default, float) else f"`{self.default}`" if self.default else "-"
        )


VARIABLES: tuple[Variable, ...] = (
    # Where things are.
    Variable(
        "runs", "path", REPO_ROOT / "runs", "the runs folder: every job's files, uploads, the server log", "Storage"
    ),
    Variable("data", "path", REPO_ROOT / "data", "data made at run time (sketch pairs, crops, caches)", "Storage"),
    Variable(
        "fashion_mnist", "path", None, "a folder with Fashion-MNIST's four idx files (Debian's is found)", "Storage"
    ),
    Variable(
        "keep_days", "number", 30.0, "finished runs are deleted after this many days (0: no age limit)", "Storage"
    ),
    Variable("runs_max_gb", "number", 20.0, "finished runs together stay under this many GB (0: no limit)", "Storage"),
    # Serving people.
    Variable("shared_runs", "switch", False, "1: one shared workspace, every visitor sees every run", "Serving"),
    Variable(
        "cookie_secret", "text", "", "the key signing people's cookies (else one kept in the runs folder)", "Serving"
    ),
    Variable("api_port", "port", None, "the file service's and API's port (default: Streamlit's port + 1)", "Serving"),
    Variable("api_url", "text", "", "the file service's address as browsers reach it, when run apart", "Serving"),
    Variable("log_level", "choice", "info", "the server log's level", "Serving", ("debug", "info", "warning", "error")),
    # Jobs.
    Variable(
        "jobs_backend", "choice", "local", "where jobs run: local processes or a Ray cluster", "Jobs", ("local", "ray")
    ),
    Variable(
        "max_jobs",
        "whole",
        None,
        "jobs at once (default: 1 on a CPU, 2 on a GPU, the cluster's room on Ray)",
        "Jobs",
        least=1,
    ),
    Variable("max_queued_per_user", "whole", 3, "jobs one person may have waiting", "Jobs", least=1),
    Variable("stop_grace", "number", 10.0, "seconds a stopped job has to save its result", "Jobs"),
    Variable("kill_after", "number", 3.0, "seconds after the grace before a stopped job is killed", "Jobs"),
    Variable(
        "keras_backend",
        "choice",
        "auto",
        "Keras's backend for sketch jobs (auto: torch with CUDA)",
        "Jobs",
        ("auto", "tensorflow", "torch"),
    ),
    # Ray.
    Variable("ray_address", "text", "", "the Ray dashboard's HTTP address (the Jobs API)", "Ray"),
    Variable("ray_python", "text", "", "the Python on the cluster's nodes (default: this one's path)", "Ray"),
    Variable("ray_code", "text", "", "where this repository is on the nodes (default: this path)", "Ray"),
    Variable("ray_runs_on_nodes", "text", "", "where the runs folder is on the nodes (default: this path)", "Ray"),
    Variable("ray_cpus_per_job", "number", 1.0, "CPUs Ray reserves per job", "Ray"),
    Variable(
        "ray_lost_after", "number", 60.0, "seconds the cluster may stay unreachable before its jobs are lost", "Ray"
    ),
    # The tests.
    Variable("skip_browser", "switch", False, "tests: skip the real-browser tests (CI never sets it)", "Tests"),
    Variable("skip_ray", "switch", False, "tests: skip the Ray tests (CI never sets it)", "Tests"),
    Variable("chromium", "path", Path("/usr/bin/chromium"), "tests: the Chromium the browser tests drive", "Tests"),
    Variable(
        "screenshots",
        "switch",
        False,
        "tests: the browser walks save a screenshot at each step (`make screenshots`); off, only a failed walk's page",
        "Tests",
    ),
)


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the variables say, typed (field names are the variables' without ``ATELIER_``)."""

    runs: Path
    data: Path
    fashion_mnist: Path | None
    keep_days: float
    runs_max_gb: float
    shared_runs: bool
    cookie_secret: str
    api_port: int | None
    api_url: str
    log_level: str
    jobs_backend: str
    max_jobs: int | None
    max_queued_per_user: int
    stop_grace: float
    kill_after: float
    keras_backend: str
    ray_address: str
    ray_python: str
    ray_code: str
    ray_runs_on_nodes: str
    ray_cpus_per_job: float
    ray_lost_after: float
    skip_browser: bool
    skip_ray: bool
    chromium: Path
    screenshots: bool

    @classmethod
    def read(cls, environment: Mapping[str, str] | None = None) -> Settings:
        environment = os.environ if environment is None else environment
        return _read(tuple((name, environment.get(name, "")) for name in NAMES))


NAMES = tuple(variable.name for variable in VARIABLES)
BY_FIELD = {variable.field: variable for variable in VARIABLES}


@functools.lru_cache(maxsize=32)
def _read(values: tuple[tuple[str, str], ...]) -> Settings:
    # Cached by the variables' values: each distinct environment is parsed once, and a test or a
    # job that changes a variable gets what it set.
    texts = dict(values)
    return Settings(**{variable.field: variable.parse(texts[variable.name]) for variable in VARIABLES})


def value(field: str, environment: Mapping[str, str] | None = None) -> Any:
    """One setting alone: what code that needs only it reads, so that a bad value of another
    variable is reported where that one is used, not by every page."""
    environment = os.environ if environment is None else environment
    variable = BY_FIELD[field]
    return variable.parse(environment.get(variable.name, ""))


def given(field: str, environment: Mapping[str, str] | None = None) -> Any:
    """The setting's value where its variable is set, else None (for a default of one's own)."""
    environment = os.environ if environment is None else environment
    variable = BY_FIELD[field]
    text = environment.get(variable.name, "")
    return variable.parse(text) if text.strip() else None


def problems(environment: Mapping[str, str] | None = None) -> list[str]:
    """Every bad value and every unknown ``ATELIER_*`` name, in words (for the server log)."""
    environment = os.environ if environment is None else environment
    found = []
    for variable in VARIABLES:
        try:
            variable.parse(environment.get(variable.name, ""))
        except ValueError as error:
            found.append(str(error))
    found += [f"{name} is not a setting Atelier knows (a typo?); it is ignored." for name in unknown(environment)]
    return found


def default(field: str) -> Any:
    """What an unset variable means, for code that names the default (one declaration)."""
    return BY_FIELD[field].default


def current() -> Settings:
    """This process's settings (a bad value raises ValueError naming the variable)."""
    return Settings.read()


def unknown(environment: Mapping[str, str] | None = None) -> list[str]:
    """``ATELIER_*`` variables set here that Atelier does not know (a typo would otherwise be
    ignored without a word)."""
    environment = os.environ if environment is None else environment
    return sorted(name for name in environment if name.startswith(PREFIX) and name not in NAMES)


def markdown_table() -> str:
    """The README's table of settings."""
    lines = ["| Variable | Default | What it sets |", "| --- | --- | --- |"]
    group = None
    for variable in VARIABLES:
        if variable.group != group:
            group = variable.group
            lines.append(f"| **{group}** | | |")
        help_text = variable.help + (f" ({' / '.join(variable.choices)})" if variable.choices else "")
        lines.append(f"| `{variable.name}` | {variable.default_words()} | {help_text} |")
    return "\n".join(lines)

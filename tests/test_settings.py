"""The server's settings: every ATELIER_ variable the code or the tests use is declared once in
core/settings.py, read there only, parsed with its type, and listed in the README's table."""

import re
from pathlib import Path

import pytest

from core import settings
from core.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SOURCES = [*REPO.glob("core/**/*.py"), *REPO.glob("ui/*.py"), *REPO.glob("pages/*.py"), REPO / "Home.py"]


def test_every_variable_named_in_the_code_is_declared():
    named = set()
    tests = [path for path in REPO.glob("tests/*.py") if path.name != "test_settings.py"]  # (a typo on purpose)
    for path in [*SOURCES, *tests, *REPO.glob("bench/*.py"), REPO / "Makefile", REPO / ".ci" / "run"]:
        named |= set(re.findall(r"\bATELIER_[A-Z][A-Z_0-9]*[A-Z0-9]\b", path.read_text()))
    assert named - set(settings.NAMES) == set(), "declare these in core/settings.py"


def test_only_the_settings_module_reads_the_variables():
    readers = [
        str(path.relative_to(REPO))
        for path in SOURCES
        if path.name != "settings.py"
        and re.search(r"(environ\.get|environ\[|getenv)\(?\s*[\"']ATELIER_", path.read_text())
    ]
    assert readers == []


def test_the_readme_table_is_the_declaration():
    readme = (REPO / "README.md").read_text()
    table = readme.split("<!-- settings table: generated -->\n", 1)[1].split("\n<!-- settings table: end -->", 1)[0]
    assert table == settings.markdown_table(), "run: python -m core settings --markdown, and paste it in the README"


def test_values_are_typed_and_defaults_fill_the_rest():
    found = Settings.read(
        {
            "ATELIER_MAX_JOBS": "2",
            "ATELIER_SHARED_RUNS": "yes",
            "ATELIER_STOP_GRACE": " 4.5 ",
            "ATELIER_JOBS_BACKEND": "Ray",
            "ATELIER_RUNS": "/tmp/elsewhere",
            "ATELIER_API_PORT": "",
        }
    )
    assert found.max_jobs == 2 and found.shared_runs is True and found.stop_grace == 4.5
    assert found.jobs_backend == "ray" and found.runs == Path("/tmp/elsewhere")
    assert found.api_port is None and found.max_queued_per_user == 3 and found.keep_days == 30.0
    empty = Settings.read({})
    assert empty.runs == REPO / "runs" and empty.shared_runs is False and empty.jobs_backend == "local"


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("ATELIER_MAX_JOBS", "two", "whole number"),
        ("ATELIER_MAX_JOBS", "0", "at least 1"),
        ("ATELIER_KEEP_DAYS", "-1", "at least 0"),
        ("ATELIER_SHARED_RUNS", "maybe", "1 or 0"),
        ("ATELIER_JOBS_BACKEND", "celery", "local or ray"),
        ("ATELIER_API_PORT", "70000", "65535"),
        ("ATELIER_KERAS_BACKEND", "jax", "auto, tensorflow or torch"),
    ],
)
def test_a_bad_value_names_the_variable_and_what_it_takes(name, text, words):
    with pytest.raises(ValueError, match=name) as caught:
        Settings.read({name: text})
    assert words in str(caught.value) and repr(text) in str(caught.value)
    # One setting alone does not trip on another's bad value.
    assert settings.value("runs", {name: text}) == REPO / "runs"


def test_problems_lists_bad_values_and_unknown_names():
    found = settings.problems({"ATELIER_MAX_JOBS": "x", "ATELIER_MAX_JOB": "2", "HOME": "/root"})
    assert len(found) == 2
    assert "ATELIER_MAX_JOBS" in found[0] and "ATELIER_MAX_JOB is not a setting" in found[1]
    assert settings.problems({}) == []


def test_the_command_shows_the_settings_and_fails_on_a_bad_one(monkeypatch, capsys):
    from core import cli

    monkeypatch.setenv("ATELIER_MAX_JOBS", "2")
    assert cli.main(["settings"]) == 0
    assert re.search(r"ATELIER_MAX_JOBS\s+2\s+set", capsys.readouterr().out)
    monkeypatch.setenv("ATELIER_MAX_JOBS", "lots")
    assert cli.main(["settings"]) == 2
    assert "ATELIER_MAX_JOBS must be a whole number, not 'lots'" in capsys.readouterr().err

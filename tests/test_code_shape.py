"""The shape the code keeps (docs/layout.md): files a reader can hold, no import cycles, heavy
frameworks out of what pages import. The linter (make lint) holds the rest: its rules and a
cyclomatic complexity of at most 15 for every function."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LONGEST_CORE_FILE = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    found = {}
    for folder in ("core", "ui"):
        for path in (REPO / folder).rglob("*.py"):
            found[module_name(path)] = path
    return found


def imports_of(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """Every project module ``path`` imports, at any depth of the file (a function's import is
    still a dependency between the two files)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    # Imports only a type checker follows (under ``if TYPE_CHECKING:``) are no dependency at run time.
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
        for inner in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return {module for module in found if module in modules and module != name}


def test_no_file_in_core_is_longer_than_a_reader_holds():
    long = {
        str(path.relative_to(REPO)): lines
        for path in (REPO / "core").rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > LONGEST_CORE_FILE
    }
    assert long == {}, f"split these by concern (at most {LONGEST_CORE_FILE} lines)"


def test_no_import_cycles_between_modules():
    modules = project_modules()
    graph = {name: imports_of(path, name, modules) for name, path in modules.items()}
    # A package's __init__ that re-exports its modules is not a cycle with them: Python loads the
    # package first either way. Only cycles between two files that each need the other count.
    graph = {name: {other for other in edges if not name.startswith(other + ".")} for name, edges in graph.items()}
    cycles, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for other in sorted(graph[node]):
            if state.get(other) == "open":
                cycles.append(trail[trail.index(other) :] + [other])
            elif other not in state:
                visit(other, [*trail, other])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == [], " ; ".join(" -> ".join(cycle) for cycle in cycles)


def test_what_the_pages_take_from_the_tools_loads_no_framework():
    """A page builds its config and its job's inputs in the server process: those names are light
    (torch and TensorFlow load only in jobs, services and the GAN's sampling)."""
    code = (
        "import sys\n"
        "from core import ascii, gan, sketch, style\n"
        "style.StyleConfig, style.StyleInputs, style.fit_size, style.check_tiled, style.plan\n"
        "ascii.AsciiConfig, sketch.SketchConfig, gan.GanConfig\n"
        "print([name for name in ('torch', 'tensorflow', 'keras') if name in sys.modules])\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"


# The tools' pages (the Job Lab is a check of the machinery, History a page over every tool's runs,
# API a person's tokens).
TOOL_PAGES = sorted(
    path
    for path in (REPO / "pages").glob("*.py")
    if not any(word in path.name for word in ("Job_Lab", "History", "API"))
)


def test_every_tool_page_has_the_one_shape_and_reads_in_one_screenful_or_two():
    from core.jobs.runfolder import RunFolder

    run_files = {
        value for name, value in vars(RunFolder).items() if name.isupper() and isinstance(value, str) and "." in value
    }
    for path in TOOL_PAGES:
        text = path.read_text()
        assert len(text.splitlines()) <= 150, f"{path.name}: move panels into ui/"
        assert "tool_page.tabs(" in text and "tool_page.tool_page(" in text, f"{path.name}: use ui/tool_page.py"
        assert "jobs.runs_list" not in text, f"{path.name}: earlier runs belong in the Earlier runs tab"
        named = [name for name in run_files if name in text]
        assert named == [], f"{path.name} names run files {named}: read them through RunFolder"


def test_the_tabs_come_in_the_one_order(monkeypatch):
    import streamlit as st

    from ui import tool_page

    monkeypatch.setattr(st, "tabs", lambda labels: [f"panel {label}" for label in labels])
    tabs = tool_page.tabs("Earlier runs", "Video file", "Result", "Live camera")
    assert list(tabs) == ["Result", "Live camera", "Video file", "Earlier runs"]
    assert tabs["Video file"] == "panel Video file"
    with pytest.raises(ValueError, match="Unknown tab"):
        tool_page.tabs("Result", "Gallery")

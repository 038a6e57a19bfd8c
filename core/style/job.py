"""The style jobs: what the page puts in a run folder (``StyleInputs``), and the job targets
that read it back through the same definition."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image

from core import configs, images
from core.jobs.runfolder import RunFolder
from core.progress import Progress
from core.style.config import StyleConfig
from core.style.optimise import stylise

INPUT_SIDE = 4096  # inputs are kept with the run at most this size: more than any run here uses


@dataclasses.dataclass
class StyleInputs:
    """The pictures a style run starts from: one or two paintings, and either one photo (with an
    optional region mask) or a batch of named photos. ``pictures`` gives the page what to save
    with the run; ``read`` gives the job what was saved."""

    styles: list[Image.Image]
    content: Image.Image | None = None
    mask: Image.Image | None = None
    batch: list[tuple[str, Image.Image]] = dataclasses.field(default_factory=list)

    def pictures(self) -> dict[str, Image.Image]:
        """{input name: picture} for ``jobs.start(..., inputs=...)``."""
        found = {f"style{index}": images.fit_within(picture, INPUT_SIDE) for index, picture in enumerate(self.styles)}
        if self.content is not None:
            found["content"] = images.fit_within(self.content, INPUT_SIDE)
        if self.mask is not None:
            found["mask"] = self.mask
        found.update(
            {
                f"content_{index:03d}": images.fit_within(picture, INPUT_SIDE)
                for index, (_, picture) in enumerate(self.batch)
            }
        )
        return found

    def batch_names(self) -> list[str]:
        return [name for name, _ in self.batch]

    @classmethod
    def read(cls, folder: RunFolder) -> StyleInputs:
        """The saved pictures (a batch's photos stay on disk until ``batch_photos`` loads them)."""
        styles = [images.load_image(path) for path in folder.inputs_named("style")]
        content = images.load_image(folder.input("content")) if folder.input("content").is_file() else None
        return cls(styles=styles, content=content, mask=folder.read_input("mask"))

    @staticmethod
    def batch_photos(folder: RunFolder) -> list[Path]:
        return folder.inputs_named("content_")


def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: the photo styled by the paintings (and the mask's regions, if one was given)."""
    settings = configs.from_dict(StyleConfig, config)
    given = StyleInputs.read(RunFolder(run_dir))
    if given.content is None or not given.styles:
        raise ValueError("The run has no photo or no painting to start from.")
    regions = None
    if given.mask is not None:
        from core.style.pictures import regions_from_mask

        regions, notes = regions_from_mask(given.mask, given.content.size)
        if notes:
            yield Progress(step=0, total=settings.steps, message="; ".join(notes))
    yield from stylise(given.content, given.styles, settings, regions=regions)


def batch_job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: every photo of the batch styled with the same settings, one after the other;
    each finished picture is saved in the run's results (``RunFolder.results``, named from the
    config's ``batch_names``), so a stop keeps every picture done so far and the latest one's best."""
    folder = RunFolder(run_dir)
    names = list(config.get("batch_names", []))
    settings = configs.from_dict(StyleConfig, {key: value for key, value in config.items() if key != "batch_names"})
    contents = StyleInputs.batch_photos(folder)
    if not contents:
        raise ValueError("The batch has no photos.")
    styles = StyleInputs.read(folder).styles
    folder.results.mkdir(exist_ok=True)
    total = settings.steps * len(contents)
    for index, path in enumerate(contents):
        name = names[index] if index < len(names) else path.stem
        best = None
        for event in stylise(images.load_image(path), styles, settings):
            best = event.result if event.result is not None else best
            yield Progress(
                step=index * settings.steps + event.step,
                total=total,
                metrics=event.metrics,
                preview=event.preview,
                result=event.result,
                message=f"photo {index + 1} of {len(contents)}: {name}",
            )
        if best is not None:
            Image.fromarray(best).save(folder.results / f"{Path(name).stem}.png")

"""The style jobs' targets: they read what the page put in the run folder (``StyleInputs``, in
inputs.py) and run the loop (optimise.py, torch)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image

from core import configs, images
from core.jobs.runfolder import RunFolder
from core.progress import Progress
from core.style.config import StyleConfig
from core.style.inputs import StyleInputs
from core.style.optimise import stylise


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

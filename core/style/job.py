"""The style jobs' targets: they read what the page put in the run folder (``StyleInputs``, in
inputs.py) and run the loop (optimise.py, torch)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core import configs, images, provenance
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
    """Job target: every photo of the batch styled with the same settings, one after the other
    (the VGG and the paintings' Gram matrices are the same for each, so the features stay loaded).
    Each finished picture is saved in the run's results (``RunFolder.results``, named from the
    config's ``batch_names``, its settings inside) and the contact sheet grows; a photo that cannot be
    read or stylised is listed with its reason (failures.json) and the rest go on; a stop keeps every
    picture done so far. At the end, or at a stop, results.zip holds them all (``core.batch``)."""
    from core import batch, tools

    folder = RunFolder(run_dir)
    settings = configs.from_dict(StyleConfig, {key: value for key, value in config.items() if key != "batch_names"})
    contents = StyleInputs.batch_photos(folder)
    if not contents:
        raise ValueError("The batch has no photos.")
    names = batch.unique_stems([str(name) for name in config.get("batch_names", [])], len(contents))
    styles = StyleInputs.read(folder).styles
    folder.results.mkdir(exist_ok=True)
    stamp = tools.make_stamp("style", settings, run=folder.id)
    total = settings.steps * len(contents)
    done: list[tuple[str, Image.Image]] = []
    failures: list[dict[str, str]] = []
    try:
        for index, path in enumerate(contents):
            name, best = names[index], None
            try:
                for event in stylise(images.load_image(path), styles, settings):
                    best = event.result if event.result is not None else best
                    yield Progress(
                        step=index * settings.steps + event.step,
                        total=total,
                        metrics=event.metrics,
                        preview=event.preview,
                        message=f"photo {index + 1} of {len(contents)}: {name}",
                    )
            except (ValueError, OSError) as error:  # one photo: listed, and the rest go on
                failures.append({"name": name, "reason": str(error)})
                batch.write_failures(folder, failures)
                yield Progress(step=(index + 1) * settings.steps, total=total, message=f"{name}: {error}")
                continue
            if best is None:
                continue
            picture = Image.fromarray(best)
            target = folder.results / f"{name}.png"
            picture.save(target)
            provenance.embed_file(target, stamp)
            done.append((name, picture))
            sheet = np.asarray(batch.contact_sheet(done))
            yield Progress(
                step=(index + 1) * settings.steps,
                total=total,
                preview=sheet,
                result=sheet,
                message=f"photo {index + 1} of {len(contents)} done: {name}",
            )
    finally:  # finished or stopped: what was made is in the zip
        batch.write_failures(folder, failures)
        batch.archive(folder, stamp)

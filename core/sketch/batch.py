"""Photo to Sketch over many photos as one job (``core/batch.py``): the model loaded once, each photo
drawn at the page's working size, darkness and line weight into ``results/<name>.png``; a photo that
fails is listed with its reason and the rest go on; the contact sheet so far is the result; at the
end ``results.zip``. Imports Keras (in the job's process, never the server's).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core import batch, images
from core.jobs.runfolder import RunFolder
from core.progress import Progress


def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: ``config`` is {"model": "256", "512" or a .keras path, "working_side": px or None,
    "darkness", "line_weight", "names": a name per input photo, "skipped": [{"name", "reason"}]}."""
    from core.sketch import inference, model
    from core.sketch.backend import resolve_model_path
    from core.sketch.filters import adjust

    folder = RunFolder(run_dir)
    photos = folder.inputs_named(batch.INPUT_PREFIX)
    if not photos:
        raise ValueError("The batch has no photo that could be read.")
    names = batch.unique_stems([str(name) for name in config.get("names", [])], len(photos))
    failures = [dict(item) for item in config.get("skipped", [])]
    network = model.load_model(resolve_model_path(str(config.get("model", "256"))))  # once for the batch
    folder.results.mkdir(exist_ok=True)
    done: list[tuple[str, Image.Image]] = []
    yield Progress(step=0, total=len(photos), message=f"{len(photos)} photos")
    for index, path in enumerate(photos):
        name, started = names[index], time.perf_counter()
        try:
            drawn = adjust(
                inference.sketch_photo(
                    network, np.asarray(images.load_image(path)), working_side=config.get("working_side")
                ),
                float(config.get("darkness", 1.0)),
                int(config.get("line_weight", 0)),
            )
        except (ValueError, OSError) as error:  # one bad photo: listed, and the rest go on
            failures.append({"name": name, "reason": str(error)})
            batch.write_failures(folder, failures)
            yield Progress(step=index + 1, total=len(photos), message=f"{name}: {error}")
            continue
        picture = Image.fromarray(drawn).convert("RGB")
        picture.save(folder.results / f"{name}.png")
        done.append((name, picture))
        sheet = np.asarray(batch.contact_sheet(done))
        yield Progress(
            step=index + 1,
            total=len(photos),
            metrics={"picture_seconds": time.perf_counter() - started},
            preview=sheet,
            result=sheet,
            message=f"photo {index + 1} of {len(photos)}: {name}",
        )
    batch.write_failures(folder, failures)
    batch.archive(folder, None)

"""Photo to Sketch over many photos as one job (``core/batch.py``): the model loaded once, each photo
drawn at the page's working size, darkness and line weight into ``results/<name>.png``; a photo that
fails is listed with its reason and the rest go on; the contact sheet so far is the result; at the
end ``results.zip``. Imports Keras (in the job's process, never the server's).
"""

from __future__ import annotations

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
    batch.inputs(folder)  # (none: said before the model loads)
    network = model.load_model(resolve_model_path(str(config.get("model", "256"))))  # once for the batch

    def make(path: Path, name: str) -> Image.Image:
        drawn = adjust(
            inference.sketch_photo(
                network, np.asarray(images.load_image(path)), working_side=config.get("working_side")
            ),
            float(config.get("darkness", 1.0)),
            int(config.get("line_weight", 0)),
        )
        picture = Image.fromarray(drawn).convert("RGB")
        picture.save(folder.results / f"{name}.png")
        return picture

    yield from batch.run(folder, config, make, what="photo")

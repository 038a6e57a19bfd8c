"""ASCII Art over many pictures as one job: the same settings, the font and glyph set loaded once.

Each picture becomes ``results/<name>.<format>`` for every format asked for, its settings inside;
a picture that fails is listed with its reason (``failures.json``) and the rest go on. As each one
ends, the contact sheet of those done so far is the run's preview and result; at the end
``results.zip`` holds every file (and the settings). Pictures that could not even be decoded when
the job was submitted come in the config's ``skipped``, and are listed beside the others.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image

from core import batch, configs, provenance
from core.ascii import EXPORT_FORMATS
from core.ascii.config import AsciiConfig
from core.jobs.runfolder import RunFolder
from core.progress import Progress

DEFAULT_FORMATS = ("png", "txt")


def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: ``config`` is {"ascii": AsciiConfig as JSON, "names": a name per input picture,
    "formats": the files to make of each, "skipped": [{"name", "reason"}] found at submit}."""
    from core import tools
    from core.ascii.exports import export
    from core.ascii.fonts import load_font
    from core.ascii.pipeline import convert

    settings = configs.from_dict(AsciiConfig, config.get("ascii", {}))
    formats = tuple(config.get("formats") or DEFAULT_FORMATS)
    unknown = [name for name in formats if name not in EXPORT_FORMATS]
    if unknown:
        raise ValueError(f"Unknown format(s) {', '.join(unknown)}; choose from {', '.join(EXPORT_FORMATS)}.")
    folder = RunFolder(run_dir)
    batch.inputs(folder)  # (none: said before the font loads)
    font = load_font(settings.font or None)  # once for the batch: glyphs, their features
    stamp = tools.make_stamp("ascii", settings, run=folder.id)

    def make(path: Path, name: str) -> Image.Image:
        with Image.open(path) as opened:
            picture = opened.convert("RGB")
        result = convert(picture, settings, font)
        for kind in formats:
            data = export(result, kind)
            if kind in provenance.KINDS:
                data = provenance.embed(data, kind, stamp)
            (folder.results / f"{name}.{kind}").write_bytes(data)
        return _rendered(export(result, "png"))

    yield from batch.run(folder, config, make, stamp=stamp)


def _rendered(png: bytes) -> Image.Image:
    with Image.open(io.BytesIO(png)) as opened:
        return opened.convert("RGB")

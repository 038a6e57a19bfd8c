"""The style jobs: what the page puts in a run folder, and the job targets that read it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from PIL import Image

from core import configs, images
from core.progress import Progress
from core.style.config import StyleConfig
from core.style.optimise import stylise

def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: ``inputs/content.png`` styled by ``inputs/style*.png``."""
    settings = configs.from_dict(StyleConfig, config)
    content = images.load_image(run_dir / "inputs" / "content.png")
    styles = [images.load_image(path) for path in sorted((run_dir / "inputs").glob("style*.png"))]
    regions = None
    if (run_dir / "inputs" / "mask.png").exists():
        from core.style.pictures import regions_from_mask

        regions, notes = regions_from_mask(Image.open(run_dir / "inputs" / "mask.png"), content.size)
        if notes:
            yield Progress(step=0, total=settings.steps, message="; ".join(notes))
    yield from stylise(content, styles, settings, regions=regions)


def batch_job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target: every ``inputs/content_NNN.png`` styled with the same settings, one after the
    other; each finished picture is saved as ``results/<name>.png`` (names from the config's
    ``batch_names``), so a stop keeps every picture done so far and the latest one's best."""
    names = list(config.get("batch_names", []))
    settings = configs.from_dict(StyleConfig, {key: value for key, value in config.items() if key != "batch_names"})
    contents = sorted((run_dir / "inputs").glob("content_*.png"))
    if not contents:
        raise ValueError("The batch has no photos.")
    styles = [images.load_image(path) for path in sorted((run_dir / "inputs").glob("style*.png"))]
    results = run_dir / "results"
    results.mkdir(exist_ok=True)
    total = settings.steps * len(contents)
    for index, path in enumerate(contents):
        name = names[index] if index < len(names) else path.stem
        best = None
        for event in stylise(images.load_image(path), styles, settings):
            best = event.result if event.result is not None else best
            yield Progress(step=index * settings.steps + event.step, total=total, metrics=event.metrics,
                           preview=event.preview, result=event.result,
                           message=f"photo {index + 1} of {len(contents)}: {name}")
        if best is not None:
            Image.fromarray(best).save(results / f"{Path(name).stem}.png")

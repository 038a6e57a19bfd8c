"""One run's folder and every file name in it, so a job and the page that shows it cannot disagree.

The manager and the worker write the files every run has (the list is in ``core/jobs/__init__``);
a tool's job writes its own products here too, and a page finds them only through these names,
never by spelling a file name itself.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image


class RunFolder:
    """``runs/<id>/``: the run's files by what they are."""

    # What every run has (manager and worker).
    CARD, JOB, EVENTS, LOG = "card.json", "job.json", "events.jsonl", "log.txt"
    RESULT, PREVIEW, PREVIEWS, INPUTS = "result.png", "preview.png", "previews", "inputs"
    # What the tools' jobs make.
    CHECKPOINT = "checkpoint.pt"  # GAN Studio: the training checkpoint (resume, sample, download)
    FILM, MOVIE = "progress.gif", "progress.mp4"  # GAN Studio: the fixed-noise grid as it learned
    MODEL = "model.keras"  # Photo to Sketch: the best model so far
    VIDEO = "result.mp4"  # a video job's clip (H.264 with the sound)
    PAGE = "result.html"  # ASCII Art's video as a playing page of text
    RESULTS = "results"  # a batch (Style Transfer): one picture per photo, named after it

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def __fspath__(self) -> str:
        return str(self.path)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    @property
    def id(self) -> str:
        return self.path.name

    # Products, by what they are.
    @property
    def checkpoint(self) -> Path:
        return self.path / self.CHECKPOINT

    @property
    def film(self) -> Path:
        return self.path / self.FILM

    @property
    def movie(self) -> Path:
        return self.path / self.MOVIE

    @property
    def model(self) -> Path:
        return self.path / self.MODEL

    @property
    def video(self) -> Path:
        return self.path / self.VIDEO

    @property
    def page(self) -> Path:
        return self.path / self.PAGE

    @property
    def results(self) -> Path:
        return self.path / self.RESULTS

    # What the manager, the worker and the pages keep beside a run's products: its workings.
    WORKINGS = (CARD, JOB, EVENTS, LOG, PREVIEW, "marks.json", "shares.json", "thumbnail.jpg", "CLAIM", "STOP")

    def products(self) -> list[Path]:
        """What the run made, for a person to download: every visible file but its workings, its
        inputs and its previews, in name order."""
        found = []
        for path in sorted(self.path.rglob("*")):
            relative = path.relative_to(self.path)
            if not path.is_file() or any(part.startswith(".") for part in relative.parts):
                continue
            if relative.parts[0] in (self.INPUTS, self.PREVIEWS) or str(relative) in self.WORKINGS:
                continue
            found.append(path)
        return found

    def finished_results(self) -> list[Path]:
        """A batch's finished pictures, by name."""
        return sorted(self.results.glob("*.png"))

    # Inputs: pictures saved when the job was submitted, as inputs/<name>.png.
    def input(self, name: str) -> Path:
        return self.path / self.INPUTS / f"{name}.png"

    def inputs_named(self, prefix: str) -> list[Path]:
        """inputs/<prefix>*.png, in name order (style0, style1; content_000, content_001, ...)."""
        return sorted((self.path / self.INPUTS).glob(f"{prefix}*.png"))

    def read_input(self, name: str) -> Image.Image | None:
        """An input picture (loaded), or None when the job was started without it."""
        path = self.input(name)
        if not path.is_file():
            return None
        with Image.open(path) as picture:
            picture.load()
            return picture

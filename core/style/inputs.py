"""What a style run starts from (``StyleInputs``): the page writes it into the run folder, the
job reads it back through the same definition. Light: no torch, so the page may import it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PIL import Image

from core import images
from core.jobs.runfolder import RunFolder

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

"""The training settings of Photo to Sketch, and the limits every part of the tool shares."""

from __future__ import annotations

import dataclasses

SIZES = (256, 512)
STYLES = ("pencil", "dodge-and-burn", "xdog")
ARCHITECTURES = ("unet", "plain")
MIN_PAIRS = 4  # fewer cannot be split into training and validation pairs
MIN_PHOTO_SIDE = 32
MAX_ZIP_MEMBERS = 20_000
MAX_ZIP_BYTES = 2_000_000_000  # uncompressed; a larger upload is refused before anything is read
PREVIEW_PAIRS = 3
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"}
FOLDER_NAMES = (("photos", "sketches"), ("a", "b"))


@dataclasses.dataclass
class SketchConfig:
    size: int = 256  # training crop side in pixels: 256 or 512
    architecture: str = "unet"  # "unet" (skip connections from each encoder level) or "plain" (the design's autoencoder)
    width: int = 16  # filters of the first level, doubled at each level down (the design's plain model: 64)
    depth: int = 4  # levels down, each halving the picture (the design: 3; sides must be multiples of 2**depth)
    perceptual: float = 0.0  # weight of the VGG19 feature loss added to MAE; 0 trains on MAE alone, as the design
    epochs: int = 30  # upper bound; early stopping usually ends sooner
    batch_size: int = 16
    learning_rate: float = 1e-3  # Adam, as in the design
    patience: int = 5  # epochs without a better validation MAE before training stops
    validation_split: float = 0.15  # share of source photos (or uploaded pairs) held out, never cropped into training
    flip: bool = True  # random horizontal flips, same for photo and sketch
    rotate: float = 10.0  # random rotations up to this many degrees, same for photo and sketch
    data: str = ""  # "" for the built-in pairs, else a zip of photos/ + sketches/ (or A/ + B/)
    style: str = "pencil"  # what draws the built-in targets: the slow pencil drawing, or a quick filter
    pairs: int = 320  # crops made from the built-in photos (or from the uploaded pairs)
    init: str = ""  # start from these weights (.keras or .weights.h5), e.g. the 256 model for a 512 one
    seed: int = 0

    def __post_init__(self) -> None:
        if self.size not in SIZES:
            raise ValueError(f"size must be one of {SIZES}, not {self.size}.")
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {', '.join(ARCHITECTURES)}, not {self.architecture!r}.")
        if not 4 <= self.width <= 256:
            raise ValueError("width must be between 4 and 256 filters.")
        if not 2 <= self.depth <= 6:
            raise ValueError("depth must be between 2 and 6 levels.")
        if not 0 <= self.perceptual <= 100:
            raise ValueError("perceptual must be between 0 (off) and 100.")
        if self.epochs < 1:
            raise ValueError("epochs must be at least 1.")
        if not 1 <= self.batch_size <= 256:
            raise ValueError("batch_size must be between 1 and 256.")
        if not 0 < self.learning_rate <= 0.1:
            raise ValueError("learning_rate must be above 0 and at most 0.1.")
        if self.patience < 1:
            raise ValueError("patience must be at least 1 epoch.")
        if not 0.05 <= self.validation_split <= 0.5:
            raise ValueError("validation_split must be between 0.05 and 0.5.")
        if not 0 <= self.rotate <= 45:
            raise ValueError("rotate must be between 0 and 45 degrees.")
        if self.style not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}, not {self.style!r}.")
        if self.pairs < MIN_PAIRS:
            raise ValueError(f"pairs must be at least {MIN_PAIRS}.")

"""Photo to Sketch: a network that learns a slow pencil drawing and makes it in one fast pass.

One file per concern, so a reader finds each in its own room:

- ``config``      the training settings (``SketchConfig``) and shared limits
- ``pencil``      the slow, classical pencil drawing the shipped models learned (Lu, Xu & Jia 2012)
- ``filters``     quick classical filters (dodge-and-burn, XDoG, OpenCV's pencilSketch), post-adjustments
- ``photos``      the offline photos the built-in pairs are cut from
- ``pairs``       training pairs: crops, targets, augmentation, held-out photos
- ``uploads``     the checker for uploaded zips of photo/sketch pairs
- ``backend``     which Keras backend to use; the shipped model files
- ``model``       the networks (plain autoencoder, U-Net), saving and loading        [Keras]
- ``perceptual``  the VGG19 feature loss option                                       [Keras]
- ``inference``   drawing whole photos and big ones in tiles                          [Keras]
- ``evaluation``  scores against the target and speed against the method              [Keras]
- ``training``    ``fit`` as a generator of progress events; the job target           [Keras]
- ``service``     the client the Streamlit server draws through
- ``server``      the child process that answers it                                   [Keras]

This package's own names are the light ones: importing ``core.sketch`` loads no framework, so
the Streamlit server can use the filters, the zip checker, the previews and the service
(TensorFlow and torch's triton crash in one process). The files marked [Keras] import it at
their top and are imported only by job, command-line and service processes.

No real photo/sketch pairs can be downloaded here, so the built-in pairs are offline photos and
the slow pencil drawing of random crops of them (or a quick filter, as an option); users can
upload real pairs as a zip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.lazy import lazy_attributes
from core.progress import Progress

# Where each public name lives; ``core.sketch.<name>`` loads its file on first use. Lazy because
# ``from core.sketch.config import ...`` runs this file first: eager imports here put OpenCV and
# SciPy (the pencil drawing's solver, 150 ms) into every command line, ``ascii`` included.
_LAZY = {
    "backend": ("KERAS_BACKENDS", "keras_backend", "resolve_model_path", "shipped_model_path"),
    "config": ("ARCHITECTURES", "SIZES", "STYLES", "SketchConfig"),
    "filters": ("adjust", "dodge_and_burn", "grey", "opencv_pencil", "pencil_filter", "resize_to_side", "xdog"),
    "pairs": ("Pairs", "augment", "augmentation_preview", "builtin_pairs", "load_pairs", "pair_strip", "zip_pairs"),
    "service": ("SketchService",),
    "uploads": ("ZipReport", "check_pairs_zip"),
}
__all__ = sorted([name for names in _LAZY.values() for name in names] + ["job"])
__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())


def job(config: dict[str, Any], run_dir: Path) -> Iterator[Progress]:
    """Job target ``core.sketch:job`` (runs queued before the package split name it): training."""
    from core.sketch import training

    yield from training.job(config, run_dir)

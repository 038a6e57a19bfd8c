"""Which Keras backend the sketch processes use, and where the shipped models are. Light: the
page imports it; Keras itself is imported by ``import_keras`` only, in job, command-line and
service processes.

``tensorflow-cpu`` never uses a GPU, so where CUDA is available the job and service processes run
Keras on its torch backend; on CPU machines TensorFlow stays, being faster there
(bench/keras_backends.py measures both). The same ``.keras`` file loads under either.
``ATELIER_KERAS_BACKEND=tensorflow|torch`` overrides the choice, and an explicit ``KERAS_BACKEND``
is always respected.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from core import assets, settings
from core.sketch.config import SIZES

KERAS_BACKENDS = ("tensorflow", "torch")


def keras_backend(cuda_available=None) -> str:
    """The Keras backend for this process: torch when CUDA is available (or TensorFlow is not
    installed, as on the lent GPU machine), TensorFlow otherwise; see the module docstring.

    ``cuda_available`` (a function) stands in for the CUDA probe in tests. The probe imports
    torch only where an NVIDIA driver is present, so a CPU machine never loads both frameworks.
    """
    chosen = settings.value("keras_backend")  # auto, tensorflow or torch (checked there)
    if chosen != "auto":
        return chosen
    import importlib.util

    if importlib.util.find_spec("tensorflow") is None:
        return "torch"
    return "torch" if (cuda_available or _cuda_available)() else "tensorflow"


def _cuda_available() -> bool:
    if not (Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidia0").exists()):
        return False
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def import_keras():
    """Import Keras on the backend ``keras_backend`` picks (only in job, command-line and
    service processes); an explicit KERAS_BACKEND wins."""
    if "keras" not in sys.modules:
        os.environ.setdefault("KERAS_BACKEND", keras_backend())
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # grappler logs harmless "remapper failed" errors
        if os.environ["KERAS_BACKEND"] == "tensorflow" and "torch" in sys.modules:
            # The probe loaded torch: triton must come before TensorFlow (they crash otherwise).
            with contextlib.suppress(ImportError):
                import triton  # noqa: F401
    import keras

    if keras.backend.backend() == "torch":
        # Keras imports TensorFlow whenever it is installed, on any backend (to seed it in
        # set_random_seed, to recognise its shapes when saving), which would put TensorFlow
        # beside torch in this process: the crash this module keeps them apart to avoid. On the
        # torch backend, tell Keras's lazy TensorFlow handle that there is none.
        from keras.src.utils import module_utils

        module_utils.tensorflow._available = False
    return keras


def shipped_model_path(size: int) -> Path:
    return assets.WEIGHTS_DIR / f"sketch-{size}.keras"


def resolve_model_path(choice: str) -> Path:
    """``256`` or ``512`` (the shipped models) or a path."""
    if choice in {str(size) for size in SIZES}:
        path = shipped_model_path(int(choice))
        if not path.is_file():
            raise ValueError(f"The shipped {choice} px model is missing ({path}); train one with sketch-train.")
        return path
    path = Path(choice)
    if not path.is_file():
        raise ValueError(f"No model file at {path}.")
    return path

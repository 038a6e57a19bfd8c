"""Which device the work runs on, and seeding. torch is imported only when asked for."""

from __future__ import annotations

import os
import platform
import random
import sys
from typing import Any


def torch_device(preference: str = "auto"):
    """``torch.device`` for 'auto' (CUDA, then Apple MPS, then CPU), 'cuda', 'mps' or 'cpu'."""
    import torch

    if preference not in ("auto", "cuda", "mps", "cpu"):
        raise ValueError(f"Unknown device {preference!r}; use auto, cuda, mps or cpu.")
    if preference in ("auto", "cuda") and torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if preference in ("auto", "mps") and mps is not None and mps.is_available():
        return torch.device("mps")
    if preference not in ("auto", "cpu"):
        raise ValueError(f"The {preference} device is not available on this machine.")
    return torch.device("cpu")


def detect() -> dict[str, Any]:
    """Describe the device torch jobs will use. Imports torch: call it in a child process."""
    import torch

    chosen = torch_device()
    info: dict[str, Any] = {
        "device": chosen.type,
        "torch": torch.__version__,
        "cpu_count": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "processor": platform.processor() or platform.machine(),
    }
    if chosen.type == "cuda":
        properties = torch.cuda.get_device_properties(0)
        info["name"] = properties.name
        info["memory_gb"] = round(properties.total_memory / 2**30, 1)
    elif chosen.type == "mps":
        info["name"] = "Apple GPU (Metal)"
    else:
        info["name"] = f"CPU, {os.cpu_count()} cores"
    info["warnings"] = version_warnings()
    return info


# Packages whose version the core's numerics depend on. The project pins them in requirements.txt,
# but core code must also run where other versions are installed (a lent GPU machine has its
# own torch), so a difference is a warning, never a refusal.
CHECKED_PACKAGES = ("torch", "torchvision", "numpy", "keras")


def version_warnings(requirements: str | os.PathLike | None = None) -> list[str]:
    """One sentence per checked package whose installed version differs from its pin."""
    import importlib.metadata
    import re
    from pathlib import Path

    path = Path(requirements) if requirements else Path(__file__).resolve().parent.parent / "requirements.txt"
    try:
        text = path.read_text()
    except OSError:
        return []  # an installed copy without the repository: nothing to compare with
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;#]+)", text, flags=re.MULTILINE))
    warnings = []
    for name in CHECKED_PACKAGES:
        if name not in pins:
            continue
        try:
            found = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # not needed by everything (keras only for sketches); the caller's import says so
        if found.split("+")[0] != pins[name]:
            warnings.append(
                f"{name} {found} is installed; Atelier is tested with {pins[name]}. "
                "It should work; report what does not."
            )
    return warnings


def describe_loaded() -> dict[str, Any]:
    """The device of the frameworks this process already loaded; imports nothing new."""
    info: dict[str, Any] = {"cpu_count": os.cpu_count()}
    if "torch" in sys.modules:
        info["torch"] = torch_device().type
    if "tensorflow" in sys.modules:
        tensorflow = sys.modules["tensorflow"]
        gpus = tensorflow.config.list_physical_devices("GPU")
        info["tensorflow"] = "gpu" if gpus else "cpu"
    return info


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and whichever of torch and TensorFlow are loaded."""
    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(seed)


def skip_dynamo_import() -> None:
    """Save torch._dynamo's import (about 1.5 s on 2 cores) for runs that never compile.

    torch.optim wraps ``Optimizer.zero_grad``, ``add_param_group``, ``state_dict`` and
    ``load_state_dict`` in ``torch._disable_dynamo``, whose wrapper imports torch._dynamo on its
    first call only to build a "do not compile this" version of the function, then caches it on
    the function as ``__dynamo_disable``. Atelier never calls torch.compile, so that version can
    be the function itself: it is cached here before the first call, and the import never
    happens (L-BFGS then runs without it; Adam's step still imports it). Where a torch release
    wraps them differently, nothing is changed. Measured in bench/results/style.txt."""
    import torch

    for name in ("zero_grad", "add_param_group", "state_dict", "load_state_dict"):
        original = getattr(getattr(torch.optim.Optimizer, name, None), "__wrapped__", None)
        if callable(original) and not hasattr(original, "__dynamo_disable"):
            setattr(original, "__dynamo_disable", original)


def resolve_precision(precision: str, where):
    """torch dtype for 'auto', 'float32' or 'bfloat16' on this device."""
    import torch

    if precision == "float32":
        return torch.float32
    if precision == "bfloat16":
        return torch.bfloat16
    if where.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    if where.type == "cpu" and torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return torch.bfloat16
    return torch.float32

"""Lazy package attributes: ``package.name`` imports the file that defines it on first use.

A tool's package lists its public names by the file they live in; the package itself then loads
nothing heavy, so importing a settings dataclass from it (``from core.sketch.config import ...``
runs ``core/sketch/__init__.py`` first) costs no OpenCV, SciPy or fonts. PEP 562 module
``__getattr__`` and ``__dir__``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_attributes(
    package: str, layout: dict[str, tuple[str, ...]], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """(``__getattr__``, ``__dir__``) for ``package``, whose ``layout`` maps each submodule to the
    public names it defines; ``namespace`` is the package's ``globals()``, listed by ``dir``."""
    home = {name: module for module, names in layout.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name in home:
            return getattr(importlib.import_module(f"{package}.{home[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*namespace, *home})

    return __getattr__, __dir__

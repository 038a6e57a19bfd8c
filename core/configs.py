"""Typed configs: every tool's hyperparameters are a dataclass; these helpers move them
through JSON (job files, run cards, the command line) without losing their types."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, TypeVar

Config = TypeVar("Config")


def from_dict(config_class: type[Config], data: dict[str, Any]) -> Config:
    """Build ``config_class`` from a dict, refusing names it does not have."""
    known = {field.name: field for field in dataclasses.fields(config_class)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValueError(f"Unknown setting(s) for {config_class.__name__}: {', '.join(unknown)}.")
    hints = typing.get_type_hints(config_class)
    values = {name: _coerce(hints[name], value) for name, value in data.items()}
    return config_class(**values)


def to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def _coerce(hint: Any, value: Any) -> Any:
    # JSON turns tuples into lists and may hold 3 where 3.0 was meant; put that right.
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    origin = typing.get_origin(hint)
    if origin is tuple and isinstance(value, list):
        return tuple(value)
    return value

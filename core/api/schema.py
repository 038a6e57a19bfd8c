"""A tool's settings as JSON Schema, and a request's settings checked against the same declaration.

Both come from the config's ``setting`` declarations (``core.configs``), as the page's sliders and
the command line's flags do: a range there is ``minimum``/``maximum`` here, choices are an ``enum``,
the help is the ``description``. Through the API a value outside the declared range is refused
(the page's sliders cannot go there either); the command line alone may go past them.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from typing import Any

from core import configs

_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}


def _type_of(kind: Any) -> dict[str, Any]:
    if kind in _TYPES:
        return {"type": _TYPES[kind]}
    if typing.get_origin(kind) is tuple:
        items = [arg for arg in typing.get_args(kind) if arg is not Ellipsis]
        return {"type": "array", "items": {"type": _TYPES.get(items[0] if items else str, "string")}}
    return {}


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))  # tuples as lists, as a request holds them


def json_schema(config_class: type, *, title: str = "") -> dict[str, Any]:
    """The config's settings as a JSON Schema object (draft 2020-12)."""
    properties = {}
    for field in dataclasses.fields(config_class):
        found = configs.spec(config_class, field.name)
        prop: dict[str, Any] = {"title": found.label, **_type_of(found.kind)}
        if found.help:
            prop["description"] = found.help
        default = found.default
        if default is dataclasses.MISSING and field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        if default is not dataclasses.MISSING:
            prop["default"] = _plain(default)
        if found.low is not None and found.high is not None:
            prop["minimum"], prop["maximum"] = found.low, found.high
        if found.choices:
            prop["enum"] = _plain(list(found.choices))
        elif found.options:
            prop["examples"] = _plain(list(found.options))
        properties[field.name] = prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title or config_class.__name__,
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


def problems(config_class: type, values: Any) -> tuple[Any, list[dict[str, Any]]]:
    """(the config, []) for settings that fit the declaration; else (None, a problem per setting:
    {"setting", "message"} and, for a number out of its range, "minimum" and "maximum")."""
    if not isinstance(values, dict):
        return None, [{"setting": None, "message": "settings must be a JSON object of setting: value."}]
    names = [field.name for field in dataclasses.fields(config_class)]
    unknown = sorted(set(values) - set(names))
    if unknown:
        allowed = ", ".join(names)
        return None, [
            {"setting": name, "message": f"{name} is not a setting of this tool ({allowed})."} for name in unknown
        ]
    try:
        config = configs.from_dict(config_class, values)
    except (ValueError, TypeError) as error:
        message = str(error)
        setting = next((name for name in names if message.startswith(f"{name} ")), None)
        return None, [{"setting": setting, "message": message}]
    found = []
    for field in dataclasses.fields(config):
        declared = configs.spec(config_class, field.name)
        value = getattr(config, field.name)
        if (
            declared.low is None
            or declared.high is None
            or isinstance(value, bool)
            or not isinstance(value, int | float)
        ):
            continue
        if not declared.low <= value <= declared.high:
            found.append(
                {
                    "setting": field.name,
                    "message": f"{field.name} is {value:g}, outside its range {declared.low:g} to {declared.high:g}.",
                    "minimum": declared.low,
                    "maximum": declared.high,
                }
            )
    return (None, found) if found else (config, [])

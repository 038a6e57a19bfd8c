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
    for name, value in values.items():
        _check_type(name, hints[name], value)
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


_TYPE_WORDS = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}


def _check_type(name: str, hint: Any, value: Any) -> None:
    """A value of the wrong kind (text where a number goes, a number for a switch) is refused by
    name, where it comes in, rather than failing deep inside the tool."""
    if hint not in _TYPE_WORDS:
        return
    fits = isinstance(value, hint) and (hint is bool or not isinstance(value, bool))
    if not fits:
        raise ValueError(f"{name} must be {_TYPE_WORDS[hint]}, not {value!r}.")


def out_of_range(config: Any) -> list[str]:
    """A sentence per setting outside its declared range (``low``-``high``, the page's slider). The
    command line may go past a slider (a 5-step test run), so this says, and the caller decides."""
    problems = []
    for field in dataclasses.fields(config):
        declared = field.metadata.get("spec", {})
        low, high, value = declared.get("low"), declared.get("high"), getattr(config, field.name)
        if low is None or high is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if not low <= value <= high:
            problems.append(f"{field.name} is {value:g}, outside its range {low:g} to {high:g}.")
    return problems


# --- each parameter declared once ------------------------------------------------------------
#
# A config field made with ``setting`` carries what the command line and the page need to offer
# it: help, a label, a range or a list of values, choices, and (where the command line's flag is
# not the field's name) the flag. ``add_arguments`` derives argparse options from it and
# ``ui/settings.py`` derives the page's widgets, so a default, a range or a help text is written
# in one place.


@dataclasses.dataclass(frozen=True)
class Spec:
    name: str
    default: Any
    kind: type
    help: str = ""
    label: str = ""
    low: float | None = None  # a slider's range
    high: float | None = None
    step: float | None = None
    options: tuple = ()  # a select slider's values
    choices: tuple = ()  # the only values allowed (a radio, a menu, argparse choices)
    flag: str = ""  # the command line's flag where it is not --field-name


def setting(
    default: Any,
    help: str = "",
    *,
    label: str = "",
    low: float | None = None,
    high: float | None = None,
    step: float | None = None,
    options: tuple = (),
    choices: tuple = (),
    flag: str = "",
):
    """A dataclass field with its help, label, range or values, and command-line flag."""
    return dataclasses.field(
        default=default,
        metadata={
            "spec": dict(
                help=help,
                label=label,
                low=low,
                high=high,
                step=step,
                options=tuple(options),
                choices=tuple(choices),
                flag=flag,
            )
        },
    )


def check_choices(config: Any) -> None:
    """Refuse a value outside a setting's declared choices, naming the setting and what it allows
    (every config's ``__post_init__`` calls it, so a job file, a form and a flag meet one check)."""
    for field in dataclasses.fields(config):
        choices = field.metadata.get("spec", {}).get("choices", ())
        value = getattr(config, field.name)
        if choices and value not in choices:
            allowed = ", ".join(map(str, choices))
            raise ValueError(f"{field.name} must be one of {allowed}, not {value!r}.")


def spec(config_class: type, name: str) -> Spec:
    """What ``setting`` declared for ``name`` (a plain field gets its default and type only)."""
    fields = {field.name: field for field in dataclasses.fields(config_class)}
    if name not in fields:
        raise ValueError(f"{config_class.__name__} has no setting {name!r}.")
    field = fields[name]
    kind = typing.get_type_hints(config_class)[name]
    declared = dict(field.metadata.get("spec", {}))
    declared["label"] = declared.get("label") or name.replace("_", " ").capitalize()
    return Spec(name=name, default=field.default, kind=kind, **declared)


def add_arguments(
    parser,
    config_class: type,
    names: list[str],
    *,
    default: Any = dataclasses.MISSING,
    helps: dict[str, str] | None = None,
) -> None:
    """Add an option per setting in ``names``: ``--field-name`` (or its declared flag), its type,
    choices and help, the dataclass default (or ``default`` for every one of them: None where the
    command resolves it later). A bool that defaults to False is a switch."""
    for name in names:
        found = spec(config_class, name)
        flag = found.flag or "--" + name.replace("_", "-")
        text = (helps or {}).get(name, found.help) or None
        value = found.default if default is dataclasses.MISSING else default
        if found.kind is bool:
            if found.default is not False:
                raise ValueError(f"{name}: only a setting that defaults to False can be a switch.")
            parser.add_argument(flag, dest=name, action="store_true", help=text)
            continue
        parser.add_argument(
            flag, dest=name, type=found.kind, default=value, help=text, choices=list(found.choices) or None
        )

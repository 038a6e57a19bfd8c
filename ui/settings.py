"""Page widgets derived from a config's declared settings (``core.configs.setting``): the label,
help, range or values and default are read from the dataclass, never typed again in a page."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core import configs
from ui import restore


def widget(
    config_class: type,
    name: str,
    *,
    key: str,
    value: Any = None,
    label: str = "",
    help: str = "",
    options: tuple | list | None = None,
    format_func=None,
    **extra: Any,
) -> Any:
    """The widget a setting calls for, with its declared default unless ``value`` is given:
    a toggle for a bool, a radio for choices, a select slider for a list of values, a slider
    for a range, a number box otherwise. ``options`` narrows the declared values."""
    found = configs.spec(config_class, name)
    restore.remember(config_class, name, key)  # what "Open an Atelier result" shows as the page's value
    applied = restore.take(config_class, name, key)  # a value it applied, into the session first
    label = label or found.label
    help = help or found.help or None
    value = found.default if value is None else value
    # A value just applied is in the session: giving a default as well makes Streamlit warn. Otherwise
    # the default is always given, so a widget whose state was lost comes back at it.
    placed = applied
    if found.kind is bool:
        return st.toggle(label, **({} if placed else {"value": bool(value)}), key=key, help=help, **extra)
    if found.choices:
        choices = list(options or found.choices)
        index = 0 if placed or value not in choices else choices.index(value)
        return st.radio(label, choices, index=index, key=key, help=help, format_func=format_func or str, **extra)
    if found.options or options:
        values = list(options or found.options)
        given = {} if placed else {"value": value if value in values else values[0]}
        return st.select_slider(label, values, **given, key=key, help=help, format_func=format_func or str, **extra)
    if found.low is not None and found.high is not None:
        kind = float if found.kind is float else int
        step = kind(found.step) if found.step is not None else kind(1) if kind is int else None
        given = {} if placed else {"value": kind(value)}
        return st.slider(label, kind(found.low), kind(found.high), **given, step=step, key=key, help=help, **extra)
    if found.kind is str:
        return st.text_input(label, **({} if placed else {"value": value}), key=key, help=help, **extra)
    return st.number_input(label, **({} if placed else {"value": value}), key=key, help=help, **extra)


def values(
    config_class: type,
    names: list[str] | tuple[str, ...],
    *,
    prefix: str,
    widgets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A widget per name in ``names`` (in that order, each from its declaration, keyed
    ``<prefix>_<name>``) and what they hold, by setting. ``widgets`` changes a setting's widget: a
    dict of ``widget`` arguments (key, help, format_func, horizontal, ...), or a function that draws
    it and returns the value. A form in parts (some settings in an expander) calls this per part."""
    found = {}
    for name in names:
        custom = (widgets or {}).get(name, {})
        if callable(custom):
            restore.hand_over(config_class, name, f"{prefix}_{name}")  # its own widget takes it, keyed the usual way
            found[name] = custom()
            if f"{prefix}_{name}" in st.session_state:  # the page's own widget, keyed the usual way
                restore.remember(config_class, name, f"{prefix}_{name}", overwrite=False)
            continue
        found[name] = widget(config_class, name, **{"key": f"{prefix}_{name}", **custom})
    return found


def build(config_class: type, values: dict[str, Any], **fixed: Any) -> Any:
    """The config the form's values make (and ``fixed`` ones with no widget), in one call; a bad
    value or combination raises ValueError in the config's own words, for the page to show."""
    return configs.from_dict(config_class, {**values, **fixed})


def form(
    config_class: type,
    names: list[str] | tuple[str, ...],
    *,
    prefix: str,
    widgets: dict[str, Any] | None = None,
    **fixed: Any,
) -> Any:
    """The settings form in one part: its widgets, then the config they make (``build``)."""
    return build(config_class, values(config_class, names, prefix=prefix, widgets=widgets), **fixed)

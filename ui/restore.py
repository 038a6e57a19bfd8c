"""'Open an Atelier result' on every tool page: a file Atelier made carries its settings inside
(``core.provenance``); dropped here, they are shown against the page's current ones, and Apply
puts them into the page's form.

Apply does not reach into the form (its widgets may sit in a tab not drawn yet, or above this panel):
it leaves the values pending, by setting, and each widget takes its own as it is drawn
(``ui.settings.widget`` calls ``take``; a page's own widgets call ``initial``). So this works for
every form built from a config's declarations; a tool whose page offers a setting in its own way
(Style Transfer's strength slider) adds those widgets' values with a ``fill`` function. A value a
slider cannot show (a command-line run past the page's range) is brought inside it, and the page
says so.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from typing import Any

import streamlit as st

from core import __version__, configs, provenance, tools

log = logging.getLogger(__name__)

KEYS = "_setting_widget_keys"  # session state: "ConfigClass.setting" -> the widget's key (for "Now")
PENDING = "_restore_pending"  # "ConfigClass.setting" or a widget's key -> the value Apply left for it
ROUND = "_restore_round"  # bumped to empty the uploader after Apply or Cancel
FLASH = "_restore_flash"  # what a change from below the form did, said once on the next run
SLOT = "_restore_slot"  # this run's container at the top of the settings, for what is said

# A config's values -> {widget key: value}, plus "_covers": the settings it placed (or that the page
# cannot take from a file, such as an uploaded font), which the declarations' plan leaves alone.
Fill = Callable[[dict[str, Any]], dict[str, Any]]


def initial(key: str, value: Any) -> dict[str, Any]:
    """A page's own widget's ``value`` argument: ``{"value": value}``, or ``{}`` when a value Apply
    left for ``key`` has just gone into the session (Streamlit warns when it gets both; and a
    widget always given its default falls back to it, not to its minimum, should its state go)."""
    return {} if place(key) else {"value": value}


def place(key: str) -> bool:
    """Before a page's own widget keyed ``key`` is drawn: a value Apply left for it, into the
    session. True when there was one."""
    pending = st.session_state.get(PENDING, {})
    if key in pending:
        st.session_state[key] = pending.pop(key)
        return True
    return False


def take(config_class: type, name: str, key: str) -> bool:
    """Before a declared setting's widget is drawn: the value Apply left for it, into the session
    under the widget's key. True when there was one."""
    pending = st.session_state.get(PENDING, {})
    for pending_key in (key, f"{config_class.__name__}.{name}"):
        if pending_key in pending:
            st.session_state[key] = pending.pop(pending_key)
            return True
    return False


def hand_over(config_class: type, name: str, key: str) -> None:
    """A value Apply left for a setting the page draws with its own widget (keyed ``key``): left
    pending under that key, for the widget's ``initial`` or ``place`` to take."""
    pending = st.session_state.get(PENDING, {})
    qualified = f"{config_class.__name__}.{name}"
    if qualified in pending:
        pending[key] = pending.pop(qualified)


def nearest(options, value):
    """The option closest to ``value`` (a select slider holds only its own values)."""
    return min(options, key=lambda option: abs(option - value))


def remember(config_class: type, name: str, key: str, *, overwrite: bool = True) -> None:
    """Note which widget offers ``name`` of ``config_class`` (``ui.settings`` calls this)."""
    keys = st.session_state.setdefault(KEYS, {})
    if overwrite or f"{config_class.__name__}.{name}" not in keys:
        keys[f"{config_class.__name__}.{name}"] = key


_FILLS: dict[str, Fill | None] = {}  # the stamps' tools the pages open, with their fills (open_result_panel)
# Where each tool's fill lives, for a change made on another page (History's "Use these settings")
# before the tool's own page has been drawn in this server.
FILL_FUNCTIONS = {
    "ascii": "ui.ascii:restored_widgets",
    "style": "ui.style:restored_widgets",
    "style-video": "ui.style:restored_video_widgets",
    "sketch-train": "ui.sketch:restored_train_widgets",
    "sketch-video": "ui.sketch:restored_video_widgets",
    "gan": "ui.gan:restored_widgets",
}


def fill_for(tool_name: str) -> Fill | None:
    """The tool's fill: the one its page registered, else the one FILL_FUNCTIONS names."""
    if tool_name in _FILLS:
        return _FILLS[tool_name]
    if tool_name not in FILL_FUNCTIONS:
        return None
    import importlib

    module, _, name = FILL_FUNCTIONS[tool_name].partition(":")
    return getattr(importlib.import_module(module), name)


def reuse(stamp: provenance.Stamp, *, remix: bool = False, words: str = "the run") -> provenance.Stamp:
    """'Use these settings' (or 'Remix': the same with a new seed) of one of this person's runs:
    the values left pending for the page's form, and a line saying so; the caller reruns."""
    import secrets

    config = tools.config_of(stamp)
    if remix and hasattr(config, "seed"):
        config = dataclasses.replace(config, seed=secrets.randbelow(2**31 - 1))
    said = f"The settings of {words} are in the form" + (f", with a new seed ({config.seed})." if remix else ".")
    # From below the form (Earlier runs) or from another page (History): said on the next run.
    apply_config(stamp.tool, config, said, later=True)
    return stamp


def apply_config(tool_name: str, config: Any, said: str, *, quiet: bool = False, later: bool = False) -> None:
    """Leave ``config``'s values pending for the page's form (each widget takes its own as it is
    drawn, in this run when the form is still to come) and, unless ``quiet``, say ``said`` at the
    top of the page: now, or with ``later`` on the next run (a caller below the form reruns)."""
    plan, notes, left_out = planned(tool_name, config, fill_for(tool_name))
    st.session_state[PENDING] = plan
    if left_out:
        notes = [*notes, "Not on this page's form, so kept as they are: " + ", ".join(left_out) + "."]
    if quiet:
        return
    if later:
        st.session_state[FLASH] = (said, notes)
    else:
        say(said, notes)


def say(said: str, notes: list[str] = ()) -> None:
    """A line at the top of the page's settings, in this run (the slot open_result_panel made)."""
    slot = st.session_state.get(SLOT)
    with slot if slot is not None else st.container():
        st.success(said, icon=":material/file_open:")
        for note in notes:
            st.caption(note)


def open_result_panel(accepted: dict[str, Fill | None], run_folder: Callable[[str], Any] | None = None) -> None:
    """The expander at the top of a tool's settings: ``accepted`` names the stamps' tools this
    page opens, each with an optional ``fill`` for the widgets its declaration does not cover.
    Call it above the form: a widget's value can only be set before the widget is drawn.
    ``run_folder`` gives this person's run folder by id (``ValueError`` for another's): a result of
    one of their own runs can bring that run's input pictures back too."""
    _FILLS.update(accepted)
    flash = st.session_state.pop(FLASH, None)
    # Always one container here, empty or not: a message that comes and goes must not move what
    # follows (Streamlit would draw the expanders below as new ones, closed, and leave stale copies).
    st.session_state[SLOT] = st.container()
    if flash:
        say(*flash)
    with st.expander("Open an Atelier result", icon=":material/file_open:"):
        upload = st.file_uploader(
            "A picture, clip, text, page or zip Atelier made: its settings are inside it",
            type=sorted({suffix.lstrip(".") for suffix in provenance.SUFFIXES}),
            key=f"restore_upload_{st.session_state.get(ROUND, 0)}",
        )
        if upload is not None:
            body = st.empty()  # emptied once Apply or Cancel is pressed: the form below shows the outcome
            with body.container():
                _offer(upload.name, upload.getvalue(), accepted, body, run_folder)


def _offer(name: str, data: bytes, accepted: dict[str, Fill | None], body, run_folder=None) -> None:
    try:
        stamp = provenance.read(data, name)
    except ValueError as error:
        st.error(str(error))
        return
    if stamp.tool not in accepted:
        found = tools.TOOLS.get(stamp.tool)
        if found is None:
            st.error(f"These settings are for a tool this Atelier does not have ({stamp.tool!r}).")
        else:
            st.warning(f"{name} is a {found.title} result: open it on that page.")
            st.page_link(found.page, label=f"Go to {found.title}", icon=":material/arrow_forward:")
        return
    try:
        config = tools.config_of(stamp)
    except ValueError as error:
        st.error(f"The settings in {name} cannot be used here: {error}")
        return
    plan, notes, left_out = planned(stamp.tool, config, accepted[stamp.tool])
    for warning in _warnings(stamp):
        st.warning(warning, icon=":material/warning:")
    changed = [(key, _now(key, config), value) for key, value in plan.items()]
    changed = [(key, now, value) for key, now, value in changed if now != value]
    st.caption(
        f"{tools.TOOLS[stamp.tool].title}, made {stamp.made or 'at an unknown time'} by Atelier {stamp.version}"
        + (f", seed {stamp.seed}" if stamp.seed is not None else "")
    )
    if changed:
        st.dataframe(
            [{"Setting": _label(key), "Now": _shown(now), "In the file": _shown(value)} for key, now, value in changed],
            hide_index=True,
            width="stretch",
            key="restore_differences",
        )
    else:
        st.info("The page already has these settings.")
    for note in notes:
        st.caption(note)
    if left_out:
        st.caption("Not on this page's form, so kept as they are: " + ", ".join(left_out) + ".")
    source = _own_run_with_inputs(stamp, run_folder)
    if source is not None:
        st.caption("The run that made it is yours and keeps its input pictures: Apply brings them back too.")
    apply_column, inputs_column, cancel_column = st.columns(3)
    # Callbacks, not code after the buttons: they run before the next run draws anything, so the
    # pickers above show the run's pictures and each widget of the form takes its value as it is
    # drawn (a rerun from here would lose the state of the widgets below that it did not draw).
    apply_column.button(
        "Apply",
        type="primary",
        key="restore_apply",
        disabled=not changed and source is None,
        on_click=_applied,
        args=(dict(plan), f"Applied {len(changed)} setting(s) from {name}.", list(notes), source, stamp.tool),
    )
    inputs_column.button(
        "Inputs only",
        key="restore_inputs",
        disabled=source is None,
        on_click=_applied,
        args=(
            {},
            f"The input pictures of the run that made {name} are back; the settings are as they were.",
            [],
            source,
            stamp.tool,
        ),
        help="The pictures the run started from, back in the pickers, and the settings left as they are. "
        + (
            ""
            if source is not None
            else "Only for a result of one of your own runs that keeps its pictures (Style Transfer)."
        ),
    )
    if cancel_column.button("Cancel", key="restore_cancel"):
        _close(body)  # the last thing drawn here: nothing may go into the emptied place after it


def _own_run_with_inputs(stamp: provenance.Stamp, run_folder) -> Any:
    """The folder of the stamp's run, when it is this person's and keeps input pictures; else None."""
    from ui import send

    if not stamp.run or stamp.tool not in send.RUN_INPUTS or run_folder is None:
        return None
    try:
        folder = run_folder(stamp.run)  # owner-checked: another's run reads as an unknown one
    except ValueError:
        return None
    return folder if any(folder.input(name).is_file() for name, _ in send.RUN_INPUTS[stamp.tool]) else None


def _applied(plan: dict[str, Any], said: str, notes: list[str], source, tool: str) -> None:
    from ui import send

    if plan:
        st.session_state[PENDING] = plan
    if source is not None:
        send.inputs_back(source, tool)
    st.session_state[FLASH] = (said, notes)
    st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1  # the next run's uploader is empty


def _close(body) -> None:
    st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1  # the next run's uploader is empty
    body.empty()


def planned(tool_name: str, config: Any, fill: Fill | None) -> tuple[dict[str, Any], list[str], list[str]]:
    """What Apply leaves pending ("ConfigClass.setting" or a widget's key -> value), the notes on
    values brought into a widget's range, and the settings the page's form (as last drawn) has no
    widget for although the file's value is not the default."""
    config_class = type(config)
    keys = st.session_state.get(KEYS, {})
    drawn = {qualified for qualified in keys if qualified.startswith(f"{config_class.__name__}.")}
    values = configs.to_dict(config)
    plan, notes, left_out = {}, [], []
    extra = dict(fill(values)) if fill else {}
    covered = set(extra.pop("_covers", ()))
    defaults = configs.to_dict(config_class()) if _has_defaults(config_class) else {}
    for name, value in values.items():
        qualified = f"{config_class.__name__}.{name}"
        if name in covered or name in _inputs(tool_name):
            continue
        if drawn and qualified not in drawn:
            if name in defaults and defaults[name] != value:
                left_out.append(name)
            continue
        fitted, note = fit(config_class, name, value)
        plan[qualified] = fitted
        if note:
            notes.append(note)
    plan.update(extra)
    return plan, notes, left_out


def _now(pending_key: str, config: Any) -> Any:
    """What the page holds now for a pending key: its widget's value, else the declared default."""
    keys = st.session_state.get(KEYS, {})
    key = keys.get(pending_key, pending_key)
    if key in st.session_state:
        return st.session_state[key]
    class_name, _, name = pending_key.partition(".")
    if class_name == type(config).__name__ and name:
        return configs.spec(type(config), name).default
    return None


def fit(config_class: type, name: str, value: Any) -> tuple[Any, str]:
    """``value`` as the setting's widget can hold it: inside a slider's range, or the nearest of a
    select slider's values; with a sentence when it had to change."""
    found = configs.spec(config_class, name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value, ""
    if found.options and value not in found.options:
        nearest = min(found.options, key=lambda option: abs(option - value))
        return nearest, f"{found.label}: {value:g} is not one of the page's values; set to {nearest:g}."
    if found.low is not None and found.high is not None and not found.low <= value <= found.high:
        inside = type(value)(min(max(value, found.low), found.high))
        return inside, f"{found.label}: {value:g} is outside the page's range; set to {inside:g}."
    return value, ""


def _has_defaults(config_class: type) -> bool:
    return all(
        field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
        for field in dataclasses.fields(config_class)
    )


def _inputs(tool_name: str) -> tuple[str, ...]:
    return tools.TOOLS[tool_name].inputs


def _warnings(stamp: provenance.Stamp) -> list[str]:
    warnings = []
    if stamp.version != __version__:
        warnings.append(
            f"Made by Atelier {stamp.version}; this is {__version__}: the same settings may not give the same result."
        )
    here = tools.weights_of(stamp.tool, stamp.config)
    changed = [name for name, digest in stamp.weights.items() if name in here and here[name] != digest]
    if changed:
        warnings.append(
            f"The {', '.join(changed)} weights here are not the ones that made this file: the result will differ."
        )
    return warnings


def _label(pending_key: str) -> str:
    class_name, _, name = pending_key.partition(".")
    if name:  # a declared setting
        return name.replace("_", " ")
    return pending_key.split("_", 1)[-1].replace("_", " ")  # a page's own widget, by its key


def _shown(value: Any) -> str:
    return "—" if value is None else value if isinstance(value, str) else json.dumps(value)

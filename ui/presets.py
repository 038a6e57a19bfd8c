"""Presets on a tool page (core.presets): the built-in ones and this person's own, applied into the
form through ``ui.restore`` (so a widget takes its value as it is drawn), saved from the settings
on screen, renamed, deleted, exported and imported; and the settings a person last used on a tool
put back into the form when they come back to it in a new session.
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from core import presets, tools
from ui import files, identity, restore
from ui.common import RUNS_DIR

log = logging.getLogger(__name__)


def _store() -> presets.PresetStore | None:
    who = identity.owner()
    return None if who is None else presets.PresetStore(RUNS_DIR, who)


def presets_panel(tool_name: str) -> None:
    """The Presets expander for one tool (above its form), and, once a session, the person's last
    settings on it put back."""
    store = _store()
    if store is None:
        return
    _bring_back_last(tool_name, store)
    found = tools.TOOLS[tool_name]
    # No reruns in here: this sits above the form, and a rerun from above it loses the state of the
    # widgets it did not draw. So each part acts as it is drawn, and the chooser, drawn first on
    # screen, is filled last, when saves, renames, deletes and imports are done.
    with st.expander("Presets", icon=":material/tune:"):
        chooser = st.container()
        _save_part(tool_name, store)
        mine = store.mine(tool_name)
        if mine:
            _manage_part(tool_name, store, mine)
        _import_part(tool_name, store)
        choices = presets.builtin(tool_name) + store.mine(tool_name)
        with chooser:
            chosen = st.selectbox(
                "Preset",
                range(len(choices)),
                format_func=lambda index: _words(choices[index]) if index < len(choices) else "",
                key=f"presets_{tool_name}_pick",
                help=f"Built in: chosen by looking at what they make. Yours: saved from {found.title}'s settings.",
            )
            preset = choices[min(chosen or 0, len(choices) - 1)]
            if preset.description:
                st.caption(preset.description)
            if st.button("Apply the preset", key=f"presets_{tool_name}_apply", type="primary"):
                _apply(tool_name, preset)


def _words(preset: presets.Preset) -> str:
    return f"{preset.name} (built in)" if preset.builtin else f"{preset.name} (yours)"


def _apply(tool_name: str, preset: presets.Preset) -> None:
    try:
        config = preset.config()
    except ValueError as error:
        st.error(f"The preset {preset.name!r} no longer fits this Atelier: {error}")
        return
    restore.apply_config(tool_name, config, f"The preset {preset.name!r} is in the form.")


def _save_part(tool_name: str, store: presets.PresetStore) -> None:
    st.markdown("**Save the settings on screen as a preset**")
    name = st.text_input("Name", key=f"presets_{tool_name}_name", placeholder="My settings")
    if st.button("Save", key=f"presets_{tool_name}_save", icon=":material/bookmark_add:"):
        current = store.last(tool_name)
        if current is None:
            st.error("The form's settings are not complete yet: fix what the page says, then save.")
            return
        try:
            saved = store.save(tool_name, name, current)
        except ValueError as error:
            st.error(str(error))
            return
        restore.say(f"Saved the settings on screen as your preset {saved.name!r}.")


def _manage_part(tool_name: str, store: presets.PresetStore, mine: list[presets.Preset]) -> None:
    st.markdown("**Your presets**")
    which = st.selectbox("Which", [preset.name for preset in mine], key=f"presets_{tool_name}_mine")
    new_name = st.text_input("New name", key=f"presets_{tool_name}_new_name")
    rename, delete, export = st.columns(3)
    try:
        if rename.button("Rename", key=f"presets_{tool_name}_rename", disabled=not new_name.strip()):
            store.rename(tool_name, which, new_name)
            restore.say(f"Renamed your preset {which!r} to {' '.join(new_name.split())!r}.")
        if delete.button("Delete", key=f"presets_{tool_name}_delete"):
            store.delete(tool_name, which)
            restore.say(f"Deleted your preset {which!r}.")
    except ValueError as error:
        st.error(str(error))
    files.download_inline(
        "Export",
        store.export(tool_name),
        f"atelier-{tool_name}-presets.json",
        "application/json",
        key=f"presets_{tool_name}_export",
        target=export,
    )


def _import_part(tool_name: str, store: presets.PresetStore) -> None:
    round_key = f"presets_{tool_name}_import_round"
    upload = st.file_uploader(
        "Import presets (an export, or an Atelier result: its settings become a preset)",
        type=["json", "png", "jpg", "jpeg", "webp", "txt", "html", "svg", "zip", "mp4"],
        key=f"presets_{tool_name}_import_{st.session_state.get(round_key, 0)}",
    )
    if upload is None:
        return
    try:
        added = store.import_(upload.getvalue(), upload.name)
    except ValueError as error:
        st.error(str(error))
        return
    st.session_state[round_key] = st.session_state.get(round_key, 0) + 1  # the next run's uploader is empty
    restore.say(f"Imported {len(added)} preset(s): {', '.join(added)}.")


def remember(tool_name: str, config: Any) -> None:
    """The settings on screen, kept as this person's last on the tool (and what Save saves)."""
    store = _store()
    if store is None or config is None:
        return
    try:
        store.remember_last(tool_name, config)
    except OSError:
        log.exception("could not keep the last settings of %s", tool_name)


def _bring_back_last(tool_name: str, store: presets.PresetStore) -> None:
    """Once a session, before the form is first drawn: the person's last settings on the tool."""
    flag = f"_presets_last_{tool_name}"
    if st.session_state.get(flag):
        return
    st.session_state[flag] = True
    config = store.last(tool_name)
    drawn = st.session_state.get(restore.KEYS, {})
    if config is None or any(key.startswith(f"{type(config).__name__}.") for key in drawn):
        return  # nothing kept, or the form was already drawn in this session (its values win)
    restore.apply_config(tool_name, config, "Your last settings on this tool are back.", quiet=True)

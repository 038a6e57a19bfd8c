"""The Sweep tab every tool with one shares (``core/sweep.py``): one or two of the tool's declared
settings stepped over values, every other setting as the form has it, run as one job in the fair
queue; the grid with labelled axes, and each cell's picture with its settings inside, to open in
the form."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import streamlit as st

from core import configs, sweep
from ui.common import format_seconds

LONG_SWEEP_SECONDS = 15 * 60


@dataclasses.dataclass(frozen=True)
class SweepTab:
    tool: str  # the tool's name for stamps and the form ("ascii", "style")
    run_tool: str  # the sweep's runs as run cards name them ("ascii-sweep")
    target: str  # its job ("core.ascii.sweep:job")
    config_class: type
    sweepable: dict[str, str]  # setting -> the values the box starts with
    key: str  # the widgets' key prefix ("ascii_sweep")
    cells_folder: str = "cells"
    unit: str = "cell"  # what the job's progress counts (a style sweep counts every optimisation step)
    # "Use this cell's settings" where a cell's settings do not go into the tool's form (GAN Studio's
    # sampling sweep: they go to the Generate tab): given the cell's stamp, it places them and says so.
    use_cell: Callable[[Any], None] | None = None


def panel(
    tab: SweepTab,
    config: Any,
    inputs: dict[str, Any],
    seconds_per_cell: Callable[[Any], tuple[float, str]],
    *,
    note: str = "",
    job_extra: dict[str, Any] | None = None,
) -> None:
    """The tab: the settings and their values, the cell count and an estimate (``seconds_per_cell``
    of the middle cell: seconds and what they rest on), Start, the job, and its cells. ``job_extra``
    goes into the job's config beside the base settings and the axes (the generator a sampling sweep
    draws from)."""
    from ui import jobs

    st.caption(
        "Step one or two settings over a few values, every other setting as the form has it: one job makes every "
        f"cell (at most {sweep.MAX_CELLS}) and lays them out as a grid, each cell's picture with its settings inside."
        + (f" {note}" if note else "")
    )
    names = list(tab.sweepable)

    def label(name: str) -> str:
        return configs.spec(tab.config_class, name).label if name else "Nothing (one row)"

    first, second = st.columns(2)
    with first:
        across = st.selectbox("Across", names, key=f"{tab.key}_x", format_func=label)
        across_values = st.text_input(
            "Values across",
            value=tab.sweepable[across],
            key=f"{tab.key}_x_values_{across}",
            help="V1,V2,... or START:STOP:COUNT (evenly spaced, ends included), within the setting's range.",
        )
    with second:
        down = st.selectbox(
            "Down (optional)", ["", *[name for name in names if name != across]], key=f"{tab.key}_y", format_func=label
        )
        down_values = (
            st.text_input("Values down", value=tab.sweepable[down], key=f"{tab.key}_y_values_{down}") if down else ""
        )
    sweep_job = jobs.current_job(tab.run_tool)
    try:
        axes = [sweep.parse_axis(tab.config_class, f"{across}={across_values}")]
        if down:
            axes.append(sweep.parse_axis(tab.config_class, f"{down}={down_values}"))
        cells = sweep.cells(config, axes)
    except ValueError as error:
        st.error(str(error))
    else:
        seconds, basis = seconds_per_cell(cells[len(cells) // 2].config)
        whole = seconds * len(cells) + 5
        said = (
            f":material/grid_on: **{len(cells)} cells** ({' x '.join(str(len(axis.values)) for axis in axes)}), "
            f"about **{format_seconds(whole)}** as a job ({basis}, plus the job's start)."
        )
        if whole > LONG_SWEEP_SECONDS:
            st.warning(said + " That is long: fewer values, or lighter settings, give an answer sooner.")
        else:
            st.caption(said)
        if st.button("Start the sweep", key=f"{tab.key}_start", type="primary", icon=":material/grid_on:"):
            sweep_job = (
                jobs.start(
                    tab.run_tool,
                    tab.target,
                    {
                        **(job_extra or {}),
                        "base": configs.to_dict(config),
                        "axes": [axis.to_dict() for axis in axes],
                    },
                    inputs=inputs,
                    title=" x ".join(f"{axis.name} {','.join(map(sweep.shown, axis.values))}" for axis in axes),
                )
                or sweep_job
            )
    if sweep_job:
        snapshot = jobs.job_view(sweep_job, curves=[["cell_seconds"]], unit=tab.unit, wide=True)
        if not snapshot.active:
            _cells(tab, sweep_job)


def cell_words(stem: str, names: list[str]) -> str:
    """A cell file's stem ("03-label_smoothing-0.1_seed-2") as "label_smoothing = 0.1, seed = 2": the
    swept settings' names (which may hold underscores) are found by name, longest first."""
    text = stem.split("-", 1)[1] if "-" in stem else stem
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(f"_{name}-", f", {name} = ")
        if text.startswith(f"{name}-"):
            text = f"{name} = {text[len(name) + 1 :]}"
    return text


def _cells(tab: SweepTab, run_id: str) -> None:
    """A finished sweep's cells: pick one, see it, and put its settings into the form."""
    from core import provenance, tools
    from ui import files, jobs, restore

    found = sorted((jobs.manager().run_dir(run_id) / tab.cells_folder).glob("*.png"))  # in cell order
    if not found:
        return
    chosen = st.selectbox(
        "Open a cell",
        found,
        key=f"{tab.key}_cell_{run_id}",
        format_func=lambda path: cell_words(path.stem, list(tab.sweepable)),
    )
    left, right = st.columns([2, 1])
    files.show(chosen, left, width="stretch")
    with right:
        try:
            stamp = provenance.read_file(chosen)
            cell_config = tools.config_of(stamp)
        except ValueError as error:
            st.caption(f"This cell's settings cannot be read: {error}")
            return
        files.download_run_file("This cell (PNG)", run_id, f"{tab.cells_folder}/{chosen.name}", key=f"{tab.key}_dl")
        if st.button("Use this cell's settings", key=f"{tab.key}_use", icon=":material/settings_backup_restore:"):
            if tab.use_cell is not None:
                tab.use_cell(stamp)
                st.rerun()
            restore.apply_config(
                tab.tool, cell_config, f"The settings of the sweep's cell {chosen.stem} are in the form.", later=True
            )
            st.rerun()

"""The one shape of a tool page, written once: the page's set-up, then inputs and settings side by
side (the settings a form built from the tool's config), then the same tabs in the same order on
every tool:

    Result        what the settings make of the inputs (a picture at once, or the job's run)
    Train         a model of one's own (tools that learn: Photo to Sketch, GAN Studio)
    Generate      sampling a trained model (GAN Studio)
    Live camera   the webcam through the tool (tools fast enough for it)
    Video file    a clip through the tool, as a job
    Sweep         one or two settings stepped over values, as one job: a grid to compare by eye
    Earlier runs  this person's finished runs of the tool, to open again

Above its settings every page offers "Open an Atelier result" (``open_result``): a file Atelier
made carries its settings, and Apply puts them into the form.

A page names the tabs it has; they come in this order whatever order it names them in, so a
person who learned one tool finds the same thing in the same place on the next. A mode with
inputs of its own (Photo to Sketch's and GAN Studio's Train, GAN Studio's Generate) keeps them in
its tab. Every panel a tab draws lives in the tool's ``ui/<tool>.py``, so a page reads top to
bottom: inputs, settings, Start, tabs.
"""

from __future__ import annotations

import streamlit as st

from ui import jobs, restore
from ui.common import page

TAB_ORDER = ("Result", "Train", "Generate", "Live camera", "Video file", "Sweep", "Batch", "Earlier runs")


def tool_page(title: str, icon: str, blurb: str) -> None:
    """The page's set-up (ui.common.page): the server log, the title, whose work it shows."""
    page(title, icon, blurb)


def inputs_and_settings(ratio: tuple[int, int] = (1, 2)):
    """The two columns every tool page starts with, above its tabs: the inputs on the left, the
    settings form (or what the inputs make at once) on the right."""
    return st.columns(list(ratio), gap="large")


def open_result(accepted: dict[str, restore.Fill | None]) -> None:
    """'Open an Atelier result', for the stamps' tools in ``accepted`` (each with the fill for
    widgets its config's declaration does not cover), then the Presets of the first of them (the
    page's main form). Call it above the settings form."""
    from ui import presets

    restore.open_result_panel(accepted, run_folder=jobs.manager().folder)
    presets.presets_panel(next(iter(accepted)))


def tabs(*labels: str) -> dict[str, st.delta_generator.DeltaGenerator]:
    """The tool's tabs, in the one order (TAB_ORDER), by label."""
    unknown = [label for label in labels if label not in TAB_ORDER]
    if unknown:
        raise ValueError(f"Unknown tab(s) {unknown}: a tool page's tabs are {', '.join(TAB_ORDER)}.")
    ordered = [label for label in TAB_ORDER if label in labels]
    return dict(zip(ordered, st.tabs(ordered), strict=True))


def earlier_runs(*tools: tuple[str, str]) -> None:
    """The Earlier runs tab: for each (tool, what its runs are) this person's finished runs."""
    for tool, words in tools:
        if len(tools) > 1:
            st.markdown(f"**{words}**")
        jobs.runs_list(tool, key=f"{tool}-runs")

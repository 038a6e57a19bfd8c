"""ASCII Art's Batch tab (``ui/batch.py``, job ``core/ascii/batch.py``): a file per picture in every
format picked, each with its settings inside."""

from __future__ import annotations

import dataclasses

import streamlit as st

import core.ascii as ascii_art
from core import configs
from core.ascii.batch import DEFAULT_FORMATS

BATCH_TOOL = "ascii-batch"


def batch_panel(config: ascii_art.AsciiConfig | None, font_file) -> None:
    from ui import batch as batch_ui

    formats = st.multiselect(
        "Files for each picture",
        list(ascii_art.EXPORT_FORMATS),
        default=list(DEFAULT_FORMATS),
        key="ascii_batch_formats",
    )
    if config is not None and font_file is not None:
        st.caption("The batch draws in the default font (an uploaded font is used by the page's own result).")
        config = dataclasses.replace(config, font="")
    tab = batch_ui.BatchTab(
        BATCH_TOOL, "core.ascii.batch:job", "ascii_batch", "a file per picture in each format picked", 0.3
    )

    def job_config(names: list[str], skipped: list[dict]) -> dict:
        return {"ascii": configs.to_dict(config), "names": names, "formats": formats, "skipped": skipped}

    ready = config is not None and formats
    batch_ui.panel(tab, job_config if ready else None, f"{config.columns} columns" if config else "")

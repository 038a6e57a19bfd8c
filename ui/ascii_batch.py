"""ASCII Art's Batch tab: many pictures (or zips of them) through the form's settings as one job
(``core/ascii/batch.py``): a file per picture and format, its settings inside, a contact sheet,
one zip, and every picture that could not be used listed with its reason."""

from __future__ import annotations

import dataclasses

import streamlit as st

import core.ascii as ascii_art
from core import configs, images
from core.ascii import batch

BATCH_TOOL = "ascii-batch"


@st.cache_data(max_entries=4, show_spinner=False)
def _gathered(files: tuple[tuple[str, bytes], ...]) -> tuple[list, list[dict], str]:
    """(pictures, what was left out, the reason nothing is left) for the uploads (read once per set)."""
    try:
        found, skipped = batch.gather(list(files))
    except ValueError as error:
        return [], [], str(error)
    return found, skipped, ""


def batch_panel(config: ascii_art.AsciiConfig | None, font_file) -> None:
    from ui import jobs

    st.caption(
        f"Up to {batch.MAX_PICTURES} pictures, or zips of them, drawn with the settings on the left as one job: "
        "a file per picture in every format you pick (each with its settings inside), a contact sheet and one zip. "
        "A picture that cannot be read is listed with its reason; the rest go on."
    )
    uploads = st.file_uploader(
        "Pictures or zips",
        type=[*images.UPLOAD_TYPES, "zip"],
        accept_multiple_files=True,
        key="ascii_batch_files",
    )
    formats = st.multiselect(
        "Files for each picture",
        list(ascii_art.EXPORT_FORMATS),
        default=list(batch.DEFAULT_FORMATS),
        key="ascii_batch_formats",
    )
    batch_job = jobs.current_job(BATCH_TOOL)
    if uploads and config is not None:
        found, skipped, problem = _gathered(tuple((upload.name, upload.getvalue()) for upload in uploads))
        if problem:
            st.error(problem)
        else:
            batch_job = _offer(config, font_file, found, skipped, formats) or batch_job
    if batch_job:
        snapshot = jobs.job_view(batch_job, curves=[["picture_seconds"]], unit="picture", wide=True)
        if not snapshot.active:
            _finished(batch_job)


def _offer(config, font_file, found: list, skipped: list[dict], formats: list[str]) -> str | None:
    """The count, what was left out, and Start; the started job's id."""
    from ui import jobs

    st.caption(
        f":material/photo_library: **{len(found)} pictures** to draw"
        + (f", {len(skipped)} left out (listed below)" if skipped else "")
        + f"; about {max(1, round(len(found) * 0.3 + 5))} s as a job."
    )
    if skipped:
        st.dataframe(
            [{"File": item["name"], "Why it was left out": item["reason"]} for item in skipped],
            hide_index=True,
            key="ascii_batch_skipped",
        )
    if font_file is not None:
        st.caption("The batch draws in the default font (an uploaded font is used by the page's own result).")
        config = dataclasses.replace(config, font="")
    if st.button(
        "Start the batch",
        key="ascii_batch_start",
        type="primary",
        icon=":material/photo_library:",
        disabled=not formats,
    ):
        return jobs.start(
            BATCH_TOOL,
            "core.ascii.batch:job",
            {
                "ascii": configs.to_dict(config),
                "names": [name for name, _ in found],
                "formats": formats,
                "skipped": skipped,
            },
            inputs={batch.input_name(index): picture for index, (_, picture) in enumerate(found)},
            title=f"{len(found)} pictures at {config.columns} columns",
        )
    return None


def _finished(run_id: str) -> None:
    from ui import files, jobs

    folder = jobs.manager().folder(run_id)
    failures = batch.failures(folder.path)
    made = sorted(path.name for path in folder.results.glob("*")) if folder.results.is_dir() else []
    st.caption(f"{len(made)} files made" + (f"; {len(failures)} pictures could not be drawn:" if failures else "."))
    if failures:
        st.dataframe(
            [{"File": item["name"], "Why": item["reason"]} for item in failures],
            hide_index=True,
            key=f"ascii_batch_failures_{run_id}",
        )
    if (folder / batch.ARCHIVE).is_file():
        files.download_run_file("Every file (.zip)", run_id, batch.ARCHIVE, key="ascii_batch_zip")

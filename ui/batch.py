"""The Batch tab every tool with one shares (``core/batch.py``): many pictures, or zips of them, through
the form's settings as one job in the fair queue; a file per picture, a contact sheet, one zip, and
every picture that could not be used listed with its reason."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import streamlit as st

from core import batch, images


@dataclasses.dataclass(frozen=True)
class BatchTab:
    run_tool: str  # the batch's runs as run cards name them ("ascii-batch")
    target: str  # its job ("core.ascii.batch:job")
    key: str  # the widgets' key prefix ("ascii_batch")
    what: str  # what each picture becomes, for the words above the uploader
    seconds_per_picture: float  # for the estimate said before Start
    start_seconds: float = 5.0  # the job's start (a framework's import)


@st.cache_data(max_entries=4, show_spinner=False)
def _gathered(files: tuple[tuple[str, bytes], ...]) -> tuple[list, list[dict], str]:
    """(pictures, what was left out, the reason nothing is left) for the uploads (read once per set)."""
    try:
        found, skipped = batch.gather(list(files))
    except ValueError as error:
        return [], [], str(error)
    return found, skipped, ""


def panel(tab: BatchTab, job_config: Callable[[list[str], list[dict]], dict[str, Any]] | None, title: str) -> None:
    """The tab: the uploader, the count and what was left out, Start, the job and what it made.
    ``job_config(names, skipped)`` is the job's config (None while the form's settings do not hold)."""
    from ui import jobs

    st.caption(
        f"Up to {batch.MAX_PICTURES} pictures, or zips of them, as one job with the settings above: {tab.what}, a "
        "contact sheet and one zip of everything. A picture that cannot be read is listed with its reason; the "
        "rest go on."
    )
    uploads = st.file_uploader(
        "Pictures or zips", type=[*images.UPLOAD_TYPES, "zip"], accept_multiple_files=True, key=f"{tab.key}_files"
    )
    batch_job = jobs.current_job(tab.run_tool)
    if uploads and job_config is not None:
        found, skipped, problem = _gathered(tuple((upload.name, upload.getvalue()) for upload in uploads))
        if problem:
            st.error(problem)
        else:
            batch_job = _offer(tab, found, skipped, job_config, title) or batch_job
    if batch_job:
        snapshot = jobs.job_view(batch_job, curves=[["picture_seconds"]], unit="picture", wide=True)
        if not snapshot.active:
            made_files(batch_job, tab.key)


def _offer(tab: BatchTab, found: list, skipped: list[dict], job_config, title: str) -> str | None:
    """The count, what was left out, and Start; the started job's id."""
    from ui import jobs
    from ui.common import format_seconds

    seconds = tab.start_seconds + len(found) * tab.seconds_per_picture
    st.caption(
        f":material/photo_library: **{len(found)} pictures** to make"
        + (f", {len(skipped)} left out (listed below)" if skipped else "")
        + f"; about {format_seconds(seconds)} as a job."
    )
    if skipped:
        st.dataframe(
            [{"File": item["name"], "Why it was left out": item["reason"]} for item in skipped],
            hide_index=True,
            key=f"{tab.key}_skipped",
        )
    config = job_config([name for name, _ in found], skipped)
    if st.button("Start the batch", key=f"{tab.key}_start", type="primary", icon=":material/photo_library:"):
        return jobs.start(
            tab.run_tool,
            tab.target,
            config,
            inputs={batch.input_name(index): picture for index, (_, picture) in enumerate(found)},
            title=f"{len(found)} pictures, {title}",
        )
    return None


def made_files(run_id: str, key: str) -> None:
    """A finished batch's count of files, what could not be made (with why) and the zip of it all
    (the Batch tabs, and Style Transfer's several photos as one job)."""
    from ui import files, jobs

    folder = jobs.manager().folder(run_id)
    failures = batch.failures(folder.path)
    made = sorted(path.name for path in folder.results.glob("*")) if folder.results.is_dir() else []
    st.caption(f"{len(made)} files made" + (f"; {len(failures)} pictures could not be made:" if failures else "."))
    if failures:
        st.dataframe(
            [{"File": item["name"], "Why": item["reason"]} for item in failures],
            hide_index=True,
            key=f"{key}_failures_{run_id}",
        )
    if (folder / batch.ARCHIVE).is_file():
        files.download_run_file("Every file (.zip)", run_id, batch.ARCHIVE, key=f"{key}_zip")

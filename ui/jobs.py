"""The page side of background jobs: start, reattach (``?job=``), watch live, stop, download.

The job itself runs in its own process (``core.jobs``); a page only reads its run folder. A
``run_every`` fragment redraws progress, preview and curves once a second while the job is
active; Stop lives outside the fragment (clicks on a button inside one can be lost right
after a page load).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from PIL import Image

from core import jobs
from core.jobs import estimates
from core.jobs.status import Status
from core.settings import Settings
from ui import files, identity
from ui.common import RUNS_DIR, device_info, format_seconds

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
MAX_CHART_POINTS = 1500
TOOL_WORDS = {
    "ascii": "ASCII Art",
    "ascii-video": "ASCII video",
    "ascii-sweep": "ASCII sweep",
    "ascii-batch": "ASCII batch",
    "style-sweep": "Style sweep",
    "gan-sweep": "GAN sweep",
    "gan-sample-sweep": "GAN sampling sweep",
    "sketch-sweep": "Sketch sweep",
    "sketch-batch": "Sketch batch",
    "style": "Style Transfer",
    "style-video": "Style video",
    "sketch": "Photo to Sketch",
    "sketch-video": "Sketch video",
    "gan": "GAN Studio",
    "demo": "Job Lab",
}
STATUS_WORDS = {
    Status.QUEUED: "Queued",
    Status.RUNNING: "Running",
    Status.STOPPING: "Stopping",
    Status.FINISHED: "Finished",
    Status.STOPPED: "Stopped",
    Status.FAILED: "Failed",
    Status.INTERRUPTED: "Interrupted",
}


@st.cache_resource(show_spinner=False)
def _manager() -> jobs.JobManager:
    settings = Settings.read()
    if settings.max_jobs:
        limit = settings.max_jobs
    elif settings.jobs_backend == "ray":
        limit = None  # what the cluster can run at once (its GPUs, else its CPUs)
    else:  # one heavy job at a time on a CPU; a GPU has room for two
        info = device_info(timeout=120) or {}
        limit = 1 if info.get("device", "cpu") == "cpu" else 2
    return jobs.manager_from_environment(RUNS_DIR, max_concurrent=limit, retention=jobs.Policy.from_environment())


def server_manager(stop: bool = True) -> jobs.JobManager | None:
    """The server's one job manager (shared by every session and tab, on the backend
    ``ATELIER_JOBS_BACKEND`` names), for what is not anybody's: where jobs go, the queue's rules,
    the retention policy. A bad setting, or a runs folder the server cannot write, stops the page
    with the reason (with ``stop=False``, the page goes on and gets None). Runs are reached only
    through ``manager()``."""
    try:
        return _manager()
    except ValueError as error:
        st.error(f"Background jobs are not available: {error}")
    except OSError as error:
        log.error("cannot use the runs folder %s: %s", RUNS_DIR, error)
        st.error(
            "Background jobs are not available: the server cannot write its runs folder (ATELIER_RUNS). "
            "Whoever runs Atelier can find the details in the server log (atelier.log)."
        )
    if stop:
        st.stop()
    return None


def manager() -> jobs.OwnedJobs:
    """The job manager as this session's owner sees it: their runs only."""
    job_manager = server_manager()
    who = identity.owner()
    if who is None:
        st.info("Please sign in (in the sidebar) to see your runs.", icon=":material/lock:")
        st.stop()
    return job_manager.for_owner(who)


def backend_notice() -> None:
    """A warning while the job backend cannot start jobs (a Ray cluster that does not answer)."""
    error = server_manager().backend.error
    if error:
        st.warning(error, icon=":material/cloud_off:")


def current_job(tool: str) -> str | None:
    """The job this page shows: ``?job=`` from the URL, else the one this session started.

    The id is written back to the URL on every run, because sidebar navigation drops it.
    """
    state_key = f"job:{tool}"
    job_manager = manager()
    from_url = st.query_params.get("job")
    if from_url and from_url != st.session_state.get(state_key):
        try:  # another owner's run gets the very words an unknown id gets
            card = job_manager.snapshot(from_url).card
        except ValueError as error:
            st.warning(f"{error} It may have been deleted.")
            del st.query_params["job"]
            card = {}
        if card.get("tool") == tool:  # (a run of the page's other panel, its video say, is left to it)
            st.session_state[state_key] = from_url
    job_id = st.session_state.get(state_key)
    if job_id:
        try:
            job_manager.check(job_id)
        except ValueError:  # deleted (here, in another tab, or by the retention policy)
            del st.session_state[state_key]
            job_id = None
    if job_id:
        st.query_params["job"] = job_id
    return job_id


def start(
    tool: str,
    target: str,
    config: dict[str, Any],
    *,
    inputs: dict[str, Image.Image],
    title: str,
    estimated: estimates.Estimate | None = None,
    parent: str = "",
) -> str | None:
    """Queue a job for this session's owner; a full queue is said in the page (and the job shown
    before stays). ``estimated`` (what ``estimate`` said before Start) goes into the run card, for
    later estimates to learn from. Returns the id of the job the page shows."""
    try:
        job_id = manager().submit(
            tool,
            target,
            config,
            inputs=inputs,
            title=title,
            card_fields={
                **(estimated.card_fields() if estimated is not None else {}),
                **({"parent": parent} if parent else {}),  # the run its input came from (Send to)
            },
        )
    except jobs.QueueFull as error:
        st.error(str(error), icon=":material/hourglass_top:")
        return st.session_state.get(f"job:{tool}")
    st.session_state[f"job:{tool}"] = job_id
    st.query_params["job"] = job_id
    return job_id


@st.cache_data(ttl=30, show_spinner=False)
def _finished_cards(tool: str) -> list[dict[str, Any]]:
    """Every owner's finished runs of a tool, newest first, for the estimates (only their settings'
    work and wall times are used; nothing of them is shown). Read at most every 30 s."""
    return [
        {"status": card.get("status"), "wall_seconds": card.get("wall_seconds"), "estimate": card.get("estimate")}
        for card in server_manager().list_runs(tool)
        if card.get("status") == Status.FINISHED and card.get("estimate")
    ]


def quiet_estimate(tool: str, plan: estimates.Plan, *, first_guess_rate: float) -> estimates.Estimate:
    """``estimate`` without saying it (a sweep adds up its cells' and says the sum)."""
    return estimates.estimate(plan, _finished_cards(tool), first_guess_rate=first_guess_rate)


def estimate(
    tool: str, plan: estimates.Plan, *, first_guess_rate: float, what: str = "", at_most: bool = False
) -> estimates.Estimate:
    """Say, before Start, about how long a run of ``plan`` will take here (and on what that rests);
    returns the estimate for ``start`` to keep in the run card."""
    found = estimates.estimate(plan, _finished_cards(tool), first_guess_rate=first_guess_rate)
    device = (device_info(timeout=0) or {}).get("device", "cpu").upper()
    queued = server_manager().max_concurrent
    st.caption(
        f":material/schedule: {'At most about' if at_most else 'About'} "
        f"**{format_seconds(found.seconds)}** on this {device}{f' for {what}' if what else ''} "
        f"({found.basis()}; longer while {'another job runs' if queued == 1 else 'other jobs run'} or yours "
        "waits in the queue)."
    )
    return found


def job_view(
    job_id: str,
    *,
    curves: list[list[str]] | None = None,
    extra: Callable[[jobs.JobSnapshot], None] | None = None,
    marker: str | None = None,
    unit: str = "step",
    product: tuple[str, str] = (jobs.RunFolder.RESULT, "Download result"),
    wide: bool = False,
) -> jobs.JobSnapshot:
    """Draw one job: Stop (while active), then a live panel of progress, preview and curves.

    ``marker`` names a metric whose latest value is a step to mark on the curves with a
    vertical rule (the best epoch that early stopping keeps, say); ``unit`` what a step is
    called in the status line ("frame" for a video); ``product`` the run file the first download
    gives, and its label (a video job's clip, not its last frame); ``wide`` puts the picture above
    the curves, at the page's width.
    """
    job_manager = manager()
    snapshot = job_manager.snapshot(job_id)
    parent = snapshot.card.get("parent")
    if parent:  # its input was sent from another run ("Send to"): say which, if it is still this person's
        try:
            found = job_manager.snapshot(parent).card  # owner-checked: another's run reads as a deleted one
        except ValueError:
            found = None
        st.caption(
            f"Made from your run {_run_words(found)} ({parent})"
            if found
            else "Made from a run that has since been deleted."
        )
    if snapshot.active:
        backend_notice()
        stopping = snapshot.status == Status.STOPPING
        st.button(
            "Stopping…" if stopping else "Stop",
            key=f"stop-{job_id}",
            type="primary",
            disabled=stopping,
            on_click=_stop_and_wait,
            args=(job_id,),
            help="Ends the job after its current step; the latest result is kept.",
        )
    was_active = snapshot.active

    @st.fragment(run_every=POLL_SECONDS if was_active else None)
    def live_panel() -> None:
        current = job_manager.snapshot(job_id)
        if was_active and not current.active:
            st.rerun()  # a full run draws the ended job once, turns polling off, adds downloads
        _status_line(current, job_manager, unit)
        # A wide picture (a sweep's grid) over the curves; else the two side by side.
        left, right = (st.container(), st.container()) if wide else st.columns([1, 1])
        with left:
            picture = current.preview_path if current.active else (current.result_path or current.preview_path)
            if picture is not None:
                files.show(picture, caption="Live preview" if current.active else "Result", width="stretch")
            elif current.active:
                st.info("The first preview appears after a few steps.")
        with right:
            _curves(current, curves, marker)
        if extra is not None:
            extra(current)

    live_panel()
    if not snapshot.active:
        _downloads(snapshot, *product)
        _delete_panel(snapshot)
    return snapshot


def _stop_and_wait(job_id: str, patience: float = 2.0) -> None:
    """Stop's callback: ask, then wait a moment, so the rerun it triggers already shows
    "Stopped" (a cooperative stop takes milliseconds) instead of waiting for the next poll."""
    job_manager = manager()
    job_manager.stop(job_id)
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline and job_manager.snapshot(job_id).active:
        time.sleep(0.05)


def preview_strip(job_id: str, count: int = 8) -> None:
    """Up to ``count`` earlier previews, evenly spaced over the run, oldest first."""
    previews = manager().previews(job_id)
    if len(previews) < 2:
        return
    chosen = [
        previews[round(i * (len(previews) - 1) / (min(count, len(previews)) - 1))]
        for i in range(min(count, len(previews)))
    ]
    columns = st.columns(len(chosen))
    for column, (step, path) in zip(columns, chosen):
        files.show(path, column, caption=f"step {step}", width="stretch")


def preview_scrubber(snapshot: jobs.JobSnapshot, caption: str = "after step {step}", width: int = 480) -> None:
    """Inside a live panel: a slider over the previews saved so far (one per epoch, say).
    ``caption`` may name {step} (the event's step) and {index} (1 for the first preview)."""
    previews = manager().previews(snapshot.id)
    if len(previews) > 1:
        index = st.slider("Scrub through the previews", 1, len(previews), len(previews), key=f"scrub-{snapshot.id}")
        step, path = previews[index - 1]
        files.show(path, caption=caption.format(step=step, index=index), width=width)


def runs_list(tool: str, *, key: str) -> None:
    """This owner's earlier runs of this tool (this server's and earlier ones'), to reopen,
    download or delete."""
    job_manager = manager()
    cards = [card for card in job_manager.list_runs(tool) if card.get("status") in jobs.TERMINAL]
    whose = "everyone's, shared" if job_manager.shared else "yours only"
    with st.expander(f"Earlier runs ({len(cards)}, {whose})", expanded=False):
        policy = server_manager().retention
        if policy is not None:
            st.caption(policy.words())
        if not cards:
            st.caption("Your finished runs are listed here.")
            return
        table = pd.DataFrame(
            [
                {
                    "run": card["id"],
                    "status": card.get("status"),
                    "started": (card.get("started") or card.get("created", ""))[:19].replace("T", " "),
                    "seconds": card.get("wall_seconds"),
                    **{name: round(value, 4) for name, value in (card.get("final_metrics") or {}).items()},
                }
                for card in cards
            ]
        )
        st.dataframe(table, hide_index=True, width="stretch")
        chosen = st.selectbox(
            "Open a run",
            [card["id"] for card in cards],
            key=f"{key}-pick",
            format_func=lambda run_id: _run_words(next(c for c in cards if c["id"] == run_id)),
        )
        show, use, remix = st.columns(3)
        if show.button("Show this run", key=f"{key}-show", icon=":material/open_in_new:"):
            st.session_state[f"job:{tool}"] = chosen
            st.query_params["job"] = chosen
            st.rerun()
        _reuse_buttons(chosen, use, remix, key=key)
        st.caption('To delete a run, show it: "Delete this run" sits under the run on screen.')


def _reuse_buttons(run_id: str, use, remix, *, key: str) -> None:
    """'Use these settings' and 'Remix' (the same with a new seed, where the tool has one): the
    run's settings into the page's form (ui.restore)."""
    from core import tools

    card = manager().snapshot(run_id).card or {}
    if card.get("tool") not in tools.JOB_TOOLS:
        return  # a Job Lab run has no tool form to fill
    has_seed = "seed" in (card.get("parameters") or {})
    chosen = None
    if use.button("Use these settings", key=f"{key}-use", icon=":material/settings_backup_restore:"):
        chosen = False
    if has_seed and remix.button(
        "Remix (new seed)", key=f"{key}-remix", icon=":material/shuffle:", help="The same settings with a new seed."
    ):
        chosen = True
    if chosen is not None and reuse_run(run_id, remix=chosen) is not None:
        st.rerun()


def reuse_run(run_id: str, *, remix: bool, words: str = "that run") -> str | None:
    """The run's settings (a new seed with ``remix``) left for its tool's form, and its input
    pictures back in the pickers; returns the page that has the form, or None with the reason said.
    Read only on a click: it hashes the inputs and weights."""
    from core import tools
    from ui import restore

    stamp = tools.stamp_for_run(manager().folder(run_id))
    if stamp is None:
        st.error("This run has no settings a tool's form can take (a Job Lab run, or a run whose job file is gone).")
        return None
    try:
        restore.reuse(stamp, remix=remix, words=words)
    except ValueError as error:  # a run from an older Atelier whose settings no longer fit
        st.error(f"This run's settings cannot be used here: {error}")
        return None
    inputs_back(run_id)
    return tools.tool(stamp.tool).page


def inputs_back(run_id: str) -> None:
    """The run's input pictures back in the page's pickers, where the tool keeps them with the run
    (and this person still owns it: the folder comes through the owner-checked manager)."""
    from ui import send

    tool = (manager().snapshot(run_id).card or {}).get("tool", "")
    send.inputs_back(manager().folder(run_id), tool)


def _run_words(card: dict[str, Any]) -> str:
    """A run as a person tells it apart: its title, when it started and how it ended."""
    when = (card.get("started") or card.get("created", ""))[:16].replace("T", " ")
    return (
        f"{when} · {STATUS_WORDS.get(card.get('status'), card.get('status', ''))} · {card.get('title') or card['id']}"
    )


def _delete_panel(snapshot: jobs.JobSnapshot) -> None:
    """Delete the run on screen, after a confirmation that shows which run that is."""
    card = snapshot.card
    with st.popover("Delete this run", icon=":material/delete:"):
        thumbnail, words = st.columns([1, 3])
        files.show(snapshot.result_path or snapshot.preview_path, thumbnail, width="stretch")
        words.markdown(f"**Delete this {TOOL_WORDS.get(snapshot.tool, snapshot.tool)} run?**")
        words.caption(_run_words(card))
        st.caption(
            "Its folder, pictures, inputs and models go for good, and its uploads unless another of your runs "
            "uses them. Links to its files stop working at once."
        )
        if st.button("Delete for good", key=f"delete-{snapshot.id}", type="primary"):
            _delete(snapshot.tool, snapshot.id)


def _delete(tool: str, job_id: str) -> None:
    try:
        freed = manager().delete(job_id)
    except ValueError as error:
        st.error(str(error))
        return
    if st.session_state.get(f"job:{tool}") == job_id:
        del st.session_state[f"job:{tool}"]
    if st.query_params.get("job") == job_id:
        del st.query_params["job"]
    st.toast(f"Deleted the run of {TOOL_WORDS.get(tool, tool)} ({freed / 1e6:.1f} MB).", icon=":material/delete:")
    st.rerun()


def _status_line(snapshot: jobs.JobSnapshot, job_manager: jobs.OwnedJobs, unit: str = "step") -> None:
    word = STATUS_WORDS.get(snapshot.status, snapshot.status)
    if snapshot.card.get("title"):  # what this run is: its settings in a line
        st.caption(snapshot.card["title"])
    if snapshot.status == Status.QUEUED:
        limit = job_manager.max_concurrent
        where = "on this machine" if job_manager.backend.name == "local" else "on the Ray cluster"
        yours = f"; {snapshot.owner_running} of yours running" if snapshot.owner_running else ""
        st.progress(
            0.0,
            text=f"Queued: {ordinal(snapshot.queue_position)} in line{yours} ({limit} "
            f"job{'s' if limit > 1 else ''} run at a time {where}; turns go round, one person's "
            "job at a time).",
        )
    elif snapshot.active and not snapshot.total:  # no event yet: the job's process is loading
        st.progress(
            0.0,
            text=f"Starting: loading the libraries and the data · {format_seconds(snapshot.elapsed_seconds)} elapsed",
        )
    elif snapshot.active:
        text = (
            f"{word}: {unit} {snapshot.step} of {snapshot.total} · {format_seconds(snapshot.elapsed_seconds)} elapsed"
        )
        if snapshot.eta_seconds is not None:
            text += f" · about {format_seconds(snapshot.eta_seconds)} left"
        st.progress(snapshot.fraction, text=text)
    elif snapshot.status == Status.FINISHED:
        st.success(f"Finished {snapshot.step} {unit}s in {format_seconds(snapshot.elapsed_seconds)}.")
    elif snapshot.status == Status.FAILED:
        st.error(f"The job failed: {snapshot.error}")
    else:
        note = snapshot.card.get("note", "")
        st.warning(f"{word} at {unit} {snapshot.step} of {snapshot.total}" + (f": {note}." if note else "."))
    if snapshot.message and snapshot.active:
        st.caption(snapshot.message)


def ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _curves(snapshot: jobs.JobSnapshot, groups: list[list[str]] | None, marker: str | None = None) -> None:
    if len(snapshot.history) < 2:
        return
    frame = pd.DataFrame(snapshot.history).drop(columns=["time"], errors="ignore")
    marked = None
    if marker and marker in frame and frame[marker].notna().any():
        marked = float(frame[marker].dropna().iloc[-1])
        frame = frame.drop(columns=[marker])
    if len(frame) > MAX_CHART_POINTS:  # a long training run: every k-th point is plenty to draw
        frame = frame.iloc[:: len(frame) // MAX_CHART_POINTS + 1]
    names = [name for name in frame.columns if name != "step"]
    for group in groups or [[name] for name in names]:
        present = [name for name in group if name in names and frame[name].abs().sum() > 0]
        if not present:  # a term that is switched off (weight 0) gets no chart
            continue
        long = frame.melt(id_vars="step", value_vars=present, var_name="metric").dropna()
        # Losses span decades; on a linear axis everything after the first steps looks flat.
        values = long["value"]
        logarithmic = bool((values > 0).all()) and float(values.max()) > 100 * float(values.min())
        chart = (
            alt.Chart(long)
            .mark_line()
            .encode(
                x=alt.X("step:Q", title="step"),
                y=alt.Y(
                    "value:Q",
                    title=" · ".join(present) + (" (log)" if logarithmic else ""),
                    scale=alt.Scale(type="log" if logarithmic else "linear", zero=False),
                ),
                color=alt.Color("metric:N", legend=alt.Legend(orient="top", title=None) if len(present) > 1 else None),
            )
        )
        if marked:
            rule = pd.DataFrame({"step": [marked], "label": [f"{marker.replace('_', ' ')}: {marked:g}"]})
            chart += alt.Chart(rule).mark_rule(strokeDash=[4, 3], color="gray").encode(x="step:Q", tooltip="label:N")
            chart += (
                alt.Chart(rule).mark_text(align="left", dx=4, dy=-70, color="gray").encode(x="step:Q", text="label:N")
            )
        st.altair_chart(chart, width="stretch", height=200)


def _downloads(snapshot: jobs.JobSnapshot, product: str, label: str) -> None:
    """The run's files, from the owner-checked file service (ui/files.py)."""
    columns = st.columns(3)
    if (manager().run_dir(snapshot.id) / product).is_file():
        files.download_run_file(label, snapshot.id, product, key=f"download-result-{snapshot.id}", target=columns[0])
    files.download_run_file(
        "Run card (JSON)", snapshot.id, jobs.RunFolder.CARD, key=f"download-card-{snapshot.id}", target=columns[1]
    )
    files.download_run_zip("Whole run (.zip)", snapshot.id, key=f"download-zip-{snapshot.id}", target=columns[2])

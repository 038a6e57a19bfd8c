"""History: every run this person made, in every tool, newest first, as pictures.

A grid of thumbnails (made once, when each job ended), filters (tool, status, dates, starred,
collection) and a search over settings and names; a star and named collections per run; a run's
details (outputs, settings, seed, metrics, device, versions, weights) with Open, Use these settings,
Remix, Send to, zip and Delete; and Compare for two runs. Everything comes through this person's
owner-checked job view and the runs folder's index (``core.history``), so nothing of another
person's runs is listed, drawn, counted or named here.

A rerun reads no run card that did not change (the index stats them) and draws one page of the grid,
each thumbnail from a small in-memory cache: ``bench/history.py`` times both with 1,000 runs.
"""

from __future__ import annotations

import collections
import io
import json
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from PIL import Image

from core import provenance, tools
from core.history import comparison, export, marks, thumbnails
from core.history.index import FAMILIES, Entry, Filters, collection_names, index_for
from core.jobs.status import Status
from ui import files, jobs, send
from ui.common import RUNS_DIR, format_seconds

PAGE_SIZE = 12
COLUMNS = 4
OPEN = "history-open"  # the run whose details are shown
PICKED = "history-compare"  # the (at most two) runs picked for Compare
PAGE = "history-page"
FILTERS_SEEN = "history-filters-seen"  # the filters the page number belongs to
FAMILY_ICONS = {
    "ASCII Art": ":material/text_fields:",
    "Style Transfer": ":material/palette:",
    "Photo to Sketch": ":material/draw:",
    "GAN Studio": ":material/blur_on:",
    "Job Lab": ":material/science:",
}
STATUS_ICONS = {
    Status.QUEUED: ":material/hourglass_top:",
    Status.RUNNING: ":material/autorenew:",
    Status.STOPPING: ":material/autorenew:",
    Status.FINISHED: ":material/check_circle:",
    Status.STOPPED: ":material/stop_circle:",
    Status.FAILED: ":material/error:",
    Status.INTERRUPTED: ":material/warning:",
}

# --- thumbnails: each file turned into a data URL once, while it is unchanged ------------------------

_URLS: collections.OrderedDict[tuple[str, int], str] = collections.OrderedDict()
_URLS_LOCK = threading.Lock()
_URLS_KEPT = 800  # about 25 KB each: a few pages of every open tab


def _thumbnail_url(path: Path) -> str | None:
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except OSError:
        return None
    with _URLS_LOCK:
        if key in _URLS:
            _URLS.move_to_end(key)
            return _URLS[key]
    url = files.data_url(path)
    if url is not None:
        with _URLS_LOCK:
            _URLS[key] = url
            while len(_URLS) > _URLS_KEPT:
                _URLS.popitem(last=False)
    return url


# --- the page ----------------------------------------------------------------------------------------


def history_page() -> None:
    owned = jobs.manager()
    index = index_for(RUNS_DIR)
    owner = owned.owner
    everything = index.runs(owner)
    if not everything:
        whose = "anyone's" if owned.shared else "your"
        st.info(
            f"Nothing here yet: {whose} runs of every tool will be listed here, newest first, as they are started.",
            icon=":material/history:",
        )
        _open_result_panel()
        return
    names = collection_names(everything)
    filters = _filter_bar(names)
    shown = [entry for entry in everything if filters.keeps(entry)]
    by_id = {entry.id: entry for entry in everything}
    _open_result_panel()
    _compare_panel(by_id)
    opened = by_id.get(st.session_state.get(OPEN, ""))
    if opened is not None:
        _details(opened, everything, names)
    whose = "everyone's, shared" if owned.shared else "yours only"
    st.caption(
        f"{len(shown):,} of {len(everything):,} runs ({whose})"
        + (" · starred runs are kept whatever the retention policy" if any(e.marks.starred for e in everything) else "")
    )
    if filters.collection and shown:
        _collection_zip(filters.collection, [entry.id for entry in shown])
    _grid(shown, filters)


def _filter_bar(collections_names: list[str]) -> Filters:
    top = st.columns([3, 2, 2])
    text = top[0].text_input(
        "Search",
        key="history-search",
        placeholder="words in the settings, title or id: starry, columns=80, seed=7",
        help="Every word must appear: in a setting (name=value), the title, the run's id, its tool, its notes "
        "or its collections.",
    )
    families = top[1].multiselect(
        "Tool", list(dict.fromkeys(FAMILIES.values())), key="history-tools", placeholder="Every tool"
    )
    statuses = top[2].multiselect(
        "Status",
        ["finished", "stopped", "failed", "interrupted", "running", "queued"],
        key="history-status",
        format_func=str.capitalize,
        placeholder="Any status",
    )
    row = st.columns([2, 2, 1])
    dates = row[0].date_input("Made between", value=(), key="history-dates", format="YYYY-MM-DD")
    collection = row[1].selectbox(
        "Collection",
        ["", *collections_names],
        key="history-collection",
        format_func=lambda name: name or "All runs",
        help="Put a run in a collection from its details.",
    )
    starred = row[2].toggle("Starred only", key="history-starred")
    since = dates[0] if len(dates) >= 1 else None
    until = dates[1] if len(dates) == 2 else since
    statuses = tuple(statuses or ())
    if "running" in statuses:
        statuses += (Status.STOPPING,)
    return Filters(
        families=tuple(families or ()),
        statuses=statuses,
        since=since,
        until=until,
        starred=starred,
        collection=collection if collection in collections_names else "",
        text=text,
    )


def _grid(shown: list[Entry], filters: Filters) -> None:
    if not shown:
        st.info("No run matches these filters.", icon=":material/filter_alt_off:")
        return
    pages = (len(shown) + PAGE_SIZE - 1) // PAGE_SIZE
    if st.session_state.get(FILTERS_SEEN) != filters:  # new filters: back to the first page
        st.session_state[FILTERS_SEEN] = filters
        st.session_state[PAGE] = 1
    page_number = min(max(1, st.session_state.get(PAGE, 1)), pages)
    picked = st.session_state.get(PICKED, [])
    visible_entries = shown[(page_number - 1) * PAGE_SIZE : page_number * PAGE_SIZE]
    for start in range(0, len(visible_entries), COLUMNS):
        for column, entry in zip(st.columns(COLUMNS), visible_entries[start : start + COLUMNS]):
            with column.container(border=True, key=f"history-tile-{entry.id}"):
                _tile(entry, entry.id in picked)
    if pages > 1:
        back, where, forward = st.columns([1, 2, 1])
        back.button(
            "Newer", key="history-newer", icon=":material/chevron_left:", disabled=page_number == 1,
            on_click=_turn, args=(page_number - 1,), width="stretch",
        )  # fmt: skip
        where.markdown(f"<div style='text-align:center'>Page {page_number} of {pages}</div>", unsafe_allow_html=True)
        forward.button(
            "Older", key="history-older", icon=":material/chevron_right:", icon_position="right",
            disabled=page_number == pages, on_click=_turn, args=(page_number + 1,), width="stretch",
        )  # fmt: skip


def _turn(page_number: int) -> None:
    st.session_state[PAGE] = page_number


def _tile(entry: Entry, picked: bool) -> None:
    folder = RUNS_DIR / entry.id
    ended = entry.status.terminal
    path = thumbnails.ensure(folder, ended=ended) if ended else _existing(folder / "preview.png")
    url = _thumbnail_url(path) if path is not None else None
    if url is not None:
        st.image(url, width="stretch")
    else:
        st.markdown(
            f"<div style='height:120px;display:flex;align-items:center;justify-content:center;"
            f"background:rgba(128,128,128,0.08);border-radius:0.5rem'>"
            f"{'Working…' if not ended else 'No picture'}</div>",
            unsafe_allow_html=True,
        )
    star = ":material/star:" if entry.marks.starred else ""
    shared = ":material/share:" if entry.links else ""
    st.markdown(f"**{_short(entry.title)}** {star}{shared}")
    st.caption(
        f"{FAMILY_ICONS.get(entry.family, '')} {entry.family} · {STATUS_ICONS.get(entry.status, '')} "
        f"{jobs.STATUS_WORDS.get(entry.status, entry.status)} · {_when(entry)}"
        + (f" · {format_seconds(entry.seconds)}" if entry.seconds is not None else "")
    )
    details, star_button, compare = st.columns([2, 1, 1])
    details.button(
        "Details", key=f"history-details-{entry.id}", on_click=_open, args=(entry.id,), width="stretch",
        type="primary" if st.session_state.get(OPEN) == entry.id else "secondary",
    )  # fmt: skip
    star_button.button(
        "", key=f"history-star-{entry.id}", icon=":material/star:" if entry.marks.starred else ":material/star_border:",
        help="Unstar" if entry.marks.starred else "Star: find it with 'Starred only'; the retention policy keeps it.",
        on_click=_star, args=(entry.id, not entry.marks.starred), width="stretch",
    )  # fmt: skip
    compare.button(
        "", key=f"history-pick-{entry.id}", icon=":material/compare:", on_click=_pick, args=(entry.id,),
        type="primary" if picked else "secondary", width="stretch",
        help="Picked for Compare (press again to unpick)" if picked else "Pick for Compare (two runs)",
    )  # fmt: skip


def _existing(path: Path) -> Path | None:
    return path if path.is_file() else None


def _short(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _when(entry: Entry) -> str:
    return (entry.started or entry.created)[:16].replace("T", " ")


def _open(run_id: str) -> None:
    st.session_state[OPEN] = None if st.session_state.get(OPEN) == run_id else run_id


def _star(run_id: str, starred: bool) -> None:
    try:
        marks.set_star(jobs.manager().run_dir(run_id), starred)
    except ValueError as error:
        st.session_state["history-said"] = str(error)


def _pick(run_id: str) -> None:
    picked = [other for other in st.session_state.get(PICKED, []) if other != run_id]
    if len(picked) == len(st.session_state.get(PICKED, [])):  # not picked before: pick it (at most two)
        picked = [*picked[-1:], run_id]
    st.session_state[PICKED] = picked


# --- a run's details -------------------------------------------------------------------------------


def _details(entry: Entry, everything: list[Entry], names: list[str]) -> None:
    owned = jobs.manager()
    try:
        folder = owned.folder(entry.id)
    except ValueError:  # deleted meanwhile (another tab, the retention policy)
        st.session_state[OPEN] = None
        return
    with st.container(border=True, key="history-details"):
        head, close = st.columns([6, 1])
        head.subheader(f"{FAMILY_ICONS.get(entry.family, '')} {_short(entry.title, 90)}")
        close.button("Close", key="history-close", icon=":material/close:", on_click=_open, args=(entry.id,))
        st.caption(
            f"{entry.family} · {jobs.STATUS_WORDS.get(entry.status, entry.status)} · started {_when(entry)}"
            + (f" · ran {format_seconds(entry.seconds)}" if entry.seconds is not None else "")
            + f" · run {entry.id}"
        )
        _chain(entry, everything)
        card = owned.snapshot(entry.id).card or {}
        if card.get("error"):
            st.error(card["error"])
        elif card.get("note"):
            st.caption(card["note"])
        picture_side, facts = st.columns([1, 1], gap="large")
        with picture_side:
            picture = _result_picture(folder)
            if folder.video.is_file():
                url = files.run_file_url(entry.id, folder.VIDEO)
                if url:
                    st.video(url)
                elif picture is not None:
                    files.show(picture, width="stretch")
                if entry.status.terminal:
                    send.frame_menu(
                        folder.video, words=f"your {entry.family} run of {_when(entry)}", key="history", parent=entry.id
                    )
            elif picture is not None:
                files.show(picture, width="stretch")
            else:
                st.caption("This run has no picture.")
            _actions(entry, picture, names)
        with facts:
            _facts(entry, card, folder)


def _chain(entry: Entry, everything: list[Entry]) -> None:
    """Where this run's input came from (Send to), and what was made from it."""
    by_id = {other.id: other for other in everything}
    if entry.parent:
        parent = by_id.get(entry.parent)
        if parent is None:
            st.caption(":material/call_split: Made from a run that has since been deleted.")
        else:
            left, right = st.columns([4, 1])
            left.caption(
                f":material/call_split: Made from your {parent.family} run “{_short(parent.title)}” ({parent.id})"
            )
            right.button("Show it", key=f"history-parent-{entry.id}", on_click=_open, args=(parent.id,))
    children = [other for other in everything if other.parent == entry.id]
    if children:
        st.caption(
            ":material/arrow_downward: Sent on to: "
            + "; ".join(f"{child.family} “{_short(child.title, 40)}” ({child.id})" for child in children[:6])
            + (f" and {len(children) - 6} more" if len(children) > 6 else "")
        )


def _result_picture(folder) -> Image.Image | None:
    """The run's picture at full size: a clip's poster frame, its result, a batch's first picture."""
    source = thumbnails.source_of(folder.path)
    if source is None:
        return None
    try:
        if source.suffix == ".mp4":
            return thumbnails.poster_frame(source)
        with Image.open(source) as picture:
            picture.load()
            return picture.copy()
    except Exception:  # being replaced as we read it: the thumbnail will do
        return None


def _actions(entry: Entry, picture: Image.Image | None, names: list[str]) -> None:
    page = tools.page_of_run(entry.tool)
    first_row, second_row, third_row = st.columns(2), st.columns(2), st.columns(2)
    open_button, use = first_row
    remix, send_place = second_row
    zip_place, delete_place = third_row
    if page and open_button.button(
        "Open in its tool", key="history-open-tool", icon=":material/open_in_new:", width="stretch"
    ):
        st.switch_page(page, query_params={"job": entry.id})
    if entry.tool in tools.JOB_TOOLS and entry.status.terminal:
        chosen = None
        if use.button(
            "Use these settings", key="history-use", icon=":material/settings_backup_restore:", width="stretch"
        ):
            chosen = False
        if "seed" in entry.parameters and remix.button(
            "Remix (new seed)",
            key="history-remix",
            icon=":material/shuffle:",
            help="The same settings, a new seed.",
            width="stretch",
        ):
            chosen = True
        if chosen is not None:
            target = jobs.reuse_run(entry.id, remix=chosen, words=f"your run “{_short(entry.title, 40)}”")
            if target:
                st.switch_page(target)
    with send_place:
        if picture is not None and entry.status.terminal:
            send.send_menu(
                picture,
                words=f"your {entry.family} run of {_when(entry)}",
                key=f"history-{entry.id}",
                parent=entry.id,
                width="stretch",
            )
    files.download_run_zip("Whole run (.zip)", entry.id, key="history-zip", target=zip_place)
    with delete_place:
        if entry.status.terminal:
            with st.popover("Delete this run", icon=":material/delete:", width="stretch"):
                st.markdown(f"**Delete “{_short(entry.title, 50)}”?**")
                st.caption(
                    "Its folder, pictures, inputs and models go for good"
                    + (", star and all" if entry.marks.starred else "")
                    + ". Links to its files stop working at once."
                )
                if st.button("Delete for good", key="history-delete", type="primary"):
                    _delete(entry)
    if entry.status.terminal:
        _share_panel(entry)
    _collections_editor(entry, names)


SHARE_DAYS = {"Until I revoke it": None, "1 day": 1.0, "7 days": 7.0, "30 days": 30.0}


def _share_panel(entry: Entry) -> None:
    """Share: links that show the run read-only to anyone who has them, until revoked or expired."""
    import time

    from core import shares

    run_dir = jobs.manager().run_dir(entry.id)
    links = shares.links(run_dir)
    live = [link for link in links if link.live()]
    label = f"Share ({len(live)} link{'s' if len(live) != 1 else ''})" if live else "Share"
    with st.popover(label, icon=":material/share:", width="stretch"):
        st.caption(
            "Anyone with a link sees this run's pictures, files and settings, read-only, without signing in; "
            "never your name, your other runs or your uploads. Deleting the run ends every link."
        )
        duration = st.selectbox("The link lasts", list(SHARE_DAYS), key=f"history-share-days-{entry.id}")
        has_input = (run_dir / "inputs" / "content.png").is_file()
        include = has_input and st.checkbox(
            "Include the input picture (a before/after slider)", key=f"history-share-input-{entry.id}"
        )
        if st.button("Make a link", key=f"history-share-make-{entry.id}", icon=":material/add_link:", type="primary"):
            try:
                shares.create(run_dir, days=SHARE_DAYS[duration], include_inputs=include)
            except ValueError as error:
                st.error(str(error))
            else:
                links = shares.links(run_dir)
        base = files.service_url()
        for number, link in enumerate(links):
            if base is None:
                st.caption(f"A link: {files.UNAVAILABLE}")
                break
            ends = (
                "until revoked"
                if link.expires is None
                else (
                    "expired"
                    if not link.live()
                    else "until " + time.strftime("%Y-%m-%d %H:%M", time.localtime(link.expires))
                )
            )
            st.code(f"{base}/share/{link.token}", language=None)
            words, revoke = st.columns([3, 1])
            words.caption(f"{ends}{' · with the input' if link.include_inputs else ''}")
            if revoke.button("Revoke", key=f"history-share-revoke-{entry.id}-{number}"):
                shares.revoke(run_dir, link.token)
                st.rerun()


def _delete(entry: Entry) -> None:
    try:
        freed = jobs.manager().delete(entry.id)
    except ValueError as error:
        st.error(str(error))
        return
    st.session_state[OPEN] = None
    st.session_state[PICKED] = [other for other in st.session_state.get(PICKED, []) if other != entry.id]
    st.toast(f"Deleted the {entry.family} run ({freed / 1e6:.1f} MB).", icon=":material/delete:")
    st.rerun()


def _collections_editor(entry: Entry, known: list[str]) -> None:
    chosen = st.multiselect(
        "Collections",
        sorted(set(known) | set(entry.marks.collections)),
        default=list(entry.marks.collections),
        key=f"history-collections-{entry.id}",
        accept_new_options=True,
        placeholder="Type a new name, or pick one",
        help="Named groups of runs: filter History by one, or download one as a zip.",
    )
    if sorted(chosen) != sorted(entry.marks.collections):
        try:
            marks.set_collections(jobs.manager().run_dir(entry.id), chosen)
        except ValueError as error:
            st.error(str(error))
            return
        st.rerun()


def _facts(entry: Entry, card: dict[str, Any], folder) -> None:
    settings_tab, outputs_tab, provenance_tab = st.tabs(["Settings", "Outputs", "Where it came from"])
    with settings_tab:
        shown = tools.portable(_stamp_tool(entry.tool), entry.parameters)
        rows = [{"setting": name, "value": _value(value)} for name, value in shown.items() if name != "batch_names"]
        if entry.seed is not None:
            st.markdown(f"**Seed** {entry.seed}")
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height=min(36 * len(rows) + 40, 420))
        if entry.metrics:
            st.markdown("**Metrics at the end**")
            st.dataframe(
                pd.DataFrame([{"metric": name, "value": round(value, 5)} for name, value in entry.metrics.items()]),
                hide_index=True,
                width="stretch",
            )
    with outputs_tab:
        products = folder.products()
        if not products:
            st.caption("No outputs were saved.")
        for number, path in enumerate(products[:40]):
            name = str(path.relative_to(folder.path))
            files.download_run_file(
                f"{name} ({path.stat().st_size / 1e6:.2f} MB)", entry.id, name, key=f"history-file-{number}"
            )
        if len(products) > 40:
            st.caption(f"And {len(products) - 40} more in the run's zip.")
    with provenance_tab:
        st.markdown(f"**Device** {card.get('device') or '—'}")
        versions = card.get("versions") or {}
        if versions:
            st.markdown("**Libraries** " + ", ".join(f"{name} {version}" for name, version in versions.items()))
        stamp = _stamp(entry.id)
        if stamp is not None:
            st.markdown(
                f"**Atelier** {stamp.version}" + (f" (commit {stamp.commit[:12]})" if stamp.commit else "")
                + " · the settings file this run's downloads carry"
            )  # fmt: skip
            for title, table in (("Weights", stamp.weights), ("Inputs", stamp.inputs)):
                if table:
                    st.markdown(f"**{title}** (SHA-256)")
                    st.dataframe(
                        pd.DataFrame([{"name": name, "SHA-256": digest} for name, digest in table.items()]),
                        hide_index=True,
                        width="stretch",
                    )
        else:
            st.caption(
                "This run has no one settings file: a Job Lab run has none, and a sweep keeps one in each cell "
                "(open them on its tool)."
            )


def _stamp_tool(run_tool: str) -> str:
    try:
        return tools._JOB_SETTINGS[run_tool][0]
    except KeyError:
        return run_tool


def _value(value: Any) -> str:
    return json.dumps(value, default=str) if isinstance(value, (dict, list, tuple)) else str(value)


def _stamp(run_id: str) -> provenance.Stamp | None:
    """The run's settings document (version, commit, weights' and inputs' SHA-256), made once per
    session per run: it hashes the weights."""
    cache = st.session_state.setdefault("history-stamps", {})
    if run_id not in cache:
        try:
            cache[run_id] = tools.stamp_for_run(jobs.manager().run_dir(run_id))
        except (OSError, ValueError):
            cache[run_id] = None
    return cache[run_id]


# --- Compare ---------------------------------------------------------------------------------------


def _compare_panel(by_id: dict[str, Entry]) -> None:
    picked = [run_id for run_id in st.session_state.get(PICKED, []) if run_id in by_id]
    st.session_state[PICKED] = picked
    if not picked:
        return
    if len(picked) == 1:
        st.caption(
            f":material/compare: “{_short(by_id[picked[0]].title, 50)}” is picked for Compare: pick one more run "
            "(the compare button on its card)."
        )
        return
    first, second = (by_id[run_id] for run_id in picked)
    with st.container(border=True, key="history-compare-panel"):
        head, clear = st.columns([6, 1])
        head.subheader(":material/compare: Compare")
        clear.button("Clear", key="history-compare-clear", on_click=lambda: st.session_state.update({PICKED: []}))
        st.caption(f"**A** {first.family} “{_short(first.title)}” ({_when(first)}) · **B** {second.family} "
                   f"“{_short(second.title)}” ({_when(second)})")  # fmt: skip
        owned = jobs.manager()
        pictures = [_result_picture(owned.folder(entry.id)) for entry in (first, second)]
        slider_tab, side_tab, difference_tab, settings_tab, metrics_tab = st.tabs(
            ["Slider", "Side by side", "Difference", "Settings", "Metrics"]
        )
        have_both = all(picture is not None for picture in pictures)
        with slider_tab:
            if have_both:
                from ui.compare import before_after

                a, b, _ = comparison.same_size(pictures[0], pictures[1])
                before_after(a, b, labels=("A", "B"), key=f"history-{first.id}-{second.id}")
            else:
                st.caption("Both runs need a picture for the slider.")
        with side_tab:
            for column, entry, picture in zip(st.columns(2), (first, second), pictures):
                if picture is not None:
                    files.show(picture, column, caption=f"{'AB'[(entry is second)]}: {_short(entry.title, 40)}",
                               width="stretch")  # fmt: skip
                else:
                    column.caption("No picture.")
        with difference_tab:
            if have_both:
                found = comparison.difference(pictures[0], pictures[1])
                files.show(found.heat_map, caption="Bright: where B differs most from A", width=640)
                st.caption(
                    f"Mean difference {found.mean:.1%} · {found.changed_share:.1%} of pixels differ by more than a "
                    "tenth" + (" · B was resized to A's size" if found.resized else "")
                )
            else:
                st.caption("Both runs need a picture for a difference map.")
        with settings_tab:
            rows = comparison.settings_rows(
                tools.portable(_stamp_tool(first.tool), {**first.parameters, "seed": first.seed}),
                tools.portable(_stamp_tool(second.tool), {**second.parameters, "seed": second.seed}),
            )
            changed = sum(row.changed for row in rows)
            st.caption(f"{changed} of {len(rows)} settings differ (marked ●, listed first).")
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "": "●" if row.changed else "",
                            "setting": row.name,
                            "A": "—" if row.first is None else _value(row.first),
                            "B": "—" if row.second is None else _value(row.second),
                        }
                        for row in rows
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        with metrics_tab:
            rows = comparison.metric_rows(first.metrics, second.metrics)
            if not rows:
                st.caption("Neither run recorded metrics.")
            else:
                st.dataframe(
                    pd.DataFrame(
                        [
                            {
                                "metric": row.name,
                                "A": row.first,
                                "B": row.second,
                                "B − A": None if row.delta is None else round(row.delta, 5),
                            }
                            for row in rows
                        ]
                    ),
                    hide_index=True,
                    width="stretch",
                )


# --- a collection's zip, and "Open an Atelier result" --------------------------------------------


def _collection_zip(name: str, run_ids: list[str]) -> None:
    owned = jobs.manager()
    folders = [owned.run_dir(run_id) for run_id in run_ids]  # owner-checked now, packed on the click

    def packed() -> bytes:
        buffer = io.BytesIO()
        export.zip_runs(folders, buffer, name)
        return buffer.getvalue()

    st.download_button(
        f"Download the collection “{name}” (.zip, {len(run_ids)} runs)",
        packed,
        file_name=f"atelier-{''.join(c if c.isalnum() else '-' for c in name)}.zip",
        mime="application/zip",
        key="history-collection-zip",
        icon=":material/folder_zip:",
        on_click="ignore",
    )


def _open_result_panel() -> None:
    """A result file's settings, opened in the tool that made it."""
    with st.expander("Open an Atelier result", icon=":material/file_open:"):
        upload = st.file_uploader(
            "A picture, clip, text, page or zip Atelier made, or a settings file (.json)",
            key=f"history-result-{st.session_state.get('history-result-round', 0)}",
        )
        if upload is None:
            return
        try:
            stamp = provenance.read(upload.getvalue(), upload.name)
            found = tools.tool(stamp.tool)
            tools.config_of(stamp)
        except ValueError as error:
            st.warning(str(error))
            return
        st.markdown(f"Made by **{found.title}**" + (f" on {stamp.made[:16].replace('T', ' ')}" if stamp.made else ""))
        st.code("\n".join(provenance.describe(stamp)), language=None)
        if st.button(f"Use these settings in {found.title}", key="history-result-apply", type="primary"):
            from ui import restore

            restore.reuse(stamp, words=f"the file {upload.name}")
            st.session_state["history-result-round"] = st.session_state.get("history-result-round", 0) + 1
            st.switch_page(found.page)

"""The runs folder as History lists it: every run card, read once and then only when it changes.

A page rerun must not read a thousand cards (the job list used to read every card every second for
every open tab): ``RunIndex.refresh`` lists the folder and stats each run's card and marks, and
re-reads only those whose size or modification time changed since the last look. One index per
runs folder is shared by every session of the server (``index_for``); what a person sees of it is
filtered by owner on every call, so the shared cache never widens anyone's view.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import functools
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from core import shares
from core.history.marks import MARKS, Marks, read_marks
from core.jobs.files import parse_time, read_json
from core.jobs.owners import visible
from core.jobs.status import Status
from core.shares import SHARES

# The History's tool filter groups a tool's runs as its page does (a video run belongs to its tool).
FAMILIES = {
    "ascii": "ASCII Art",
    "ascii-video": "ASCII Art",
    "ascii-sweep": "ASCII Art",
    "ascii-batch": "ASCII Art",
    "style": "Style Transfer",
    "style-video": "Style Transfer",
    "style-sweep": "Style Transfer",
    "gan-sweep": "GAN Studio",
    "gan-sample-sweep": "GAN Studio",
    "sketch-sweep": "Photo to Sketch",
    "sketch-batch": "Photo to Sketch",
    "sketch": "Photo to Sketch",
    "sketch-video": "Photo to Sketch",
    "gan": "GAN Studio",
    "demo": "Job Lab",
}
KINDS = {
    "ascii-video": "video",
    "ascii-sweep": "sweep",
    "ascii-batch": "batch",
    "style-sweep": "sweep",
    "gan-sweep": "sweep",
    "gan-sample-sweep": "sweep",
    "sketch-sweep": "sweep",
    "sketch-batch": "batch",
    "style": "picture",
    "style-video": "video",
    "sketch": "training",
    "sketch-video": "video",
    "gan": "training",
    "demo": "demo",
}


def family(tool: str) -> str:
    return FAMILIES.get(tool, tool)


@dataclasses.dataclass(frozen=True)
class Entry:
    """One run as History lists it."""

    id: str
    tool: str
    status: Status
    title: str
    created: str  # ISO time of submit (the list's order)
    started: str
    ended: str
    seconds: float | None  # how long it ran (None while it has not started)
    owner: str
    parent: str
    seed: int | None
    metrics: dict[str, float]
    parameters: dict[str, Any]
    marks: Marks
    note: str = ""
    error: str = ""
    links: int = 0  # share links made (core/shares.py)

    @functools.cached_property
    def search_text(self) -> str:
        """Lower case: what the search box matches (made on the first search, not on every read)."""
        return _search_text(self)

    @property
    def family(self) -> str:
        return family(self.tool)

    @property
    def kind(self) -> str:
        return KINDS.get(self.tool, "picture")

    @property
    def day(self) -> datetime.date | None:
        try:
            return datetime.date.fromisoformat((self.started or self.created)[:10])
        except ValueError:
            return None


@dataclasses.dataclass(frozen=True)
class Filters:
    """What History shows: every field left empty shows everything."""

    families: tuple[str, ...] = ()  # FAMILIES' values
    statuses: tuple[str, ...] = ()  # Status words
    since: datetime.date | None = None
    until: datetime.date | None = None
    starred: bool = False
    collection: str = ""
    text: str = ""  # words that must all appear (in settings, title, id, tool, notes, collections)

    def keeps(self, entry: Entry) -> bool:
        if self.families and entry.family not in self.families:
            return False
        if self.statuses and entry.status not in self.statuses:
            return False
        if (self.since or self.until) and entry.day is None:
            return False
        if self.since and entry.day < self.since:
            return False
        if self.until and entry.day > self.until:
            return False
        if self.starred and not entry.marks.starred:
            return False
        if self.collection and self.collection not in entry.marks.collections:
            return False
        return all(word in entry.search_text for word in self.text.lower().split())


def _seconds(card: dict[str, Any]) -> float | None:
    if isinstance(card.get("wall_seconds"), (int, float)):
        return float(card["wall_seconds"])
    started = parse_time(card.get("started"))
    if started is None:
        return None
    ended = parse_time(card.get("ended"))
    return max(0.0, (ended if ended is not None else time.time()) - started)


def _search_text(entry: Entry) -> str:
    settings = " ".join(
        f"{name}={json.dumps(value, default=str) if isinstance(value, (dict, list)) else value}"
        for name, value in entry.parameters.items()
        if name != "batch_names"
    )
    words = [
        entry.id,
        entry.title,
        entry.tool,
        entry.family,
        str(entry.status),
        entry.note,
        entry.error,
        settings,
        " ".join(entry.marks.collections),
        f"seed={entry.seed}" if entry.seed is not None else "",
    ]
    return " ".join(str(word) for word in words if word).lower()


def entry_of(card: dict[str, Any], marks: Marks) -> Entry:
    metrics = card.get("final_metrics") or {}
    return Entry(
        id=card["id"],
        tool=str(card.get("tool", "")),
        status=Status.of(card.get("status")),
        title=str(card.get("title") or card.get("tool") or card["id"]),
        created=str(card.get("created", "")),
        started=str(card.get("started") or ""),
        ended=str(card.get("ended") or ""),
        seconds=_seconds(card),
        owner=str(card.get("owner", "")),
        parent=str(card.get("parent") or ""),
        seed=card.get("seed") if isinstance(card.get("seed"), int) else None,
        metrics={name: value for name, value in metrics.items() if isinstance(value, (int, float))},
        parameters=dict(card.get("parameters") or {}),
        marks=marks,
        note=str(card.get("note") or ""),
        error=str(card.get("error") or ""),
    )


def _stat_key(path: str) -> tuple[int, int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size, found.st_ino  # a card is replaced, never edited in place


SETTLED_NS = 2_000_000_000  # a folder unchanged this long (ns) has no write pending within one timestamp


class RunIndex:
    """Every run under ``runs_dir``, newest first, kept current by ``refresh``."""

    def __init__(self, runs_dir: str | Path):
        self.runs_dir = Path(runs_dir)
        self._known: dict[str, tuple[tuple, Entry]] = {}  # id -> ((folder time, card key, marks key), entry)
        self._cards: dict[str, dict[str, Any]] = {}  # id -> its card as last read
        self._ordered: list[Entry] = []
        self._lock = threading.Lock()
        self.reads = 0  # cards read since the index was made (the tests and the bench count them)

    def refresh(self) -> list[Entry]:
        """Every run, newest first; re-reads only the cards and marks that changed.

        An ended run whose folder has not changed for a while costs one stat (its folder's): its card
        and marks are only ever replaced (``write_json``), and a replace changes the folder's time. A
        run still going, or a folder changed in the last moments (a time can be coarser than two
        writes), has its card and marks stat'ed too."""
        with self._lock:
            changed = False
            seen = set()
            now_ns = time.time_ns()
            try:
                folders = list(os.scandir(self.runs_dir))
            except FileNotFoundError:
                folders = []
            for folder in folders:
                name = folder.name
                if name.startswith(".") or not folder.is_dir(follow_symlinks=False):
                    continue
                try:
                    folder_time = folder.stat(follow_symlinks=False).st_mtime_ns
                except OSError:
                    continue  # deleted as we looked
                known = self._known.get(name)
                if (
                    known is not None
                    and known[0][0] == folder_time
                    and known[1].status.terminal
                    and now_ns - folder_time > SETTLED_NS
                ):
                    seen.add(name)
                    continue
                card_key = _stat_key(os.path.join(folder.path, "card.json"))
                if card_key is None:
                    continue  # not a run (people/, uploads/) or one being made or deleted
                key = (
                    folder_time,
                    card_key,
                    _stat_key(os.path.join(folder.path, MARKS)),
                    _stat_key(os.path.join(folder.path, SHARES)),
                )
                seen.add(name)
                if known is not None and known[0][1:] == key[1:]:
                    self._known[name] = (key, known[1])
                    continue
                card = read_json(Path(folder.path) / "card.json")
                self.reads += 1
                if not isinstance(card, dict) or not card.get("id"):
                    self._known.pop(name, None)
                    self._cards.pop(name, None)
                    changed = True
                    continue
                card["id"] = name  # the folder names the run, whatever its card says
                marks = read_marks(folder.path) if key[2] is not None else Marks()
                links = len(shares.links(folder.path)) if key[3] is not None else 0
                self._known[name] = (key, dataclasses.replace(entry_of(card, marks), links=links))
                self._cards[name] = card
                changed = True
            for gone in set(self._known) - seen:
                del self._known[gone]
                self._cards.pop(gone, None)
                changed = True
            if changed or len(self._ordered) != len(self._known):
                self._ordered = sorted(
                    (entry for _, entry in self._known.values()),
                    key=lambda entry: (entry.created, entry.id),
                    reverse=True,
                )
            return self._ordered

    def cards(self) -> list[dict[str, Any]]:
        """Every run's card (a copy), newest first: ``RunStore.cards`` reads the folder through this."""
        ordered = self.refresh()
        with self._lock:
            return [copy.deepcopy(self._cards[entry.id]) for entry in ordered if entry.id in self._cards]

    def runs(self, owner: str | None, filters: Filters | None = None) -> list[Entry]:
        """The runs ``owner`` may see (``core.jobs.owners.visible``) that ``filters`` keep, newest first."""
        filters = filters or Filters()
        return [entry for entry in self.refresh() if visible({"owner": entry.owner}, owner) and filters.keeps(entry)]

    def entry(self, owner: str | None, run_id: str) -> Entry | None:
        """One run, if ``owner`` may see it (another owner's run is answered as a missing one)."""
        self.refresh()
        known = self._known.get(run_id)
        if known is None or not visible({"owner": known[1].owner}, owner):
            return None
        return known[1]

    def collections(self, owner: str | None) -> list[str]:
        """The names of the collections ``owner``'s runs are in."""
        return collection_names(self.runs(owner))


def collection_names(entries: list[Entry]) -> list[str]:
    return sorted({name for entry in entries for name in entry.marks.collections})


_INDEXES: dict[str, RunIndex] = {}
_INDEXES_LOCK = threading.Lock()


def index_for(runs_dir: str | Path) -> RunIndex:
    """The one index of this runs folder in this process."""
    key = str(Path(runs_dir).resolve())
    with _INDEXES_LOCK:
        if key not in _INDEXES:
            _INDEXES[key] = RunIndex(runs_dir)
        return _INDEXES[key]

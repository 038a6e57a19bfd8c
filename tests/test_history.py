"""History (issue #32): the index of the runs folder, marks, thumbnails, Compare's arithmetic, zips of
collections, retention that keeps starred runs, and the page itself for two people (AppTest)."""

from __future__ import annotations

import datetime
import io
import json
import os
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from core import provenance, videos
from core.history import comparison, export, marks, thumbnails
from core.history.index import Filters, RunIndex
from core.jobs import retention
from tests.helpers import finished_run

REPO = Path(__file__).resolve().parent.parent
ALICE, BOB = "browser:" + "a" * 32, "browser:" + "b" * 32


def rewrite_card(run_dir: Path, **fields) -> None:
    card = json.loads((run_dir / "card.json").read_text())
    card.update(fields)
    temporary = run_dir / ".card.tmp"
    temporary.write_text(json.dumps(card))
    os.replace(temporary, run_dir / "card.json")


# --- the index --------------------------------------------------------------------------------------


def test_the_index_reads_each_card_once_and_again_only_when_it_changes(tmp_path):
    ids = [finished_run(tmp_path, number, ALICE, day=1 + number) for number in range(5)]
    index = RunIndex(tmp_path)
    assert [entry.id for entry in index.refresh()] == list(reversed(ids))  # newest first
    assert index.reads == 5
    index.refresh()
    index.refresh()
    assert index.reads == 5, "an unchanged card is never read again"
    rewrite_card(tmp_path / ids[2], title="renamed")
    assert {entry.id: entry.title for entry in index.refresh()}[ids[2]] == "renamed"
    assert index.reads == 6
    marks.set_star(tmp_path / ids[1], True)  # marks are the run's, beside its card
    assert [entry.id for entry in index.refresh() if entry.marks.starred] == [ids[1]]
    retention.delete_run(tmp_path, ids[0])
    assert ids[0] not in [entry.id for entry in index.refresh()]
    (tmp_path / "people").mkdir()  # a person's folder, an upload store: not runs
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "card.json").write_text("{not json")
    assert len(index.refresh()) == 4


def test_a_settled_run_costs_one_stat_yet_a_change_is_seen(tmp_path, monkeypatch):
    from core.history import index as index_module

    run_id = finished_run(tmp_path, 1, ALICE)
    index = RunIndex(tmp_path)
    index.refresh()
    monkeypatch.setattr(index_module, "SETTLED_NS", 0)  # everything counts as settled at once
    calls = []
    original = index_module._stat_key
    monkeypatch.setattr(index_module, "_stat_key", lambda path: calls.append(path) or original(path))
    index.refresh()
    assert calls == [], "a settled, ended run is known by its folder's time alone"
    time.sleep(0.01)
    rewrite_card(tmp_path / run_id, title="changed while settled")
    assert index.refresh()[0].title == "changed while settled"


def test_each_person_sees_only_their_own_runs_and_shared_mode_sees_all(tmp_path):
    mine = [finished_run(tmp_path, number, ALICE) for number in range(3)]
    theirs = finished_run(tmp_path, 10, BOB)
    marks.add_to_collection(tmp_path / theirs, "Bob's secret")
    index = RunIndex(tmp_path)
    assert {entry.id for entry in index.runs(ALICE)} == set(mine)
    assert index.entry(ALICE, theirs) is None
    assert index.collections(ALICE) == []
    assert {entry.id for entry in index.runs("everyone")} == {*mine, theirs}


def test_filters_by_tool_status_day_star_collection_and_search(tmp_path):
    style = finished_run(tmp_path, 1, ALICE, tool="style", day=3)
    gan = finished_run(tmp_path, 2, ALICE, tool="gan", day=5)
    sketch = finished_run(tmp_path, 3, ALICE, tool="sketch", day=7)
    rewrite_card(tmp_path / sketch, status="failed", error="Out of memory while training")
    marks.set_star(tmp_path / gan, True)
    marks.add_to_collection(tmp_path / style, "For the wall")
    index = RunIndex(tmp_path)

    def shown(**fields):
        return {entry.id for entry in index.runs(ALICE, Filters(**fields))}

    assert shown() == {style, gan, sketch}
    assert shown(families=("GAN Studio", "Photo to Sketch")) == {gan, sketch}
    assert shown(statuses=("failed",)) == {sketch}
    assert shown(since=datetime.date(2026, 12, 4)) == {gan, sketch}
    assert shown(since=datetime.date(2026, 12, 4), until=datetime.date(2026, 12, 6)) == {gan}
    assert shown(starred=True) == {gan}
    assert shown(collection="For the wall") == {style}
    assert shown(text="memory") == {sketch}  # an error's words
    assert shown(text="optimizer=lbfgs") == {style}  # a setting as name=value
    assert shown(text="WALL style") == {style}  # every word, any case
    assert shown(text="wall gan") == set()
    assert shown(text=f"seed={2}") == {gan}


# --- marks --------------------------------------------------------------------------------------------


def test_marks_star_and_collections_with_names_checked(tmp_path):
    run = tmp_path / finished_run(tmp_path, 1, ALICE)
    assert marks.read_marks(run) == marks.Marks()
    assert marks.set_star(run, True).starred
    assert marks.add_to_collection(run, "  Winter   prints ").collections == ("Winter prints",)
    assert marks.add_to_collection(run, "Alpha").collections == ("Alpha", "Winter prints")
    assert marks.remove_from_collection(run, "Alpha").collections == ("Winter prints",)
    assert marks.read_marks(run).starred, "a collection change keeps the star"
    for bad, words in (("", "needs a name"), ("x" * 41, "at most 40"), ("a/b", "slashes")):
        with pytest.raises(ValueError, match=words):
            marks.add_to_collection(run, bad)
    (run / marks.MARKS).write_text("[1, 2]")  # damaged: read as no marks, not an error
    assert marks.read_marks(run) == marks.Marks()
    retention.delete_run(tmp_path, run.name)
    with pytest.raises(ValueError, match="deleted"):
        marks.set_star(run, True)


def test_retention_never_prunes_a_starred_run(tmp_path):
    old_starred = finished_run(tmp_path, 1, ALICE)
    old_plain = finished_run(tmp_path, 2, ALICE)
    marks.set_star(tmp_path / old_starred, True)
    report = retention.prune(tmp_path, retention.Policy(keep_days=1, max_bytes=0), now=time.time() + 400 * 86400)
    assert report.removed == [old_plain]
    assert (tmp_path / old_starred).is_dir()
    assert "starred in History" in retention.Policy(keep_days=1).words()


# --- thumbnails -------------------------------------------------------------------------------------


def test_a_thumbnail_comes_from_the_result_and_a_video_from_its_poster_frame(tmp_path):
    run = tmp_path / finished_run(tmp_path, 1, ALICE, size=(800, 400))
    thumbnail = thumbnails.make(run)
    with Image.open(thumbnail) as picture:
        assert picture.format == "JPEG" and max(picture.size) == thumbnails.SIDE and picture.size[0] > picture.size[1]
    clip_run = tmp_path / "clip-run"
    clip_run.mkdir()
    # A clip that starts black and turns white after half a second: the poster is past the fade-in.
    with videos.VideoWriter(clip_run / "result.mp4", 10, 64, 48) as writer:
        for frame in range(20):
            writer.write(np.full((48, 64, 3), 0 if frame < 5 else 255, np.uint8))
    Image.new("RGB", (64, 48), "red").save(clip_run / "result.png")  # a video's clip wins over its last frame
    with Image.open(thumbnails.make(clip_run)) as picture:
        assert np.asarray(picture.convert("L")).mean() > 200
    empty = tmp_path / "failed-early"
    empty.mkdir()
    assert thumbnails.make(empty) is None and thumbnails.ensure(empty, ended=True) is None
    (empty / "result.png").write_bytes(b"\x89PNG broken")
    assert thumbnails.make(empty) is None, "a broken picture is logged, never raised"


def test_a_real_job_leaves_its_thumbnail_when_it_ends(tmp_path):
    from core import jobs

    manager = jobs.JobManager(tmp_path / "runs", max_concurrent=1, poll_interval=0.05)
    try:
        owned = manager.for_owner(ALICE)
        job_id = owned.submit("test", "tests.job_targets:count", {"steps": 3})
        assert owned.wait(job_id, timeout=60).status == "finished"
        assert (owned.run_dir(job_id) / thumbnails.THUMBNAIL).is_file()
    finally:
        manager.close(stop_jobs=True)


# --- Compare and zips -------------------------------------------------------------------------------


def test_compare_maps_differences_and_lists_changed_settings_first():
    picture = Image.fromarray(np.random.default_rng(0).integers(0, 255, (60, 80, 3), np.uint8))
    same = comparison.difference(picture, picture.copy())
    assert same.mean == 0 and same.changed_share == 0 and not same.heat_map.any()
    changed = np.asarray(picture).copy()
    changed[:, :40] = 255 - changed[:, :40]  # the left half inverted
    found = comparison.difference(picture, Image.fromarray(changed))
    assert found.heat_map[:, :40].mean() > 5 * max(found.heat_map[:, 40:].mean(), 1)
    assert 0.4 < found.changed_share < 0.6 and not found.resized
    assert comparison.difference(picture, picture.resize((160, 120))).resized
    rows = comparison.settings_rows({"steps": 100, "size": 256, "seed": 1}, {"steps": 200, "size": 256, "columns": 80})
    assert [(row.name, row.changed) for row in rows] == [
        ("columns", True),
        ("seed", True),
        ("steps", True),
        ("size", False),
    ]
    metrics = {row.name: row.delta for row in comparison.metric_rows({"loss": 1.0, "fid": 30}, {"loss": 0.25})}
    assert metrics == {"fid": None, "loss": -0.75}


def test_a_collection_zips_every_run_with_its_own_settings(tmp_path):
    ids = [finished_run(tmp_path, number, ALICE) for number in range(2)]
    buffer = io.BytesIO()
    export.zip_runs([tmp_path / run_id for run_id in ids], buffer, "Winter prints")
    with zipfile.ZipFile(buffer) as archive:
        names = set(archive.namelist())
        for number, run_id in enumerate(ids):
            assert f"Winter prints/{run_id}/result.png" in names
            stamp = provenance.Stamp.from_json(archive.read(f"Winter prints/{run_id}/{provenance.ZIP_MEMBER}"))
            assert stamp.tool == "style" and stamp.seed == number and stamp.run == run_id


# --- the page -------------------------------------------------------------------------------------------


def history_app(owner: str, **state) -> AppTest:
    """The History page as ``owner`` (from Home, so the other pages can be switched to)."""
    app = AppTest.from_file(str(REPO / "Home.py"), default_timeout=60)
    app.session_state["atelier_owner"] = owner
    for name, value in state.items():
        app.session_state[name] = value
    return app.switch_page("pages/6_History.py")


def all_text(app: AppTest) -> str:
    parts = []
    for kind in ("markdown", "caption", "subheader", "info", "error", "success", "warning"):
        parts += [str(item.value) for item in getattr(app, kind)]
    return " ".join(parts)


@pytest.fixture
def two_people():
    from ui.common import RUNS_DIR

    alice = [finished_run(RUNS_DIR, 500 + number, ALICE, day=10 + number) for number in range(3)]
    child = finished_run(RUNS_DIR, 510, ALICE, parent=alice[0], day=20)
    bob = finished_run(RUNS_DIR, 520, BOB, day=21)
    yield {"alice": alice, "child": child, "bob": bob, "runs": RUNS_DIR}
    for run_id in (*alice, child, bob):
        retention.delete_run(RUNS_DIR, run_id)


def test_history_page_lists_stars_opens_and_compares_only_the_persons_runs(two_people):
    alice, bob, child = two_people["alice"], two_people["bob"], two_people["child"]
    app = history_app(ALICE).run()
    assert not app.exception, [item.value for item in app.exception]
    text = all_text(app)
    assert "run number 500" in text and "run number 510" in text
    assert "run number 520" not in text and bob not in text, "nothing of another person's runs"
    app.button(key=f"history-star-{alice[1]}").click().run()
    assert marks.read_marks(two_people["runs"] / alice[1]).starred
    app.toggle(key="history-starred").set_value(True).run()
    assert "run number 501" in all_text(app) and "run number 502" not in all_text(app)
    app.toggle(key="history-starred").set_value(False).run()
    app.text_input(key="history-search").set_value("number 502").run()
    assert "run number 502" in all_text(app) and "run number 501" not in all_text(app)
    app.text_input(key="history-search").set_value("").run()
    # Details: the chain both ways.
    app.button(key=f"history-details-{child}").click().run()
    assert f"Made from your Style Transfer run “style run number 500” ({alice[0]})" in all_text(app)
    app.button(key=f"history-details-{alice[0]}").click().run()
    assert "Sent on to: Style Transfer “style run number 510”" in all_text(app)
    # Compare two.
    app.button(key=f"history-pick-{alice[0]}").click().run()
    app.button(key=f"history-pick-{alice[2]}").click().run()
    text = all_text(app)
    assert "Compare" in text and "settings differ (marked ●, listed first)" in text and "Mean difference" in text
    assert not app.exception, [item.value for item in app.exception]


def test_another_persons_run_cannot_be_opened_or_picked_by_its_id(two_people):
    app = history_app(
        BOB,
        **{"history-open": two_people["alice"][0], "history-compare": [two_people["alice"][0], two_people["bob"]]},
    ).run()
    text = all_text(app)
    assert "run number 500" not in text and two_people["alice"][0] not in text
    assert "Compare" not in [item.value for item in app.subheader]
    assert not app.exception


def test_use_these_settings_opens_the_tool_with_the_runs_settings_and_pictures(two_people):
    run_id = two_people["alice"][1]
    app = history_app(ALICE).run()
    app.button(key=f"history-details-{run_id}").click().run()
    app.button(key="history-use").click().run()
    assert not app.exception, [item.value for item in app.exception]
    assert app.session_state["style_steps"] == 10 + 501 % 40
    assert any("settings of your run" in str(item.value) for item in app.success)
    assert "Sent from the inputs of your run" in all_text(app)


def test_a_frame_of_a_video_result_is_sent_to_another_tool(two_people):
    """Issue #32: under a video result, any frame goes on with 'Send to'; the new run will name its parent."""
    run_id = two_people["alice"][2]
    with videos.VideoWriter(two_people["runs"] / run_id / "result.mp4", 10, 64, 48) as writer:
        for frame in range(20):
            writer.write(np.full((48, 64, 3), frame * 12, np.uint8))
    app = history_app(ALICE).run()
    app.button(key=f"history-details-{run_id}").click().run()
    app.slider(key="history_frame_at").set_value(1.5).run()
    assert not app.exception, [item.value for item in app.exception]
    app.button(key="history_frame_send_ascii").click().run()
    assert not app.exception, [item.value for item in app.exception]
    sent = app.session_state["_sent_pictures"]["ascii"]
    assert sent["parent"] == run_id and sent["words"].endswith("at 1.5 s")
    picture = np.asarray(Image.open(io.BytesIO(sent["png"])))
    assert picture.shape[:2] == (48, 64) and abs(picture.mean() - 15 * 12) < 6
    assert "Sent from your Style Transfer run" in all_text(app)


def test_use_these_settings_brings_a_second_painting_back_with_its_share(two_people):
    run_id = two_people["alice"][0]
    folder = two_people["runs"] / run_id
    job = json.loads((folder / "job.json").read_text())
    job["config"]["style_blend"] = [0.7, 0.3]
    (folder / "job.json").write_text(json.dumps(job))
    painting = np.random.default_rng(5).integers(0, 255, (48, 64, 3), np.uint8)  # (a flat one is all "frame")
    Image.fromarray(painting).save(folder / "inputs" / "style1.png")
    app = history_app(ALICE).run()
    app.button(key=f"history-details-{run_id}").click().run()
    app.button(key="history-use").click().run()
    assert not app.exception, [item.value for item in app.exception]
    assert app.session_state["style_use_second"] is True, [s.key for s in app.slider]
    assert app.slider(key="style_share").value == 0.3
    second = app.session_state["_sent_pictures"]["style_second"]
    assert (np.asarray(Image.open(io.BytesIO(second["png"]))) == painting).all()

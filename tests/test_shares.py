"""Share links (issue #34, item 4): a run shown read-only to anyone with its link; revoked, expired or
with its run deleted, the link opens nothing, and it never shows the owner, the log or the inputs
unless the owner included them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from streamlit.testing.v1 import AppTest

from core import provenance, shares
from core.api.app import create_app
from core.jobs import retention
from tests.helpers import finished_run

REPO = Path(__file__).resolve().parent.parent
ALICE = "browser:" + "a" * 32


@pytest.fixture
def run(tmp_path):
    run_id = finished_run(tmp_path, 7, ALICE)
    (tmp_path / run_id / "log.txt").write_text("a traceback with /home/alice/secret paths")
    return tmp_path / run_id


def test_a_link_is_long_random_and_found_only_through_its_own_run(run):
    first, second = shares.create(run), shares.create(run, days=1, include_inputs=True)
    assert len(first.token) >= 32 and first.token != second.token  # 192 random bits
    assert [link.token for link in shares.links(run)] == [second.token, first.token]
    assert shares.resolve(run.parent, first.token)[0] == run
    assert shares.resolve(run.parent, second.token)[1].include_inputs
    assert not any(first.token in path.read_text() for path in (run.parent / shares.POINTERS).iterdir()), (
        "the pointers hold no usable token"
    )
    for bad in ("", "x" * 200, "../../etc", first.token[:-1], first.token + "A"):
        assert shares.resolve(run.parent, bad) is None
    shares.revoke(run, first.token)
    assert shares.resolve(run.parent, first.token) is None and shares.resolve(run.parent, second.token)
    assert shares.resolve(run.parent, second.token, now=time.time() + 2 * 86400) is None, "expired"
    with pytest.raises(ValueError, match="ten years"):
        shares.create(run, days=0)
    retention.delete_run(run.parent, run.name)
    assert shares.resolve(run.parent, second.token) is None
    assert list((run.parent / shares.POINTERS).iterdir()) == [], "deleting the run removes its pointers"
    with pytest.raises(ValueError, match="deleted"):
        shares.create(run)


def test_the_shared_page_shows_the_result_and_settings_and_nothing_private(run):
    link = shares.create(run)
    viewer = TestClient(create_app(run.parent))  # no cookie: a stranger with the link
    page = viewer.get(f"/share/{link.token}")
    assert page.status_code == 200 and "Style Transfer" in page.text
    assert page.headers["x-robots-tag"] == "noindex, nofollow" and page.headers["referrer-policy"] == "no-referrer"
    assert "files/result.png" in page.text and "steps" in page.text
    assert ALICE not in page.text and "alice" not in page.text.lower() and run.name not in page.text
    assert "inputs/content.png" not in page.text, "no input unless the owner included it"
    picture = viewer.get(f"/share/{link.token}/files/result.png?download=true")
    assert picture.status_code == 200 and provenance.read(picture.content, "result.png").tool == "style"
    assert provenance.read(picture.content, "result.png").run == "", "the stamp names no run of the owner's"
    settings = viewer.get(f"/share/{link.token}/settings.json")
    assert settings.status_code == 200 and provenance.Stamp.from_json(settings.content).seed == 7
    for private in ("card.json", "log.txt", "job.json", "inputs/content.png", "../card.json", "%2e%2e/card.json"):
        assert viewer.get(f"/share/{link.token}/files/{private}").status_code == 404, private
    with_input = shares.create(run, include_inputs=True)
    page = viewer.get(f"/share/{with_input.token}")
    assert "inputs/content.png" in page.text and "before and after" in page.text
    assert viewer.get(f"/share/{with_input.token}/files/inputs/content.png").status_code == 200
    shares.revoke(run, link.token)
    gone = viewer.get(f"/share/{link.token}")
    unknown = viewer.get("/share/" + "Z" * 32)
    assert gone.status_code == unknown.status_code == 404 and gone.json() == unknown.json()
    assert viewer.get(f"/share/{link.token}/files/result.png").status_code == 404


def test_history_makes_lists_and_revokes_a_link():
    from ui.common import RUNS_DIR

    run_id = finished_run(RUNS_DIR, 4321, ALICE, day=27)
    try:
        app = AppTest.from_file(str(REPO / "Home.py"), default_timeout=60)
        app.session_state["atelier_owner"] = ALICE
        app.switch_page("pages/6_History.py").run()
        app.button(key=f"history-details-{run_id}").click().run()
        app.button(key=f"history-share-make-{run_id}").click().run()
        assert not app.exception, [item.value for item in app.exception]
        (link,) = shares.links(RUNS_DIR / run_id)
        assert any(f"/share/{link.token}" in str(item.value) for item in app.code)
        app.run()  # the index sees the new link: the tile says the run is shared
        assert any(":material/share:" in str(item.value) for item in app.markdown)
        app.button(key=f"history-share-revoke-{run_id}-0").click().run()
        assert shares.links(RUNS_DIR / run_id) == [] and shares.resolve(RUNS_DIR, link.token) is None
    finally:
        retention.delete_run(RUNS_DIR, run_id)

"""The file service beside Streamlit (core/api): a run's files reach its owner only, by cookie or
by a signed-in person's pass, answer 404 to anybody else exactly as to a run that does not exist,
and stop the moment the run is deleted. In-process (FastAPI's test client) and as a real server."""

import io
import json
import subprocess
import sys
import time
import zipfile

import pytest
from fastapi.testclient import TestClient

from core.api.app import create_app
from core.jobs import owners, retention
from tests.helpers import REPO, free_port, wait_until

ALICE, BOB = "a" * 32, "b" * 32


def make_run(runs, run_id: str, owner: str, status: str = "finished") -> None:
    folder = runs / run_id
    (folder / "inputs").mkdir(parents=True)
    (folder / "card.json").write_text(json.dumps({"id": run_id, "owner": owner, "status": status, "uploads": []}))
    (folder / "result.png").write_bytes(b"\x89PNG result of " + run_id.encode())
    (folder / "inputs" / "content.png").write_bytes(b"the person's photo")
    (folder / "result.html").write_text("<script>play()</script>")
    (folder / "CLAIM").write_text("server")
    (folder / ".hidden").write_text("never served")


@pytest.fixture
def runs(tmp_path):
    make_run(tmp_path, "run-a", owners.browser_owner(ALICE))
    make_run(tmp_path, "run-b", owners.browser_owner(BOB))
    return tmp_path


def client(runs, *, browser=None, pass_owner=None, pass_expires=None, shared=False) -> TestClient:
    test_client = TestClient(create_app(runs, shared=shared))
    secret = owners.cookie_secret(runs)
    if browser:
        test_client.cookies.set(owners.COOKIE_NAME, owners.sign(browser, secret))
    if pass_owner:
        test_client.cookies.set(
            owners.PASS_COOKIE, owners.sign_pass(pass_owner, secret, expires=pass_expires or time.time() + 60)
        )
    return test_client


def test_the_owner_gets_the_file_and_everyone_else_the_404_of_a_missing_run(runs):
    alice = client(runs, browser=ALICE)
    answer = alice.get("/api/v1/runs/run-a/files/result.png")
    assert answer.status_code == 200 and answer.content == b"\x89PNG result of run-a"
    assert answer.headers["cache-control"] == "private, no-store"
    missing = alice.get("/api/v1/runs/no-such-run/files/result.png")
    for other in (client(runs, browser=BOB), client(runs)):
        refused = other.get("/api/v1/runs/run-a/files/result.png")
        assert refused.status_code == 404 and refused.json() == missing.json()
        assert other.get("/api/v1/runs/run-a/zip").status_code == 404
        assert other.get("/api/v1/runs/run-a/files/inputs/content.png").status_code == 404


def test_a_forged_cookie_is_nobody(runs):
    forged = TestClient(create_app(runs, shared=False))
    forged.cookies.set(owners.COOKIE_NAME, owners.sign(ALICE, b"another server's secret"))
    assert forged.get("/api/v1/runs/run-a/files/result.png").status_code == 404


def test_names_that_leave_the_run_or_are_hidden_are_refused(runs):
    alice = client(runs, browser=ALICE)
    for name in (
        "../run-b/result.png",
        "..%2Frun-b%2Fresult.png",
        ".hidden",
        "inputs/../../run-b/card.json",
        "CLAIM/..",
        "",
        "/etc/passwd",
        "inputs",
    ):
        assert alice.get(f"/api/v1/runs/run-a/files/{name}").status_code == 404, name
    assert alice.get("/api/v1/runs/..%2Frun-b/files/result.png").status_code == 404
    assert alice.get("/api/v1/runs/.queue.lock/files/x").status_code == 404


def test_downloads_are_attachments_and_a_runs_html_plays_sandboxed(runs):
    alice = client(runs, browser=ALICE)
    download = alice.get("/api/v1/runs/run-a/files/result.png?download=true")
    assert download.headers["content-disposition"] == 'attachment; filename="run-a-result.png"'
    page = alice.get("/api/v1/runs/run-a/files/result.html")
    assert page.headers["content-security-policy"] == "sandbox allow-scripts"


def test_the_whole_run_zip_holds_its_visible_files_only(runs):
    answer = client(runs, browser=ALICE).get("/api/v1/runs/run-a/zip")
    assert answer.status_code == 200
    names = set(zipfile.ZipFile(io.BytesIO(answer.content)).namelist())
    assert names == {
        "run-a/card.json",
        "run-a/result.png",
        "run-a/result.html",
        "run-a/inputs/content.png",
        "run-a/CLAIM",
    }


def test_a_deleted_run_answers_404_at_once(runs):
    alice = client(runs, browser=ALICE)
    assert alice.get("/api/v1/runs/run-a/files/result.png").status_code == 200
    retention.delete_run(runs, "run-a")
    assert alice.get("/api/v1/runs/run-a/files/result.png").status_code == 404
    assert alice.get("/api/v1/runs/run-a/zip").status_code == 404


def test_a_signed_in_persons_pass_opens_their_runs_only_while_in_date(runs):
    make_run(runs, "run-signed", "user:0123abcd")
    assert client(runs, pass_owner="user:0123abcd").get("/api/v1/runs/run-signed/files/result.png").status_code == 200
    assert client(runs, pass_owner="user:ffff").get("/api/v1/runs/run-signed/files/result.png").status_code == 404
    stale = client(runs, pass_owner="user:0123abcd", pass_expires=time.time() - 1)
    assert stale.get("/api/v1/runs/run-signed/files/result.png").status_code == 404
    edited = TestClient(create_app(runs, shared=False))
    value = owners.sign_pass("user:ffff", owners.cookie_secret(runs), expires=time.time() + 60)
    edited.cookies.set(owners.PASS_COOKIE, value.replace("user:ffff", "user:0123abcd"))
    assert edited.get("/api/v1/runs/run-signed/files/result.png").status_code == 404


def test_shared_mode_runs_are_everyones_but_never_a_private_run(runs):
    make_run(runs, "run-team", owners.EVERYONE)
    assert client(runs, shared=True).get("/api/v1/runs/run-team/files/result.png").status_code == 200
    assert client(runs, shared=False).get("/api/v1/runs/run-team/files/result.png").status_code == 404
    # A private run (made before the server was switched to shared, or by a signed-in person) stays private.
    assert client(runs, shared=True).get("/api/v1/runs/run-a/files/result.png").status_code == 404


@pytest.mark.slow
def test_the_api_command_serves_on_a_port_and_ends_with_its_parent(runs):
    port = free_port()
    # A parent that exits at once: the service must notice and end by itself.
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"""
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-m", "core", "api", "--runs", {str(runs)!r}, "--port", "{port}",
                          "--parent", str(__import__("os").getpid())], cwd={str(REPO)!r})
print(child.pid, flush=True)
import urllib.request
deadline = time.time() + 60
while time.time() < deadline:
    try:
        urllib.request.urlopen("http://127.0.0.1:{port}/api/v1/health", timeout=1)
        break
    except OSError:
        time.sleep(0.2)
""",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    child = int(parent.stdout.readline())
    parent.wait(timeout=90)
    import os

    def gone() -> bool:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return True
        with open(f"/proc/{child}/stat") as stat:  # a zombie (nobody reaped it) has ended too
            return stat.read().split()[2] == "Z"

    wait_until(gone, timeout=30, what="the service to end with the server that started it")

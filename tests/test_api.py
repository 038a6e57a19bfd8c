"""The HTTP API (issue #34): tokens, the tools' schemas, a job per tool through the same job manager,
its progress as server-sent events, and every way a request is refused (401, 404 for another's job,
413 and 422 naming the field or setting)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from core import provenance
from core.api import serve, submissions, tokens
from core.api.app import create_app
from core.jobs import JobManager

REPO = Path(__file__).resolve().parent.parent
ALICE, BOB = "browser:" + "a" * 32, "browser:" + "b" * 32


def png(size=(96, 64), seed=0) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (*size[::-1], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def service(tmp_path):
    runs = tmp_path / "runs"
    manager = JobManager(runs, max_concurrent=1, grace_seconds=1.0, poll_interval=0.05)
    client = TestClient(create_app(runs, shared=False, manager=manager))
    alice, _ = tokens.create(runs, ALICE, "alice's notebook")
    bob, _ = tokens.create(runs, BOB, "bob's script")
    yield {
        "client": client,
        "runs": runs,
        "manager": manager,
        "alice": {"Authorization": f"Bearer {alice}"},
        "bob": {"Authorization": f"Bearer {bob}"},
    }
    manager.close(stop_jobs=True)


def events_of(client, job_id, headers) -> list[tuple[str, dict]]:
    """The job's server-sent events, read until the stream ends (it ends with the job)."""
    found, event = [], None
    with client.stream("GET", f"/api/v1/jobs/{job_id}/events", headers=headers, timeout=120) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        for line in answer.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                found.append((event, json.loads(line.split(":", 1)[1])))
    return found


def submit(client, headers, tool, settings=None, files=(), **fields):
    return client.post(
        "/api/v1/jobs",
        headers=headers,
        data={"tool": tool, "settings": json.dumps(settings or {}), **fields},
        files=list(files),
    )


def test_the_tools_and_their_settings_as_json_schema(service):
    client = service["client"]
    listed = {tool["name"]: tool for tool in client.get("/api/v1/tools").json()}
    assert set(listed) == {"ascii", "style", "gan", "sketch-train"}
    assert [item["name"] for item in listed["style"]["inputs"]] == ["content", "style", "style2", "mask"]
    style = client.get("/api/v1/tools/style/schema").json()
    assert style["type"] == "object" and style["additionalProperties"] is False
    assert style["properties"]["steps"] == {
        **style["properties"]["steps"],
        "type": "integer",
        "minimum": 10,
        "maximum": 1000,
    }
    assert style["properties"]["optimizer"]["enum"] == ["lbfgs", "adam"]
    assert style["properties"]["style_layers"]["default"][0] == "conv1_1"
    assert client.get("/api/v1/tools/paint/schema").status_code == 404
    docs = client.get("/api/openapi.json").json()
    assert "/api/v1/jobs" in docs["paths"] and "/api/v1/jobs/{job_id}/events" in docs["paths"]


def test_no_token_a_wrong_one_or_a_revoked_one_is_401(service):
    client, runs = service["client"], service["runs"]
    assert client.get("/api/v1/history").status_code == 401
    answer = client.get("/api/v1/history", headers={"Authorization": "Bearer atelier_not-a-token"})
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/history", headers={"Authorization": "Basic abc"}).status_code == 401
    token, kept = tokens.create(runs, ALICE, "short-lived")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/history", headers=headers).status_code == 200
    assert tokens.listed(runs, ALICE)[0].last_used is not None
    assert not any(token in path.read_text() for path in (runs / tokens.FOLDER).iterdir()), "only its hash is kept"
    assert not tokens.revoke(runs, BOB, kept.id), "only its owner revokes it"
    assert tokens.revoke(runs, ALICE, kept.id)
    assert client.get("/api/v1/history", headers=headers).status_code == 401
    assert submit(client, headers, "ascii", files=[("image", ("a.png", png()))]).status_code == 401


def test_an_ascii_batch_end_to_end_and_another_person_never_sees_it(service):
    client, alice, bob = service["client"], service["alice"], service["bob"]
    files = [
        ("image", ("first.png", png(seed=1))),
        ("image", ("broken.png", b"not a picture")),
        ("image", ("second.png", png((64, 96), seed=2))),
    ]
    answer = submit(client, alice, "ascii", {"columns": 40}, files, formats="png,txt,svg")
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert job["tool"] == "ascii-batch" and job["status"] in ("queued", "running")
    events = events_of(client, job["id"], alice)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "status" and kinds[-1] == "end"
    steps = [data["step"] for kind, data in events if kind == "progress"]
    assert steps == sorted(steps) and steps[-1] == 2, "progress in order, one event per picture"
    end = events[-1][1]
    assert end["status"] == "finished", end
    names = {item["name"] for item in end["files"]}
    assert {"results/first.png", "results/first.txt", "results/first.svg", "results/second.png"} <= names
    assert "results.zip" in names and "failures.json" in names
    failures = client.get(f"/api/v1/jobs/{job['id']}/files/failures.json", headers=alice).json()
    assert isinstance(failures, list), failures
    assert [item["name"] for item in failures] == ["broken.png"] and "not an image" in failures[0]["reason"]
    picture = client.get(f"/api/v1/jobs/{job['id']}/files/results/first.png", headers=alice)
    assert picture.status_code == 200
    stamp = provenance.read(picture.content, "first.png")
    assert stamp.tool == "ascii" and stamp.config["columns"] == 40 and stamp.run == job["id"]
    history = client.get("/api/v1/history", headers=alice).json()
    assert history["total"] == 1 and history["runs"][0]["id"] == job["id"]
    assert history["runs"][0]["family"] == "ASCII Art"
    # Bob: every route answers as for a job that does not exist, and his history is empty.
    unknown = client.get("/api/v1/jobs/20990101-000000-ascii-000000", headers=bob)
    for method, path in [
        ("GET", f"/api/v1/jobs/{job['id']}"),
        ("GET", f"/api/v1/jobs/{job['id']}/events"),
        ("GET", f"/api/v1/jobs/{job['id']}/files/results/first.png"),
        ("GET", f"/api/v1/runs/{job['id']}/files/results/first.png"),
        ("GET", f"/api/v1/runs/{job['id']}/zip"),
        ("POST", f"/api/v1/jobs/{job['id']}/stop"),
        ("DELETE", f"/api/v1/jobs/{job['id']}"),
    ]:
        answer = client.request(method, path, headers=bob)
        assert (answer.status_code, answer.json()) == (404, unknown.json()), path
    assert client.get("/api/v1/history", headers=bob).json() == {"total": 0, "offset": 0, "runs": []}
    # Traversal in a file's name: 404, never a file outside the run.
    for name in ("../card.json", "..%2Fcard.json", "/etc/passwd", ".STOP", "results/../../x"):
        assert client.get(f"/api/v1/jobs/{job['id']}/files/{name}", headers=alice).status_code == 404, name
    # Delete: gone at once, for its owner too.
    assert client.delete(f"/api/v1/jobs/{job['id']}", headers=alice).status_code == 200
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=alice).status_code == 404


def test_bad_settings_and_files_are_refused_naming_the_setting_or_field(service, monkeypatch):
    client, alice = service["client"], service["alice"]
    picture = [("content", ("photo.png", png())), ("style", ("painting.png", png(seed=3)))]
    refused = submit(client, alice, "style", {"steps": 5000}, picture)
    assert refused.status_code == 422
    assert refused.json()["detail"] == [
        {"setting": "steps", "message": "steps is 5000, outside its range 10 to 1000.", "minimum": 10, "maximum": 1000}
    ]
    assert submit(client, alice, "style", {"optimizer": "sgd"}, picture).json()["detail"][0]["setting"] == "optimizer"
    assert submit(client, alice, "style", {"colour": 1}, picture).json()["detail"][0]["setting"] == "colour"
    assert submit(client, alice, "style", {"steps": "many"}, picture).json()["detail"][0]["setting"] == "steps"
    not_json = client.post("/api/v1/jobs", headers=alice, data={"tool": "style", "settings": "{steps"}, files=picture)
    assert not_json.status_code == 422 and not_json.json()["detail"][0]["field"] == "settings"
    assert submit(client, alice, "paint").json()["detail"][0]["field"] == "tool"
    missing = submit(client, alice, "style", files=picture[:1])
    assert missing.status_code == 422 and missing.json()["detail"][0]["field"] == "style"
    broken = submit(client, alice, "style", files=[("content", ("photo.png", b"junk")), picture[1]])
    assert broken.status_code == 422 and broken.json()["detail"][0]["field"] == "content"
    extra = submit(client, alice, "style", files=[*picture, ("video", ("clip.mp4", b"x"))])
    assert extra.status_code == 422 and extra.json()["detail"][0]["field"] == "video"
    path = submit(client, alice, "gan", {"dataset": "/home/someone/pictures"})
    assert path.status_code == 422 and path.json()["detail"][0]["setting"] == "dataset"
    assert submit(client, alice, "ascii", files=[("image", ("a.png", png()))], formats="gif").status_code == 422
    all_broken = submit(client, alice, "ascii", files=[("image", ("a.png", b"junk"))])
    assert all_broken.status_code == 422 and "a.png" in all_broken.json()["detail"][0]["message"]
    monkeypatch.setattr(submissions, "MAX_UPLOAD_BYTES", 1000)
    too_big = submit(client, alice, "style", files=picture)
    assert too_big.status_code == 413 and too_big.json()["detail"][0]["field"] == "content"
    assert service["manager"].list_runs(owner=ALICE) == [], "nothing refused left a run behind"


def test_an_idempotency_key_makes_one_job_however_often_it_is_sent(service):
    client, alice, bob = service["client"], service["alice"], service["bob"]
    files = [("image", ("a.png", png()))]
    first = submit(client, {**alice, "Idempotency-Key": "run-1"}, "ascii", files=files)
    again = submit(client, {**alice, "Idempotency-Key": "run-1"}, "ascii", files=files)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"] and again.headers["idempotent-replayed"] == "true"
    other = submit(client, {**bob, "Idempotency-Key": "run-1"}, "ascii", files=files)
    assert other.status_code == 202 and other.json()["id"] != first.json()["id"], "keys are per person"
    assert len(service["manager"].list_runs()) == 2


def test_a_style_job_end_to_end_then_a_second_one_stopped(service):
    client, alice = service["client"], service["alice"]
    files = [("content", ("photo.png", png((64, 48)))), ("style", ("painting.png", png((64, 64), seed=4)))]
    settings = {"size": 64, "steps": 10, "preview_every": 5, "seed": 2}
    job = submit(client, alice, "style", settings, files).json()
    second = submit(client, alice, "style", {**settings, "steps": 1000}, files).json()
    assert second["status"] == "queued" and second["queue_position"] == 1, "one slot: the second waits"
    events = events_of(client, job["id"], alice)
    assert events[-1][1]["status"] == "finished", events[-1]
    assert [data["status"] for kind, data in events if kind == "status"][-1] == "finished"
    assert any(kind == "progress" and "style" in data["metrics"] for kind, data in events)
    result = client.get(f"/api/v1/jobs/{job['id']}/files/result.png", headers=alice)
    assert provenance.read(result.content, "result.png").config["steps"] == 10
    # The second starts when the slot frees; stopped, it ends as stopped.
    deadline = time.monotonic() + 120
    while client.get(f"/api/v1/jobs/{second['id']}", headers=alice).json()["status"] == "queued":
        assert time.monotonic() < deadline, "the second job never started"
        time.sleep(0.2)
    assert client.post(f"/api/v1/jobs/{second['id']}/stop", headers=alice).status_code == 200
    assert events_of(client, second["id"], alice)[-1][1]["status"] == "stopped"


@pytest.mark.slow
def test_a_gan_and_a_sketch_training_through_the_api(service):
    client, alice = service["client"], service["alice"]
    gan = submit(
        client,
        alice,
        "gan",
        {"epochs": 1, "limit": 1000, "ngf": 8, "ndf": 8, "batch_size": 64, "garment_metrics": False, "grid": 16},
    )
    assert gan.status_code == 202, gan.text
    assert events_of(client, gan.json()["id"], alice)[-1][1]["status"] == "finished"
    sketch = submit(client, alice, "sketch-train", {"epochs": 1, "pairs": 32, "width": 8, "depth": 2})
    assert sketch.status_code == 202, sketch.text
    end = events_of(client, sketch.json()["id"], alice)[-1][1]
    assert end["status"] == "finished", end
    assert any(item["name"].endswith(".keras") for item in end["files"])


def test_the_api_as_a_real_server(tmp_path):
    """``python -m core api`` on a free port: a token's job submitted over HTTP runs to its end."""
    from tests.helpers import free_port

    runs = tmp_path / "runs"
    token, _ = tokens.create(runs, ALICE, "real server")
    port = free_port()
    log = (tmp_path / "api.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "core", "api", "--runs", str(runs), "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 60
        while serve.health(base) is None:
            assert process.poll() is None, (tmp_path / "api.log").read_text()
            assert time.monotonic() < deadline, "the API did not answer within 60 s"
            time.sleep(0.2)
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            assert client.get("/api/docs").status_code == 200
            job = submit(client, headers, "ascii", {"columns": 30}, [("image", ("a.png", png()))]).json()
            events = events_of(client, job["id"], headers)
            assert events[-1][1]["status"] == "finished", (tmp_path / "api.log").read_text()
            txt = client.get(f"/api/v1/jobs/{job['id']}/files/results/a.txt").text
            assert len(txt.splitlines()) > 3
            assert httpx.get(f"{base}/api/v1/jobs/{job['id']}", timeout=10).status_code == 401
        # The README's example, as written there but for the address and the token.
        readme = (REPO / "README.md").read_text()
        example = readme.split("**From other programs.**", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
        example = example.replace("http://127.0.0.1:8502/api/v1", f"{base}/api/v1").replace(
            '"atelier_..."', f'"{token}"'
        )
        Image.open(io.BytesIO(png((80, 60), seed=5))).save(tmp_path / "photo.jpg")
        Image.open(io.BytesIO(png((64, 64), seed=6))).save(tmp_path / "painting.jpg")
        ran = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.splitlines()[-1].startswith("finished {"), ran.stdout
        assert provenance.read_file(tmp_path / "result.png").config["steps"] == 30
    finally:
        process.terminate()
        process.wait(timeout=20)

"""Several people on one server: owners, the fair queue, delete and retention, reaped workers,
cookies, and messages without server paths."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from core import jobs
from core.jobs import owners, retention
from core.jobs.manager import fair_order
from core.jobs.worker import without_server_paths


@pytest.fixture
def manager(tmp_path):
    job_manager = jobs.JobManager(tmp_path / "runs", max_concurrent=1, grace_seconds=1.0, poll_interval=0.05)
    yield job_manager
    job_manager.close(stop_jobs=True)


def test_every_call_that_takes_an_id_refuses_another_owners_run_in_the_words_of_an_unknown_id(manager):
    alice, bob = manager.for_owner("browser:" + "a" * 32), manager.for_owner("browser:" + "b" * 32)
    job_id = alice.submit(
        "test", "tests.job_targets:count", {"steps": 2}, inputs={"image": Image.new("RGB", (8, 8), "red")}
    )
    alice.wait(job_id, timeout=30)
    unknown = "20260101-000000-test-abcdef"
    for call in ("snapshot", "stop", "delete", "run_dir", "previews", "wait", "check"):
        for asked in (job_id, unknown):
            with pytest.raises(ValueError) as refused:
                getattr(bob, call)(asked)
            assert str(refused.value) == f"There is no run called {asked!r}."
    assert bob.list_runs() == [] and bob.list_runs("test") == []
    assert [card["id"] for card in alice.list_runs("test")] == [job_id]
    assert alice.snapshot(job_id).status == "finished" and alice.run_dir(job_id).exists()
    # "everyone" (ATELIER_SHARED_RUNS=1) sees every run; a card names its owner.
    assert [card["id"] for card in manager.for_owner(owners.EVERYONE).list_runs()] == [job_id]
    assert json.loads((alice.run_dir(job_id) / "card.json").read_text())["owner"] == alice.owner


def test_stop_by_another_owner_does_not_stop_the_job(manager):
    alice, bob = manager.for_owner("user:alice"), manager.for_owner("user:bob")
    job_id = alice.submit("test", "tests.job_targets:count", {"steps": 10_000, "delay": 0.01})
    deadline = time.monotonic() + 30
    while alice.snapshot(job_id).step < 3:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    with pytest.raises(ValueError):
        bob.stop(job_id)
    time.sleep(0.5)
    assert alice.snapshot(job_id).status == "running"
    alice.stop(job_id)
    assert alice.wait(job_id, timeout=10).status == "stopped"


def test_the_fair_queue_never_puts_an_owner_behind_anothers_second_job():
    def card(owner, number, at, status="queued"):
        return {"id": f"{owner}{number}", "owner": owner, "status": status, "queued_at": at}

    # A queued three jobs first and one of them runs; B and C queued one each afterwards.
    running = [card("A", 1, 0.0, "running")]
    queued = [card("A", 2, 0.1), card("A", 3, 0.2), card("B", 1, 1.0), card("C", 1, 2.0)]
    order = [c["id"] for c in fair_order(queued, running + queued, {"A": 0.5})]
    assert order == ["B1", "C1", "A2", "A3"]
    # Nothing running now (A1 ended): B and C, who have never started a job, still go first.
    order = [c["id"] for c in fair_order(queued, queued, {"A": 0.5})]
    assert order == ["B1", "C1", "A2", "A3"]
    # Three owners with two jobs each: round robin, in the order they first waited.
    queued = [card(owner, n, at + n) for owner, at in (("A", 0.0), ("B", 0.1), ("C", 0.2)) for n in (1, 2)]
    assert [c["id"] for c in fair_order(queued, queued, {})] == ["A1", "B1", "C1", "A2", "B2", "C2"]


def test_three_owners_share_one_slot_in_turns_on_a_real_manager(tmp_path):
    manager = jobs.JobManager(tmp_path / "runs", max_concurrent=1, poll_interval=0.05)
    try:
        views = {name: manager.for_owner(f"user:{name}") for name in "ABC"}
        ids = [views["A"].submit("test", "tests.job_targets:count", {"steps": 3, "delay": 0.1}) for _ in range(3)]
        ids += [views["B"].submit("test", "tests.job_targets:count", {"steps": 3, "delay": 0.1})]
        ids += [views["C"].submit("test", "tests.job_targets:count", {"steps": 3, "delay": 0.1})]
        for job_id in ids:
            manager.wait(job_id, timeout=60)
        # Each start creates the job's CLAIM file: its time orders the starts.
        started = sorted(ids, key=lambda job_id: (manager.run_dir(job_id) / "CLAIM").stat().st_mtime_ns)
        owner_order = [manager.owner_of(job_id)[-1] for job_id in started]
        assert owner_order[:3] == ["A", "B", "C"], owner_order  # not A, A, A
    finally:
        manager.close(stop_jobs=True)


def test_an_owner_may_queue_only_so_many_jobs(tmp_path):
    manager = jobs.JobManager(tmp_path / "runs", max_concurrent=1, poll_interval=0.05, max_queued_per_owner=2)
    try:
        alice, bob = manager.for_owner("user:alice"), manager.for_owner("user:bob")
        first = alice.submit("test", "tests.job_targets:count", {"steps": 10_000, "delay": 0.01})
        deadline = time.monotonic() + 30
        while alice.snapshot(first).status != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        waiting = [alice.submit("test", "tests.job_targets:count", {"steps": 1}) for _ in range(2)]
        with pytest.raises(jobs.QueueFull, match="2 jobs waiting"):
            alice.submit("test", "tests.job_targets:count", {"steps": 1})
        bobs = bob.submit("test", "tests.job_targets:count", {"steps": 1})  # others are not held up
        snapshot = bob.snapshot(bobs)
        assert snapshot.queue_position == 1 and snapshot.owner_running == 0  # ahead of Alice's waiting two
        assert alice.snapshot(waiting[0]).owner_running == 1
        assert alice.snapshot(waiting[0]).queue_position == 2
    finally:
        manager.close(stop_jobs=True)


def test_no_zombie_is_left_after_twenty_jobs(manager):
    ids = [manager.submit("test", "tests.job_targets:count", {"steps": 1}) for _ in range(20)]
    for job_id in ids:
        manager.wait(job_id, timeout=60)
    time.sleep(0.5)  # a few monitor rounds
    children = subprocess.run(
        ["ps", "-o", "pid=,stat=", "--ppid", str(os.getpid())], capture_output=True, text=True
    ).stdout.split("\n")
    zombies = [line for line in children if line.split()[1:2] and line.split()[1].startswith("Z")]
    assert zombies == []


def make_run(runs_dir: Path, job_id: str, *, status="finished", age_days=0.0, megabytes=0.0, uploads=(), owner="x"):
    folder = runs_dir / job_id
    folder.mkdir(parents=True)
    ended = time.time() - age_days * 86400
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ended))
    (folder / "card.json").write_text(
        json.dumps(
            {"id": job_id, "status": status, "ended": stamp, "created": stamp, "uploads": list(uploads), "owner": owner}
        )
    )
    (folder / "blob").write_bytes(b"\0" * int(megabytes * 1e6))


def test_retention_removes_old_runs_then_the_oldest_past_the_budget_never_an_active_one(tmp_path):
    runs = tmp_path / "runs"
    make_run(runs, "old", age_days=40, megabytes=1)
    make_run(runs, "old-but-running", status="running", age_days=50, megabytes=1)
    make_run(runs, "middle", age_days=5, megabytes=2)
    make_run(runs, "newer", age_days=2, megabytes=2)
    make_run(runs, "newest", age_days=1, megabytes=2)
    make_run(runs, "queued", status="queued", age_days=60, megabytes=1)
    report = retention.prune(runs, retention.Policy(keep_days=30, max_bytes=int(6.1e6)))
    assert report.removed == ["old", "middle"]  # too old, then oldest first until under 6.1 MB
    assert sorted(path.name for path in runs.iterdir()) == ["newer", "newest", "old-but-running", "queued"]
    assert not report.over_budget
    # A budget smaller than one run: every ended run goes, the active ones stay, and it says so.
    report = retention.prune(runs, retention.Policy(keep_days=0, max_bytes=1000))
    assert sorted(path.name for path in runs.iterdir()) == ["old-but-running", "queued"]
    assert report.over_budget


def test_deleting_a_run_deletes_its_uploads_unless_another_run_uses_them(tmp_path):
    runs = tmp_path / "runs"
    store = jobs.JobManager(runs, poll_interval=10).for_owner("user:alice").uploads
    shared = store.file(b"zip one", ".zip")
    own = store.file(b"zip two", ".zip")
    names = store.names_in({"data": str(shared), "other": [str(own)]})
    assert len(names) == 2
    make_run(runs, "first", uploads=names)
    make_run(runs, "second", uploads=store.names_in({"data": str(shared)}))
    retention.delete_run(runs, "first")
    assert shared.exists() and not own.exists()  # "second" still uses the shared one
    retention.delete_run(runs, "second")
    assert not shared.exists()
    make_run(runs, "active", status="running")
    with pytest.raises(ValueError, match="stop it before deleting"):
        retention.delete_run(runs, "active")


def test_two_owners_uploading_the_same_zip_get_separate_copies(tmp_path):
    manager = jobs.JobManager(tmp_path / "runs", poll_interval=10)
    try:
        first = manager.for_owner("user:a").uploads.file(b"same bytes", ".zip")
        second = manager.for_owner("user:b").uploads.file(b"same bytes", ".zip")
        assert first != second and first.parent != second.parent
        assert "user" not in str(first) and "a" * 3 not in first.parent.name  # a digest, no owner id
    finally:
        manager.close()


def test_cookies_are_signed_and_a_tampered_one_is_refused(tmp_path):
    secret = owners.cookie_secret(tmp_path)
    assert owners.cookie_secret(tmp_path) == secret  # kept for restarts and replicas
    assert oct((tmp_path / owners.SECRET_FILE).stat().st_mode & 0o777) == "0o600"
    browser_id = owners.new_browser_id()
    cookie = owners.sign(browser_id, secret)
    assert owners.verify(cookie, secret) == browser_id
    forged = owners.new_browser_id() + cookie[32:]
    for bad in (
        forged,
        cookie[:-1] + ("0" if cookie[-1] != "0" else "1"),
        "",
        None,
        "nonsense",
        owners.sign(browser_id, b"another server"),
    ):
        assert owners.verify(bad, secret) is None
    assert owners.signed_in_owner("https://issuer", "42") != owners.signed_in_owner("https://other", "42")


def test_a_failed_jobs_message_names_no_server_path(tmp_path):
    run_dir = tmp_path / "runs" / "20260101-gan-abc"
    upload = tmp_path / "runs" / "uploads" / "0123abcd" / "6ed5aa-pictures"
    message = f"No readable pictures in {upload} and none in {run_dir}/inputs; see {tmp_path / 'runs'}/other."
    cleaned = without_server_paths(message, run_dir)
    assert str(tmp_path) not in cleaned and "0123abcd" not in cleaned
    assert "your upload" in cleaned and "this run's folder" in cleaned


def test_the_runs_command_lists_deletes_and_prunes(tmp_path):
    runs = tmp_path / "runs"
    make_run(runs, "ancient", age_days=400, megabytes=0.1, owner="browser:" + "c" * 32)
    make_run(runs, "busy", status="running")

    def cli(*arguments):
        return subprocess.run(
            [sys.executable, "-m", "core", "runs", "--runs", str(runs), *arguments],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent.parent,
        )

    listed = cli("list", "--json")
    assert listed.returncode == 0
    rows = json.loads(listed.stdout)
    assert {row["id"] for row in rows} == {"ancient", "busy"}
    assert "c" * 32 not in listed.stdout  # the kind of owner, never the id
    refused = cli("delete", "busy")
    assert refused.returncode == 2 and "stop it before deleting" in refused.stderr
    dry = cli("prune", "--dry-run")
    assert "would remove ancient" in dry.stdout and (runs / "ancient").exists()
    assert cli("prune").returncode == 0 and not (runs / "ancient").exists() and (runs / "busy").exists()


def test_the_server_log_gets_what_the_job_monitor_survives(tmp_path):
    from core import logs

    path = logs.configure(tmp_path / "runs")

    class FaultyBackend(jobs.LocalBackend):
        def reap(self):
            raise RuntimeError("the disk went away for a moment")

    manager = jobs.JobManager(tmp_path / "runs", backend=FaultyBackend(), poll_interval=0.05)
    try:
        time.sleep(0.5)
    finally:
        manager.close()
    text = path.read_text()
    assert "the job monitor hit an error" in text and "the disk went away for a moment" in text
    assert "Traceback" in text  # with its traceback, never swallowed

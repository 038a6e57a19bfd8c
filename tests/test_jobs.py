"""The job runner: order of events, stop, hard stop, errors, run cards, queue, restarts."""

import json
import time

import numpy as np
import pytest
from PIL import Image

from core import jobs
from tests.helpers import wait_until


@pytest.fixture
def manager(tmp_path):
    job_manager = jobs.JobManager(tmp_path / "runs", max_concurrent=1, grace_seconds=1.0, poll_interval=0.05)
    yield job_manager
    job_manager.close(stop_jobs=True)


def wait_for_step(manager, job_id, step, timeout=30):
    wait_until(lambda: manager.snapshot(job_id).step >= step, timeout, f"the job to reach step {step}")


def test_events_arrive_in_order_and_the_card_is_complete(manager):
    job_id = manager.submit(
        "test",
        "tests.job_targets:count",
        {"steps": 6, "seed": 11},
        inputs={"image": Image.new("RGB", (8, 8), "red")},
        title="counting",
    )
    snapshot = manager.wait(job_id, timeout=30)
    assert snapshot.status == "finished"
    assert [row["step"] for row in snapshot.history] == [1, 2, 3, 4, 5, 6]
    assert [row["value"] for row in snapshot.history] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    times = [row["time"] for row in snapshot.history]
    assert times == sorted(times)
    assert (snapshot.step, snapshot.total, snapshot.fraction) == (6, 6, 1.0)
    assert np.asarray(Image.open(snapshot.result_path))[0, 0, 0] == 6  # the latest result
    card = json.loads((manager.run_dir(job_id) / "card.json").read_text())
    assert card["tool"] == "test" and card["title"] == "counting"
    assert card["parameters"] == {"steps": 6, "seed": 11} and card["seed"] == 11
    assert card["final_metrics"] == {"value": 6.0}
    assert card["versions"]["python"] and card["versions"]["numpy"]
    assert card["device"]["cpu_count"] >= 1
    assert card["started"] <= card["ended"] and card["wall_seconds"] >= 0
    assert "inputs/image.png" in card["inputs"]
    assert (manager.run_dir(job_id) / "inputs" / "image.png").exists()
    assert (manager.run_dir(job_id) / "cleaned_up").exists()


def test_stop_keeps_the_latest_result_and_closes_the_generator(manager):
    job_id = manager.submit("test", "tests.job_targets:count", {"steps": 10_000, "delay": 0.01})
    wait_for_step(manager, job_id, 5)
    asked = time.monotonic()
    manager.stop(job_id)
    snapshot = manager.wait(job_id, timeout=10)
    assert time.monotonic() - asked < 2.0  # cooperative: well inside the 1 s grace + polling
    assert snapshot.status == "stopped"
    assert 5 <= snapshot.step < 10_000
    last = np.asarray(Image.open(snapshot.result_path))[0, 0, 0]
    assert last == snapshot.step % 256
    assert (manager.run_dir(job_id) / "cleaned_up").exists()
    assert "latest result" in snapshot.card["note"]


def test_a_job_that_ignores_stop_is_ended_after_the_grace_period(manager):
    job_id = manager.submit("test", "tests.job_targets:stubborn", {"sleep": 120})
    deadline = time.monotonic() + 30
    while not (manager.run_dir(job_id) / "sleeping").exists():  # now it can only be hard-stopped
        assert time.monotonic() < deadline
        time.sleep(0.02)
    asked = time.monotonic()
    manager.stop(job_id)
    snapshot = manager.wait(job_id, timeout=15)
    took = time.monotonic() - asked
    assert snapshot.status == "stopped"
    assert 1.0 <= took < 8.0
    assert "did not stop within" in snapshot.card["note"]
    assert np.asarray(Image.open(snapshot.result_path))[0, 0, 0] == 7  # kept through the hard stop


def test_an_error_comes_back_as_a_readable_message_with_the_traceback_in_the_log(manager):
    job_id = manager.submit("test", "tests.job_targets:failing", {})
    snapshot = manager.wait(job_id, timeout=30)
    assert snapshot.status == "failed"
    assert snapshot.error == "The picture is too dark to work with."
    assert "Traceback" not in snapshot.error
    assert "Traceback" in (manager.run_dir(job_id) / "log.txt").read_text()
    assert snapshot.result_path is not None  # the result before the error is kept


def test_an_unexpected_exception_names_its_type(manager):
    snapshot = manager.wait(manager.submit("test", "tests.job_targets:bug", {}), timeout=30)
    assert snapshot.status == "failed"
    assert snapshot.error.startswith("KeyError") and "log.txt" in snapshot.error


def test_a_crashed_process_is_reported_not_left_running(manager):
    snapshot = manager.wait(manager.submit("test", "tests.job_targets:crashing", {}), timeout=30)
    assert snapshot.status == "failed"
    assert "exit code 7" in snapshot.error


def test_jobs_beyond_the_cap_wait_in_line(manager):
    first = manager.submit("test", "tests.job_targets:count", {"steps": 10_000, "delay": 0.01})
    second = manager.submit("test", "tests.job_targets:count", {"steps": 2})
    third = manager.submit("test", "tests.job_targets:count", {"steps": 2})
    wait_for_step(manager, first, 1)
    assert manager.snapshot(second).status == "queued"
    assert (manager.snapshot(second).queue_position, manager.snapshot(third).queue_position) == (1, 2)
    manager.stop(third)  # leaving the line
    assert manager.snapshot(third).status == "stopped"
    manager.stop(first)
    assert manager.wait(second, timeout=30).status == "finished"
    assert manager.snapshot(third).step == 0


def test_finished_runs_survive_a_restart_and_dead_ones_are_closed(tmp_path):
    runs = tmp_path / "runs"
    first = jobs.JobManager(runs, grace_seconds=1.0, poll_interval=0.05)
    done = first.wait(first.submit("test", "tests.job_targets:count", {"steps": 2}), timeout=30).id
    first.close()
    orphan = runs / "20000101-000000-test-abcdef"
    orphan.mkdir()
    jobs.write_json(
        orphan / "card.json",
        {
            "id": orphan.name,
            "tool": "test",
            "status": "running",
            "pid": 2**22 + 12345,
            "created": "2000-01-01T00:00:00+00:00",
        },
    )
    second = jobs.JobManager(runs, grace_seconds=1.0, poll_interval=0.05)
    try:
        listed = {card["id"]: card["status"] for card in second.list_runs("test")}
        assert listed[done] == "finished"
        assert listed[orphan.name] == "interrupted"
        assert second.snapshot(done).result_path is not None
    finally:
        second.close()


def test_ids_from_urls_cannot_leave_the_runs_folder(manager):
    for bad in ["../etc", "a/b", "", ".hidden"]:
        with pytest.raises(ValueError):
            manager.snapshot(bad)

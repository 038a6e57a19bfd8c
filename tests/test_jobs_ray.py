"""Jobs on a real Ray head (started by the ``ray_address`` fixture), through Ray's Jobs API, and
the queue shared by several servers on one runs folder (with either backend)."""

import json
import threading
import time

import numpy as np
import pytest
from PIL import Image

from core import jobs
from tests.helpers import free_port, wait_until

pytestmark = pytest.mark.slow  # every test here runs jobs on a real Ray head


def ray_backend(address, **options):
    from core.jobs.ray_backend import RayBackend

    return RayBackend(address, kill_after_seconds=2.0, **options)


@pytest.fixture
def manager(ray_address, tmp_path):
    job_manager = jobs.JobManager(
        tmp_path / "runs",
        backend=ray_backend(ray_address),
        max_concurrent=2,
        grace_seconds=1.0,
        kill_after_seconds=2.0,
        poll_interval=0.1,
    )
    yield job_manager
    job_manager.close(stop_jobs=True)


def log_of(manager, job_id) -> str:
    path = manager.run_dir(job_id) / "log.txt"
    return path.read_text() if path.exists() else ""


def test_a_job_on_ray_runs_to_the_end_with_its_events_in_order(manager):
    job_id = manager.submit(
        "test", "tests.job_targets:count", {"steps": 6, "seed": 3}, inputs={"image": Image.new("RGB", (8, 8), "red")}
    )
    snapshot = manager.wait(job_id, timeout=60)
    assert snapshot.status == "finished", snapshot.card
    assert [row["step"] for row in snapshot.history] == [1, 2, 3, 4, 5, 6]
    assert [row["value"] for row in snapshot.history] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert np.asarray(Image.open(snapshot.result_path))[0, 0, 0] == 6
    card = snapshot.card
    assert card["backend"] == "ray" and card["final_metrics"] == {"value": 6.0} and card["pid"]
    from ray.job_submission import JobSubmissionClient

    client = JobSubmissionClient(manager.backend.address)
    wait_until(lambda: client.get_job_status(job_id) == "SUCCEEDED", 30, "Ray to see the job end")  # id = run id
    info = client.get_job_info(job_id)
    assert "core.jobs.worker" in info.entrypoint and info.metadata["atelier_tool"] == "test"
    assert "runs/" + job_id in info.entrypoint.replace("'", "")
    wait_until(lambda: "Ray job's output" in log_of(manager, job_id), 30, "the Ray job's output in log.txt")
    assert manager.describe()["cpus"] == 2 and manager.describe()["backend"] == "ray"


def test_stop_on_ray_keeps_the_latest_result(manager):
    job_id = manager.submit("test", "tests.job_targets:count", {"steps": 10_000, "delay": 0.02})
    wait_until(lambda: manager.snapshot(job_id).step >= 5, what="step 5")
    manager.stop(job_id)
    snapshot = manager.wait(job_id, timeout=20)
    assert snapshot.status == "stopped" and "latest result" in snapshot.card["note"]
    assert 5 <= snapshot.step < 10_000
    assert np.asarray(Image.open(snapshot.result_path))[0, 0, 0] == snapshot.step % 256
    assert (manager.run_dir(job_id) / "cleaned_up").exists()


def test_a_job_deaf_to_sigterm_is_killed_by_ray_within_the_grace_period_and_a_few_seconds(manager):
    job_id = manager.submit("test", "tests.job_targets:deaf", {"sleep": 300})
    wait_until(lambda: (manager.run_dir(job_id) / "sleeping").exists(), what="the job to block")
    asked = time.monotonic()
    manager.stop(job_id)
    snapshot = manager.wait(job_id, timeout=30)
    took = time.monotonic() - asked
    assert snapshot.status == "stopped"
    assert 1.0 + 2.0 <= took < 1.0 + 2.0 + 6.0, took  # grace, Ray's SIGTERM-to-SIGKILL wait, polling
    assert "did not stop within" in snapshot.card["note"]
    assert np.asarray(Image.open(snapshot.result_path))[0, 0, 0] == 7  # saved before it blocked


def test_a_crashing_job_on_ray_is_reported_failed_with_its_reason(manager):
    snapshot = manager.wait(manager.submit("test", "tests.job_targets:crashing", {}), timeout=60)
    assert snapshot.status == "failed"
    assert "exit code 7" in snapshot.error, snapshot.error
    assert "\n" not in snapshot.error  # one line for the page; the rest is in log.txt
    wait_until(lambda: "Ray job's output" in log_of(manager, snapshot.id), 30, "logs")
    failing = manager.wait(manager.submit("test", "tests.job_targets:failing", {}), timeout=60)
    assert failing.status == "failed" and failing.error == "The picture is too dark to work with."
    wait_until(lambda: "Traceback" in log_of(manager, failing.id), 30, "the traceback")


def test_a_restarted_server_reattaches_a_running_ray_job_by_its_id(ray_address, tmp_path):
    runs = tmp_path / "runs"
    first = jobs.JobManager(runs, backend=ray_backend(ray_address), grace_seconds=1.0, poll_interval=0.1)
    job_id = first.submit("test", "tests.job_targets:count", {"steps": 10_000, "delay": 0.02})
    wait_until(lambda: first.snapshot(job_id).step >= 3, what="step 3")
    first.close()  # the server goes away; the Ray job does not
    second = jobs.JobManager(runs, backend=ray_backend(ray_address), grace_seconds=1.0, poll_interval=0.1)
    try:
        step = second.snapshot(job_id).step
        assert second.snapshot(job_id).status == "running"
        wait_until(lambda: second.snapshot(job_id).step > step + 5, what="the job to go on")
        second.stop(job_id)
        assert second.wait(job_id, timeout=20).status == "stopped"
    finally:
        second.close(stop_jobs=True)


def two_servers(backend_name: str, runs, request, poll_interval: float) -> list:
    """Two job managers (as two server replicas) on one runs folder and one slot, on either backend."""
    if backend_name == "ray":
        address = request.getfixturevalue("ray_address")
        backends = [ray_backend(address), ray_backend(address)]
    else:
        backends = [jobs.LocalBackend(), jobs.LocalBackend()]
    return [
        jobs.JobManager(runs, backend=backend, max_concurrent=1, poll_interval=poll_interval) for backend in backends
    ]


@pytest.mark.parametrize("backend_name", ["local", "ray"])
def test_two_servers_on_one_runs_folder_never_start_a_job_twice_nor_exceed_the_cap(backend_name, tmp_path, request):
    runs = tmp_path / "runs"
    servers = two_servers(backend_name, runs, request, poll_interval=0.02)
    try:
        submitted = []

        def submit_from(server, count):
            for _ in range(count):
                submitted.append(server.submit("test", "tests.job_targets:timed", {"steps": 2, "delay": 0.02}))

        threads = [threading.Thread(target=submit_from, args=(server, 3)) for server in servers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for job_id in submitted:
            assert servers[0].wait(job_id, timeout=120).status == "finished"
        spans = []
        for job_id in submitted:
            lines = (runs / job_id / "spans.txt").read_text().splitlines()
            assert len(lines) == 1, f"{job_id} ran {len(lines)} times"
            spans.append(tuple(map(float, lines[0].split())))
            assert (runs / job_id / "CLAIM").read_text().split(":")[0]  # claimed by exactly one server
        spans.sort()
        for (_, ended), (started, _) in zip(spans, spans[1:]):
            assert started >= ended, "two jobs ran at once under a cap of 1"
        started_by = {json.loads((runs / job_id / "card.json").read_text())["server"] for job_id in submitted}
        assert started_by <= {server.server for server in servers}
    finally:
        for server in servers:
            server.close(stop_jobs=True)


def test_a_tensorflow_job_then_a_torch_job_both_succeed_on_ray(manager):
    picture = Image.fromarray(np.tile(np.linspace(0, 255, 32, dtype=np.uint8), (24, 1)))
    for framework, module in [("tensorflow", "tensorflow"), ("torch", "torch")]:
        job_id = manager.submit(
            "demo",
            "core.demo:job",
            {"backend": framework, "steps": 30, "size": 32},
            inputs={"image": picture.convert("RGB")},
        )
        snapshot = manager.wait(job_id, timeout=180)
        assert snapshot.status == "finished", (framework, snapshot.error)
        assert module in snapshot.card["versions"] and snapshot.step == 30


def test_a_runs_folder_the_jobs_cannot_see_is_refused_with_the_reason(ray_address, tmp_path):
    elsewhere = tmp_path / "the-nodes-see-another-folder"
    elsewhere.mkdir()
    for on_nodes, expected in [(elsewhere, "cannot see it"), (tmp_path / "missing" / "runs", "could not write")]:
        manager = jobs.JobManager(
            tmp_path / f"runs-{on_nodes.name}",
            poll_interval=0.1,
            backend=ray_backend(ray_address, runs_dir_on_nodes=on_nodes, check_timeout=60),
        )
        try:
            snapshot = manager.wait(manager.submit("test", "tests.job_targets:count", {"steps": 1}), timeout=90)
            assert snapshot.status == "failed" and expected in snapshot.error, snapshot.error
            assert "same path" in snapshot.error
        finally:
            manager.close(stop_jobs=True)


def test_an_unreachable_cluster_keeps_jobs_queued_and_says_so(tmp_path):
    address = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    manager = jobs.JobManager(tmp_path / "runs", backend=ray_backend(address), poll_interval=0.05)
    try:
        job_id = manager.submit("test", "tests.job_targets:count", {"steps": 1})
        time.sleep(0.5)
        assert manager.snapshot(job_id).status == "queued"
        assert "cannot be reached" in manager.backend.error and address in manager.backend.error
        assert manager.describe()["error"]
        manager.stop(job_id)  # a queued job can always leave the line
        assert manager.snapshot(job_id).status == "stopped"
    finally:
        manager.close()


def test_the_backend_setting_is_checked(monkeypatch):
    with pytest.raises(ValueError, match="local or ray"):
        jobs.backend_from_environment({"ATELIER_JOBS_BACKEND": "celery"})
    with pytest.raises(ValueError, match="ATELIER_RAY_ADDRESS"):
        jobs.backend_from_environment({"ATELIER_JOBS_BACKEND": "ray"})
    assert jobs.backend_from_environment({}).name == "local"
    with pytest.raises(ValueError, match="ATELIER_STOP_GRACE"):
        jobs.manager_from_environment("/tmp/unused", environment={"ATELIER_STOP_GRACE": "soon"})


def test_a_cluster_that_goes_away_mid_run_marks_the_run_interrupted_and_keeps_its_result(tmp_path):
    from tests.ray_head import ray_head

    with ray_head(cpus=1) as address:  # a head of its own, to take away
        manager = jobs.JobManager(
            tmp_path / "runs", backend=ray_backend(address), lost_after_seconds=2.0, poll_interval=0.1
        )
        job_id = manager.submit("test", "tests.job_targets:count", {"steps": 10_000, "delay": 0.05})
        wait_until(lambda: manager.snapshot(job_id).step >= 3 and manager.snapshot(job_id).result_path, 60, "step 3")
    try:
        snapshot = manager.wait(job_id, timeout=60)
        assert snapshot.status == "interrupted", snapshot.card  # by the cluster, not failed by the tool
        assert "Ray" in snapshot.card["note"] and "latest result" in snapshot.card["note"]
        assert snapshot.result_path is not None and snapshot.step >= 3
    finally:
        manager.close()


@pytest.mark.parametrize("backend_name", ["local", "ray"])
def test_the_fair_queue_takes_turns_between_owners_on_either_backend_and_across_servers(
    backend_name, tmp_path, request
):
    """Three owners, two servers, one slot: A queues three jobs first, then B and C one each; after
    A's first, B's and C's start before A's second."""
    runs = tmp_path / "runs"
    servers = two_servers(backend_name, runs, request, poll_interval=0.05)
    try:
        alice, bob, carol = (
            servers[0].for_owner("user:a"),
            servers[1].for_owner("user:b"),
            servers[0].for_owner("user:c"),
        )
        first = alice.submit("test", "tests.job_targets:timed", {"steps": 2, "delay": 0.3})
        wait_until(lambda: alice.snapshot(first).status == "running", what="A's first job to start")
        later = [alice.submit("test", "tests.job_targets:timed", {"steps": 1}) for _ in range(2)]
        others = [
            bob.submit("test", "tests.job_targets:timed", {"steps": 1}),
            carol.submit("test", "tests.job_targets:timed", {"steps": 1}),
        ]
        assert bob.snapshot(others[0]).queue_position == 1 and alice.snapshot(later[0]).queue_position == 3
        everything = [first, *later, *others]
        for job_id in everything:
            assert servers[0].wait(job_id, timeout=120).status == "finished"
        started = sorted(everything, key=lambda job_id: float((runs / job_id / "spans.txt").read_text().split()[0]))
        assert started == [first, *others, *later], [servers[0].owner_of(job_id) for job_id in started]
    finally:
        for server in servers:
            server.close(stop_jobs=True)

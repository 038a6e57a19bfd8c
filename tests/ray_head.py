"""A throwaway local Ray head for the Ray tests and bench/jobs.py: free ports for every port it
opens, a short temp dir (Unix socket paths have a length limit), a small object store, and no
usage reporting. ``ray start --block`` keeps the head's processes under one parent, so ending
that parent ends this head alone, never another Ray on the machine (``ray stop`` would)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.helpers import free_port  # noqa: E402

RAY = Path(sys.executable).with_name("ray")


@contextlib.contextmanager
def ray_head(cpus: int = 2, timeout: float = 90.0):
    """Yields the dashboard's address (http://127.0.0.1:PORT) once the Jobs API answers."""
    from ray.job_submission import JobSubmissionClient

    temp_dir = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    chosen: set[int] = set()

    def distinct_port() -> int:
        # free_port binds and lets go: two calls can hand back the same port, and Ray then refuses
        # to start ("the same port is used by multiple components").
        while (port := free_port()) in chosen:
            pass
        chosen.add(port)
        return port

    dashboard = distinct_port()
    ports = {
        "--port": distinct_port(),
        "--dashboard-port": dashboard,
        "--node-manager-port": distinct_port(),
        "--object-manager-port": distinct_port(),
        "--ray-client-server-port": distinct_port(),
        "--dashboard-agent-listen-port": distinct_port(),
        "--dashboard-agent-grpc-port": distinct_port(),
        "--runtime-env-agent-port": distinct_port(),
        "--metrics-export-port": distinct_port(),
    }
    worker_low = free_port() // 100 * 100 % 50000 + 10000
    while any(worker_low <= port <= worker_low + 99 for port in chosen):  # workers' ports apart from those
        worker_low = free_port() // 100 * 100 % 50000 + 10000
    command = [
        str(RAY),
        "start",
        "--head",
        "--block",
        f"--num-cpus={cpus}",
        "--num-gpus=0",
        "--disable-usage-stats",
        "--include-dashboard=true",
        "--dashboard-host=127.0.0.1",
        f"--temp-dir={temp_dir}",
        "--object-store-memory=80000000",
        f"--min-worker-port={worker_low}",
        f"--max-worker-port={worker_low + 99}",
        *[f"{flag}={port}" for flag, port in ports.items()],
    ]
    environment = {
        **os.environ,
        "RAY_USAGE_STATS_ENABLED": "0",
        # a PENDING job fails after this many seconds (Ray's default is 900)
        "RAY_JOB_START_TIMEOUT_SECONDS": "120",
    }
    log = (temp_dir / "head.log").open("w")
    process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    address = f"http://127.0.0.1:{dashboard}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"ray start exited ({process.returncode}): " + (temp_dir / "head.log").read_text()[-2000:]
                )
            try:
                JobSubmissionClient(address).list_jobs()
                with urllib.request.urlopen(f"{address}/api/v0/nodes?limit=10", timeout=5) as reply:
                    if json.loads(reply.read())["data"]["result"]["result"]:  # the head node has joined
                        break
                time.sleep(0.5)
            except Exception:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the Ray head did not answer within {timeout:g} s") from None
                time.sleep(0.5)
        yield address
    finally:
        # Ctrl-C to `ray start --block` stops the head's processes in about 2 s (SIGTERM takes 30 s),
        # though not always (a fresh clone's run once waited the whole 30 s): whatever of its
        # process group is left after 10 s is killed.
        with contextlib.suppress(OSError):
            process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(temp_dir, ignore_errors=True)

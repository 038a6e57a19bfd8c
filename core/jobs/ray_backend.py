"""The Ray backend: each run is one Ray job, submitted through Ray's Jobs API.

Why the Jobs API and not Ray tasks or actors: a job is its own process tree (so TensorFlow and
torch never share a process, as with the local backend), it outlives the server that submitted
it and is found again by its id (``submission_id`` = our run id), Ray places it by CPUs and GPUs
across nodes, and ``stop_job`` stops it politely (SIGTERM) and then by force (SIGKILL after
``RAY_JOB_STOP_WAIT_TIME_S``, which we set per job). The server only speaks HTTP to the
dashboard: it never calls ``ray.init``, so no cluster is started or owned by a Streamlit process.

What the cluster must provide (docs/cluster.md):
- the runs folder at the same path on every node (NFS, a cloud file-system mount), since the
  worker writes ``runs/<id>/`` and the server reads it; checked once, at the first job, by a
  tiny Ray job that writes a marker the server must then see;
- Atelier's code and Python environment at the same paths as on the server (or
  ``ATELIER_RAY_PYTHON`` / ``ATELIER_RAY_CODE``): nothing is installed or downloaded through
  ``runtime_env``, which carries only environment variables.
Ray Jobs has no queue (a PENDING job fails after ``RAY_JOB_START_TIMEOUT_SECONDS``), so the
manager keeps its own queue and cap and submits a job only when the cap allows.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import sys
import time
import urllib.request
from pathlib import Path

from ray.job_submission import JobStatus, JobSubmissionClient

from core.jobs.backend import GPU_TOOLS, BackendError, Poll, PollState
from core.jobs.local import REPO_ROOT

# Ray's error types for a job whose supervisor (not the job's own code) died or vanished: the
# run was interrupted by the cluster, not failed by the tool.
LOST_ERRORS = {
    "JOB_SUPERVISOR_ACTOR_DIED",
    "JOB_SUPERVISOR_ACTOR_UNKNOWN_FAILURE",
    "JobErrorType.JOB_SUPERVISOR_ACTOR_DIED",
    "JobErrorType.JOB_SUPERVISOR_ACTOR_UNKNOWN_FAILURE",
}
RETRY_SECONDS = 5.0  # after a failed request, wait this long before asking the cluster again
RESOURCES_SECONDS = 30.0  # how long the cluster's CPU and GPU count is trusted
LOG_TAIL_CHARACTERS = 200_000  # of a finished job's output copied into its log.txt
# Environment variables that travel to the job (nothing else of the server's environment does).
PASSED_PREFIXES = ("ATELIER_", "KERAS_", "TF_", "CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS")


class RayBackend:
    name = "ray"
    collects_logs = True  # the worker's output goes to Ray's log of the job

    def __init__(
        self,
        address: str,
        *,
        python: str | None = None,  # the Python on the nodes; the server's own by default
        code_dir: str | os.PathLike | None = None,  # Atelier's folder on the nodes
        runs_dir_on_nodes: str | os.PathLike | None = None,  # only if the nodes mount runs/ elsewhere
        cpus_per_job: float = 1.0,
        kill_after_seconds: float = 3.0,
        check_timeout: float = 60.0,
    ):
        if not address:
            raise ValueError(
                "The Ray backend needs ATELIER_RAY_ADDRESS, the dashboard's address "
                "(for example http://127.0.0.1:8265)."
            )
        self.address = address.rstrip("/") if "://" in address else f"http://{address.rstrip('/')}"
        self.python = python or sys.executable
        self.code_dir = str(code_dir or REPO_ROOT)
        self.runs_dir_on_nodes = Path(runs_dir_on_nodes) if runs_dir_on_nodes else None
        self.cpus_per_job = cpus_per_job
        self.kill_after_seconds = kill_after_seconds
        self.check_timeout = check_timeout
        self.error = ""
        self._client: JobSubmissionClient | None = None
        self._failed_at = 0.0  # time.monotonic() of the last request that failed; 0 = none
        self._resources: dict | None = None
        self._resources_at = -RESOURCES_SECONDS
        self._checked_runs_dirs: set[Path] = set()

    # --- the manager's questions ------------------------------------------------------------

    def ready(self) -> bool:
        return self._connect() is not None

    def default_cap(self) -> int:
        """What the cluster can run at once: one job per GPU where it has GPUs, else per
        ``cpus_per_job`` CPUs."""
        resources = self.resources()
        if not resources:
            return 1
        if resources["gpus"]:
            return max(1, int(resources["gpus"]))
        return max(1, int(resources["cpus"] // self.cpus_per_job))

    def prepare(self, runs_dir: Path) -> None:
        """Check, once per runs folder, that a job on the cluster writes where this server reads."""
        runs_dir = runs_dir.resolve()
        if runs_dir in self._checked_runs_dirs:
            return
        client = self._connect()
        if client is None:
            raise BackendError(self.error)
        token = secrets.token_hex(8)
        marker = runs_dir / f".ray-check-{token}"
        entrypoint = shlex.join(
            [
                self.python,
                "-c",
                "import sys; open(sys.argv[1], 'w').write(sys.argv[2])",
                str(self._on_nodes(marker)),
                token,
            ]
        )
        submission_id = f"atelier-runs-check-{token}"
        try:
            client.submit_job(entrypoint=entrypoint, submission_id=submission_id, entrypoint_num_cpus=0)
            deadline = time.monotonic() + self.check_timeout
            while not (status := client.get_job_status(submission_id)).is_terminal():
                if time.monotonic() > deadline:
                    client.stop_job(submission_id)
                    raise BackendError(
                        f"The Ray cluster at {self.address} did not run a one-line check job "
                        f"within {self.check_timeout:g} s; is it out of room?"
                    )
                time.sleep(0.1)
            message = client.get_job_info(submission_id).message or ""
        except (OSError, RuntimeError) as error:
            raise BackendError(self._unreachable(error)) from None
        where = f"ATELIER_RUNS ({runs_dir})"
        if status != JobStatus.SUCCEEDED:
            raise BackendError(
                f"A Ray job could not write into {where}: {_first_line(message)} "
                "Every Ray node must mount the runs folder at the same path as this server "
                "(NFS or a cloud file-system mount)."
            )
        try:
            seen = marker.read_text() == token
            marker.unlink()
        except OSError:
            seen = False
        if not seen:
            raise BackendError(
                f"A Ray job wrote a marker into {where}, but this server cannot see it: the node "
                "it ran on has another folder at that path. Every Ray node must mount the runs "
                "folder at the same path as this server (NFS or a cloud file-system mount)."
            )
        self._checked_runs_dirs.add(runs_dir)

    def start(self, job_id: str, run_dir: Path, tool: str) -> None:
        client = self._connect()
        if client is None:
            raise BackendError(self.error)
        resources = self.resources() or {}
        gpus = 1 if tool in GPU_TOOLS and resources.get("gpus") else 0
        environment = {name: value for name, value in os.environ.items() if name.startswith(PASSED_PREFIXES)}
        environment.update(
            {
                "PYTHONPATH": self.code_dir,
                "PYTHONUNBUFFERED": "1",
                "TF_CPP_MIN_LOG_LEVEL": environment.get("TF_CPP_MIN_LOG_LEVEL", "2"),
                # Read by the job's supervisor: SIGTERM first, SIGKILL this many seconds later.
                "RAY_JOB_STOP_WAIT_TIME_S": f"{self.kill_after_seconds:g}",
            }
        )
        try:
            client.submit_job(
                # A shell string: every argument quoted (an unquoted path is a command injection).
                entrypoint=shlex.join([self.python, "-m", "core.jobs.worker", str(self._on_nodes(run_dir.resolve()))]),
                submission_id=job_id,
                runtime_env={"env_vars": environment},  # never pip or downloads: the nodes have the code
                entrypoint_num_cpus=self.cpus_per_job,
                entrypoint_num_gpus=gpus,
                metadata={"atelier_tool": tool},
            )
        except (OSError, RuntimeError) as error:
            raise BackendError(
                f"The Ray cluster at {self.address} refused the job: {_first_line(str(error))}"
            ) from None

    def reap(self) -> None:
        pass  # Ray's supervisors own the job processes; nothing of ours is left to wait for

    def poll(self, job_id: str, card: dict) -> Poll:
        client = self._connect()
        if client is None:
            return Poll(PollState.UNREACHABLE, reason=self.error)
        try:
            status = client.get_job_status(job_id)
        except RuntimeError as error:
            if "does not exist" in str(error):
                return Poll(
                    PollState.LOST,
                    reason=f"the Ray cluster at {self.address} has no record of this job any more (it was restarted).",
                )
            return Poll(PollState.UNREACHABLE, reason=self._unreachable(error))
        except OSError as error:
            return Poll(PollState.UNREACHABLE, reason=self._unreachable(error))
        if status == JobStatus.PENDING:
            return Poll(PollState.PENDING)
        if status == JobStatus.RUNNING:
            return Poll(PollState.RUNNING)
        reason = {JobStatus.STOPPED: "stopped by Ray", JobStatus.SUCCEEDED: "ended"}.get(status, "failed")
        if status == JobStatus.FAILED:
            try:
                info = client.get_job_info(job_id)
            except (OSError, RuntimeError):
                return Poll(PollState.ENDED, reason=reason)
            # "Job entrypoint command failed with exit code 7, last available logs (...):"
            reason = _first_line(info.message or "").split(", last available logs")[0] or reason
            if str(getattr(info, "error_type", "") or "") in LOST_ERRORS:
                return Poll(
                    PollState.LOST,
                    reason=f"Ray lost the job's supervisor (its node or the cluster went away): {reason}",
                )
        return Poll(PollState.ENDED, reason=reason)

    def terminate(self, job_id: str, card: dict) -> None:
        client = self._connect()
        if client is not None:
            try:
                client.stop_job(job_id)  # Ray: SIGTERM now, SIGKILL after RAY_JOB_STOP_WAIT_TIME_S
            except (OSError, RuntimeError) as error:
                self._unreachable(error)

    def kill(self, job_id: str, card: dict) -> None:
        pass  # stop_job's own SIGKILL follows RAY_JOB_STOP_WAIT_TIME_S after the SIGTERM

    def collect_logs(self, job_id: str, run_dir: Path) -> None:
        """The worker's output went to Ray's log of the job: keep its tail in the run's log.txt."""
        client = self._connect()
        if client is None:
            return
        try:
            logs = client.get_job_logs(job_id)
        except (OSError, RuntimeError):
            return
        with (run_dir / "log.txt").open("a") as log:
            log.write(f"--- the Ray job's output (last {LOG_TAIL_CHARACTERS:,} characters) ---\n")
            log.write(logs[-LOG_TAIL_CHARACTERS:])

    def resources(self) -> dict | None:
        """CPUs, GPUs and alive nodes of the cluster, from the dashboard's state API."""
        if time.monotonic() - self._resources_at < RESOURCES_SECONDS:
            return self._resources
        try:
            with urllib.request.urlopen(f"{self.address}/api/v0/nodes?detail=1&limit=10000", timeout=5) as reply:
                nodes = json.loads(reply.read())["data"]["result"]["result"]
        except (OSError, ValueError, KeyError) as error:
            self._unreachable(error)
            return self._resources
        alive = [node for node in nodes if node.get("state") == "ALIVE"]
        self._resources = {
            "cpus": sum(node.get("resources_total", {}).get("CPU", 0) for node in alive),
            "gpus": sum(node.get("resources_total", {}).get("GPU", 0) for node in alive),
            "nodes": len(alive),
        }
        self._resources_at = time.monotonic()
        return self._resources

    def describe(self) -> dict:
        resources = self.resources() if self.ready() else None
        return {
            "backend": "ray",
            "where": f"the Ray cluster at {self.address}",
            "cpus": resources and resources["cpus"],
            "gpus": resources and resources["gpus"],
            "nodes": resources and resources["nodes"],
            "error": self.error,
        }

    def close(self, kill: bool = False) -> None:
        self._client = None

    # --- inside ------------------------------------------------------------------------------

    def _connect(self) -> JobSubmissionClient | None:
        """The Jobs client, or None while the cluster cannot be reached (asked again every few
        seconds, never on every poll)."""
        if self._failed_at and time.monotonic() - self._failed_at < RETRY_SECONDS:
            return None
        if self._client is None or self._failed_at:
            try:
                self._client = JobSubmissionClient(self.address)  # asks the dashboard for its version
            except (OSError, RuntimeError, ValueError) as error:
                self._client = None
                self._unreachable(error)
                return None
        self._failed_at, self.error = 0.0, ""
        return self._client

    def _unreachable(self, error: BaseException) -> str:
        self._failed_at = time.monotonic()
        self.error = (
            f"The Ray cluster at {self.address} cannot be reached ({_first_line(str(error))[:160]}). "
            "Queued jobs stay queued until it answers; check ATELIER_RAY_ADDRESS."
        )
        return self.error

    def _on_nodes(self, path: Path) -> Path:
        """A run folder or marker (each directly under the runs folder) as the nodes see it: the
        same path, unless ``runs_dir_on_nodes`` says where the nodes mount the runs folder."""
        return path if self.runs_dir_on_nodes is None else self.runs_dir_on_nodes / path.name


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")

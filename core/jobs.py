"""Background jobs: each one a spawned process, its whole state on disk under ``runs/<id>/``.

Why a process and not a thread: TensorFlow >= 2.20 and torch (with triton) segfault when they
share a process, and a segfault in the Streamlit server would end every user's session. A
process also lets Stop always end the work, even inside a long native call, and does not fight
the server for the GIL.

Why the disk and not a pipe: a page that reloads, a second tab, or a server that restarted
reads the same files, so reattaching is just reading ``runs/<id>/``:

    job.json       what to run: tool, target ("module:function"), config     (written once)
    card.json      the run card: status, parameters, seed, device, versions,
                   times, final metrics, error                                 (see below)
    events.jsonl   one progress record per line (step, total, metrics, time)  (worker appends)
    preview.png    the latest preview image                                    (worker replaces)
    previews/      every preview, as <step>.png, for a strip of the run's progress
    result.png     the latest result image, kept when the job is stopped       (worker replaces)
    inputs/        the images the job was started with
    log.txt        the worker's output and any traceback; never shown raw in a page
    STOP           exists once a stop was asked for

Who writes card.json: the manager while the job is queued and after its process has gone;
the worker while it runs. They never write it at the same time.

A job target is ``def job(config: dict, run_dir: Path) -> Iterator[Progress]``. The worker stops
asking for events after a stop request (the generator's ``finally`` runs); a worker that does
not reach its next event within the grace period is terminated, then killed.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from PIL import Image

REPO_ROOT = Path(__file__).resolve().parent.parent
ACTIVE = ("queued", "running", "stopping")
TERMINAL = ("finished", "stopped", "failed", "interrupted")


@dataclasses.dataclass
class JobSnapshot:
    """What a page needs to draw a job, read from its run folder."""

    id: str
    tool: str
    status: str  # one of ACTIVE or TERMINAL
    step: int
    total: int
    history: list[dict[str, Any]]  # one dict per event: step, time and the metrics
    message: str
    error: str
    queue_position: int  # 1 = next to start; 0 when not queued
    elapsed_seconds: float
    eta_seconds: float | None
    preview_path: Path | None
    result_path: Path | None
    card: dict[str, Any]

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total) if self.total > 0 else 0.0


def new_job_id(tool: str) -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{tool}-{secrets.token_hex(3)}"


def read_json(path: Path, default: Any = None) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


def write_json(path: Path, data: Any) -> None:
    """Write atomically, so a reader never sees half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_text(json.dumps(data, indent=2, default=str))
    os.replace(temporary, path)


def save_image_atomically(path: Path, image: Image.Image) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp{path.suffix}")
    image.save(temporary)
    os.replace(temporary, path)


class _EventLog:
    """Reads ``events.jsonl`` incrementally: only whole lines, each line once."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0
        self.records: list[dict[str, Any]] = []

    def refresh(self) -> list[dict[str, Any]]:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except OSError:
            return self.records
        complete, _, _ = chunk.rpartition(b"\n")
        if complete:
            self.offset += len(complete) + 1
            for line in complete.split(b"\n"):
                try:
                    self.records.append(json.loads(line))
                except ValueError:
                    continue
        return self.records


class _Process:
    """A worker process: one we started (Popen) or one a previous server left running (pid)."""

    def __init__(self, job_id: str, popen: subprocess.Popen | None = None, pid: int | None = None):
        self.job_id = job_id
        self.popen = popen
        self.pid = popen.pid if popen is not None else pid

    def alive(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        try:
            os.kill(self.pid, 0)
        except OSError:
            return False
        cmdline = Path(f"/proc/{self.pid}/cmdline")
        return not cmdline.exists() or self.job_id in cmdline.read_text(errors="ignore")

    def returncode(self) -> int | None:
        return self.popen.poll() if self.popen is not None else None

    def signal(self, signum: int) -> None:
        try:
            os.kill(self.pid, signum)
        except OSError:
            pass


class JobManager:
    """Starts, watches, queues and stops background jobs; one per server process.

    ``max_concurrent`` caps how many jobs run at once (the rest wait in a queue, first come
    first served); ``grace_seconds`` is how long a stop request may take before the process is
    terminated (and killed three seconds after that).
    """

    def __init__(
        self,
        runs_dir: str | os.PathLike,
        *,
        max_concurrent: int = 1,
        grace_seconds: float = 10.0,
        poll_interval: float = 0.25,
        python: str = sys.executable,
    ):
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1.")
        self.runs_dir = Path(runs_dir)
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.max_concurrent = max_concurrent
        self.grace_seconds = grace_seconds
        self.poll_interval = poll_interval
        self.python = python
        self._lock = threading.RLock()
        self._queue: list[str] = []
        self._processes: dict[str, _Process] = {}
        self._stop_asked: dict[str, float] = {}
        self._terminated: dict[str, float] = {}
        self._logs: dict[str, _EventLog] = {}
        self._closed = threading.Event()
        self._adopt_previous_runs()
        self._monitor = threading.Thread(target=self._watch, name="atelier-jobs", daemon=True)
        self._monitor.start()

    # --- public API --------------------------------------------------------------------

    def submit(
        self,
        tool: str,
        target: str,
        config: dict[str, Any],
        *,
        inputs: dict[str, Image.Image] | None = None,
        title: str = "",
    ) -> str:
        """Queue a job; it starts as soon as a slot is free. Returns the job id."""
        if ":" not in target:
            raise ValueError(f"target must look like 'package.module:function', not {target!r}.")
        job_id = new_job_id(tool)
        run_dir = self.runs_dir / job_id
        (run_dir / "inputs").mkdir(parents=True)
        for name, image in (inputs or {}).items():
            image.save(run_dir / "inputs" / f"{name}.png")
        config = json.loads(json.dumps(config, default=str))  # JSON-able, and our own copy
        write_json(run_dir / "job.json", {"tool": tool, "target": target, "config": config})
        write_json(
            run_dir / "card.json",
            {
                "id": job_id,
                "tool": tool,
                "title": title or tool,
                "status": "queued",
                "parameters": config,
                "seed": config.get("seed"),
                "created": _now(),
                "inputs": sorted(f"inputs/{name}.png" for name in (inputs or {})),
            },
        )
        with self._lock:
            self._queue.append(job_id)
            self._schedule()
        return job_id

    def stop(self, job_id: str) -> None:
        """Ask a job to stop. It keeps its latest result; a queued job simply leaves the queue."""
        run_dir = self._run_dir(job_id)
        with self._lock:
            if job_id in self._queue:
                self._queue.remove(job_id)
                self._update_card(job_id, status="stopped", ended=_now(), note="stopped before it started")
                return
            if job_id not in self._processes:
                return
            (run_dir / "STOP").touch()
            self._stop_asked.setdefault(job_id, time.monotonic())

    def snapshot(self, job_id: str) -> JobSnapshot:
        run_dir = self._run_dir(job_id)
        card = read_json(run_dir / "card.json")
        if card is None:
            raise ValueError(f"No run with id {job_id!r}.")
        with self._lock:
            status = card.get("status", "interrupted")
            if job_id in self._stop_asked and status == "running":
                status = "stopping"
            position = self._queue.index(job_id) + 1 if job_id in self._queue else 0
            log = self._logs.setdefault(job_id, _EventLog(run_dir / "events.jsonl"))
            records = log.refresh()
        history = [{"step": r["step"], "time": r.get("time", 0.0), **r.get("metrics", {})} for r in records]
        last = records[-1] if records else {}
        step, total = last.get("step", 0), last.get("total", card.get("total", 0))
        elapsed = _elapsed(card)
        return JobSnapshot(
            id=job_id,
            tool=card.get("tool", ""),
            status=status,
            step=step,
            total=total,
            history=history,
            message=last.get("message", "") or card.get("note", ""),
            error=card.get("error", ""),
            queue_position=position,
            elapsed_seconds=elapsed,
            eta_seconds=_eta(records) if status in ("running", "stopping") else None,
            preview_path=_existing(run_dir / "preview.png"),
            result_path=_existing(run_dir / "result.png"),
            card=card,
        )

    def list_runs(self, tool: str | None = None) -> list[dict[str, Any]]:
        """Run cards, newest first; finished runs of earlier server processes included."""
        cards = []
        for card_path in self.runs_dir.glob("*/card.json"):
            card = read_json(card_path)
            if card and (tool is None or card.get("tool") == tool):
                cards.append(card)
        return sorted(cards, key=lambda card: card.get("created", ""), reverse=True)

    def run_dir(self, job_id: str) -> Path:
        return self._run_dir(job_id)

    def previews(self, job_id: str) -> list[tuple[int, Path]]:
        """(step, path) of every preview the job has saved, in step order."""
        folder = self._run_dir(job_id) / "previews"
        found = [(int(path.stem), path) for path in folder.glob("*.png") if path.stem.isdigit()]
        return sorted(found)

    def wait(self, job_id: str, timeout: float = 60.0) -> JobSnapshot:
        """Block until the job has ended (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            snapshot = self.snapshot(job_id)
            if snapshot.status in TERMINAL:
                return snapshot
            time.sleep(self.poll_interval / 2)
        raise TimeoutError(f"Job {job_id} still {self.snapshot(job_id).status} after {timeout} s.")

    def close(self, *, stop_jobs: bool = False) -> None:
        """Stop watching. With ``stop_jobs``, also end every job still running (tests use it)."""
        if stop_jobs:
            with self._lock:
                for job_id in list(self._queue):
                    self.stop(job_id)
                for process in self._processes.values():
                    process.signal(signal.SIGKILL)
        self._closed.set()
        self._monitor.join(timeout=5)

    # --- inside ------------------------------------------------------------------------

    def _run_dir(self, job_id: str) -> Path:
        # Ids come from URLs: never let one name a folder outside runs/.
        if not job_id or "/" in job_id or "\\" in job_id or job_id.startswith("."):
            raise ValueError(f"Not a job id: {job_id!r}.")
        return self.runs_dir / job_id

    def _watch(self) -> None:
        while not self._closed.wait(self.poll_interval):
            try:
                with self._lock:
                    self._reap_and_enforce()
                    self._schedule()
            except Exception:  # the monitor must outlive any one bad run folder
                continue

    def _schedule(self) -> None:
        while self._queue and len(self._processes) < self.max_concurrent:
            self._start(self._queue.pop(0))

    def _start(self, job_id: str) -> None:
        run_dir = self._run_dir(job_id)
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(REPO_ROOT)] + [p for p in environment.get("PYTHONPATH", "").split(os.pathsep) if p]
        )
        environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        environment["PYTHONUNBUFFERED"] = "1"
        self._update_card(job_id, status="running", started=_now())
        with (run_dir / "log.txt").open("ab") as log:
            popen = subprocess.Popen(
                [self.python, "-m", "core.worker", str(run_dir.resolve())],
                cwd=REPO_ROOT,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._processes[job_id] = _Process(job_id, popen=popen)
        self._update_card(job_id, pid=popen.pid)

    def _reap_and_enforce(self) -> None:
        now = time.monotonic()
        for job_id, process in list(self._processes.items()):
            if not process.alive():
                self._finish(job_id, process)
                continue
            asked = self._stop_asked.get(job_id)
            if asked is None:
                continue
            terminated = self._terminated.get(job_id)
            if terminated is None and now - asked > self.grace_seconds:
                process.signal(signal.SIGTERM)  # the worker saves its latest result, then exits
                self._terminated[job_id] = now
            elif terminated is not None and now - terminated > 3.0:
                process.signal(signal.SIGKILL)

    def _finish(self, job_id: str, process: _Process) -> None:
        del self._processes[job_id]
        card = read_json(self._run_dir(job_id) / "card.json", {})
        hard_stopped = job_id in self._terminated
        if hard_stopped and card.get("status") not in TERMINAL:  # killed before it could write
            self._update_card(
                job_id, status="stopped", ended=card.get("ended") or _now(),
                note=f"did not stop within {self.grace_seconds:g} s, so it was ended; the latest result was kept",
            )
        elif card.get("status") in ("running", "queued"):
            code = process.returncode()
            self._update_card(
                job_id, status="failed", ended=_now(),
                error=f"The job's process ended unexpectedly (exit code {code}); see log.txt in its run folder.",
            )
        self._stop_asked.pop(job_id, None)
        self._terminated.pop(job_id, None)

    def _update_card(self, job_id: str, **fields: Any) -> None:
        path = self._run_dir(job_id) / "card.json"
        card = read_json(path, {})
        card.update(fields)
        write_json(path, card)

    def _adopt_previous_runs(self) -> None:
        """After a server restart: watch workers that are still alive, close out the rest."""
        for card in self.list_runs():
            job_id, status = card.get("id"), card.get("status")
            if not job_id or status not in ACTIVE:
                continue
            process = _Process(job_id, pid=card.get("pid")) if card.get("pid") else None
            if status != "queued" and process is not None and process.alive():
                self._processes[job_id] = process
            else:
                self._update_card(
                    job_id, status="interrupted", ended=card.get("ended") or _now(),
                    note="the server restarted while this job was queued or running",
                )


def _now() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def _parse_time(text: str | None) -> float | None:
    try:
        return datetime.datetime.fromisoformat(text).timestamp() if text else None
    except ValueError:
        return None


def _elapsed(card: dict[str, Any]) -> float:
    started = _parse_time(card.get("started"))
    if started is None:
        return 0.0
    ended = _parse_time(card.get("ended")) or time.time()
    return max(0.0, ended - started)


def _eta(records: list[dict[str, Any]]) -> float | None:
    """Remaining seconds at the rate since the first event (the first step pays for warm-up)."""
    if len(records) < 2:
        return None
    first, last = records[0], records[-1]
    steps = last["step"] - first["step"]
    if steps <= 0 or last.get("total", 0) <= 0:
        return None
    seconds_per_step = (last.get("time", 0.0) - first.get("time", 0.0)) / steps
    return max(0.0, seconds_per_step * (last["total"] - last["step"]))


def _existing(path: Path) -> Path | None:
    return path if path.exists() else None

"""Several programs at once through the HTTP API (loopback only, bounded in time).

    python bench/api.py [--tokens 4] [--jobs 5] [--slots 1] [--columns 160] [--timeout 600]

A real service (``python -m core api``) on a free port over a fresh runs folder; each of ``--tokens``
people (an API token each) submits ``--jobs`` ASCII Art jobs at once from its own thread (a 512 px
photo each), then follows every job's server-sent events to its end. It prints one table (per token:
jobs, the wait from submit to running, the whole time from submit to end) and checks, failing with
exit 1 otherwise:
- every job finished, and ran once (its events are steps 1..N, in order, once each);
- no token sees another's jobs (its history holds its own jobs only; another's job answers 404);
- the fair queue: no token's second job started before every token's first job had.
Results: bench/results/api.txt.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def follow(client, job_id: str) -> tuple[list[tuple[float, str, dict]], float]:
    """Every event of the job with the moment it arrived; and when the stream ended."""
    found, event = [], ""
    with client.stream("GET", f"/api/v1/jobs/{job_id}/events", timeout=None) as answer:
        for line in answer.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                found.append((time.monotonic(), event, json.loads(line.split(":", 1)[1])))
    return found, time.monotonic()


def person(index: int, base: str, secret: str, photo: bytes, arguments, results: dict, problems: list) -> None:
    """One token's jobs: submitted at once, then each followed to its end; its history checked."""
    import httpx

    headers = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        submitted = []
        for number in range(arguments.jobs):
            sent = time.monotonic()
            answer = client.post(
                "/api/v1/jobs",
                data={"tool": "ascii", "settings": json.dumps({"columns": arguments.columns, "contrast": 1.5})},
                files={"image": (f"astronaut-{index}-{number}.png", photo)},
            )
            if answer.status_code != 202:
                problems.append(f"token {index}: submit answered {answer.status_code} {answer.text[:200]}")
                return
            submitted.append((answer.json()["id"], sent))
        threads, followed = [], {}

        def watch(job_id: str) -> None:
            followed[job_id] = follow(client, job_id)

        for job_id, _ in submitted:
            threads.append(threading.Thread(target=watch, args=(job_id,)))
            threads[-1].start()
        for thread in threads:
            thread.join()
        for job_id, sent in submitted:
            events, ended = followed[job_id]
            # Running from the first sign of it: its status, its first event (a short job may go from
            # queued to finished between two of the stream's looks), or its end.
            running = next(
                (moment for moment, kind, data in events if kind != "status" or data.get("status") != "queued"),
                None,
            )
            steps = [data["step"] for _, kind, data in events if kind == "progress" and data["step"] > 0]
            final = events[-1][2] if events else {}
            results[index].append(
                {
                    "id": job_id,
                    "status": final.get("status"),
                    "steps_ok": steps == list(range(1, final.get("total", 0) + 1)),
                    "wait": (running - sent) if running is not None else None,
                    "whole": ended - sent,
                    "started": final.get("started", ""),
                }
            )
        history = client.get("/api/v1/history", params={"limit": 500}).json()
        if {run["id"] for run in history["runs"]} != {job_id for job_id, _ in submitted}:
            problems.append(f"token {index}: its history is not exactly its own jobs")


def report(results: dict, problems: list, arguments, wall: float) -> list[str]:
    """The table, and the checks' findings added to ``problems``."""
    lines = [
        f"bench/api.py: {arguments.tokens} tokens x {arguments.jobs} ASCII Art jobs ({arguments.columns} columns, "
        f"512 px photo), submitted at once; {arguments.slots} job(s) running at a time; {os.cpu_count()} CPUs",
        "",
        f"{'token':>5} | {'jobs':>4} | {'finished':>8} | {'wait median s':>13} | {'wait max s':>10} | "
        f"{'submit to end median s':>22}",
        "-" * 80,
    ]
    for index, found in results.items():
        waits = [item["wait"] for item in found if item["wait"] is not None] or [float("nan")]
        wholes = [item["whole"] for item in found] or [float("nan")]
        finished = sum(item["status"] == "finished" for item in found)
        lines.append(
            f"{index:>5} | {len(found):>4} | {finished:>8} | {statistics.median(waits):>13.1f} | "
            f"{max(waits):>10.1f} | {statistics.median(wholes):>22.1f}"
        )
        for item in found:
            if item["status"] != "finished" or not item["steps_ok"]:
                problems.append(
                    f"token {index}: job {item['id']} ended {item['status']}, steps in order: {item['steps_ok']}"
                )
    everything = [item for found in results.values() for item in found]
    if len(everything) != arguments.tokens * arguments.jobs:
        problems.append(f"{len(everything)} jobs followed of {arguments.tokens * arguments.jobs}")
    # Fairness: every token's first job started before any token's second one.
    firsts = [min(item["started"] for item in found) for found in results.values() if found]
    seconds = [sorted(item["started"] for item in found)[1] for found in results.values() if len(found) > 1]
    if firsts and seconds and max(firsts) > min(seconds):
        problems.append("a token's second job started before another token's first")
    lines += [
        "",
        f"all {len(everything)} jobs in {wall:.1f} s; every wait is the queue (fair: each token's first job "
        "starts before any token's second) plus a worker's start",
        "checks: " + ("all passed" if not problems else "; ".join(problems)),
    ]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=5, help="jobs per token, submitted at once")
    parser.add_argument("--slots", type=int, default=1, help="jobs running at once (ATELIER_MAX_JOBS)")
    parser.add_argument("--columns", type=int, default=160)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--output", default=str(REPO / "bench" / "results" / "api.txt"))
    arguments = parser.parse_args()

    import httpx
    from PIL import Image
    from skimage import data as samples

    from core.api import serve, tokens
    from tests.helpers import free_port

    runs = Path(tempfile.mkdtemp(prefix="atelier-api-bench-"))
    people = [f"browser:{index:032x}" for index in range(arguments.tokens)]
    secrets = [tokens.create(runs, person, f"bench {index}")[0] for index, person in enumerate(people)]
    port = free_port()
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "ATELIER_MAX_JOBS": str(arguments.slots),
        "ATELIER_MAX_QUEUED_PER_USER": str(arguments.jobs),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "core", "api", "--runs", str(runs), "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    photo = io.BytesIO()
    Image.fromarray(samples.astronaut()).save(photo, "PNG")
    results: dict[int, list[dict]] = {index: [] for index in range(arguments.tokens)}
    problems: list[str] = []

    try:
        deadline = time.monotonic() + 60
        while serve.health(base) is None:
            if time.monotonic() > deadline or server.poll() is not None:
                print("the API service did not start", file=sys.stderr)
                return 1
            time.sleep(0.2)
        started = time.monotonic()
        workers = [
            threading.Thread(
                target=person, args=(index, base, secrets[index], photo.getvalue(), arguments, results, problems)
            )
            for index in range(arguments.tokens)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=max(1.0, arguments.timeout - (time.monotonic() - started)))
        wall = time.monotonic() - started
        # Another person's job: 404, as an unknown one.
        if results[0] and len(secrets) > 1:
            other = httpx.get(
                f"{base}/api/v1/jobs/{results[0][0]['id']}", headers={"Authorization": f"Bearer {secrets[1]}"}
            )
            if other.status_code != 404:
                problems.append(f"another token read a job: {other.status_code}")
    finally:
        server.terminate()
        server.wait(timeout=20)

    lines = report(results, problems, arguments, wall)
    text = "\n".join(lines) + "\n"
    print(text)
    Path(arguments.output).write_text(text)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""A small load test of Atelier shared by several people (loopback only, bounded in time).

    python bench/sharing.py [--users 10] [--jobs 2] [--steps 40] [--slots 2] [--timeout 600]

Each simulated user is a Streamlit AppTest session of the Job Lab page: a session with no cookie,
so the page gives it a private per-browser space, exactly as a new browser gets one. Each presses
Start ``--jobs`` times (a short demo job), through the page's own code: the owner, the per-person
queue cap and the fair queue. A second job manager on the same runs folder stands in for a second
server replica and takes its share of the starts (the cap holds across both, under the queue's
lock). It prints one table and checks, failing with exit 1 otherwise:
- every job ran exactly once (its events are steps 1..N once each, one CLAIM, status finished);
- no user sees another's runs (the page's "Earlier runs (N, yours only)" and the owner's list);
- the fair queue: once a user's first job waits, no other user's second job starts before it.
Results: bench/results/sharing.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2, help="jobs per user (at most 3 may wait at once)")
    parser.add_argument("--steps", type=int, default=40, help="steps per demo job")
    parser.add_argument("--slots", type=int, default=2, help="jobs running at once across both replicas")
    parser.add_argument("--timeout", type=float, default=600, help="give up after this many seconds")
    parser.add_argument("--output", default=str(REPO / "bench" / "results" / "sharing.txt"))
    arguments = parser.parse_args()

    runs = Path(tempfile.mkdtemp(prefix="atelier-load-"))
    os.environ.update(ATELIER_RUNS=str(runs), ATELIER_MAX_JOBS=str(arguments.slots))
    from streamlit.testing.v1 import AppTest

    from core import jobs

    replica = jobs.manager_from_environment(runs, max_concurrent=arguments.slots)
    started = time.monotonic()
    users = []
    for _ in range(arguments.users):
        session = AppTest.from_file(str(REPO / "pages" / "5_Job_Lab.py"), default_timeout=120)
        session.run()
        session.slider(key="lab_steps").set_value(max(20, arguments.steps))
        session.slider(key="lab_size").set_value(16)
        submitted = []
        for _ in range(arguments.jobs):
            session.button(key="lab_start").click().run()
            job_id = session.query_params["job"]
            submitted.append((time.time(), job_id if isinstance(job_id, str) else job_id[0]))
        assert not session.exception, session.exception
        users.append({"session": session, "jobs": submitted, "owner": session.session_state["atelier_owner"]})
    ids = [job_id for user in users for _, job_id in user["jobs"]]
    deadline = time.monotonic() + arguments.timeout
    while True:
        cards = {job_id: json.loads((runs / job_id / "card.json").read_text()) for job_id in ids}
        if all(card["status"] in jobs.TERMINAL for card in cards.values()):
            break
        if time.monotonic() > deadline:
            print(f"gave up after {arguments.timeout:g} s", file=sys.stderr)
            return 1
        time.sleep(0.5)
    wall = time.monotonic() - started

    problems, rows = [], []
    claims = {job_id: (runs / job_id / "CLAIM").stat().st_mtime for job_id in ids}
    for number, user in enumerate(users, 1):
        waits = []
        for submitted_at, job_id in user["jobs"]:
            events = [json.loads(line)["step"] for line in (runs / job_id / "events.jsonl").read_text().splitlines()]
            steps = cards[job_id]["parameters"]["steps"]
            if events != list(range(1, steps + 1)) or cards[job_id]["status"] != "finished":
                problems.append(
                    f"{job_id} did not run exactly once to the end: {cards[job_id]['status']}, {len(events)} events"
                )
            waits.append(claims[job_id] - submitted_at)
        session = user["session"]
        session.run()
        listed = re.search(r"Earlier runs \((\d+), yours only\)", " ".join(e.label for e in session.expander))
        own = {card["id"] for card in replica.for_owner(user["owner"]).list_runs()}
        if not listed or int(listed.group(1)) != arguments.jobs or own != {job for _, job in user["jobs"]}:
            problems.append(f"user {number} sees {listed.group(0) if listed else 'no list'}, {len(own)} runs")
        rows.append((number, waits))
    # Fairness: once a user's first job was waiting, no other user's later job may start before it.
    for user in users:
        submitted_at, first = user["jobs"][0]
        for other in users:
            for _, later in other["jobs"][1:] if other is not user else []:
                if claims[later] > submitted_at and claims[later] < claims[first]:
                    problems.append(f"a user's first job waited behind another user's second job ({later})")
    replica_starts = sum(1 for job_id in ids if cards[job_id].get("server") == replica.server)

    lines = [
        f"# bench/sharing.py: {arguments.users} users x {arguments.jobs} demo jobs ({arguments.steps} steps, "
        f"16 px), {arguments.slots} running at once, two replicas on one runs folder; {time.strftime('%Y-%m-%d')}",
        f"{'user':>4}  " + "  ".join(f"job {n + 1} submit->start s" for n in range(arguments.jobs)),
    ]
    for number, waits in rows:
        lines.append(f"{number:>4}  " + "  ".join(f"{wait:>21.1f}" for wait in waits))
    all_waits = [wait for _, waits in rows for wait in waits]
    lines += [
        f"first jobs: median wait {statistics.median(w[0] for _, w in rows):.1f} s, longest "
        f"{max(w[0] for _, w in rows):.1f} s; all jobs: median {statistics.median(all_waits):.1f} s, longest "
        f"{max(all_waits):.1f} s",
        f"{len(ids)} jobs in {wall:.0f} s; {replica_starts} started by the second replica, "
        f"{len(ids) - replica_starts} by the pages' server",
        "every job ran exactly once: " + ("no" if any("exactly once" in p for p in problems) else "yes"),
        "no user saw another's runs: " + ("no" if any("sees" in p for p in problems) else "yes"),
        "no first job waited behind another user's second job: "
        + ("no" if any("first job" in p for p in problems) else "yes"),
    ]
    print("\n".join(lines + problems))
    Path(arguments.output).write_text("\n".join(lines + problems) + "\n")
    replica.close()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""``/api/v1``'s jobs: the tools and their settings' schemas, submit, status, the progress as server-sent
events, files, stop, delete, and the person's history.

Jobs go through a job manager over the same runs folder as the pages' (``core.jobs``), so they share
the fair queue, the per-person caps, ownership and retention. Who calls is the person an API token
(``Authorization: Bearer``) or the browser's cookie stands for; someone else's job answers the very
404 an unknown one gets.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from core.api import schema, submissions
from core.api.files import NOT_FOUND, PRIVATE_HEADERS
from core.history.index import Filters, index_for
from core.jobs.files import read_json, write_json
from core.jobs.queue import QueueFull
from core.jobs.runfolder import RunFolder
from core.jobs.status import TERMINAL, Status

log = logging.getLogger(__name__)

IDEMPOTENCY = "api-idempotency"  # runs/api-idempotency/<sha256 of owner and key>.json: the job it made
HEARTBEAT_SECONDS = 15.0
POLL_SECONDS = 0.4
MAX_HISTORY = 500


def status_of(manager, job_id: str) -> dict[str, Any]:
    """A job as the API gives it: where it is, how far it got, what it made, where to look next."""
    snapshot = manager.snapshot(job_id)
    card = snapshot.card
    folder = RunFolder(manager.run_dir(job_id))
    last = snapshot.history[-1] if snapshot.history else {}
    base = f"/api/v1/jobs/{job_id}"
    return {
        "id": job_id,
        "tool": snapshot.tool,
        "title": card.get("title", ""),
        "status": str(snapshot.status),
        "queue_position": snapshot.queue_position,
        "step": snapshot.step,
        "total": snapshot.total,
        "progress": round(snapshot.fraction, 4),
        "message": snapshot.message,
        "error": snapshot.error,
        "metrics": {key: value for key, value in last.items() if key not in ("step", "time")},
        "final_metrics": card.get("final_metrics", {}),
        "settings": card.get("parameters", {}),
        "seed": card.get("seed"),
        "parent": card.get("parent", ""),
        "created": card.get("created", ""),
        "started": card.get("started", ""),
        "ended": card.get("ended", ""),
        "elapsed_seconds": round(snapshot.elapsed_seconds, 2),
        "eta_seconds": snapshot.eta_seconds,
        "files": [
            {"name": name, "url": f"{base}/files/{name}", "bytes": path.stat().st_size}
            for path in folder.products()
            for name in [str(path.relative_to(folder.path))]
        ],
        "links": {
            "self": base,
            "events": f"{base}/events",
            "zip": f"/api/v1/runs/{job_id}/zip",
            "stop": f"{base}/stop",
        },
    }


class JobRoutes:
    """The routes' handlers, over ``manager_of()`` (made on first use) and ``caller(request)`` (the
    person, or 401); ``may_read(card, person)`` says whose runs a person sees."""

    def __init__(self, runs: Path, manager_of: Callable[[], Any], caller: Callable[[Request], str], may_read):
        self.runs, self.manager_of, self.caller, self.may_read = runs, manager_of, caller, may_read
        self.idempotency_lock = threading.Lock()

    def own_job(self, job_id: str, request: Request) -> Any:
        """The manager, once the job is known to be the caller's (else the 404 an unknown job gets)."""
        who = self.caller(request)
        if not job_id or "/" in job_id or "\\" in job_id or job_id.startswith(".") or len(job_id) > 200:
            raise HTTPException(404, NOT_FOUND)
        card = read_json(self.runs / job_id / RunFolder.CARD)
        if not isinstance(card, dict) or not self.may_read(card, who):
            raise HTTPException(404, NOT_FOUND)
        return self.manager_of()

    def list_tools(self) -> list[dict]:
        return [tool.describe() for tool in submissions.API_TOOLS.values()]

    def tool_schema(self, name: str) -> dict:
        try:
            tool = submissions.api_tool(name)
        except submissions.Refused:
            raise HTTPException(404, f"There is no tool {name!r}.") from None
        return schema.json_schema(tool.config_class(), title=f"{tool.title} settings")

    async def submit(self, request: Request) -> JSONResponse:
        who = self.caller(request)
        try:
            form = await request.form(max_files=130, max_fields=20)
        except Exception as error:  # (Starlette's parser names what it could not read)
            problem = {"field": None, "message": f"The request is not a readable form: {error}"}
            raise HTTPException(422, [problem]) from None
        fields: dict[str, str] = {}
        files: dict[str, list[tuple[str, bytes]]] = {}
        for key, value in form.multi_items():
            if hasattr(value, "read"):
                files.setdefault(key, []).append((value.filename or key, await value.read()))
            else:
                fields[key] = str(value)
        key = request.headers.get("idempotency-key", "")
        return await run_in_threadpool(self._submit, who, fields, files, key)

    def _submit(self, who: str, fields: dict[str, str], files: dict, key: str) -> JSONResponse:
        try:
            job = _job_of(fields, files)
        except submissions.Refused as refused:
            raise HTTPException(refused.status, refused.problems) from None
        marker = self.runs / IDEMPOTENCY / (hashlib.sha256(f"{who}\0{key}".encode()).hexdigest() + ".json")
        with self.idempotency_lock:
            earlier = read_json(marker) if key else None
            if isinstance(earlier, dict) and (self.runs / str(earlier.get("job", "")) / RunFolder.CARD).is_file():
                body = status_of(self.manager_of(), earlier["job"])
                return JSONResponse(body, status_code=200, headers={**PRIVATE_HEADERS, "Idempotent-Replayed": "true"})
            try:
                job_id = self.manager_of().submit(
                    job.run_tool, job.target, job.config, inputs=job.inputs, title=job.title, owner=who
                )
            except QueueFull as error:
                raise HTTPException(429, [{"field": None, "message": str(error)}]) from None
            if key:
                marker.parent.mkdir(exist_ok=True)
                write_json(marker, {"job": job_id, "made": time.time()})
        log.info("the API queued %s (%s)", job_id, job.run_tool)
        return JSONResponse(status_of(self.manager_of(), job_id), status_code=202, headers=dict(PRIVATE_HEADERS))

    def job_status(self, job_id: str, request: Request) -> JSONResponse:
        manager = self.own_job(job_id, request)
        return JSONResponse(status_of(manager, job_id), headers=dict(PRIVATE_HEADERS))

    def job_events(self, job_id: str, request: Request) -> StreamingResponse:
        manager = self.own_job(job_id, request)
        try:
            start = max(0, int(request.headers.get("last-event-id", "0") or 0))
        except ValueError:
            start = 0
        return StreamingResponse(
            _events(manager, job_id, start),
            media_type="text/event-stream",
            headers={**PRIVATE_HEADERS, "X-Accel-Buffering": "no"},
        )

    def stop_job(self, job_id: str, request: Request) -> JSONResponse:
        manager = self.own_job(job_id, request)
        manager.stop(job_id)
        return JSONResponse(status_of(manager, job_id), headers=dict(PRIVATE_HEADERS))

    def delete_job(self, job_id: str, request: Request) -> JSONResponse:
        manager = self.own_job(job_id, request)
        try:
            freed = manager.delete(job_id)
        except ValueError as error:
            raise HTTPException(409, [{"field": None, "message": str(error)}]) from None
        return JSONResponse({"deleted": job_id, "bytes_freed": freed}, headers=dict(PRIVATE_HEADERS))

    def history(
        self,
        request: Request,
        tool: str = "",
        status: str = "",
        starred: bool = False,
        collection: str = "",
        q: str = "",
        limit: int = 50,
        offset: int = 0,
    ) -> JSONResponse:
        who = self.caller(request)
        filters = Filters(
            families=tuple(word for word in tool.split(",") if word),
            statuses=tuple(word for word in status.split(",") if word),
            starred=starred,
            collection=collection,
            text=q,
        )
        entries = index_for(self.runs).runs(who, filters)
        limit, offset = max(1, min(limit, MAX_HISTORY)), max(0, offset)
        return JSONResponse(
            {
                "total": len(entries),
                "offset": offset,
                "runs": [_entry(entry) for entry in entries[offset : offset + limit]],
            },
            headers=dict(PRIVATE_HEADERS),
        )


def add(app: FastAPI, runs: Path, manager_of: Callable[[], Any], caller: Callable[[Request], str], may_read) -> None:
    """Put the jobs API's routes on ``app``."""
    routes = JobRoutes(runs, manager_of, caller, may_read)
    app.get("/api/v1/tools", summary="The tools a job can be submitted to, and the files each takes")(routes.list_tools)
    app.get("/api/v1/tools/{name}/schema", summary="A tool's settings as JSON Schema")(routes.tool_schema)
    app.post("/api/v1/jobs", status_code=202, summary="Submit a job (multipart: tool, settings as JSON, files)")(
        routes.submit
    )
    app.get("/api/v1/jobs/{job_id}", summary="A job's status, queue position, progress, metrics and files")(
        routes.job_status
    )
    app.get("/api/v1/jobs/{job_id}/events", summary="The job's progress as server-sent events, until it ends")(
        routes.job_events
    )
    app.post("/api/v1/jobs/{job_id}/stop", summary="Stop a job (it keeps its latest result)")(routes.stop_job)
    app.delete("/api/v1/jobs/{job_id}", summary="Delete an ended job and its files")(routes.delete_job)
    app.get("/api/v1/history", summary="The person's runs, newest first (what the History page lists)")(routes.history)


def _job_of(fields: dict[str, str], files: dict[str, list[tuple[str, bytes]]]) -> submissions.Job:
    tool = submissions.api_tool(fields.get("tool", ""))
    try:
        values = json.loads(fields.get("settings") or "{}")
    except ValueError as error:
        raise submissions.Refused(422, [{"field": "settings", "message": f"settings is not JSON: {error}"}]) from None
    config = submissions.settings_of(tool, values)
    return submissions.job_for(tool, config, files, fields.get("formats", ""))


def _entry(entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "tool": entry.tool,
        "family": entry.family,
        "status": str(entry.status),
        "title": entry.title,
        "created": entry.created,
        "started": entry.started,
        "ended": entry.ended,
        "seconds": entry.seconds,
        "seed": entry.seed,
        "parent": entry.parent,
        "metrics": entry.metrics,
        "starred": entry.marks.starred,
        "collections": list(entry.marks.collections),
        "settings": entry.parameters,
        "thumbnail": f"/api/v1/runs/{entry.id}/files/thumbnail.jpg",
        "links": {"self": f"/api/v1/jobs/{entry.id}", "zip": f"/api/v1/runs/{entry.id}/zip"},
    }


def _sse(event: str, data: Any, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, default=str)}\n\n"


def _events(manager, job_id: str, start: int) -> Iterator[str]:
    """``status`` when it changes, ``progress`` per event record (its id the record's number, so a
    client that reconnects with Last-Event-ID misses none and repeats none), then ``end`` with the
    job's final status. The card is read before the records, so no record is written after the end."""
    path = manager.run_dir(job_id) / "events.jsonl"
    sent, shown_status, beat = start, None, time.monotonic()
    while True:
        card = read_json(manager.run_dir(job_id) / RunFolder.CARD)
        if not isinstance(card, dict):
            yield _sse("end", {"id": job_id, "status": "deleted"})
            return
        status = Status.of(card.get("status"))
        if status != shown_status:
            shown_status = status
            yield _sse("status", {"id": job_id, "status": str(status)})
        records = _records(path)
        for number, record in enumerate(records[sent:], start=sent + 1):
            yield _sse(
                "progress",
                {
                    "step": record.get("step", 0),
                    "total": record.get("total", 0),
                    "metrics": record.get("metrics", {}),
                    "message": record.get("message", ""),
                    "time": record.get("time"),
                },
                number,
            )
            beat = time.monotonic()
        sent = max(sent, len(records))
        if status in TERMINAL:
            yield _sse("end", status_of(manager, job_id))
            return
        if time.monotonic() - beat > HEARTBEAT_SECONDS:
            beat = time.monotonic()
            yield ": still running\n\n"
        time.sleep(POLL_SECONDS)


def _records(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            break  # a line being written: the next read has it whole
        if isinstance(record, dict):
            found.append(record)
    return found

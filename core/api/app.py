"""Atelier's HTTP service (FastAPI): the owner-checked file routes, the jobs API (job_routes) and the
share links' routes (share_routes).

Every route answers a request from someone who may not read the run with the very 404 that an
unknown run gets, so run ids cannot be probed. Who a request comes from is read from its cookies
on every request (``owners.owner_from_cookies``): nothing is remembered between requests, so a
deleted run, a signed-out person or a pass out of date stops working at once.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.background import BackgroundTask

from core import settings, tools
from core.api import job_routes, share_routes, tokens
from core.api.files import NOT_FOUND, PRIVATE_HEADERS, SANDBOX, inside, media_type, stamped_product, zip_folder
from core.jobs import owners
from core.jobs.files import read_json, runs_folder_key
from core.jobs.runfolder import RunFolder

log = logging.getLogger(__name__)

UNAUTHORISED = "Send a personal API token as 'Authorization: Bearer <token>' (made on Atelier's API page)."
API_DESCRIPTION = (
    "Atelier's tools from other programs: submit a job with its pictures and settings, follow it, "
    "fetch its files. Jobs share the fair queue, the per-person caps and the history with the pages. "
    "Every call acts as the person whose API token it sends (`Authorization: Bearer ...`); another "
    "person's job answers 404, as one that does not exist."
)


def shared_mode(environment=None) -> bool:
    return settings.value("shared_runs", environment)


def may_read(card: dict, requester: str | None, *, shared: bool) -> bool:
    """A run is read by its owner; a run made in shared mode (owner "everyone") by anybody, while
    the server is in shared mode."""
    owner = card.get("owner", "")
    if owner == owners.EVERYONE:
        return shared
    return bool(requester) and requester == owner


class _ManagerSlot:
    """The job manager, made on the first request that needs one (a file download never does)."""

    def __init__(self, runs: Path, manager: Any = None):
        self.runs, self.manager, self.lock = runs, manager, threading.Lock()

    def __call__(self) -> Any:
        with self.lock:
            if self.manager is None:
                from core.jobs import manager_from_environment

                # The cap on running jobs holds across every server on the runs folder (the pages' too);
                # retention stays the pages' server's.
                limit = settings.value("max_jobs") or None
                self.manager = manager_from_environment(self.runs, max_concurrent=limit)
            return self.manager


def requester_of(request: Request, runs: Path, *, shared: bool) -> str | None:
    """The person a request acts for: its API token's owner, else its cookie's; None for nobody.
    A token that is not (or no longer) good answers 401 at once, whatever cookie comes with it."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        owner = tokens.owner_of(runs, token.strip()) if scheme.lower() == "bearer" else None
        if owner is None:
            raise HTTPException(401, UNAUTHORISED, headers={"WWW-Authenticate": "Bearer"})
        return owner
    try:
        secret = owners.cookie_secret(runs)
    except OSError:
        log.exception("the file service cannot read the cookie secret in %s", runs)
        return None
    return owners.owner_from_cookies(dict(request.cookies), secret, now=time.time(), shared=shared)


def create_app(runs_dir: str | os.PathLike, *, shared: bool | None = None, manager: Any = None) -> FastAPI:
    """The service over ``runs_dir``; ``manager``: the job manager its jobs go through (by default one
    made on the first request that needs it, from the settings, like the pages' own)."""
    runs = Path(runs_dir)
    shared = shared_mode() if shared is None else shared
    app = FastAPI(
        title="Atelier",
        version="1",
        description=API_DESCRIPTION,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    manager_of = _ManagerSlot(runs, manager)

    def requester(request: Request) -> str | None:
        return requester_of(request, runs, shared=shared)

    def caller(request: Request) -> str:
        who = requester(request)
        if not who:
            raise HTTPException(401, UNAUTHORISED, headers={"WWW-Authenticate": "Bearer"})
        return who

    def readable_run(run_id: str, request: Request) -> RunFolder:
        if not run_id or "/" in run_id or "\\" in run_id or run_id.startswith(".") or len(run_id) > 200:
            raise HTTPException(404, NOT_FOUND)
        folder = RunFolder(runs / run_id)
        card = read_json(folder / folder.CARD)
        if not isinstance(card, dict) or not may_read(card, requester(request), shared=shared):
            raise HTTPException(404, NOT_FOUND)
        return folder

    @app.get("/api/v1/health", include_in_schema=False)
    def health() -> dict:
        return {"ok": True, "runs": runs_folder_key(runs)}

    @app.get("/api/v1/jobs/{run_id}/files/{name:path}", summary="One file of a job (its owner only)")
    @app.get("/api/v1/runs/{run_id}/files/{name:path}", include_in_schema=False)
    def run_file(run_id: str, name: str, request: Request, download: bool = False) -> FileResponse:
        folder = readable_run(run_id, request)
        path = inside(folder.path, name)
        headers = dict(PRIVATE_HEADERS)
        if path.suffix.lower() in (".html", ".htm", ".svg"):
            headers.update(SANDBOX)
        stamped = stamped_product(folder, path, download=download)
        if stamped is not None:
            if download:
                headers["Content-Disposition"] = f'attachment; filename="{run_id}-{path.name}"'
            return Response(stamped, media_type=media_type(path), headers=headers)
        return FileResponse(
            path,
            headers=headers,
            filename=f"{run_id}-{path.name}" if download else None,
            content_disposition_type="attachment" if download else "inline",
        )

    @app.get("/api/v1/runs/{run_id}/zip", summary="The whole run as a zip (its owner only)")
    def run_zip(run_id: str, request: Request) -> FileResponse:
        folder = readable_run(run_id, request)
        descriptor, zip_name = tempfile.mkstemp(prefix="atelier-zip-", suffix=".zip")
        os.close(descriptor)
        try:
            zip_folder(folder.path, Path(zip_name), stamp=tools.stamp_for_run(folder.path))
        except OSError:
            os.unlink(zip_name)
            raise HTTPException(404, NOT_FOUND) from None  # deleted while it was being packed
        return FileResponse(
            zip_name,
            headers=dict(PRIVATE_HEADERS),
            media_type="application/zip",
            filename=f"{run_id}.zip",
            background=BackgroundTask(os.unlink, zip_name),
        )

    share_routes.add(app, runs)
    job_routes.add(app, runs, manager_of, caller, lambda card, who: may_read(card, who, shared=shared))
    app.state.manager_of = manager_of

    app.add_exception_handler(HTTPException, _plain_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    return app


def _plain_error(request: Request, error: HTTPException) -> JSONResponse:
    headers = {**PRIVATE_HEADERS, **(error.headers or {})}
    return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=headers)


def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    """A query parameter of the wrong type, say: the same shape as every other refusal."""
    problems = [
        {"field": ".".join(str(part) for part in item.get("loc", ())[1:]) or None, "message": item.get("msg", "")}
        for item in error.errors()
    ]
    return JSONResponse({"detail": problems}, status_code=422, headers=dict(PRIVATE_HEADERS))

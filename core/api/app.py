"""The owner-checked file routes (FastAPI), and the share links' (share_routes).

Every route answers a request from someone who may not read the run with the very 404 that an
unknown run gets, so run ids cannot be probed. Who a request comes from is read from its cookies
on every request (``owners.owner_from_cookies``): nothing is remembered between requests, so a
deleted run, a signed-out person or a pass out of date stops working at once.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.background import BackgroundTask

from core import settings, tools
from core.api import share_routes
from core.api.files import NOT_FOUND, PRIVATE_HEADERS, SANDBOX, inside, media_type, stamped_product, zip_folder
from core.jobs import owners
from core.jobs.files import read_json, runs_folder_key
from core.jobs.runfolder import RunFolder

log = logging.getLogger(__name__)


def shared_mode(environment=None) -> bool:
    return settings.value("shared_runs", environment)


def may_read(card: dict, requester: str | None, *, shared: bool) -> bool:
    """A run is read by its owner; a run made in shared mode (owner "everyone") by anybody, while
    the server is in shared mode."""
    owner = card.get("owner", "")
    if owner == owners.EVERYONE:
        return shared
    return bool(requester) and requester == owner


def create_app(runs_dir: str | os.PathLike, *, shared: bool | None = None) -> FastAPI:
    runs = Path(runs_dir)
    shared = shared_mode() if shared is None else shared
    app = FastAPI(title="Atelier", version="1", docs_url="/api/docs", openapi_url="/api/openapi.json", redoc_url=None)

    def requester(request: Request) -> str | None:
        try:
            secret = owners.cookie_secret(runs)
        except OSError:
            log.exception("the file service cannot read the cookie secret in %s", runs)
            return None
        return owners.owner_from_cookies(dict(request.cookies), secret, now=time.time(), shared=shared)

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

    @app.get("/api/v1/runs/{run_id}/files/{name:path}", summary="One file of a run (its owner only)")
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

    @app.exception_handler(HTTPException)
    def plain_error(request: Request, error: HTTPException) -> JSONResponse:
        return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=dict(PRIVATE_HEADERS))

    return app

"""Share links' routes (core/shares.py): anyone with a link's token sees the run read-only, while the
link lives. Every way a link can fail (unknown, revoked, expired, its run deleted) gets the same 404."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response

from core import provenance, shares, tools
from core.api import share_page
from core.api.files import PRIVATE_HEADERS, SANDBOX, inside, media_type, stamped_product
from core.history import thumbnails
from core.jobs.files import read_json
from core.jobs.runfolder import RunFolder

log = logging.getLogger(__name__)

NO_SUCH_LINK = "This link does not open anything: it was revoked, it expired, or its run was deleted."
# A shared page is for the people the link was given to: no search engine keeps it, and a link on it
# never passes the share's address on.
SHARE_HEADERS = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


def share_stamp(run_dir: Path) -> provenance.Stamp | None:
    """The run's settings as a link gives them: naming no run of the owner's."""
    stamp = tools.stamp_for_run(run_dir)
    if stamp is not None:
        stamp.run, stamp.parent = "", ""
    return stamp


def add(app: FastAPI, runs: Path) -> None:
    def shared(token: str) -> tuple[RunFolder, shares.Share]:
        found = shares.resolve(runs, token)
        if found is None:
            raise HTTPException(404, NO_SUCH_LINK)
        return RunFolder(found[0]), found[1]

    @app.get("/share/{token}", include_in_schema=False)
    def share_view(token: str) -> HTMLResponse:
        folder, share = shared(token)
        card = read_json(folder / folder.CARD, {})
        products = [str(path.relative_to(folder.path)) for path in folder.products()]
        source = thumbnails.source_of(folder.path)
        picture = str(source.relative_to(folder.path)) if source is not None and source.suffix != ".mp4" else None
        before = None
        if share.include_inputs and folder.input("content").is_file():
            before = f"{folder.INPUTS}/content.png"
        return HTMLResponse(
            share_page.page(
                share_page.title_of(str(card.get("tool", ""))),
                card,
                products,
                picture,
                folder.VIDEO if folder.video.is_file() else None,
                share_stamp(folder.path),
                before,
            ),
            headers={**PRIVATE_HEADERS, **SHARE_HEADERS},
        )

    @app.get("/share/{token}/", include_in_schema=False)
    def share_view_slash(token: str) -> Response:
        return Response(status_code=307, headers={"Location": f"../{token}"})

    @app.get("/share/{token}/settings.json", include_in_schema=False)
    def share_settings(token: str) -> Response:
        folder, _share = shared(token)
        stamp = share_stamp(folder.path)
        if stamp is None:
            raise HTTPException(404, NO_SUCH_LINK)
        headers = {**PRIVATE_HEADERS, "Content-Disposition": 'attachment; filename="atelier-settings.json"'}
        return Response(stamp.to_json(), media_type="application/json", headers=headers)

    @app.get("/share/{token}/files/{name:path}", include_in_schema=False)
    def share_file(token: str, name: str, download: bool = False) -> Response:
        folder, share = shared(token)
        path = inside(folder.path, name)
        allowed = {p.resolve() for p in folder.products()}
        if share.include_inputs:
            allowed |= {p.resolve() for p in (folder / folder.INPUTS).glob("*.png")}
        if path not in allowed:
            raise HTTPException(404, NO_SUCH_LINK)
        headers = {**PRIVATE_HEADERS, **SHARE_HEADERS}
        if path.suffix.lower() in (".html", ".htm", ".svg"):
            headers.update(SANDBOX)
        stamped = stamped_product(folder, path, download=download, stamp_of=share_stamp)
        if stamped is not None:
            if download:
                headers["Content-Disposition"] = f'attachment; filename="{path.name}"'
            return Response(stamped, media_type=media_type(path), headers=headers)
        return FileResponse(
            path,
            headers=headers,
            filename=path.name if download else None,
            content_disposition_type="attachment" if download else "inline",
        )

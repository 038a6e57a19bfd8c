"""Atelier's HTTP service, served by uvicorn beside Streamlit (which has no routes of its own).

Today it is the one way a run's files leave the server by URL: every download a page offers and
every video it plays comes from ``/api/v1/runs/<id>/...``, where each request's cookie is checked
against the run's owner (``core.jobs.owners``) and anything else answers 404, exactly as for a run
that does not exist; a deleted run answers 404 at once. Pictures drawn in a page travel inline in
the page's own connection and have no URL at all.

    app.py      the FastAPI app: create_app(runs_dir), its routes
    serve.py    ``python -m core api``: uvicorn on a port, and the health check a page uses
"""

"""Atelier's HTTP service, served by uvicorn beside Streamlit (which has no routes of its own).

It is the one way a run's files leave the server by URL: every download a page offers and every
video it plays comes from ``/api/v1/runs/<id>/...``, where each request's person (its cookie, or its
API token) is checked against the run's owner (``core.jobs.owners``) and anything else answers 404,
exactly as for a run that does not exist; a deleted run answers 404 at once. Pictures drawn in a page
travel inline in the page's own connection and have no URL at all. Programs use the same service's
jobs API (docs/api.md), and anyone with a share link its read-only view of one run.

    app.py          the FastAPI app: create_app(runs_dir), who calls (an API token or the cookie), the file routes
    job_routes.py   /api/v1's jobs: tools and schemas, submit, status, server-sent events, stop, delete, history
    submissions.py  what each tool's job takes through the API, and the job the page would start for it
    schema.py       a config's declaration as JSON Schema, and a request's settings checked against it
    tokens.py       personal API tokens (only their SHA-256 is kept)
    serve.py        ``python -m core api``: uvicorn on a port, and the health check a page uses
"""

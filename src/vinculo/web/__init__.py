"""The web UI: server-rendered pages (Jinja2 + HTMX) on the node's FastAPI app, English and Spanish.

`install(app)` mounts the pages and the bundled static files. Pages call the same services as the API
(no rule lives in a page or template); every file the browser loads is served by the node itself.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
# Only this node: scripts, styles, images and form targets; no inline script, no other host.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


def install(app: FastAPI) -> None:
    from vinculo.web import account, alerts, audit, auth, cases, dashboard, editor, graph, imports, partners, records

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (auth, account, dashboard, editor, records, audit, imports, partners, cases, graph, alerts):
        app.include_router(module.router)

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response: Response = await call_next(request)
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            response.headers.setdefault("Cache-Control", "no-store")
        return response

"""The web UI: server-rendered pages (Jinja2 + HTMX) on the node's FastAPI app, English and Spanish.

`install(app)` mounts the pages and the bundled static files. Pages call the same services as the API
(no rule lives in a page or template); every file the browser loads is served by the node itself.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(__file__).parent / "static"
# Only this node: scripts, styles, images and form targets; no inline script, no other host.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


def install(app: FastAPI) -> None:
    from vinculo.web import account, alerts, audit, auth, cases, dashboard, editor, graph, imports, partners, records
    from vinculo.web import precursors
    from vinculo.web import notify as notify_web

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (auth, account, dashboard, editor, records, audit, imports, partners, cases, graph, alerts, precursors):
        app.include_router(module.router)
    app.include_router(notify_web.router)  # the notification centre

    app.add_middleware(HtmlHeaders)


_HTML_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                 (b"referrer-policy", b"same-origin"), (b"cache-control", b"no-store")]


class HtmlHeaders:
    """Security headers on every HTML page (set where a page has not set its own). A plain ASGI middleware:
    Starlette's `BaseHTTPMiddleware` would pass every response, a 1 MB TAXII page too, through a stream
    of its own on another task, which costs more than the headers."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if ctype.startswith(b"text/html"):
                    headers += [(k, v) for k, v in _HTML_HEADERS if k not in names]
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

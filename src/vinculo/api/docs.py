"""The API's interactive documentation at /docs, from files bundled in the package (works offline)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} – API</title>
<link rel="stylesheet" href="/static/vendor/swagger/swagger-ui.css"></head>
<body data-openapi="{openapi}"><div id="swagger-ui"></div>
<script src="/static/vendor/swagger/swagger-ui-bundle.js"></script>
<script src="/static/vendor/swagger/vinculo-init.js"></script>
</body></html>"""


@router.get("/docs")
def docs(request: Request) -> HTMLResponse:
    app = request.app
    html = _PAGE.format(title=app.title.replace("<", "&lt;"), openapi=app.openapi_url)
    return HTMLResponse(html)

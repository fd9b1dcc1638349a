"""What every page shares: the route class that turns service errors into HTML pages, and redirects."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from vinculo.accounts.service import AccountError, AuthError
from vinculo.records.model import RecordInvalid
from vinculo.records.service import Conflict, Forbidden, NotFound
from vinculo.web.session import CsrfFailed, LoginRequired
from vinculo.web.templating import is_htmx, render

_STATUS = ((Forbidden, 403), (NotFound, 404), (Conflict, 409), (RecordInvalid, 422), (CsrfFailed, 403),
           (AuthError, 401), (AccountError, 400), (ValueError, 400), (RequestValidationError, 400))


def redirect(request: Request, url: str) -> Response:
    """A 303 to `url` (HTMX requests get HX-Redirect, so the whole page changes)."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def safe_next(url: str | None) -> str:
    """Only local paths are followed after log-in (no open redirect)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return "/"
    return url


def error_page(request: Request, exc: Exception) -> Response:
    if isinstance(exc, LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect(request, "/login?next=" + quote(target, safe=""))
    status = next(code for kind, code in _STATUS if isinstance(exc, kind))
    reasons = list(getattr(exc, "reasons", ()) or ())
    errors = [str(e) for e in getattr(exc, "errors", [])] if isinstance(exc, RecordInvalid) else []
    message = str(exc)
    if isinstance(exc, RequestValidationError):  # a page's parameter out of range or of the wrong type
        message = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
    template = "partials/error.html" if is_htmx(request) else "error.html"
    return render(request, template, status=status, status_code=status, message=message, reasons=reasons,
                  errors=errors)


class WebRoute(APIRoute):
    """Routes of the web UI: service errors become HTML pages (the API keeps problem+json)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except (LoginRequired, *(kind for kind, _ in _STATUS)) as exc:  # type: ignore[misc]
                return error_page(request, exc)

        return handler

"""RFC 9457 problem+json responses for every error the API returns."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from vinculo.accounts.service import AccountError, AuthError, LoginThrottled
from vinculo.records.model import RecordInvalid
from vinculo.records.service import Conflict, Forbidden, NotFound
from vinculo.sharing.service import SharingError

MEDIA = "application/problem+json"
_TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 409: "Conflict",
           405: "Method not allowed", 422: "Invalid input", 429: "Too many requests", 500: "Internal error"}


def problem(status: int, detail: str, request: Request, **extra: object) -> JSONResponse:
    body = {"type": f"https://vinculo.example/problems/{status}", "title": _TITLES.get(status, "Error"),
            "status": status, "detail": detail, "instance": str(request.url.path), **extra}
    headers = {"WWW-Authenticate": 'Bearer realm="vinculo"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(RecordInvalid)
    async def _invalid(request: Request, exc: RecordInvalid) -> JSONResponse:
        return problem(422, str(exc), request, errors=[{"field": e.field, "reason": e.reason} for e in exc.errors])

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()]
        return problem(422, "; ".join(f"{e['field']}: {e['reason']}" for e in errors), request, errors=errors)

    @app.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError) -> JSONResponse:
        return problem(401, str(exc), request)

    @app.exception_handler(LoginThrottled)
    async def _throttled(request: Request, exc: LoginThrottled) -> JSONResponse:
        response = problem(429, str(exc), request, retry_after=exc.retry_after)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, str(exc), request, reasons=list(exc.reasons))

    @app.exception_handler(NotFound)
    async def _missing(request: Request, exc: NotFound) -> JSONResponse:
        return problem(404, str(exc), request)

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict) -> JSONResponse:
        return problem(409, str(exc), request)

    @app.exception_handler(AccountError)
    @app.exception_handler(SharingError)
    @app.exception_handler(ValueError)
    async def _bad(request: Request, exc: Exception) -> JSONResponse:
        return problem(400, str(exc), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), request)

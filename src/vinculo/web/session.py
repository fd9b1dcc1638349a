"""Web sessions and CSRF: the session token lives in an HttpOnly cookie; every form carries a CSRF token.

The session token is the same kind the API issues (`accounts.login`), so the web resolves users exactly as
the API does (`accounts.authenticate`). CSRF uses a signed double-submit: a random cookie, and in each form
an HMAC of it (and of the session) under a secret derived from the node key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from vinculo.accounts.model import Actor
from vinculo.accounts.service import SESSION_HOURS, AuthError, authenticate
from vinculo.node.context import Node

SESSION_COOKIE = "vinculo_session"
CSRF_COOKIE = "vinculo_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class LoginRequired(Exception):
    """No valid session: the page sends the browser to the log-in form."""

    def __init__(self, message: str = ""):
        super().__init__(message)


class CsrfFailed(Exception):
    pass


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _secret(node: Node) -> bytes:
    # Ed25519 signatures are deterministic: a stable secret known only to the key holder.
    return hashlib.sha256(node.key.sign(b"vinculo-web-csrf-v1")).digest()


def csrf_seed(request: Request) -> str:
    """The CSRF cookie value of this browser (a new one if it has none; `remember` stores it)."""
    seed = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_seed", None)
    if not seed:
        seed = secrets.token_urlsafe(32)
        request.state.csrf_seed = seed
    return seed


def csrf_token(request: Request) -> str:
    node = request.app.state.node
    message = (csrf_seed(request) + "|" + request.cookies.get(SESSION_COOKIE, "")).encode()
    return hmac.new(_secret(node), message, hashlib.sha256).hexdigest()


def check_csrf(request: Request, form: FormData | None) -> None:
    given = request.headers.get(CSRF_HEADER) or (form.get(CSRF_FIELD) if form is not None else None)
    if not request.cookies.get(CSRF_COOKIE) or not isinstance(given, str) or \
            not hmac.compare_digest(given, csrf_token(request)):
        raise CsrfFailed("the form expired or did not come from this site; reload the page and try again")


def remember(request: Request, response: Response) -> None:
    """Set the CSRF cookie if this request had to make one."""
    if not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(CSRF_COOKIE, csrf_seed(request), httponly=True, samesite="strict",
                            secure=secure(request), path="/")


def start_session(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_HOURS * 3600, httponly=True, samesite="lax",
                        secure=secure(request), path="/")


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def web_actor(request: Request) -> Actor:
    """The logged-in user, resolved like an API bearer token; otherwise LoginRequired."""
    token = session_token(request)
    if not token:
        raise LoginRequired()
    try:
        actor = authenticate(request.app.state.node, token)
    except AuthError as exc:
        raise LoginRequired(str(exc)) from None
    request.state.actor = actor
    return actor


async def checked_form(request: Request) -> FormData:
    """The posted form, after its CSRF token is checked."""
    form = await request.form()
    check_csrf(request, form)
    return form

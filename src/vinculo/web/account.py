"""The user's own second factor: enrol a TOTP authenticator (start, scan or paste, confirm with a first
code, keep the recovery codes). Open also to a user whose role must enrol before anything else."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from vinculo.accounts import second_factor, settings
from vinculo.accounts.model import Actor
from vinculo.accounts.service import AccountError, AuthError, authenticate
from vinculo.web.common import WebRoute, redirect
from vinculo.web.session import LoginRequired, checked_form, session_token
from vinculo.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = "/account/totp"


def enrolling_actor(request: Request) -> Actor:
    """The logged-in user, also while their role waits for them to enrol (unlike `session.web_actor`)."""
    token = session_token(request)
    if not token:
        raise LoginRequired()
    try:
        actor = authenticate(request.app.state.node, token, enrolling=True)
    except AuthError as exc:
        raise LoginRequired(str(exc)) from None
    request.state.actor = actor
    return actor


def _page(request: Request, actor: Actor, status: int = 200, **extra) -> Response:
    node = request.app.state.node
    state = second_factor.status(node, actor.name)
    pending = second_factor.pending_uri(node, actor.name) if state["pending"] else None
    return render(request, "account_totp.html", status=status, state=state, pending=pending,
                  required=actor.role in settings.totp_roles(node), **({"codes": None, "error": None} | extra))


@router.get(PAGE)
def totp_page(request: Request, actor: Actor = Depends(enrolling_actor)) -> Response:
    return _page(request, actor)


@router.post(PAGE + "/start")
async def totp_start(request: Request, form: FormData = Depends(checked_form),
                     actor: Actor = Depends(enrolling_actor)) -> Response:
    await run_in_threadpool(second_factor.start, request.app.state.node, actor.name, actor.label)
    return redirect(request, PAGE)


@router.post(PAGE + "/confirm")
async def totp_confirm(request: Request, form: FormData = Depends(checked_form),
                       actor: Actor = Depends(enrolling_actor)) -> Response:
    code = str(form.get("code", "")).strip()[:16]
    try:
        codes = await run_in_threadpool(second_factor.confirm, request.app.state.node, actor.name, code, "web")
    except AccountError:
        return await run_in_threadpool(_page, request, actor, 400, error="bad-code")
    return await run_in_threadpool(_page, request, actor, 200, codes=codes)

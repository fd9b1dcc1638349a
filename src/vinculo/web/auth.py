"""Log in, log out, and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from vinculo.accounts import service as accounts
from vinculo.accounts.service import (
    AuthError,
    EnrolmentRequired,
    LoginThrottled,
    SecondFactorMissing,
    SecondFactorUnreadable,
    SecondFactorWrong,
)
from vinculo.web import i18n
from vinculo.web.common import WebRoute, redirect, safe_next
from vinculo.web.session import checked_form, end_session, session_token, start_session
from vinculo.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


ENROL_PAGE = "/account/totp"


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    token = session_token(request)
    if token:  # logged in, but the role must enrol a second factor before anything else: to the enrolment
        try:
            accounts.authenticate(request.app.state.node, token)
        except EnrolmentRequired:
            return redirect(request, ENROL_PAGE)
        except AuthError:
            pass
    return render(request, "login.html", next=safe_next(next), error=None, username="")


@router.post("/login")
async def login(request: Request, form: FormData = Depends(checked_form)) -> Response:
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    otp = str(form.get("otp", "")).strip()[:32] or None
    target = safe_next(str(form.get("next", "/")))
    client = request.client.host if request.client else None
    try:
        token = await run_in_threadpool(accounts.login, request.app.state.node, username, password, "web", client,
                                        otp)
    except LoginThrottled as exc:
        page = render(request, "login.html", status=429, next=target, error="throttled", username=username,
                      retry_after=exc.retry_after)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    except SecondFactorMissing:
        return render(request, "login.html", status=401, next=target, error="otp-missing", username=username)
    except SecondFactorUnreadable:
        return render(request, "login.html", status=401, next=target, error="otp-unreadable", username=username)
    except SecondFactorWrong:
        return render(request, "login.html", status=401, next=target, error="otp-wrong", username=username)
    except AuthError:
        return render(request, "login.html", status=401, next=target, error="bad-login", username=username)
    if await run_in_threadpool(accounts.must_enrol, request.app.state.node, username):
        target = ENROL_PAGE
    response = redirect(request, target)
    start_session(request, response, token)
    return response


@router.post("/logout")
async def logout(request: Request, form: FormData = Depends(checked_form)) -> Response:
    token = session_token(request)
    if token:
        await run_in_threadpool(accounts.revoke_token, request.app.state.node, token)
    response = redirect(request, "/login")
    end_session(response)
    return response


@router.post("/lang")
async def switch_language(request: Request, form: FormData = Depends(checked_form)) -> Response:
    lang = str(form.get("lang", ""))
    response = redirect(request, safe_next(str(form.get("next", "/"))))
    if lang in i18n.LOCALES:
        response.set_cookie(i18n.LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https", path="/")
    return response

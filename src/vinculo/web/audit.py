"""The audit page (auditors): who read, released or changed what, and whether the log verifies."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from vinculo.accounts.model import Actor
from vinculo.api.params import AuditAfter
from vinculo.audit import reading
from vinculo.audit.events import ACTIONS
from vinculo.web.common import WebRoute
from vinculo.web.session import web_actor
from vinculo.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = 50


@router.get("/audit")
def audit_page(request: Request, user: str = "", action: str = "", record: str = "", after: AuditAfter = -1,
               actor: Actor = Depends(web_actor)) -> Response:
    rows = reading.read_log(request.app.state.node, actor, user=user, action=action, target=record.strip(),
                            after=after, limit=PAGE)
    more = rows[-1]["idx"] if len(rows) == PAGE else None
    query = urlencode({k: v for k, v in (("user", user), ("action", action), ("record", record)) if v})
    return render(request, "audit.html", rows=rows, more=more, user_q=user, action_q=action, record_q=record,
                  actions=ACTIONS, query=query, after=after)


@router.get("/audit/verify")
def audit_verify(request: Request, actor: Actor = Depends(web_actor)) -> Response:
    result = reading.verify(request.app.state.node, actor)
    return render(request, "partials/verify.html", result=result)

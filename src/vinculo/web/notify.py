"""The notification centre page: the user's notifications (marked read from here), their subscriptions, and
the live stream the header's unread count listens to (the same services as /api/v1/notifications)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from vinculo.accounts.model import Actor
from vinculo.api.notify import open_stream
from vinculo.notify import service
from vinculo.records.model import RecordInvalid
from vinculo.records.service import Forbidden
from vinculo.web.common import WebRoute, redirect
from vinculo.web.session import checked_form, web_actor
from vinculo.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _page(request: Request, actor: Actor, status: int = 200, problem: str | None = None) -> Response:
    node = request.app.state.node
    items = service.list_items(node, actor, 100)
    return render(request, "notifications.html", status=status, items=items, unread=service.unread(node, actor),
                  subscriptions=service.list_subscriptions(node, actor), problem=problem)


@router.get("/notifications")
def notifications_page(request: Request, actor: Actor = Depends(web_actor)) -> Response:  # noqa: B008
    return _page(request, actor)


@router.get("/notifications/stream")
async def notifications_stream(request: Request):
    actor = await run_in_threadpool(web_actor, request)
    return open_stream(request, request.app.state.node, actor)


@router.post("/notifications/read")
async def mark_read(request: Request, form: FormData = Depends(checked_form)) -> Response:  # noqa: B008
    actor = await run_in_threadpool(web_actor, request)
    ids = [int(i) for i in form.getlist("id") if str(i).isdigit()][:1000] or None
    await run_in_threadpool(service.mark_read, request.app.state.node, actor, ids)
    return redirect(request, "/notifications")


def _values(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in str(form.get(name) or "").split(",") if v.strip()][:20]


@router.post("/notifications/subscriptions")
async def subscribe(request: Request, form: FormData = Depends(checked_form)) -> Response:  # noqa: B008
    actor = await run_in_threadpool(web_actor, request)
    wanted = {"type": _values(form, "type"), "substance": _values(form, "substance"),
              "country": _values(form, "country"), "origin": _values(form, "origin")}
    quiet = [str(form.get("quiet_start") or ""), str(form.get("quiet_end") or "")]
    body = {"kind": str(form.get("kind") or "records"), "mode": str(form.get("mode") or "immediate"),
            "filter": {k: v for k, v in wanted.items() if v}, "channels": form.getlist("channel") or ["inapp"],
            "email": str(form.get("email") or "") or None, "only_new": form.get("all_versions") is None,
            "quiet_start": int(quiet[0]) if quiet[0].isdigit() else None,
            "quiet_end": int(quiet[1]) if quiet[1].isdigit() else None}
    try:
        await run_in_threadpool(service.subscribe, request.app.state.node, actor, body)
    except (RecordInvalid, Forbidden) as exc:
        problem = str(exc)
        return await run_in_threadpool(lambda: _page(request, actor, 422, problem))
    return redirect(request, "/notifications")


@router.post("/notifications/subscriptions/{sub_id}/end")
async def unsubscribe(sub_id: int, request: Request, form: FormData = Depends(checked_form)) -> Response:  # noqa: B008
    actor = await run_in_threadpool(web_actor, request)
    await run_in_threadpool(service.unsubscribe, request.app.state.node, actor, sub_id)
    return redirect(request, "/notifications")

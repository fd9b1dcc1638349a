"""The alerts page: correlation alerts between local records, deconfliction notices from private matching
(PSI), and the matching runs with their approval (the same services as /api/v1/alerts and /api/v1/psi/runs;
the services decide what is shown through release(), and who may approve)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from vinculo.accounts.model import Actor
from vinculo.deconfliction import alerts, psi_service
from vinculo.deconfliction.psi_channel import PsiChannelError, PsiRateLimited
from vinculo.deconfliction.psi_messages import PsiError, PsiRefused
from vinculo.web.common import WebRoute, redirect
from vinculo.web.session import checked_form, web_actor
from vinculo.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = 100


def _status(exc: PsiError) -> int:
    if isinstance(exc, PsiRateLimited):
        return 429
    if isinstance(exc, PsiRefused):
        return 409
    return 502 if isinstance(exc, PsiChannelError) else 400


def counts(run: dict) -> list[dict]:
    """Per key family: our set size, the partner's, and the overlap (counts) or hits found (presentation only)."""
    result = run["result"]
    if "kinds" in result:  # started here
        return [{"kind": k, "mine": e.get("mine"), "theirs": e.get("theirs"), "found": e.get("hits", e.get("overlap"))}
                for k, e in result["kinds"].items()]
    stage = result.get("stages", {}).get(run["stage"], {})
    done = stage.get("kinds", {})
    return [{"kind": k, "mine": stage.get("mine", {}).get(k), "theirs": n,
             "found": done.get(k, {}).get("hits", done.get(k, {}).get("overlap"))}
            for k, n in stage.get("theirs", {}).items()]


def _page(request: Request, actor: Actor, status: int = 200, **extra: object) -> Response:
    node = request.app.state.node
    found, more = alerts.list_alerts(node, actor, PAGE)
    notices = alerts.list_notices(node, actor, PAGE)
    runs = [r | {"approvable": psi_service.may_approve(actor, r), "waiting": psi_service.awaiting_approval(r),
                 "counts": counts(r), "error": r["result"].get("error")}
            for r in psi_service.list_runs_for(node, actor, PAGE)]
    return render(request, "alerts.html", status=status, alerts=found, more=more is not None, notices=notices,
                  runs=runs, **extra)


@router.get("/alerts")
def alerts_page(request: Request, approved: str | None = None, actor: Actor = Depends(web_actor)) -> Response:
    return _page(request, actor, approved=approved, failure=None)


@router.post("/alerts/runs/{run_id}/approve")
async def approve(run_id: str, request: Request, form: FormData = Depends(checked_form)) -> Response:
    """A supervisor approves a counted run: the intersection stage runs with the partner (`vinculo psi approve`)."""
    actor = await run_in_threadpool(web_actor, request)
    node = request.app.state.node
    try:
        await run_in_threadpool(psi_service.approve_run, node, actor, run_id)
    except PsiError as exc:
        status, failure = _status(exc), {"run": run_id, "message": str(exc)}
    else:
        return redirect(request, f"/alerts?approved={run_id}#runs-h")
    return await run_in_threadpool(lambda: _page(request, actor, status, approved=None, failure=failure))


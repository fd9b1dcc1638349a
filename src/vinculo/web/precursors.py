"""Pre-export notification pages: the list (with the watch view by company, country or substance) and one
notification with the answers of both sides and the forms to answer or record the outcome (the same
services as /api/v1/precursors)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from vinculo.accounts.model import Actor
from vinculo.cases.kinds import MACHINES, CaseKind
from vinculo.cases.machine import InvalidTransition
from vinculo.cases.preexport import ANSWERS
from vinculo.precursors import service
from vinculo.records.model import RecordInvalid
from vinculo.records.service import Forbidden
from vinculo.web.common import WebRoute, redirect
from vinculo.web.session import checked_form, web_actor
from vinculo.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
MACHINE = MACHINES[CaseKind.PRE_EXPORT_NOTIFICATION]


@router.get("/precursors")
def notifications(request: Request, direction: str = "", company: str = "", substance: str = "",
                  overdue: bool = False, by: str = "company", actor: Actor = Depends(web_actor)) -> Response:
    node = request.app.state.node
    f = service.PenFilters(direction=direction or None, company=company[:200] or None,
                           substance=substance[:200] or None, overdue=overdue)
    items = service.list_notifications(node, actor, f)
    groups = service.watch(node, actor, by if by in ("company", "country", "substance") else "company")
    return render(request, "precursors.html", items=items, groups=groups, by=by, direction_q=direction,
                  company_q=company, substance_q=substance, overdue_q=overdue)


def _detail(request: Request, actor: Actor, case_id: str, error: str | None = None, status: int = 200) -> Response:
    node = request.app.state.node
    s = service.get_notification(node, actor, case_id)
    side = {"sent": "exporter", "received": "importer"}.get(s["direction"])
    return render(request, "precursor.html", status=status, s=s, error=error,
                  answers=[a for a, (_, _, who) in ANSWERS.items() if who == side],
                  outcomes=list(MACHINE.transitions[s["state"]]) if side == "exporter" else [],
                  may_write=actor.may("records.write"))


@router.get("/precursors/{case_id}")
def notification(case_id: str, request: Request, actor: Actor = Depends(web_actor)) -> Response:
    return _detail(request, actor, case_id)


@router.post("/precursors/{case_id}/answer")
async def answer(case_id: str, request: Request, form: FormData = Depends(checked_form)) -> Response:
    actor = await run_in_threadpool(web_actor, request)
    what, text = str(form.get("answer") or ""), str(form.get("text") or "").strip()
    try:
        await run_in_threadpool(service.answer, request.app.state.node, actor, case_id, what, text)
    except (RecordInvalid, Forbidden) as exc:
        return await run_in_threadpool(_detail, request, actor, case_id, str(exc), 422)
    return redirect(request, f"/precursors/{case_id}")


@router.post("/precursors/{case_id}/outcome")
async def outcome(case_id: str, request: Request, form: FormData = Depends(checked_form)) -> Response:
    actor = await run_in_threadpool(web_actor, request)
    values = {k: str(form.get(k) or "").strip() for k in ("outcome", "date", "reason", "seizure")}
    try:
        await run_in_threadpool(service.record_outcome, request.app.state.node, actor, case_id,
                                values["outcome"], values["date"], values["reason"], values["seizure"] or None)
    except (InvalidTransition, RecordInvalid, Forbidden) as exc:
        return await run_in_threadpool(_detail, request, actor, case_id, str(exc), 422)
    return redirect(request, f"/precursors/{case_id}")

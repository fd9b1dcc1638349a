"""Case pages: the board by stage, a case with the timeline of both sides, and the forms to open, advance
and answer a case (the same services as /api/v1/cases; the state machines decide, not the page)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from vinculo.accounts.model import Actor
from vinculo.cases import service
from vinculo.cases.kinds import MACHINES, CaseKind
from vinculo.cases.machine import InvalidTransition
from vinculo.records import service as records
from vinculo.records import vocabulary
from vinculo.records.model import FieldError, RecordInvalid
from vinculo.records.service import Forbidden
from vinculo.sharing.markings import TLP
from vinculo.web.common import WebRoute, redirect
from vinculo.web.session import checked_form, web_actor
from vinculo.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
OPEN_FIELDS = (
    "kind",
    "date",
    "requesting_country",
    "requested_country",
    "reference",
    "subject",
    "treaty",
    "reason",
)


def _stage_order() -> dict[str, int]:
    order: dict[str, int] = {}
    for machine in MACHINES.values():
        for i, state in enumerate(machine.transitions):
            order[state] = min(order.get(state, i), i)
    return order


def board(cases: list[dict]) -> tuple[list[tuple[str, list[dict]]], list[dict]]:
    """Open cases in columns by stage (in the order the machines reach them), and the closed ones."""
    order = _stage_order()
    columns: dict[str, list[dict]] = {}
    for c in cases:
        if not c["closed"]:
            columns.setdefault(c["state"], []).append(c)
    ranked = sorted(columns.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))
    return ranked, [c for c in cases if c["closed"]]


@router.get("/cases")
def case_board(
    request: Request,
    kind: str = "",
    partner: str = "",
    overdue: bool = False,
    actor: Actor = Depends(web_actor),
) -> Response:
    node = request.app.state.node
    filters = service.CaseFilters(overdue=overdue, partner=partner or None, kind=kind or None)
    cases = service.list_cases(node, actor, filters)
    columns, closed = board(cases)
    return render(
        request,
        "cases.html",
        columns=columns,
        closed=closed,
        total=len(cases),
        overdue_count=sum(bool(c["overdue"]) for c in cases),
        kinds=[k.value for k in CaseKind],
        kind_q=kind,
        partner_q=partner,
        overdue_q=overdue,
    )


def _open_form(request: Request, values: dict, errors: list[FieldError], status: int = 200) -> Response:
    placed = {e.field: e.reason for e in errors}
    rest = [str(e) for e in errors if e.field not in OPEN_FIELDS and e.field != "markings.tlp"]
    return render(
        request,
        "case_new.html",
        status=status,
        values=values,
        errors=placed,
        other_errors=rest,
        kinds=[k.value for k in CaseKind],
        tlps=[t.value for t in TLP],
        countries=[(c.alpha2, c.name) for c in vocabulary.countries()],
    )


@router.get("/cases/new")
def new_case(request: Request, actor: Actor = Depends(web_actor)) -> Response:
    if not actor.may("records.write"):
        raise Forbidden(f"role {actor.role} may not open cases")
    node = request.app.state.node
    return _open_form(
        request,
        {
            "date": dt.date.today().isoformat(),
            "requesting_country": node.country or "",
            "markings.tlp": "amber",
        },
        [],
    )


@router.post("/cases/new")
async def create_case(request: Request, form: FormData = Depends(checked_form)) -> Response:
    actor = await run_in_threadpool(web_actor, request)
    values = {k: str(form.get(k) or "").strip() for k in (*OPEN_FIELDS, "markings.tlp")}
    data = {k: v for k, v in values.items() if v and k in OPEN_FIELDS}
    try:
        record = await run_in_threadpool(
            service.open_case, request.app.state.node, actor, data, {"tlp": values["markings.tlp"] or "amber"}
        )
    except RecordInvalid as exc:
        return _open_form(request, values, exc.errors, 422)
    return redirect(request, f"/cases/{record.id}")


def timeline(case: dict, answers: list[dict]) -> list[dict]:
    """Both sides in date order: the case's transitions and events (by its origin) and the answers."""
    body, origin = case["body"], case["origin"]
    items = [
        {
            "at": t["at"],
            "side": origin,
            "what": "transition",
            "from": t.get("from_state"),
            "to": t["to_state"],
            "text": t["reason"],
        }
        for t in body.get("history", [])
    ]
    items += [
        {"at": e["at"], "side": origin, "what": "event", "to": e["name"], "text": e.get("note") or ""}
        for e in body.get("events", [])
    ]
    items += [
        {
            "at": a["created"],
            "side": a["origin"],
            "what": "answer",
            "kind": a["body"].get("kind", "note"),
            "text": a["body"].get("text", ""),
            "id": a["id"],
        }
        for a in answers
    ]
    return sorted(items, key=lambda i: (i["at"][:10], i["what"] != "transition", i["at"]))


def _detail(
    request: Request,
    actor: Actor,
    case_id: str,
    errors: dict | None = None,
    values: dict | None = None,
    status: int = 200,
) -> Response:
    node = request.app.state.node
    found = service.get_case(node, actor, case_id)
    return render(
        request,
        "case.html",
        status=status,
        c=found["case"],
        s=found["summary"],
        deadlines=found["deadlines"],
        events=timeline(found["case"], found["answers"]),
        errors=errors or {},
        values=values or {"date": dt.date.today().isoformat()},
        answer_kinds=service.ANSWER_KINDS,
        may_write=actor.may("records.write"),
        may_advance=not found["summary"]["closed"]
        and records.changeable(node, actor, found["case"]["origin"], found["case"]["revoked"]),
    )


@router.get("/cases/{case_id}")
def case_page(case_id: str, request: Request, actor: Actor = Depends(web_actor)) -> Response:
    return _detail(request, actor, case_id)


@router.post("/cases/{case_id}/advance")
async def advance(case_id: str, request: Request, form: FormData = Depends(checked_form)) -> Response:
    actor = await run_in_threadpool(web_actor, request)
    values = {k: str(form.get(k) or "").strip() for k in ("to", "date", "reason")}
    try:
        await run_in_threadpool(
            service.advance_case,
            request.app.state.node,
            actor,
            case_id,
            values["to"],
            values["date"],
            values["reason"],
        )
    except InvalidTransition as exc:
        errors = {"to": {"message": str(exc), "allowed": exc.allowed}}
        return await run_in_threadpool(_detail, request, actor, case_id, errors, values, 422)
    except RecordInvalid as exc:
        errors = {e.field if e.field != "at" else "date": {"message": e.reason} for e in exc.errors}
        return await run_in_threadpool(_detail, request, actor, case_id, errors, values, 422)
    return redirect(request, f"/cases/{case_id}")


@router.post("/cases/{case_id}/answer")
async def answer(case_id: str, request: Request, form: FormData = Depends(checked_form)) -> Response:
    actor = await run_in_threadpool(web_actor, request)
    text, kind = str(form.get("text") or "").strip(), str(form.get("kind") or "response")
    try:
        await run_in_threadpool(service.answer_case, request.app.state.node, actor, case_id, text, kind)
    except RecordInvalid as exc:
        errors = {("answer_" + e.field): {"message": e.reason} for e in exc.errors}
        return await run_in_threadpool(_detail, request, actor, case_id, errors, {"answer_text": text}, 422)
    return redirect(request, f"/cases/{case_id}")

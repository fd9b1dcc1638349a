"""/api/v1/cases and /api/v1/scorecard: cases between states, their deadlines, alerts and the scorecard."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as Path_
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from vinculo.accounts.model import Actor
from vinculo.api.deps import current_actor, get_node
from vinculo.api.problems import problem
from vinculo.cases import service
from vinculo.cases.machine import InvalidTransition
from vinculo.cases.scorecard_service import scorecard as compute_scorecard
from vinculo.node.context import Node

router = APIRouter(prefix="/api/v1", tags=["cases"])


class CaseIn(BaseModel):
    case: dict[str, Any] = Field(description="kind, date, requesting_country, requested_country, and optional "
                                             "treaty, reference, subject, subject_refs, charges, nationality, "
                                             "red_notice, death_penalty_possible, requesting_node, requested_node, "
                                             "params, reason")
    markings: dict[str, Any] | None = None


class AdvanceIn(BaseModel):
    to: str
    date: dt.date
    reason: str = Field(min_length=1, max_length=500)


class EventIn(BaseModel):
    name: str
    date: dt.date
    note: str = ""


class AssuranceIn(BaseModel):
    kind: str = "death_penalty"
    date: dt.date
    by: str
    text: str = ""


class AnswerIn(BaseModel):
    text: str = Field(min_length=1, max_length=20000)
    kind: str = "response"
    markings: dict[str, Any] | None = None


def _doc(record) -> dict:
    return record.document() | {"seq": record.seq}


def _refused(request: Request, exc: InvalidTransition) -> JSONResponse:
    return problem(409, str(exc), request, allowed_next=exc.allowed, state=exc.from_state, to=exc.to)


@router.post("/cases", status_code=201)
def open_case(data: CaseIn, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    return _doc(service.open_case(node, actor, data.case, data.markings))


@router.get("/cases")
def list_cases(overdue: bool = False, stage: str | None = None, partner: str | None = None,
               country: str | None = None, kind: str | None = None, open: bool = False,
               today: dt.date | None = None, node: Node = Depends(get_node),
               actor: Actor = Depends(current_actor)) -> dict:
    filters = service.CaseFilters(overdue, stage, partner, country, kind, open)
    return {"items": service.list_cases(node, actor, filters, today)}


@router.get("/cases/alerts")
def alerts(today: dt.date | None = None, within: int = Query(0, ge=0, le=365), partner: str | None = None,
           node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    return {"alerts": service.case_alerts(node, actor, today, within, partner)}


@router.get("/cases/{case_id}")
def show(case_id: str, today: dt.date | None = None, node: Node = Depends(get_node),
         actor: Actor = Depends(current_actor)) -> dict:
    return service.get_case(node, actor, case_id, today)


@router.get("/cases/{case_id}/deadlines")
def case_deadlines(case_id: str, today: dt.date | None = None, node: Node = Depends(get_node),
                   actor: Actor = Depends(current_actor)) -> dict:
    return {"case": case_id, "deadlines": service.case_deadlines(node, actor, case_id, today)}


@router.post("/cases/{case_id}/advance", response_model=None)
def advance(case_id: str, data: AdvanceIn, request: Request, node: Node = Depends(get_node),
            actor: Actor = Depends(current_actor)) -> dict | JSONResponse:
    try:
        return _doc(service.advance_case(node, actor, case_id, data.to, data.date, data.reason))
    except InvalidTransition as exc:
        return _refused(request, exc)


@router.post("/cases/{case_id}/events")
def event(case_id: str, data: EventIn, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    return _doc(service.record_case_event(node, actor, case_id, data.name, data.date, data.note))


@router.post("/cases/{case_id}/assurances", response_model=None)
def assurance(case_id: str, data: AssuranceIn, node: Node = Depends(get_node),
              actor: Actor = Depends(current_actor)) -> dict:
    return _doc(service.add_case_assurance(node, actor, case_id, data.kind, data.date, data.by, data.text))


@router.post("/cases/{case_id}/answers", status_code=201)
def answer(case_id: str, data: AnswerIn, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    return _doc(service.answer_case(node, actor, case_id, data.text, data.kind, data.markings))


@router.get("/scorecard/plot.{fmt}", response_model=None)
def scorecard_plot(fmt: str = Path_(..., pattern="^(png|svg)$"), partner: str = Query(...),
                   period: str = Query(...), chart: str = Query("shared", description="shared, requests or extradition"),
                   today: dt.date | None = None, node: Node = Depends(get_node),
                   actor: Actor = Depends(current_actor)) -> Response:
    """A scorecard trend plot as PNG or SVG (the figures of GET /scorecard, month by month)."""
    from vinculo.cases import plots  # matplotlib loads on the first plot

    if chart not in plots.CHARTS:
        raise ValueError(f"chart: one of {', '.join(plots.CHARTS)}, not {chart!r}")
    card = compute_scorecard(node, actor, partner, period, today)
    media = "image/png" if fmt == "png" else "image/svg+xml"
    return Response(plots.render(card, chart, fmt), media_type=media)


@router.get("/scorecard")
def scorecard(partner: str, period: str, today: dt.date | None = None, node: Node = Depends(get_node),
              actor: Actor = Depends(current_actor)) -> dict:
    return compute_scorecard(node, actor, partner, period, today)

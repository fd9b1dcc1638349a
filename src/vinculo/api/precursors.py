"""/api/v1/precursors: control status of chemicals and pre-export notifications (notify, answer, outcome,
list, alerts, watch, scorecard figures)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from vinculo.accounts.model import Actor
from vinculo.api.deps import current_actor, get_node
from vinculo.api.problems import problem
from vinculo.cases.machine import InvalidTransition
from vinculo.cases.preexport import ANSWERS, MAX_REPLY_DAYS, OUTCOMES
from vinculo.node.context import Node
from vinculo.precursors import incidents, service
from vinculo.records.control import control_status, statuses

router = APIRouter(prefix="/api/v1/precursors", tags=["precursors"])
_Day = Query(None, description="Evaluate deadlines as of this date (default today).")


class NotifyIn(BaseModel):
    shipment: str = Field(max_length=100, description="The shipment record the notification is made from.")
    importer_node: str = Field(max_length=64)
    reply_days: int | None = Field(default=None, ge=1, le=MAX_REPLY_DAYS)
    date: dt.date | None = None
    reference: str | None = Field(default=None, max_length=500)
    fields: dict[str, Any] | None = Field(default=None, description="consignee, addresses, phones, route, "
                                                                    "ship_date, arrival_date, purpose ...")
    markings: dict[str, Any] | None = None


class AnswerIn(BaseModel):
    answer: str = Field(description=", ".join(ANSWERS))
    text: str = Field(default="", max_length=10_000)
    markings: dict[str, Any] | None = None


class OutcomeIn(BaseModel):
    outcome: str = Field(description=", ".join(OUTCOMES))
    date: dt.date
    reason: str = Field(min_length=1, max_length=500)
    seizure: str | None = Field(default=None, max_length=100)


def _doc(record) -> dict:
    return record.document() | {"seq": record.seq}


@router.get("/control")
def control(substance: str | None = Query(None, max_length=200)) -> dict:
    """Where each chemical is controlled (1988 Convention, US, Mexico, INCB watch), or one substance."""
    if substance is None:
        return {"items": [s.as_dict() for s in statuses()]}
    status = control_status(substance)
    return {"items": [status.as_dict()] if status else []}


@router.post("/notifications", status_code=201)
def notify(data: NotifyIn, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    return _doc(service.notify(node, actor, data.shipment, data.importer_node, reply_days=data.reply_days,
                               on=data.date.isoformat() if data.date else None, fields=data.fields,
                               markings=data.markings, reference=data.reference))


@router.get("/notifications")
def list_notifications(direction: str | None = Query(None, max_length=10),
                       company: str | None = Query(None, max_length=200),
                       country: str | None = Query(None, max_length=2),
                       substance: str | None = Query(None, max_length=200), overdue: bool = False,
                       open_only: bool = Query(False, alias="open"), today: dt.date | None = _Day,
                       node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    f = service.PenFilters(direction, company, country, substance, overdue, open_only)
    return {"items": service.list_notifications(node, actor, f, today)}


@router.get("/notifications/{case_id}")
def show(case_id: str, today: dt.date | None = _Day, node: Node = Depends(get_node),
         actor: Actor = Depends(current_actor)) -> dict:
    return service.get_notification(node, actor, case_id, today)


@router.post("/notifications/{case_id}/answers", status_code=201)
def answer(case_id: str, data: AnswerIn, node: Node = Depends(get_node),
           actor: Actor = Depends(current_actor)) -> dict:
    return _doc(service.answer(node, actor, case_id, data.answer, data.text, data.markings))


@router.post("/notifications/{case_id}/outcome", response_model=None)
def outcome(case_id: str, data: OutcomeIn, request: Request, node: Node = Depends(get_node),
            actor: Actor = Depends(current_actor)) -> dict | JSONResponse:
    try:
        return _doc(service.record_outcome(node, actor, case_id, data.outcome, data.date, data.reason,
                                           data.seizure))
    except InvalidTransition as exc:
        return problem(409, str(exc), request, allowed_next=exc.allowed, state=exc.from_state, to=exc.to)


@router.get("/alerts")
def alerts(today: dt.date | None = _Day, node: Node = Depends(get_node),
           actor: Actor = Depends(current_actor)) -> dict:
    return {"items": service.alerts(node, actor, today)}


@router.get("/watch")
def watch(by: str = Query("company", max_length=20), today: dt.date | None = _Day,
          node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    return {"by": by, "items": service.watch(node, actor, by, today)}


@router.get("/scorecard")
def scorecard(partner: str = Query(..., max_length=64), start: dt.date = Query(...), end: dt.date = Query(...),
              today: dt.date | None = _Day, node: Node = Depends(get_node),
              actor: Actor = Depends(current_actor)) -> dict:
    return {"partner": partner, "start": start.isoformat(), "end": end.isoformat(),
            **service.figures(node, actor, partner, start, end, today)}


class IncidentIn(BaseModel):
    record: str = Field(max_length=100, description="The stopped/suspicious shipment or the seizure.")
    fields: dict[str, Any] | None = Field(default=None, description="modus_operandi, concealment, companies, "
                                                                    "route ... (PICS fields)")
    text: str = Field(default="", max_length=10_000)
    markings: dict[str, Any] | None = None


@router.post("/incidents", status_code=201)
def report_incident(data: IncidentIn, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    """Report a shipment or seizure of a controlled chemical as an incident; says who will receive it."""
    return incidents.report_incident(node, actor, data.record, data.fields, data.text, data.markings)


@router.get("/incidents")
def list_incidents(node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    return {"items": incidents.list_incidents(node, actor)}

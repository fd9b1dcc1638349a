"""The dashboard page: seizure trends by substance and month, a map of US and Mexican states, partner records."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from vinculo.accounts.model import Actor
from vinculo.cases import service as cases
from vinculo.deconfliction import alerts
from vinculo.federation import overview
from vinculo.records import dashboard, vocabulary
from vinculo.web import charts, maps
from vinculo.web.common import WebRoute
from vinculo.web.session import web_actor
from vinculo.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
ALERTS_SHOWN = 100  # the dashboard counts up to this many alerts the user may see ("100+" beyond)


def substance_name(code: str | None) -> str | None:
    found = vocabulary.substance(code) if code else None
    return found.name if found else code


@router.get("/")
def home(request: Request, actor: Actor = Depends(web_actor)) -> Response:
    node = request.app.state.node
    counts = dashboard.counts(node, actor)
    trends = [(substance_name(t.substance), t, charts.bars(t.series, counts.months)) for t in counts.trends]
    state_maps = [maps.state_map(c, counts.areas.get("seizure", {}), counts.areas.get("lab", {}))
                  for c in dashboard.MAP_COUNTRIES] if counts.readable else []
    partner_records = dashboard.recent_partner_records(node, actor)
    overdue = cases.case_alerts(node, actor) if actor.may("records.read") else None
    readable = actor.may("records.read")
    open_alerts, more_alerts = alerts.list_alerts(node, actor, ALERTS_SHOWN) if readable else ([], None)
    partner_status = overview.partners_overview(node, actor) if not readable and actor.may("partners.read") else []
    return render(request, "dashboard.html", counts=counts, trends=trends, state_maps=state_maps,
                  partner_records=partner_records, partner_status=partner_status, readable=readable, overdue=overdue, open_alerts=len(open_alerts),
                  more_alerts=more_alerts is not None)

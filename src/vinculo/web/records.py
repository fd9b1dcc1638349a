"""Record pages: search and list (cursor paging), detail with versions, markings, links and release preview."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from vinculo.accounts.model import Actor
from vinculo.api.params import Cursor
from vinculo.federation.provenance import origin_signature
from vinculo.records import service, vocabulary
from vinculo.records.links import linked_records
from vinculo.records.model import ID_RE, RecordInvalid
from vinculo.records.query import build_filters
from vinculo.records.types import RECORD_TYPES
from vinculo.sharing.markings import TLP
from vinculo.web.common import WebRoute
from vinculo.web.session import web_actor
from vinculo.web.templating import is_htmx, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = 25
FILTERS = ("type", "substance", "country", "from", "to", "origin", "tlp", "text")


def choices() -> dict:
    return {"types": RECORD_TYPES, "tlps": [t.value for t in TLP],
            "substances": [(s.code, s.name) for s in vocabulary.substances()],
            "countries": [(c.alpha2, c.name) for c in vocabulary.countries()]}


@router.get("/records")
def record_list(request: Request, cursor: Cursor = None, actor: Actor = Depends(web_actor)) -> Response:
    given = {k: (request.query_params.get(k) or "").strip() for k in FILTERS}
    node = request.app.state.node
    errors: list = []
    page = None
    try:
        filters = build_filters(given["type"] or None, given["country"] or None, given["substance"] or None,
                                given["from"] or None, given["to"] or None, given["text"] or None,
                                given["origin"] or None, given["tlp"] or None)
        page = service.list_records(node, actor, filters, cursor, PAGE)
    except RecordInvalid as exc:
        errors = exc.errors
    query = urlencode({k: v for k, v in given.items() if v})
    context = dict(given=given, page=page, errors={e.field: e.reason for e in errors}, query=query,
                   cursor=cursor, **choices())
    if is_htmx(request) and request.headers.get("hx-target") == "results":
        return render(request, "partials/record_results.html", **context)
    return render(request, "records.html", **context)


def is_ref(value: object) -> bool:
    return isinstance(value, str) and bool(ID_RE.match(value))


@router.get("/records/{record_id}")
def record_detail(record_id: str, request: Request, actor: Actor = Depends(web_actor)) -> Response:
    node = request.app.state.node
    record, decision = service.get_record(node, actor, record_id)
    versions = service.history(node, actor, record_id)
    links = linked_records(node, actor, record_id)
    return render(request, "record.html", record=record, view=decision.view, decision=decision,
                  versions=list(reversed(versions)), links=links, is_ref=is_ref,
                  signature=origin_signature(node, record),
                  changeable=service.changeable(node, actor, record.origin, record.revoked),
                  may_note=actor.may("records.write"))


@router.get("/records/{record_id}/release")
def record_release(record_id: str, request: Request, actor: Actor = Depends(web_actor)) -> Response:
    preview = service.preview_stored(request.app.state.node, actor, record_id)
    return render(request, "partials/release_preview.html", preview=preview, problems=[])

"""Create and edit forms for every record type, and the release preview of a draft (HTMX)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from vinculo.accounts.model import Actor
from vinculo.api.params import token
from vinculo.node.context import Node
from vinculo.records import service, vocabulary
from vinculo.records.model import FieldError, RecordInvalid
from vinculo.records.types import BODY_TYPES, RECORD_TYPES
from vinculo.store.tables import partners
from vinculo.web import forms
from vinculo.web.common import WebRoute, redirect
from vinculo.web.session import checked_form, web_actor
from vinculo.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _partners(node: Node) -> list[str]:
    with node.engine.connect() as conn:
        return [r.node_id for r in conn.execute(select(partners.c.node_id).where(partners.c.disabled.is_(False))
                                                .order_by(partners.c.node_id))]


def _type(value: str) -> str:
    if value not in BODY_TYPES:
        raise RecordInvalid([FieldError("type", f"unknown record type {value!r}; one of {', '.join(RECORD_TYPES)}")])
    return value


def _page(request: Request, record_type: str, values: dict, errors: list[FieldError], record: dict | None,
          status: int = 200) -> Response:
    node = request.app.state.node
    body_inputs = forms.body_inputs(record_type)
    mark_inputs = forms.marking_inputs(_partners(node))
    unplaced = forms.fill(body_inputs + mark_inputs, values, errors)
    return render(request, "record_form.html", status=status, record_type=record_type, body_inputs=body_inputs,
                  mark_inputs=mark_inputs, unplaced=unplaced, record=record, types=RECORD_TYPES,
                  substances=[(s.code, s.name) for s in vocabulary.substances()], preview=None)


def _read_form(request: Request, record_type: str, form: FormData, keep: dict | None) -> tuple[dict, dict]:
    node = request.app.state.node
    body = forms.parse(forms.body_inputs(record_type), form, form.getlist, keep)
    marks = forms.parse(forms.marking_inputs(_partners(node)), form, form.getlist).get("markings", {})
    return body, marks


def _values(form: FormData) -> dict[str, str]:
    return {k: "\n".join(str(v) for v in form.getlist(k)) for k in form.keys()}


@router.get("/records/new")
def new_form(request: Request, type: str = "seizure", about: str = "", actor: Actor = Depends(web_actor)) -> Response:
    values = {"markings.tlp": "amber", "markings.handling": "H0", "markings.reliability": "X",
              "markings.accuracy": "4"}
    if about and type == "note":  # a note about another record (a partner's): shared back to its origin
        record, _ = service.get_record(request.app.state.node, actor, about)
        values |= {"about_refs": record.id, "kind": "confirmation"}
        if record.origin in _partners(request.app.state.node):
            values["markings.partners"] = record.origin
    return _page(request, _type(type), values, [], None)


@router.post("/records/new")
async def create(request: Request, form: FormData = Depends(checked_form)) -> Response:
    actor = await run_in_threadpool(web_actor, request)
    record_type = _type(str(form.get("type", "")))
    body, marks = _read_form(request, record_type, form, None)
    try:
        record = await run_in_threadpool(service.create_record, request.app.state.node, actor, record_type, body, marks)
    except RecordInvalid as exc:
        return _page(request, record_type, _values(form), exc.errors, None, status=422)
    return redirect(request, f"/records/{record.id}")


@router.get("/records/{record_id}/edit")
def edit_form(record_id: str, request: Request, actor: Actor = Depends(web_actor)) -> Response:
    record, decision = service.get_record(request.app.state.node, actor, record_id)
    view = decision.view or {}
    values = forms.values_of(view.get("body", {}), view.get("markings"))
    return _page(request, record.type, values, [], {"id": record.id, "version": record.version})


@router.post("/records/{record_id}/edit")
async def save(record_id: str, request: Request, form: FormData = Depends(checked_form)) -> Response:
    actor = await run_in_threadpool(web_actor, request)
    node = request.app.state.node
    record, decision = await run_in_threadpool(service.get_record, node, actor, record_id)
    body, marks = _read_form(request, record.type, form, (decision.view or {}).get("body", {}))
    expected = str(form.get("expected_version", ""))
    try:
        await run_in_threadpool(service.update_record, node, actor, record_id, body, marks,
                                token(expected, "expected_version", lo=1))
    except RecordInvalid as exc:
        return _page(request, record.type, _values(form), exc.errors, {"id": record.id, "version": record.version},
                     status=422)
    return redirect(request, f"/records/{record_id}")


@router.post("/records/preview")
async def preview(request: Request, form: FormData = Depends(checked_form)) -> Response:
    """Who would receive this draft, and which fields each partner would see (before saving)."""
    actor = await run_in_threadpool(web_actor, request)
    node = request.app.state.node
    record_type = _type(str(form.get("type", "")))
    keep = None
    record_id = str(form.get("record_id", ""))
    if record_id:
        _, decision = await run_in_threadpool(service.get_record, node, actor, record_id)
        keep = (decision.view or {}).get("body", {})
    body, marks = _read_form(request, record_type, form, keep)
    try:
        result = await run_in_threadpool(service.preview_draft, node, actor, record_type, body, marks)
    except RecordInvalid as exc:
        return render(request, "partials/release_preview.html", preview=None, problems=[str(e) for e in exc.errors])
    return render(request, "partials/release_preview.html", preview=result, problems=[])

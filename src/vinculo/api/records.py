"""/api/v1/records: create, read, list, new version, revoke, history, release preview."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from vinculo.accounts.model import Actor
from vinculo.api.deps import current_actor, get_node
from vinculo.api.params import Cursor, Version
from vinculo.federation.provenance import origin_signature
from vinculo.node.context import Node
from vinculo.records import service
from vinculo.records.control import flag
from vinculo.records.query import build_filters

router = APIRouter(prefix="/api/v1", tags=["records"])


class RecordIn(BaseModel):
    type: str
    body: dict[str, Any]
    markings: dict[str, Any] | None = None


class VersionIn(BaseModel):
    body: dict[str, Any]
    markings: dict[str, Any] | None = None
    expected_version: Version | None = Field(default=None, description="Refuse if the record moved on (409).")


class RevokeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


def _filter_params(type: str | None = None, country: str | None = None, substance: str | None = None,
                   date_from: str | None = Query(None, alias="from"), date_to: str | None = Query(None, alias="to"),
                   text: str | None = None, origin: str | None = None, tlp: str | None = None):  # noqa: ANN202
    return build_filters(type, country, substance, date_from, date_to, text, origin, tlp)


@router.post("/records", status_code=201)
def create(data: RecordIn, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    record = service.create_record(node, actor, data.type, data.body, data.markings)
    return record.document() | {"seq": record.seq}


@router.get("/records")
def list_records(filters=Depends(_filter_params), cursor: Cursor = None,  # noqa: ANN001
                 limit: int = Query(50, ge=1, le=service.MAX_PAGE), node: Node = Depends(get_node),
                 actor: Actor = Depends(current_actor)) -> dict:
    page = service.list_records(node, actor, filters, cursor, limit)
    return {"items": [_flagged(v) for v in page.items], "next_cursor": page.next_cursor}


def _flagged(view: dict) -> dict:
    """A shipment or seizure of a controlled or watched chemical carries ``control`` (from its released body)."""
    mark = flag(view.get("type", ""), view.get("body"))
    return view | {"control": mark} if mark else view


@router.get("/records/count")
def count(filters=Depends(_filter_params), node: Node = Depends(get_node),  # noqa: ANN001
          actor: Actor = Depends(current_actor)) -> dict:
    return {"count": service.count_records(node, actor, filters)}


@router.post("/release-preview")
def preview_draft(data: RecordIn, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    return service.preview_draft(node, actor, data.type, data.body, data.markings)


@router.get("/records/{record_id}")
def read(record_id: str, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    _, decision = service.get_record(node, actor, record_id)
    return _flagged(decision.view) | {"release": {"withheld": list(decision.withheld), "reasons": list(decision.reasons)}}


@router.put("/records/{record_id}")
def new_version(record_id: str, data: VersionIn, node: Node = Depends(get_node),
                actor: Actor = Depends(current_actor)) -> dict:
    record = service.update_record(node, actor, record_id, data.body, data.markings, data.expected_version)
    return record.document() | {"seq": record.seq}


@router.post("/records/{record_id}/revoke")
def revoke(record_id: str, data: RevokeIn, node: Node = Depends(get_node),
           actor: Actor = Depends(current_actor)) -> dict:
    record = service.revoke_record(node, actor, record_id, data.reason)
    return record.document() | {"seq": record.seq}


@router.get("/records/{record_id}/versions")
def versions(record_id: str, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    return {"id": record_id, "versions": service.history(node, actor, record_id)}


@router.get("/records/{record_id}/release-preview")
def preview(record_id: str, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    return service.preview_stored(node, actor, record_id)


@router.get("/records/{record_id}/signature")
def signature(record_id: str, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    """The origin signature status of the version held (local, verified, unsigned, no-key, invalid)."""
    record, _ = service.get_record(node, actor, record_id)
    return {"id": record.id, "version": record.version, "origin": record.origin,
            "changeable": service.changeable(node, actor, record.origin, record.revoked), **origin_signature(node, record)}

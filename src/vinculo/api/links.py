"""/api/v1/records/{id}/links: records that reference a record (the twin of "Linked records")."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from vinculo.accounts.model import Actor
from vinculo.api.deps import current_actor, get_node
from vinculo.node.context import Node
from vinculo.records.links import linked_records

router = APIRouter(prefix="/api/v1", tags=["records"])


@router.get("/records/{record_id}/links")
def links(record_id: str, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    return {"id": record_id, "items": linked_records(node, actor, record_id)}

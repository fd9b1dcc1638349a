"""/api/v1 partners, agreements, receipts and sync status (admins), and the receipts partners post."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from vinculo.accounts.model import Actor
from vinculo.api.deps import current_actor, get_node
from vinculo.federation import overview, receipts, sync
from vinculo.federation.agreements import update_agreement
from vinculo.federation.partners import PartnerAuthError, authenticate_partner
from vinculo.federation.preview import preview_agreement
from vinculo.federation.taxii_server import _credential
from vinculo.node.context import Node
from vinculo.records.service import Forbidden
from vinculo.sharing import service as sharing

router = APIRouter(prefix="/api/v1", tags=["federation"])


class ReceiptsIn(BaseModel):
    receipts: list[dict[str, Any]]


def _admin(actor: Actor) -> None:
    if not actor.may("node.manage"):
        raise Forbidden(f"role {actor.role} may not manage partners (administrators only)")


@router.post("/federation/receipts")
def post_receipts(data: ReceiptsIn, request: Request, node: Node = Depends(get_node)) -> dict:
    try:
        partner = authenticate_partner(node, _credential(request))
    except PartnerAuthError as exc:
        from vinculo.accounts.service import AuthError

        raise AuthError(str(exc)) from None
    return {"recorded": receipts.record_receipts(node, partner, data.receipts)}


@router.get("/partners")
def partners(node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    _admin(actor)
    return {"partners": overview.partners_overview(node, actor), "sync": sync.status(node)}


@router.get("/partners/{partner}")
def partner(partner: str, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    return overview.partner_detail(node, actor, partner)


@router.post("/partners/{partner}/agreement/preview")
def agreement_preview(partner: str, terms: dict[str, Any], limit: int = Query(20, ge=1, le=200),
                      node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    """What the draft terms would release: decisions for the most recent records, and withdrawals."""
    return preview_agreement(node, actor, partner, terms, limit)


@router.get("/partners/{partner}/agreements")
def agreements(partner: str, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    _admin(actor)
    with node.engine.connect() as conn:
        return {"partner": partner, "versions": sharing.agreement_history(conn, partner)}


@router.put("/partners/{partner}/agreement")
def set_agreement(partner: str, terms: dict[str, Any], node: Node = Depends(get_node),
                  actor: Actor = Depends(current_actor)) -> dict:
    _admin(actor)
    agreement, withdrawn = update_agreement(node, partner, terms, by=actor.label)
    return {"agreement": agreement.model_dump(mode="json"), "withdrawn": withdrawn}


@router.get("/partners/{partner}/receipts")
def partner_receipts(partner: str, status: str | None = None, node: Node = Depends(get_node),
                     actor: Actor = Depends(current_actor)) -> dict:
    _admin(actor)
    return {"partner": partner, "receipts": receipts.list_receipts(node, partner, status)}

"""/api/v1 partners, agreements, receipts and sync status (admins), and the receipts partners post."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from vinculo.accounts.model import Actor
from vinculo.api.deps import current_actor, get_node
from vinculo.api.partner_auth import partner_of_request
from vinculo.api.problems import problem
from vinculo.federation import gossip, overview, receipts, rotation, sync
from vinculo.federation.agreements import WithdrawalsUnconfirmed, update_agreement
from vinculo.federation.heads import MAX_BODY as HEAD_BODY
from vinculo.federation.heads import MAX_SIZE
from vinculo.federation.preview import preview_agreement
from vinculo.node.context import Node
from vinculo.records.service import Forbidden
from vinculo.sharing import service as sharing

router = APIRouter(prefix="/api/v1", tags=["federation"])


def _admin(actor: Actor) -> None:
    if not actor.may("node.manage"):
        raise Forbidden(f"role {actor.role} may not manage partners (administrators only)")


_RECEIPTS_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["receipts"], "properties": {"receipts": {"type": "array", "items": {
        "type": "object", "required": ["id", "version", "status", "received_at"], "properties": {
            "id": {"type": "string"}, "version": {"type": "integer", "minimum": 1},
            "status": {"type": "string", "enum": ["stored", "withdrawn", "purged"]},
            "received_at": {"type": "string", "format": "date-time"}}}}}}}}}}


async def _body_at_most(request: Request, limit: int) -> bytes:
    """The request body, read as it streams in and refused as soon as it passes `limit` bytes."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise receipts.ReceiptError(f"body: more than {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/federation/receipts", openapi_extra=_RECEIPTS_BODY)
async def post_receipts(request: Request, node: Node = Depends(get_node)) -> dict:
    """Receipts a partner posts for what it stored or dropped. The credential is checked before the body
    is read; the body (a pull sends receipts 5,000 at a time) is parsed with orjson."""
    partner = await run_in_threadpool(partner_of_request, request, node)
    items = receipts.parse_receipts(await _body_at_most(request, receipts.MAX_BODY))
    return {"recorded": await run_in_threadpool(receipts.record_receipts, node, partner, items)}


@router.get("/federation/keys")
def partner_keys(request: Request, node: Node = Depends(get_node)) -> dict:
    """This node's key in force and the rotation statements that led to it, each signed by the key it
    retired and the key it brought in (for partners: their credential)."""
    partner_of_request(request, node)
    return rotation.served(node)


@router.get("/federation/tree-head")
def tree_head(request: Request, node: Node = Depends(get_node)) -> dict:
    """Our latest signed audit tree head (`head`), and the size of the caller's we hold (`yours`)."""
    return gossip.serve_head(node, partner_of_request(request, node))


@router.get("/federation/consistency")
def consistency(request: Request, first: int = Query(..., ge=1, le=MAX_SIZE),
                second: int = Query(..., ge=1, le=MAX_SIZE), node: Node = Depends(get_node)) -> dict:
    """The RFC 6962 consistency proof of our audit log from size `first` to size `second` (hashes only)."""
    partner_of_request(request, node)
    return gossip.serve_proof(node, first, second)


_HEAD = {"type": "object", "required": ["node", "size", "root", "timestamp", "signature"], "properties": {
    "node": {"type": "string"}, "size": {"type": "integer", "minimum": 0}, "root": {"type": "string"},
    "timestamp": {"type": "string"}, "signature": {"type": "string"}}}
_TREE_HEAD_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["head", "first", "proof"], "properties": {
        "head": _HEAD, "first": {"type": ["integer", "null"], "minimum": 1},
        "proof": {"type": "array", "maxItems": 64, "items": {"type": "string"}}}}}}}}


@router.post("/federation/tree-head", response_model=None, openapi_extra=_TREE_HEAD_BODY)
async def post_tree_head(request: Request, node: Node = Depends(get_node)) -> dict | JSONResponse:
    """The caller's latest signed head with the proof from the one of its we hold (`first`, `proof`)."""
    partner = await run_in_threadpool(partner_of_request, request, node)
    raw = await _body_at_most(request, HEAD_BODY)
    try:
        return await run_in_threadpool(gossip.receive_head, node, partner, raw)
    except gossip.HeadConflict as exc:
        return problem(409, str(exc), request)


@router.get("/partners")
def partners(node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    """Partner status and agreements: liaison officers (analysts, supervisors) and administrators."""
    return {"partners": overview.partners_overview(node, actor), "sync": sync.status(node)}


@router.get("/partners/{partner}")
def partner(partner: str, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    return overview.partner_detail(node, actor, partner)


@router.post("/partners/{partner}/agreement/preview")
def agreement_preview(partner: str, terms: dict[str, Any], limit: int = Query(20, ge=1, le=200),
                      merge: bool = Query(False, description="The terms change only what they name (as PATCH)."),
                      node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    """What the draft terms would release: decisions for the most recent records, and withdrawals
    (`withdrawn`: the count a PUT or PATCH of these terms must acknowledge as `confirm_withdrawn`)."""
    return preview_agreement(node, actor, partner, terms, limit, merge=merge)


@router.get("/partners/{partner}/agreements")
def agreements(partner: str, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    _admin(actor)
    with node.engine.connect() as conn:
        return {"partner": partner, "versions": sharing.agreement_history(conn, partner)}


_CONFIRM = Query(0, ge=0, description="How many records the change withdraws from the partner, as the preview "
                                      "counted them: a change that withdraws any is refused (409) without it.")


def _change(request: Request, node: Node, actor: Actor, partner: str, terms: dict, merge: bool,
            confirm: int) -> dict | JSONResponse:
    _admin(actor)
    try:
        agreement, withdrawn = update_agreement(node, partner, terms, by=actor.label, merge=merge,
                                                confirm_withdrawn=confirm)
    except WithdrawalsUnconfirmed as exc:
        w = exc.change.withdrawals
        detail = f"this change withdraws {w.summary()}; repeat with confirm_withdrawn={w.count} to go on"
        return problem(409, detail, request,
                       withdrawn=w.count, withdrawn_by_type=w.by_type())
    return {"agreement": agreement.model_dump(mode="json"), "withdrawn": withdrawn}


@router.put("/partners/{partner}/agreement", response_model=None)
def set_agreement(partner: str, terms: dict[str, Any], request: Request, confirm_withdrawn: int = _CONFIRM,
                  node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict | JSONResponse:
    """A new version with exactly these terms (those not given take their defaults)."""
    return _change(request, node, actor, partner, terms, False, confirm_withdrawn)


@router.patch("/partners/{partner}/agreement", response_model=None)
def change_agreement(partner: str, terms: dict[str, Any], request: Request, confirm_withdrawn: int = _CONFIRM,
                     node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict | JSONResponse:
    """A new version changing only the terms given; the others are kept from the version in force
    (a first agreement states record_types, max_tlp and start)."""
    return _change(request, node, actor, partner, terms, True, confirm_withdrawn)


@router.get("/partners/{partner}/receipts")
def partner_receipts(partner: str, status: str | None = None, node: Node = Depends(get_node),
                     actor: Actor = Depends(current_actor)) -> dict:
    _admin(actor)
    return {"partner": partner, "receipts": receipts.list_receipts(node, partner, status)}

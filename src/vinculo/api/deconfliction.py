"""/api/v1 alerts, deconfliction notices, selectors, private matching runs (users), and the
/api/v1/psi/sessions routes a partner node calls (authenticated with the credential we issued it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from vinculo.accounts.model import Actor
from vinculo.api.deps import current_actor, get_node
from vinculo.api.params import Before, Count
from vinculo.api.partner_auth import partner_of_request
from vinculo.deconfliction import alerts, psi_responder, psi_service
from vinculo.deconfliction.psi_channel import OCTETS, PsiChannelError, PsiRateLimited
from vinculo.deconfliction.psi_messages import PsiError, PsiProtocolError, PsiRefused
from vinculo.node.context import Node

router = APIRouter(prefix="/api/v1", tags=["deconfliction"])


@contextmanager
def _psi_errors() -> Iterator[None]:
    try:
        yield
    except PsiRateLimited as exc:
        raise HTTPException(429, str(exc)) from None
    except PsiRefused as exc:
        raise HTTPException(409, str(exc)) from None
    except PsiChannelError as exc:
        raise HTTPException(502, str(exc)) from None
    except (PsiProtocolError, PsiError) as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/alerts")
def list_alerts(limit: int = Query(50, ge=1, le=500), before: Before = None,
                record: str | None = None, node: Node = Depends(get_node),
                actor: Actor = Depends(current_actor)) -> dict:
    found, cursor = alerts.list_alerts(node, actor, limit, before, record)
    return {"alerts": found, "next": cursor}


@router.get("/deconfliction/notices")
def list_notices(run: str | None = None, limit: int = Query(100, ge=1, le=500), node: Node = Depends(get_node),
                 actor: Actor = Depends(current_actor)) -> dict:
    return {"notices": alerts.list_notices(node, actor, limit, run)}


@router.get("/deconfliction/selectors/{record_id}")
def record_selectors(record_id: str, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    return {"record": record_id, "selectors": alerts.record_selectors(node, actor, record_id)}


@router.get("/deconfliction/invalid")
def invalid(limit: int = Query(200, ge=1, le=1000), node: Node = Depends(get_node),
            actor: Actor = Depends(current_actor)) -> dict:
    return {"records": alerts.invalid_selectors(node, actor, limit)}


class RunIn(BaseModel):
    partner: str = Field(min_length=1, max_length=64)
    kinds: list[str] = Field(min_length=1, max_length=40)


@router.get("/psi/runs")
def runs(limit: int = Query(100, ge=1, le=500), node: Node = Depends(get_node),
         actor: Actor = Depends(current_actor)) -> dict:
    return {"runs": psi_service.list_runs_for(node, actor, limit)}


@router.post("/psi/runs", status_code=201)
def start(data: RunIn, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    with _psi_errors():
        return psi_service.start_run(node, actor, data.partner, data.kinds)


@router.post("/psi/runs/{run_id}/approve")
def approve(run_id: str, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    with _psi_errors():
        return psi_service.approve_run(node, actor, run_id)


class DeclareIn(BaseModel):
    run: str
    stage: str
    sizes: dict[str, Count]


@router.post("/psi/sessions")
def declare(data: DeclareIn, request: Request, node: Node = Depends(get_node)) -> dict:
    partner = partner_of_request(request, node)
    with _psi_errors():
        return {"run": data.run, "sizes": psi_responder.declare(node, partner, data.run, data.stage, data.sizes)}


async def _message(request: Request, node: Node, partner: str, run_id: str, kind: str) -> bytes:
    with _psi_errors():
        limit = await run_in_threadpool(psi_responder.expected_bytes, node, partner, run_id, kind)
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"a {kind} message of this run is at most {limit} bytes")
    body = await request.body()
    if len(body) > limit:
        raise HTTPException(413, f"a {kind} message of this run is at most {limit} bytes")
    return body


@router.post("/psi/sessions/{run_id}/{kind}")
async def exchange(run_id: str, kind: str, request: Request, node: Node = Depends(get_node)) -> Response:
    partner = await run_in_threadpool(partner_of_request, request, node)
    body = await _message(request, node, partner, run_id, kind)
    with _psi_errors():
        out = await run_in_threadpool(psi_responder.answer, node, partner, run_id, kind, body)
    return Response(out, media_type=OCTETS)


@router.post("/psi/sessions/{run_id}/{kind}/finish")
async def finish(run_id: str, kind: str, request: Request, node: Node = Depends(get_node)) -> dict:
    partner = await run_in_threadpool(partner_of_request, request, node)
    body = await _message(request, node, partner, run_id, kind)
    with _psi_errors():
        return await run_in_threadpool(psi_responder.finish, node, partner, run_id, kind, body)

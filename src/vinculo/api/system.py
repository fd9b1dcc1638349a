"""/api/v1: log in, who am I, node identity, audit log (auditors)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from vinculo.accounts import service as accounts
from vinculo.accounts.model import Actor
from vinculo.api.deps import current_actor, get_node
from vinculo.api.params import AuditAfter
from vinculo.audit import reading
from vinculo.node.context import Node
from vinculo.node.keys import fingerprint

router = APIRouter(prefix="/api/v1", tags=["node"])


class LoginIn(BaseModel):
    username: str = Field(max_length=200)
    password: str = Field(max_length=4096)
    otp: str | None = Field(None, max_length=32, description="With a second factor: the 6-digit code, or a "
                                                             "recovery code")


@router.post("/auth/login", responses={429: {"description": "Too many failed logins (see Retry-After)"}})
def login(data: LoginIn, request: Request, node: Node = Depends(get_node)) -> dict:
    client = request.client.host if request.client else None
    token = accounts.login(node, data.username, data.password, "api", client, otp=data.otp)
    answer = {"token": token, "token_type": "bearer", "expires_in": accounts.SESSION_HOURS * 3600}
    if accounts.must_enrol(node, data.username):
        answer["enrol"] = "/api/v1/me/totp"  # this session can only enrol a second factor until it does
    return answer


@router.get("/me")
def me(actor: Actor = Depends(current_actor)) -> dict:
    return {"name": actor.name, "role": actor.role, "node": actor.node}


@router.get("/node")
def node_info(node: Node = Depends(get_node)) -> dict:
    return {"id": node.id, "name": node.name, "country": node.country, "public_key": node.public_key_hex,
            "fingerprint": fingerprint(node.public_key_hex)}


@router.get("/ready", responses={503: {"description": "Still warming up (it serves meanwhile, more slowly)"}})
def ready(request: Request) -> JSONResponse:
    """Whether the start-up warm-up (route tables, feed queries, dashboard counts) has finished: 200, or 503
    until then."""
    done = request.app.state.warmup.ready.is_set()
    return JSONResponse({"ready": done}, status_code=200 if done else 503)


@router.get("/audit")
def audit_log(after: AuditAfter = -1, limit: int = Query(100, ge=1, le=1000), actor_name: str | None = Query(None, alias="actor"),
              action: str | None = None, target: str | None = None, node: Node = Depends(get_node),
              actor: Actor = Depends(current_actor)) -> dict:
    rows = reading.read_log(node, actor, user=actor_name, action=action, target=target, after=after, limit=limit)
    return {"entries": rows, "next": rows[-1]["idx"] if len(rows) == limit else None}


@router.get("/audit/verify")
def audit_verify(node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    return reading.verify(node, actor).__dict__

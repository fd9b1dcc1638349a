"""/api/v1/retention: the review list of own records due under this node's retention rules, and a
supervisor's approval (the twin of `vinculo retention review` and `approve`). Supervisors only."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from vinculo.accounts.model import Actor
from vinculo.api.deps import current_actor, get_node
from vinculo.node.context import Node
from vinculo.records.service import Forbidden
from vinculo.retention import rules
from vinculo.retention.model import APPROVER_ROLE

router = APIRouter(prefix="/api/v1/retention", tags=["retention"])


class ApproveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[StrictInt] = Field(min_length=1, max_length=rules.MAX_APPROVE)


def _review_json(r: rules.Review) -> dict:
    return {"id": r.id, "record_id": r.record_id, "version": r.version, "content_hash": r.content_hash,
            "rule": r.rule.__dict__, "listed_at": r.listed_at}


@router.get("/review")
def review(node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    """The pending entries (refreshed by the retention job every hour, or `vinculo retention review`)."""
    if actor.role != APPROVER_ROLE:
        raise Forbidden(f"role {actor.role} may not see the retention review list (supervisors only)")
    return {"items": [_review_json(r) for r in rules.pending_reviews(node)]}


@router.post("/approve")
def approve(body: ApproveBody, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    """Approve entries: each still due is purged and withdrawn from partners; the others are marked stale."""
    done = rules.approve(node, actor, body.ids)
    return {"purged": [{"review": p[0], "record_id": p[1], "version": p[2], "content_hash": p[3]} for p in done.purged],
            "stale": [{"review": s[0], "record_id": s[1], "why": s[2]} for s in done.stale]}

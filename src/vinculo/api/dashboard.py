"""/api/v1/dashboard: the JSON twin of the dashboard page (counts, states, recent partner records)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from vinculo.accounts.model import Actor
from vinculo.api.deps import current_actor, get_node
from vinculo.node.context import Node
from vinculo.records import dashboard

router = APIRouter(prefix="/api/v1", tags=["dashboard"])


@router.get("/dashboard")
def dashboard_counts(node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    counts = dashboard.counts(node, actor)
    areas = {t: [{"country": c, "admin_area": a, "count": n} for (c, a), n in sorted(
        cells.items(), key=lambda kv: -kv[1])] for t, cells in counts.areas.items()}
    return {"readable": counts.readable, "total_seizures": counts.total, "months": counts.months,
            "trends": [{"substance": t.substance, "total": t.total, "series": t.series} for t in counts.trends],
            "areas": areas, "recent_partner_records": dashboard.recent_partner_records(node, actor)}

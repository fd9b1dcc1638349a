"""/api/v1/graph: neighbourhood, shortest path, connected groups and chains; JSON, GraphML or CSV."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse, Response

from vinculo.accounts.model import Actor
from vinculo.api.deps import current_actor, get_node
from vinculo.graph import explore, export, service
from vinculo.graph.service import GraphResult
from vinculo.node.context import Node

router = APIRouter(prefix="/api/v1/graph", tags=["graph"])
Format = Query("json", pattern="^(json|graphml|csv-nodes|csv-edges)$")


def _out(result: GraphResult, fmt: str) -> dict | Response:
    if fmt == "graphml":
        return Response(export.to_graphml(result), media_type="application/graphml+xml")
    if fmt.startswith("csv"):
        nodes, edges = export.to_csv(result)
        return PlainTextResponse(nodes if fmt == "csv-nodes" else edges, media_type="text/csv")
    return result.to_json()


@router.get("/neighbours/{record_id}", response_model=None)
def neighbours(record_id: str, depth: int = Query(2, ge=0, le=6), max_nodes: int = Query(5000, ge=1, le=100000),
               types: list[str] = Query([], description="only these record types (repeat, or comma-separated)"),
               expand: list[str] = Query(default=[], description="records opened one hop further"),
               format: str = Format, node: Node = Depends(get_node),
               actor: Actor = Depends(current_actor)) -> dict | Response:
    kinds = [t.strip() for given in types for t in given.split(",") if t.strip()]
    if kinds or expand:
        return _out(explore.explore(node, actor, record_id, depth, kinds, expand, max_nodes), format)
    return _out(service.neighbourhood(node, actor, record_id, depth, max_nodes), format)


@router.get("/path", response_model=None)
def path(source: str = Query(..., alias="from"), target: str = Query(..., alias="to"),
         max_depth: int = Query(12, ge=1, le=50), format: str = Format,
         node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict | Response:
    return _out(service.path(node, actor, source, target, max_depth), format)


@router.get("/groups", response_model=None)
def groups(seed: list[str] = Query(default=[]), min_size: int = Query(2, ge=1, le=100000),
           limit: int = Query(100, ge=1, le=100000),
           format: str = Format, node: Node = Depends(get_node),
           actor: Actor = Depends(current_actor)) -> dict | Response:
    return _out(service.groups(node, actor, seed or None, min_size, limit), format)


@router.get("/chain", response_model=None)
def chain(start: list[str] = Query(default=[], alias="from"), types: str = ",".join(service.CHAIN),
          limit: int = Query(1000, ge=1, le=100000), format: str = Format,
          node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict | Response:
    kinds = tuple(t.strip() for t in types.split(",") if t.strip())
    return _out(service.chain(node, actor, start or None, kinds, limit), format)

"""The network page: the graph around a record (expand by clicking, filter by type), a path between two
records, and GraphML/CSV exports — through the same graph service as /api/v1/graph."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from vinculo.accounts.model import Actor
from vinculo.graph import explore, export, service
from vinculo.graph.service import GraphResult
from vinculo.records.model import FieldError, RecordInvalid
from vinculo.records.types import RECORD_TYPES
from vinculo.web import graphsvg
from vinculo.web.common import WebRoute
from vinculo.web.session import web_actor
from vinculo.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
FORMATS = {
    "graphml": ("application/graphml+xml", "graphml"),
    "csv-nodes": ("text/csv", "nodes.csv"),
    "csv-edges": ("text/csv", "edges.csv"),
}


def _query(**params: object) -> str:
    pairs = []
    for key, value in params.items():
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if v not in (None, ""):
                pairs.append((key, v))
    return urlencode(pairs)


def _result(
    request: Request,
    actor: Actor,
    rid: str,
    depth: int,
    types: list[str],
    expand: list[str],
    source: str,
    target: str,
) -> tuple[GraphResult | None, str]:
    node = request.app.state.node
    if source and target:
        return service.path(node, actor, source.strip(), target.strip()), "path"
    if rid:
        return explore.explore(node, actor, rid.strip(), depth, types, expand), "around"
    return None, ""


@router.get("/graph")
def graph_page(
    request: Request,
    id: str = "",
    depth: int = Query(2, ge=1, le=4),
    types: list[str] = Query([]),
    expand: list[str] = Query([]),
    source: str = Query("", alias="from"),
    target: str = Query("", alias="to"),
    actor: Actor = Depends(web_actor),
) -> Response:
    errors: dict[str, str] = {}
    result, mode = None, ""
    try:
        result, mode = _result(request, actor, id, depth, types, expand, source, target)
    except RecordInvalid as exc:
        errors = {e.field: e.reason for e in exc.errors}
    base = {"id": id.strip(), "depth": depth, "types": types}
    links = {}
    drawing = None
    if result is not None:
        drawing = graphsvg.layered(result.nodes, result.edges)
        opened = set(expand) | {id.strip()}
        for n in result.nodes:
            links[n["id"]] = {
                "expand": None
                if n["id"] in opened or mode == "path"
                else "/graph?" + _query(**base, expand=[*expand, n["id"]]),
                "centre": "/graph?" + _query(id=n["id"], depth=depth, types=types),
            }
    export_q = _query(**base, expand=expand) if mode == "around" else _query(**{"from": source, "to": target})
    return render(
        request,
        "graph.html",
        result=result,
        drawing=drawing,
        mode=mode,
        links=links,
        errors=errors,
        rid=id.strip(),
        depth=depth,
        types=types,
        expand=expand,
        source=source,
        target=target,
        all_types=RECORD_TYPES,
        export_q=export_q,
        labels_of={n.id: n.label for n in drawing.nodes} if drawing else {},
        query=_query(**base, expand=expand),
    )


@router.get("/graph/export")
def graph_export(
    request: Request,
    format: str = Query("graphml", pattern="^(graphml|csv-nodes|csv-edges)$"),
    id: str = "",
    depth: int = Query(2, ge=1, le=4),
    types: list[str] = Query([]),
    expand: list[str] = Query([]),
    source: str = Query("", alias="from"),
    target: str = Query("", alias="to"),
    actor: Actor = Depends(web_actor),
) -> Response:
    result, _ = _result(request, actor, id, depth, types, expand, source, target)
    if result is None:
        raise RecordInvalid([FieldError("id", "give a record id, or the two records of a path")])
    media, suffix = FORMATS[format]
    if format == "graphml":
        text = export.to_graphml(result)
    else:
        nodes, edges = export.to_csv(result)
        text = nodes if format == "csv-nodes" else edges
    name = (id or source or "graph").replace("--", "-")[:40]
    return PlainTextResponse(
        text, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{suffix}"'}
    )

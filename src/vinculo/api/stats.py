"""/api/v1/stats: public statistics series (query), catalogue, imports (upload)."""

from __future__ import annotations

import os
import tempfile

from fastapi import APIRouter, Depends, File, Query, UploadFile

from vinculo.accounts.model import Actor
from vinculo.api.deps import current_actor, get_node
from vinculo.node.context import Node
from vinculo.stats import service

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])


def _dims(values: list[str]) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition(":")
        if not sep or not key:
            raise service.StatsQueryError(f"dim: expected KEY:VALUE, got {item!r}")
        out[key] = value
    return out


@router.get("")
def catalogue(node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    return {"series": service.catalogue(node)}


@router.get("/imports")
def imports(node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    return {"imports": service.imports(node)}


@router.get("/series")
def series(source: str | None = None, series: str | None = None,
           dim: list[str] = Query(default=[], description="KEY:VALUE, repeatable (e.g. drug:Fentanyl)"),
           period_from: str | None = Query(None, alias="from"), period_to: str | None = Query(None, alias="to"),
           by: str | None = Query(None, description="Sum over other dims keeping these (comma list; '' = total)"),
           limit: int | None = Query(None, ge=1, le=1_000_000), node: Node = Depends(get_node),
           actor: Actor = Depends(current_actor)) -> dict:
    group_by = None if by is None else tuple(k.strip() for k in by.split(",") if k.strip())
    q = service.SeriesQuery(source, series, _dims(dim), period_from, period_to, group_by, limit)
    return {"points": service.query_points(node, q)}


@router.post("/import/{source}", status_code=201)
def import_file(source: str, file: UploadFile = File(...), node: Node = Depends(get_node),
                actor: Actor = Depends(current_actor)) -> dict:
    suffix = ".zip" if (file.filename or "").lower().endswith(".zip") else ".csv"
    fd, path = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := file.file.read(1 << 20):
                out.write(chunk)
        result = service.import_file(node, actor, source, path)
    finally:
        os.unlink(path)
    return {"source": result.source, "file": file.filename, "points": result.points,
            "inserted": result.inserted, "updated": result.updated}

"""Public statistics in the node's database: import a file (all or nothing, idempotent) and query series.

A point is identified by (source, series, dims, period). Re-importing a file, or a newer edition of it,
updates the points it carries and adds the new ones: it never duplicates. Public statistics are not
records (no markings, no release); imports are audited.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, bindparam, func, insert, select, update

from vinculo.accounts.model import Actor
from vinculo.audit.events import AuditEvent
from vinculo.node.context import Node
from vinculo.records.model import format_ts, utcnow
from vinculo.records.service import Forbidden
from vinculo.stats import PARSERS
from vinculo.stats.series import Point
from vinculo.store.tables_stats import stats_imports, stats_points

#: Names accepted on the command line and in the API for each adapter.
SOURCES = {"cbp": "cbp", "nflis": "nflis", "cdc": "cdc_vsrr", "cdc_vsrr": "cdc_vsrr", "unodc": "unodc"}


class StatsQueryError(ValueError):
    """A bad query parameter; ``str()`` names it."""


@dataclass(frozen=True)
class ImportResult:
    source: str
    file: str
    points: int
    inserted: int
    updated: int
    import_id: int


@dataclass(frozen=True)
class SeriesQuery:
    """Filters: ``dims`` must all match exactly; periods are compared as text (``YYYY-MM``, ``YYYY-H1``)."""

    source: str | None = None
    series: str | None = None
    dims: dict[str, str] = field(default_factory=dict)
    period_from: str | None = None
    period_to: str | None = None
    group_by: tuple[str, ...] | None = None  # sum over the other dims, per period and unit
    limit: int | None = None


def source_name(name: str) -> str:
    try:
        return SOURCES[name.lower()]
    except KeyError:
        raise StatsQueryError(f"source: unknown statistics source {name!r}; one of cbp, nflis, cdc, unodc") from None


def _dims_json(dims: dict[str, str]) -> str:
    return json.dumps(dims, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _existing(conn: Connection, source: str) -> dict[tuple[str, str, str], int]:
    q = select(stats_points.c.id, stats_points.c.series, stats_points.c.dims_hash, stats_points.c.period).where(
        stats_points.c.source == source)
    return {(r.series, r.dims_hash, r.period): r.id for r in conn.execute(q)}


def import_file(node: Node, actor: Actor, source: str, path: str | os.PathLike[str]) -> ImportResult:
    """Parse the whole file first (a format error writes nothing), then upsert every point in one commit."""
    if not actor.may("records.import"):
        raise Forbidden(f"role {actor.role} may not import statistics", ())
    name = source_name(source)
    file = os.fspath(path)
    if not os.path.isfile(file):
        raise StatsQueryError(f"{file}: no such file")
    points: list[Point] = list(PARSERS[name](file))
    digest = _sha256(file)
    with node.uow() as uow:
        conn = uow.conn
        import_id = conn.execute(insert(stats_imports).values(
            source=name, file=os.path.basename(file)[:500], sha256=digest, points=len(points), inserted=0,
            updated=0, imported=format_ts(utcnow()), actor=actor.label)).inserted_primary_key[0]
        existing = _existing(conn, name)
        new_rows: list[dict] = []
        changed: list[dict] = []
        seen: set[tuple[str, str, str]] = set()
        for p in points:
            dims = _dims_json(p.dims)
            key = (p.series, hashlib.sha256(dims.encode()).hexdigest(), p.period)
            if key in seen:
                raise ValueError(f"{file}: duplicate point {p.series} {dims} {p.period}")
            seen.add(key)
            row = {"value": p.value, "unit": p.unit, "attrs": json.dumps(p.attrs, sort_keys=True),
                   "import_id": import_id}
            if key in existing:
                changed.append({"pid": existing[key], **row})
            else:
                new_rows.append({"source": name, "series": p.series, "dims": dims, "dims_hash": key[1],
                                 "period": p.period, **row})
        for i in range(0, len(new_rows), 5000):
            conn.execute(insert(stats_points), new_rows[i : i + 5000])
        if changed:
            stmt = update(stats_points).where(stats_points.c.id == bindparam("pid")).values(
                value=bindparam("value"), unit=bindparam("unit"), attrs=bindparam("attrs"),
                import_id=bindparam("import_id"))
            conn.execute(stmt, changed)
        conn.execute(update(stats_imports).where(stats_imports.c.id == import_id).values(
            inserted=len(new_rows), updated=len(changed)))
        uow.audit(AuditEvent(actor.label, "stats.import", f"stats:{name}",
                             {"file": os.path.basename(file), "sha256": digest, "points": len(points),
                              "inserted": len(new_rows), "updated": len(changed)}))
        uow.commit()
    return ImportResult(name, file, len(points), len(new_rows), len(changed), import_id)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def query_points(node: Node, q: SeriesQuery) -> list[dict]:
    """Points matching ``q`` ordered by source, series, dims, period (or sums when ``group_by`` is set)."""
    t = stats_points
    stmt = select(t.c.source, t.c.series, t.c.dims, t.c.period, t.c.value, t.c.unit, t.c.attrs)
    if q.source:
        stmt = stmt.where(t.c.source == source_name(q.source))
    if q.series:
        stmt = stmt.where(t.c.series == q.series)
    if q.period_from:
        stmt = stmt.where(t.c.period >= q.period_from)
    if q.period_to:
        stmt = stmt.where(t.c.period <= q.period_to)
    for key, value in q.dims.items():  # narrows in SQL; the exact match is checked below
        stmt = stmt.where(t.c.dims.like("%" + _like(json.dumps({key: value}, ensure_ascii=False,
                                                                 separators=(",", ":"))[1:-1]) + "%", escape="\\"))
    stmt = stmt.order_by(t.c.source, t.c.series, t.c.dims, t.c.period)
    out: list[dict] = []
    with node.engine.connect() as conn:
        for r in conn.execute(stmt):
            dims = json.loads(r.dims)
            if any(dims.get(k) != v for k, v in q.dims.items()):
                continue
            out.append({"source": r.source, "series": r.series, "dims": dims, "period": r.period,
                        "value": r.value, "unit": r.unit, "attrs": json.loads(r.attrs)})
            if q.limit and q.group_by is None and len(out) >= q.limit:
                break
    if q.group_by is not None:
        out = group(out, q.group_by)
        if q.limit:
            out = out[: q.limit]
    return out


def group(points: Iterable[dict], keep: tuple[str, ...]) -> list[dict]:
    """Sum ``value`` per (source, series, kept dims, period, unit); ``attrs.points`` counts the summands."""
    sums: dict[tuple, list[float]] = defaultdict(list)
    for p in points:
        kept = tuple((k, p["dims"].get(k, "")) for k in keep)
        sums[(p["source"], p["series"], kept, p["period"], p["unit"])].append(p["value"])
    return [{"source": s, "series": se, "dims": dict(kept), "period": period, "value": math.fsum(vals),
             "unit": unit, "attrs": {"points": len(vals)}}
            for (s, se, kept, period, unit), vals in sorted(sums.items())]


def catalogue(node: Node) -> list[dict]:
    """Which series are stored: source, series, unit, number of points and period range."""
    t = stats_points
    stmt = (select(t.c.source, t.c.series, t.c.unit, func.count(), func.min(t.c.period), func.max(t.c.period))
            .group_by(t.c.source, t.c.series, t.c.unit).order_by(t.c.source, t.c.series, t.c.unit))
    with node.engine.connect() as conn:
        return [{"source": r[0], "series": r[1], "unit": r[2], "points": r[3], "from": r[4], "to": r[5]}
                for r in conn.execute(stmt)]


def imports(node: Node) -> list[dict]:
    with node.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(stats_imports).order_by(stats_imports.c.id))]

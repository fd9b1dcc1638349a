"""Gather the stored events behind a scorecard and compute it (see :mod:`vinculo.cases.scorecard`).

Federation writes the audit actions this reads: ``release`` when records leave for a partner and
``receive`` when a partner's record versions are stored here, both with detail ``partner`` and ``objects``
(``[id, version, status]``); the simpler forms ``ids`` (+ ``versions``) and ``id`` (+ ``version``) are read too. Deconfliction writes ``psi.hit`` and
``psi.followup`` (detail ``partner``). Cases and answers are read through ``release()`` like any record.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, select

from vinculo.accounts.model import Actor
from vinculo.audit import service as audit
from vinculo.cases.scorecard import Period, Shared, compute, parse_period
from vinculo.cases.service import _all_views
from vinculo.node.context import Node
from vinculo.records.model import parse_ts
from vinculo.records.repository import Filters
from vinculo.records.service import Forbidden
from vinculo.store.tables import record_versions as rv

ACTIONS = ("release", "receive", "psi.hit", "psi.followup")


def _entries(conn: Connection, action: str) -> list[dict]:
    out: list[dict] = []
    after = -1
    while True:
        batch = audit.entries(conn, action=action, after=after, limit=5000)
        if not batch:
            return out
        out.extend(batch)
        after = batch[-1]["idx"]


def _meta(conn: Connection, wanted: set[tuple[str, int | None]]) -> dict[tuple[str, int | None], tuple]:
    """(type, tlp, event_date) of each (id, version); version ``None`` means the current one."""
    ids = sorted({i for i, _ in wanted})
    found: dict[tuple[str, int | None], tuple] = {}
    for k in range(0, len(ids), 500):
        q = select(rv.c.id, rv.c.version, rv.c.current, rv.c.type, rv.c.tlp, rv.c.event_date).where(
            rv.c.id.in_(ids[k : k + 500]))
        for r in conn.execute(q):
            value = (r.type, r.tlp, dt.date.fromisoformat(r.event_date) if r.event_date else None)
            found[(r.id, r.version)] = value
            if r.current:
                found[(r.id, None)] = value
    return found


def _objects(detail: dict, single: str) -> list[tuple[str, int | None]]:
    """(id, version) pairs an entry names: federation's ``objects`` ([id, version, status] triples, tombstones
    and withdrawals left out), else ``ids`` (+ ``versions``), else ``id`` (+ ``version``)."""
    if "objects" in detail and isinstance(detail["objects"], list):
        return [(o[0], o[1]) for o in detail["objects"] if o[2] not in ("tombstone", "withdrawn")]
    if "ids" in detail:
        versions = detail.get("versions") or [None] * len(detail["ids"])
        return list(zip(detail["ids"], versions, strict=False))
    return [(detail[single], detail.get("version"))] if detail.get(single) else []


def _shared(conn: Connection, partner: str) -> tuple[list[Shared], list[tuple[str, str, dt.datetime]]]:
    raw: list[tuple[str, str, int | None, dt.datetime]] = []
    for action, direction in (("release", "out"), ("receive", "in")):
        for e in _entries(conn, action):
            if e["detail"].get("partner") == partner:
                at = parse_ts(e["ts"])
                raw.extend((direction, i, v, at) for i, v in _objects(e["detail"], "id"))
    meta = _meta(conn, {(i, v) for _, i, v, _ in raw})
    shared = []
    for direction, rid, version, at in raw:
        kind, tlp, incident = meta.get((rid, version)) or meta.get((rid, None)) or (rid.split("--")[0], None, None)
        shared.append(Shared(direction, rid, version, at, kind, tlp, incident))
    psi = [(e["action"], e["detail"].get("partner"), parse_ts(e["ts"]))
           for action in ("psi.hit", "psi.followup") for e in _entries(conn, action)]
    return shared, psi


def scorecard(node: Node, actor: Actor, partner: str, period: str | Period, today: dt.date | None = None) -> dict:
    """The scorecard with ``partner`` over ``period`` (``2025``, ``2025-Q2``, ``2025-06``, ``a..b``)."""
    if not actor.may("records.read"):
        raise Forbidden(f"role {actor.role} may not read records", ())
    p = parse_period(period) if isinstance(period, str) else period
    day = today or dt.datetime.now(dt.UTC).date()
    cases = [v for v in _all_views(node, actor, Filters(type="case")) if v.get("body")]
    answers = [v for v in _all_views(node, actor, Filters(type="note")) if v.get("body", {}).get("kind") == "response"]
    with node.engine.connect() as conn:
        shared, psi = _shared(conn, partner)
    return compute(node.id, partner, p, shared, cases, answers, psi, day)

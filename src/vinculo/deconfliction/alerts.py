"""Correlation alerts and deconfliction notices as a user may see them, and the index refresh.

:func:`refresh` catches the selector index up with the change feed and raises alerts (it runs before
every deconfliction read, and after PSI runs). Listing decides every record an alert or notice names
with ``release()`` for the user: an alert is shown only if the user may read the body of both records
(a notice: of its local record; an over-common alert: of at least one holder), and every listing is
audited with what it showed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from sqlalchemy import Connection, select

from vinculo.accounts.model import Actor
from vinculo.audit.events import AuditEvent
from vinculo.deconfliction import correlate, index
from vinculo.node.context import Node
from vinculo.records import projection
from vinculo.records.model import Record, format_ts, id_type, utcnow
from vinculo.records.service import Forbidden, NotFound
from vinculo.sharing.release import Audience, release
from vinculo.store.tables_deconfliction import dc_alerts as da
from vinculo.store.tables_deconfliction import dc_notices as dn

MAX_PAGE = 500


def common_cap(node: Node) -> int:
    """Holders above which a key is over-common: node setting ``dc_common_cap``, else
    ``VINCULO_DC_COMMON_CAP``, else 25."""
    value = node.settings.get("dc_common_cap") or os.environ.get("VINCULO_DC_COMMON_CAP") or correlate.DEFAULT_CAP
    return max(2, int(value))


def refresh_in(conn: Connection, node: Node) -> tuple[int, int]:
    """Catch up inside an open transaction; returns (versions indexed, alerts raised)."""
    now = format_ts(utcnow())
    cap = common_cap(node)
    raised: list[int] = []
    done = index.catch_up(conn, node.id, node.country,
                          lambda c, fresh: raised.append(correlate.correlate(c, fresh, cap, now)))
    return done, sum(raised)


def refresh(node: Node) -> tuple[int, int]:
    """Index what the feed holds since the last refresh and raise its alerts (one transaction)."""
    with node.uow() as uow:
        done, raised = refresh_in(uow.conn, node)
        if raised:
            uow.audit(AuditEvent(f"node:{node.id}", "alerts.raised", None, {"indexed": done, "alerts": raised}))
        uow.commit()
    return done, raised


def _require(actor: Actor) -> None:
    if not actor.may("records.read"):
        message = f"role {actor.role} may not read records"
        raise Forbidden(message, (message,))


class Visible:
    """Release decisions for one audience, records loaded in batches."""

    def __init__(self, conn: Connection, audience: Audience) -> None:
        self.conn, self.audience = conn, audience
        self.records: dict[str, Record | None] = {}
        self.ok: dict[str, bool] = {}

    def load(self, ids: Iterable[str]) -> None:
        missing = [i for i in dict.fromkeys(ids) if i and i not in self.records]
        for i in range(0, len(missing), index.CHUNK):
            chunk = missing[i : i + index.CHUNK]
            self.records.update(projection.current_records(self.conn, chunk, index.CHUNK))
            for record_id in chunk:
                self.records.setdefault(record_id, None)

    def readable(self, record_id: str) -> bool:
        """The audience may read this record's body (auditors see envelopes only: not enough)."""
        if record_id not in self.ok:
            self.load([record_id])
            record = self.records.get(record_id)
            d = release(record, self.audience) if record is not None else None
            self.ok[record_id] = d is not None and d.allowed and "body" not in d.withheld
        return self.ok[record_id]

    def brief(self, record_id: str) -> dict:
        record = self.records[record_id]
        assert record is not None
        return {"id": record.id, "type": record.type, "origin": record.origin, "version": record.version}


def _alert_view(vis: Visible, row) -> dict | None:
    base = {"id": row.id, "created": row.created, "status": row.status, "kind": row.kind, "value": row.value}
    if row.status == "over-common":
        ids = index.holders(vis.conn, [row.vhash], limit=200).get(row.vhash, [])
        vis.load(ids)
        if not any(vis.readable(i) for i in ids):
            return None
        return base | {"holders": row.holders, "records": [],
                       "note": f"held by {row.holders} records: too common to pair (not a lead by itself)"}
    vis.load([row.record_a, row.record_b])
    if not (vis.readable(row.record_a) and vis.readable(row.record_b)):
        return None
    return base | {"holders": 2, "records": [vis.brief(row.record_a), vis.brief(row.record_b)]}


def list_alerts(node: Node, actor: Actor, limit: int = 50, before: int | None = None,
                record_id: str | None = None) -> tuple[list[dict], int | None]:
    """Newest alerts the actor may see (optionally those naming one record); returns (alerts, next cursor)."""
    _require(actor)
    limit = max(1, min(limit, MAX_PAGE))
    if record_id is not None:
        id_type(record_id)
    out: list[dict] = []
    cursor = before
    exhausted = False
    with node.uow() as uow:
        refresh_in(uow.conn, node)
        vis = Visible(uow.conn, actor.audience())
        for _ in range(20):
            q = select(da).order_by(da.c.id.desc()).limit(limit * 2 + 10)
            if cursor is not None:
                q = q.where(da.c.id < cursor)
            if record_id is not None:
                q = q.where((da.c.record_a == record_id) | (da.c.record_b == record_id))
            rows = uow.conn.execute(q).all()
            if not rows:
                exhausted = True
                break
            vis.load([i for r in rows for i in (r.record_a, r.record_b)])
            for row in rows:
                cursor = row.id
                view = _alert_view(vis, row)
                if view is not None:
                    out.append(view)
                    if len(out) == limit:
                        break
            if len(out) == limit:
                break
        uow.audit(AuditEvent(actor.label, "alerts.list", record_id,
                             {"alerts": [a["id"] for a in out],
                              "records": sorted({r["id"] for a in out for r in a["records"]})}))
        uow.commit()
    return out, (None if exhausted and len(out) < limit else cursor)


def list_notices(node: Node, actor: Actor, limit: int = 100, run_id: str | None = None) -> list[dict]:
    """Deconfliction notices (PSI hits) on records the actor may read: whom to contact, about which record."""
    _require(actor)
    limit = max(1, min(limit, MAX_PAGE))
    out: list[dict] = []
    with node.uow() as uow:
        q = select(dn).order_by(dn.c.id.desc()).limit(limit * 4)
        if run_id is not None:
            q = q.where(dn.c.run_id == run_id)
        rows = uow.conn.execute(q).all()
        vis = Visible(uow.conn, actor.audience())
        vis.load([r.record_id for r in rows])
        for r in rows:
            if vis.readable(r.record_id):
                out.append({"id": r.id, "created": r.created, "run": r.run_id, "partner": r.partner,
                            "contact": r.contact, "kind": r.kind, "value": r.value, "record": vis.brief(r.record_id),
                            "next": f"ask {r.contact} ({r.partner}) through the usual channel, citing run {r.run_id}"})
                if len(out) == limit:
                    break
        uow.audit(AuditEvent(actor.label, "notices.list", None,
                             {"notices": [n["id"] for n in out], "records": [n["record"]["id"] for n in out]}))
        uow.commit()
    return out


def record_selectors(node: Node, actor: Actor, record_id: str) -> list[dict]:
    """The selectors (valid and invalid, with reasons) of a record the actor may read."""
    _require(actor)
    id_type(record_id)
    with node.uow() as uow:
        refresh_in(uow.conn, node)
        vis = Visible(uow.conn, actor.audience())
        vis.load([record_id])
        if vis.records.get(record_id) is None:
            raise NotFound(f"no record {record_id}")
        if not vis.readable(record_id):
            raise Forbidden(f"you may not read {record_id}")
        found = index.selectors_of(uow.conn, record_id)
        uow.audit(AuditEvent(actor.label, "record.selectors", record_id, {"selectors": len(found)}))
        uow.commit()
    return found


def invalid_selectors(node: Node, actor: Actor, limit: int = 200) -> dict[str, list[dict]]:
    """Records (that the actor may read) with identifiers that failed their checks, and why."""
    _require(actor)
    with node.uow() as uow:
        refresh_in(uow.conn, node)
        found = index.invalid_records(uow.conn, limit * 4)
        vis = Visible(uow.conn, actor.audience())
        vis.load(list(found))
        shown = {k: v for k, v in found.items() if vis.readable(k)}
        shown = dict(list(shown.items())[:limit])
        uow.audit(AuditEvent(actor.label, "record.selectors", None, {"invalid_in": sorted(shown)}))
        uow.commit()
    return shown


# For notifications (vinculo.notify): alerts and notices raised after a position, each shown to a user only
# as `list_alerts` / `list_notices` would show it (the same `Visible` and `_alert_view`).


def raised_since(conn: Connection, after_alert: int, after_notice: int, limit: int = MAX_PAGE) -> tuple[list, list]:
    """Alert rows and notice rows with ids above the given ones, oldest first, at most `limit` each."""
    a = conn.execute(select(da).where(da.c.id > after_alert).order_by(da.c.id).limit(limit)).all()
    n = conn.execute(select(dn).where(dn.c.id > after_notice).order_by(dn.c.id).limit(limit)).all()
    return a, n


def last_ids(conn: Connection) -> tuple[int, int]:
    from sqlalchemy import func

    return (conn.execute(select(func.coalesce(func.max(da.c.id), 0))).scalar_one(),
            conn.execute(select(func.coalesce(func.max(dn.c.id), 0))).scalar_one())


def seen_by(conn: Connection, audience: Audience, alert_rows: list, notice_rows: list
            ) -> tuple[list[tuple[int, dict, list[str]]], list[tuple[int, dict, list[str]]]]:
    """(id, view, TLPs of the records it names) of the alerts and notices among the rows that `audience` may
    see, as the listings show them (an over-common alert names no record: its TLP is unknown, "red")."""
    vis = Visible(conn, audience)
    vis.load([i for r in alert_rows for i in (r.record_a, r.record_b)] + [r.record_id for r in notice_rows])

    def tlps(ids: list[str]) -> list[str]:
        found = [vis.records.get(i) for i in ids]
        return [r.markings.tlp.value for r in found if r is not None] or ["red"]

    alerts_out = [(r.id, v, tlps([x["id"] for x in v["records"]])) for r in alert_rows
                  if (v := _alert_view(vis, r)) is not None]
    notices_out = [(r.id, {"id": r.id, "partner": r.partner, "contact": r.contact, "kind": r.kind, "value": r.value,
                           "record": vis.brief(r.record_id), "run": r.run_id,
                           "next": f"ask {r.contact} ({r.partner}) through the usual channel, citing run {r.run_id}"},
                    tlps([r.record_id]))
                   for r in notice_rows if vis.readable(r.record_id)]
    return alerts_out, notices_out


def selector_kinds(conn: Connection, record_ids: list[str]) -> dict[str, set[str]]:
    """The kinds of valid selectors each record holds (for subscriptions filtered by selector kind)."""
    from vinculo.store.tables_deconfliction import dc_selectors as ds

    out: dict[str, set[str]] = {}
    for i in range(0, len(record_ids), index.CHUNK):
        q = select(ds.c.record_id, ds.c.kind).where(ds.c.record_id.in_(record_ids[i : i + index.CHUNK]),
                                                     ds.c.valid.is_(True))
        for r in conn.execute(q):
            out.setdefault(r.record_id, set()).add(r.kind)
    return out

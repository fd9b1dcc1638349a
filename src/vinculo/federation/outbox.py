"""What this node serves a partner: its change feed, filtered by release(), signed, guarded, audited.

The cursor is this node's change-feed sequence number. A record version the partner may receive goes
as its released view, signed by this node; a record the partner holds but may no longer receive
(revoked, re-marked, agreement narrowed) goes as a tombstone. Records never sent are never mentioned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from vinculo.audit.events import AuditEvent
from vinculo.federation import egress
from vinculo.federation.signing import sign_document
from vinculo.federation.stix_map import to_stix
from vinculo.node.context import Node
from vinculo.records.model import Record, format_ts, utcnow
from vinculo.records import repository as repo
from vinculo.records.repository import from_row
from vinculo.sharing import service as sharing
from vinculo.sharing.release import PartnerNode, release
from vinculo.store.tables import record_versions as rv
from vinculo.store.tables_federation import holdings, withdrawals
from vinculo.store.upsert import upsert

MAX_LIMIT = 1000


@dataclass
class FeedPage:
    objects: list[dict] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    next_seq: int | None = None
    more: bool = False
    refused: int = 0


def tombstone(record: Record) -> dict:
    """The signed statement that a holder must drop `record` (no content, no reason)."""
    return {"id": record.id, "type": record.type, "origin": record.origin, "version": record.version,
            "created": format_ts(record.created), "modified": format_ts(record.modified), "revoked": True,
            "markings": record.markings.to_json(), "body": {}}


def _candidates(conn, partner: str, after: int, types: set[str], ids: set[str] | None, batch: int):  # noqa: ANN001, ANN202
    """Up to `batch` (seq, record, why, added) after `after`, in seq order: versions, then withdrawals merged in."""
    q = select(rv).where(rv.c.seq > after, rv.c.current.is_(True), rv.c.type.in_(types))
    if ids is not None:
        q = q.where(rv.c.id.in_(ids))
    rows = [(r.seq, from_row(r), None, r.added) for r in conn.execute(q.order_by(rv.c.seq).limit(batch))]
    wq = select(withdrawals).where(withdrawals.c.partner == partner, withdrawals.c.seq > after)
    if ids is not None:
        wq = wq.where(withdrawals.c.record_id.in_(ids))
    for w in conn.execute(wq.order_by(withdrawals.c.seq).limit(batch)).all():
        record = repo.current(conn, w.record_id)
        if record is not None:
            rows.append((w.seq, record, "withdrawn", w.created))
    rows.sort(key=lambda x: x[0])
    return rows[:batch], len(rows) < batch


def feed(node: Node, partner: str, after: int = 0, limit: int = 500, types: set[str] | None = None,
         ids: set[str] | None = None, manifest: bool = False) -> FeedPage:
    """One page of the partner's feed after sequence number `after` (one transaction, audited).

    With `manifest`, only ids and versions are wanted: nothing is signed and holdings do not change."""
    limit = max(1, min(limit, MAX_LIMIT))
    page = FeedPage(next_seq=after)
    now = utcnow()
    stamp = format_ts(now)
    with node.uow() as uow:
        agreement = sharing.current_agreement(uow.conn, partner)
        if agreement is None:
            return page
        audience = PartnerNode(partner, node.id, agreement, now.date())
        wanted = set(agreement.record_types) & (types or set(agreement.record_types))
        sent: list[list] = []
        held_rows: list[dict] = []
        while len(page.objects) < limit:
            rows, exhausted = _candidates(uow.conn, partner, page.next_seq, wanted, ids, limit - len(page.objects))
            if not rows:
                break
            held = _holdings(uow.conn, partner, [r.id for _, r, _, _ in rows])
            for seq, record, why, added in rows:
                page.next_seq = seq
                decision = release(record, audience) if why is None else None
                if decision is not None and decision.allowed:
                    doc, kind = decision.view, "record"
                elif held.get(record.id) is False:  # held and not yet withdrawn
                    doc, kind = tombstone(record), "tombstone"
                else:
                    continue
                if manifest:
                    page.objects.append({"id": record.id, "modified": doc["modified"], "added": added})
                    sent.append([record.id, record.version, "manifest"])
                    continue
                if kind == "record" and record.origin != node.id:
                    if decision.withheld or not record.signature:  # a relay passes the origin's own signature
                        page.refused += 1
                        continue
                    obj = to_stix(doc, record.signature, record.origin)
                else:
                    obj = to_stix(doc, sign_document(node.key, doc), node.id)
                try:
                    egress.check(obj, partner, node.id, agreement, now.date())
                except egress.EgressRefused as exc:
                    page.refused += 1
                    uow.audit(AuditEvent(f"node:{node.id}", "egress.refused", record.id,
                                         {"partner": partner, "reason": str(exc)}))
                    continue
                page.objects.append(obj)
                page.added.append(added)
                sent.append([record.id, record.version, kind])
                held[record.id] = kind == "tombstone"
                held_rows.append({"partner": partner, "record_id": record.id, "version": record.version,
                                  "withdrawn": kind == "tombstone", "updated": stamp})
            if exhausted:
                break
        page.more = _has_more(uow.conn, partner, page.next_seq, wanted)
        upsert(uow.conn, holdings, held_rows, ["partner", "record_id"], ["version", "withdrawn", "updated"])
        if sent or page.refused:
            uow.audit(AuditEvent(f"partner:{partner}", "release", f"partner:{partner}",
                                 {"partner": partner, "objects": sent, "after": after, "next": page.next_seq,
                                  "agreement_version": agreement.version}))
        uow.commit()
    return page


def _holdings(conn, partner: str, record_ids: list[str]) -> dict[str, bool]:  # noqa: ANN001
    out: dict[str, bool] = {}
    for i in range(0, len(record_ids), 900):
        q = select(holdings.c.record_id, holdings.c.withdrawn).where(
            holdings.c.partner == partner, holdings.c.record_id.in_(record_ids[i : i + 900]))
        out.update({r.record_id: r.withdrawn for r in conn.execute(q)})
    return out


def _has_more(conn, partner: str, after: int, types: set[str]) -> bool:  # noqa: ANN001
    more = conn.execute(select(rv.c.seq).where(rv.c.seq > after, rv.c.current.is_(True), rv.c.type.in_(types))
                        .limit(1)).first()
    if more:
        return True
    return conn.execute(select(withdrawals.c.seq).where(withdrawals.c.partner == partner,
                                                        withdrawals.c.seq > after).limit(1)).first() is not None

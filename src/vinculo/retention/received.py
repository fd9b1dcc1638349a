"""Received records whose retention, or whose agreement, has ended: purged here, and the node that released
them told so with a `purged` receipt.

The purge is the one a withdrawal applies (`records.holding.drop_content`: every version's content deleted,
a tombstone left in its place, then `store.purge.after_purge` scrubs the database files); what is kept is
the record id, version and content hash in `retention_purged` and the audit log, never the content.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

import httpx
import orjson
from sqlalchemy import bindparam, select, update

from vinculo.audit.events import AuditEvent
from vinculo.audit.merkle import CompactRange, leaf_hash
from vinculo.canonical import canonical_json
from vinculo.exhibits.service import purge_unreferenced
from vinculo.federation.client import TaxiiClient
from vinculo.federation.partners import partner_row, pull_credential
from vinculo.node.context import Node
from vinculo.records import holding
from vinculo.records import repository as repo
from vinculo.records.model import Record, format_ts, utcnow
from vinculo.retention.model import received_cutoff
from vinculo.sharing import service as sharing
from vinculo.store.feed import allocate_seq, lock_node_state
from vinculo.store.purge import after_purge
from vinculo.store.tables_federation import received_pages
from vinculo.store.tables_retention import retention_purged
from vinculo.store.upsert import upsert

log = logging.getLogger("vinculo.retention")
BATCH = 1000  # records purged per transaction
RECEIPTS = 5000  # receipts per request (as a pull sends them)


@dataclass(frozen=True)
class Purged:
    partner: str
    count: int
    reason: str

    def line(self) -> str:
        return f"{self.partner}: {self.count:,} received record{'s' if self.count != 1 else ''} purged ({self.reason})"


def purge_received(node: Node, now: dt.datetime | None = None) -> list[Purged]:
    """Purge, partner by partner, the received records that are due (`model.received_cutoff`)."""
    now = now or utcnow()
    with node.engine.connect() as conn:
        partners = [p["node_id"] for p in sharing.list_partners(conn)]
    out = []
    for partner in partners:
        total, reason = 0, ""
        while True:
            count, reason = _purge_batch(node, partner, now)
            total += count
            if count < BATCH:
                break
        if total:
            out.append(Purged(partner, total, reason))
    return out


def _purge_batch(node: Node, partner: str, now: dt.datetime) -> tuple[int, str]:
    with node.uow() as uow:
        conn = uow.conn
        lock_node_state(conn)  # first, as a page being stored does (both change record versions)
        cut = received_cutoff(sharing.current_agreement(conn, partner), now)
        if cut is None:
            return 0, ""
        pages = select(received_pages.c.first_seq, received_pages.c.last_seq).where(received_pages.c.partner == partner)
        rows = holding.received_current(conn, pages, cut.added_before, BATCH)
        if not rows:
            return 0, cut.reason
        stamp = format_ts(now)
        held = repo.current_many(conn, [r[0] for r in rows])
        records, versions, tombstones = [], [], []
        for rid, version, digest, _added in rows:
            versions += holding.drop_content(conn, rid)
            records.append([rid, version, digest])
            tombstones.append(_tombstone(held[rid]))
        # Each purged record leaves a tombstone of the version it had (no content, unsigned: made here), as a
        # withdrawal leaves the origin's: what reads the change feed (the selector and graph indexes, a relay's
        # holders) learns that it is gone, and a newer version from the origin is still taken.
        first = allocate_seq(conn, len(tombstones))
        tree = CompactRange()
        tree.extend([leaf_hash(bytes.fromhex(digest)) for _row, digest in tombstones])
        repo.insert_rows(conn, [repo.to_row(tomb, first + i, digest) for i, (tomb, digest) in enumerate(tombstones)])
        upsert(conn, retention_purged, [
            {"partner": partner, "record_id": rid, "version": version, "content_hash": digest,
             "reason": cut.reason, "purged_at": stamp, "receipt_sent": None} for rid, version, digest in records],
            ["partner", "record_id", "version"], ["content_hash", "reason", "purged_at", "receipt_sent"])
        uow.audit(AuditEvent(f"node:{node.id}", "retention.received", f"partner:{partner}",
                             {"partner": partner, "reason": cut.reason, "records": records, "purged": versions,
                              "first_seq": first, "last_seq": first + len(tombstones) - 1,
                              "root": tree.root().hex()}))
        uow.commit()
    after_purge(node.engine, [holding.TABLE])  # the content off the disk too (store.purge)
    purge_unreferenced(node)  # attachment files go with their records (vinculo.exhibits)
    return len(records), cut.reason


def _tombstone(record: Record) -> tuple[Record, str]:
    tomb = Record(record.id, record.type, record.origin, record.version, record.created, record.modified,
                  record.markings, {}, revoked=True)
    return tomb, hashlib.sha256(canonical_json(tomb.document())).hexdigest()


def unsent_partners(node: Node) -> list[str]:
    """Partners owed `purged` receipts."""
    with node.engine.connect() as conn:
        return list(conn.execute(select(retention_purged.c.partner).distinct()
                                 .where(retention_purged.c.receipt_sent.is_(None))
                                 .order_by(retention_purged.c.partner)).scalars())


def send_purged_receipts(node: Node, partner: str) -> int:
    """Send `partner` a `purged` receipt for every record of its purged here that it was not told of yet;
    how many it acknowledged. A failure leaves them for the next run (logged, not raised)."""
    row = partner_row(node, partner)
    try:
        token = pull_credential(node, partner)
    except sharing.SharingError as exc:
        log.warning("purged receipts for %s wait: %s", partner, exc)
        return 0
    if not row.url:
        return 0
    url = row.url.rstrip("/")
    sent = 0
    with TaxiiClient(url + "/taxii2/", token=token) as client:
        while True:
            with node.engine.connect() as conn:
                owed = conn.execute(select(retention_purged).where(retention_purged.c.partner == partner,
                                                                   retention_purged.c.receipt_sent.is_(None))
                                    .order_by(retention_purged.c.record_id, retention_purged.c.version)
                                    .limit(RECEIPTS)).all()
            if not owed:
                return sent
            body = {"receipts": [{"id": r.record_id, "version": r.version, "status": "purged",
                                  "received_at": r.purged_at} for r in owed]}
            try:
                with client.http.stream("POST", url + "/api/v1/federation/receipts", content=orjson.dumps(body),
                                        headers={"Content-Type": "application/json"}) as resp:
                    status = resp.status_code
            except httpx.HTTPError as exc:
                log.warning("purged receipts for %s: %s", partner, exc)
                return sent
            if status != 200:
                log.warning("purged receipts for %s: HTTP %s", partner, status)
                return sent
            with node.uow() as uow:
                stamp = format_ts(utcnow())
                rp = retention_purged  # not one purged again since it was read (that one is owed anew)
                uow.conn.execute(update(rp).where(rp.c.partner == partner, rp.c.record_id == bindparam("rid"),
                                                  rp.c.version == bindparam("v"), rp.c.purged_at == bindparam("at"))
                                 .values(receipt_sent=stamp),
                                 [{"rid": r.record_id, "v": r.version, "at": r.purged_at} for r in owed])
                uow.audit(AuditEvent(f"node:{node.id}", "receipts.sent", f"partner:{partner}",
                                     {"count": len(owed), "status": "purged"}))
                uow.commit()
            sent += len(owed)
            if len(owed) < RECEIPTS:
                return sent

"""Receipts partners return for what this node released to them: `stored`, `withdrawn` (it applied our
tombstone) or `purged` (its retention, or its agreement with us, ended and it deleted the content)."""

from __future__ import annotations

import orjson
from sqlalchemy import bindparam, select, update

from vinculo.audit.events import AuditEvent
from vinculo.node.context import Node
from vinculo.records.model import ID_RE, format_ts, parse_ts, utcnow
from vinculo.store.tables_federation import holdings, receipts
from vinculo.store.upsert import upsert_tuples

MAX_RECEIPTS = 10000
STATUSES = ("stored", "withdrawn", "purged")
MAX_BODY = 4 * 1024 * 1024
"""Bytes of one receipts request (10,000 receipts take about 1.5 MB)."""


class ReceiptError(ValueError):
    pass


def parse_receipts(body: bytes) -> list:
    """The items of a receipts request body (`{"receipts": [...]}`); `record_receipts` checks each one."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ReceiptError(f"body: not JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("receipts"), list):
        raise ReceiptError("body: an object whose 'receipts' is a list")
    return data["receipts"]


_ROW = ["partner", "record_id", "version", "status", "received_at", "recorded"]  # key first, then the rest


def record_receipts(node: Node, partner: str, items: list[dict]) -> int:
    if len(items) > MAX_RECEIPTS:
        raise ReceiptError(f"receipts: at most {MAX_RECEIPTS} per request")
    now = format_ts(utcnow())
    rows = []
    stamps: dict[str, str] = {}  # a page's receipts share one timestamp: check each distinct one once
    withdrawn = purged = 0
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ReceiptError(f"receipts[{i}]: an object")
        rid, version, status = item.get("id"), item.get("version"), item.get("status")
        if not isinstance(rid, str) or not ID_RE.match(rid):
            raise ReceiptError(f"receipts[{i}].id: not a record id")
        if not isinstance(version, int) or version < 1:
            raise ReceiptError(f"receipts[{i}].version: a positive integer")
        if status not in STATUSES:
            raise ReceiptError(f"receipts[{i}].status: stored, withdrawn or purged")
        raw = str(item.get("received_at"))
        received = stamps.get(raw)
        if received is None:
            try:
                received = stamps[raw] = format_ts(parse_ts(raw))
            except ValueError:
                raise ReceiptError(f"receipts[{i}].received_at: an RFC 3339 timestamp") from None
        withdrawn += status == "withdrawn"
        purged += status == "purged"
        rows.append((partner, rid, version, status, received, now))
    with node.uow() as uow:
        sent = _sent_to(uow.conn, partner, sorted({row[1] for row in rows}))
        kept = [row for row in rows if row[2] <= sent.get(row[1], 0)]
        upsert_tuples(uow.conn, receipts, _ROW, _ROW[:3], _ROW[3:], kept)
        _no_longer_held(uow.conn, partner, [(row[1], row[2]) for row in kept if row[3] == "purged"])
        uow.audit(AuditEvent(f"partner:{partner}", "receipts", f"partner:{partner}",
                             {"count": len(kept), "withdrawn": withdrawn, "purged": purged,
                              "ignored": len(rows) - len(kept)}))
        uow.commit()
    return len(kept)


def _no_longer_held(conn, partner: str, purged: list[tuple[str, int]]) -> None:
    """The partner purged these versions: it holds them no more (no tombstone is owed for them). A receipt for
    an older version than the one last sent leaves the holding as it is."""
    if purged:
        conn.execute(update(holdings).where(holdings.c.partner == partner, holdings.c.record_id == bindparam("rid"),
                                            holdings.c.version == bindparam("v")).values(withdrawn=True),
                     [{"rid": rid, "v": version} for rid, version in purged])


def _sent_to(conn, partner: str, record_ids: list[str]) -> dict[str, int]:  # noqa: ANN001
    """The latest version of each record this node released to `partner` (its holdings). A receipt for
    anything else is not kept: it is about a record we never sent there."""
    out: dict[str, int] = {}
    for i in range(0, len(record_ids), 900):
        chunk = record_ids[i : i + 900]
        out.update(conn.execute(select(holdings.c.record_id, holdings.c.version)
                                .where(holdings.c.partner == partner, holdings.c.record_id.in_(chunk))).all())
    return out


def list_receipts(node: Node, partner: str, status: str | None = None, limit: int = 100) -> list[dict]:
    q = select(receipts).where(receipts.c.partner == partner)
    if status:
        q = q.where(receipts.c.status == status)
    with node.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q.order_by(receipts.c.recorded.desc()).limit(limit))]

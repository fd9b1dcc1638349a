"""Append events to the node's Merkle audit log and read it back."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, insert, select, update

from vinculo.audit.events import AuditEvent, entry_bytes
from vinculo.audit.merkle import CompactRange, leaf_hash
from vinculo.audit.treehead import sign_tree_head
from vinculo.jsontext import json_text
from vinculo.records.model import format_ts
from vinculo.store.tables import audit_log, node_state, tree_heads


def append(conn: Connection, node_id: str, key: Ed25519PrivateKey, events: list[AuditEvent],
           now: dt.datetime | None = None) -> int:
    """Append `events` in order, sign the new tree head; return the new log size."""
    now = now or dt.datetime.now(dt.timezone.utc)
    ts = format_ts(now)
    state = conn.execute(
        select(node_state.c.audit_size, node_state.c.audit_frontier).where(node_state.c.id == 1).with_for_update()
    ).one()
    frontier = CompactRange.from_json(json.loads(state.audit_frontier))
    if frontier.size != state.audit_size:
        raise RuntimeError("audit frontier does not match the log size; run `vinculo audit verify`")
    rows = []
    for event in events:
        idx = frontier.size
        leaf = leaf_hash(entry_bytes(idx, ts, event.actor, event.action, event.target, event.detail))
        frontier.append(leaf)
        rows.append({"idx": idx, "ts": ts, "actor": event.actor, "action": event.action,
                     "target": event.target, "detail": json_text(event.detail),
                     "leaf_hash": leaf.hex()})
    conn.execute(insert(audit_log), rows)
    head = sign_tree_head(key, node_id, frontier.size, frontier.root(), now)
    conn.execute(insert(tree_heads).values(size=head.size, root=head.root.hex(), ts=format_ts(head.timestamp),
                                           signature=head.signature.hex()))
    conn.execute(update(node_state).where(node_state.c.id == 1).values(
        audit_size=frontier.size, audit_frontier=json.dumps(frontier.to_json())))
    return frontier.size


def empty_frontier() -> str:
    return json.dumps(CompactRange().to_json())


def entries(conn: Connection, *, actor: str | None = None, action: str | None = None, target: str | None = None,
            after: int = -1, limit: int = 100) -> list[dict]:
    q = select(audit_log).where(audit_log.c.idx > after).order_by(audit_log.c.idx).limit(limit)
    if actor:
        q = q.where(audit_log.c.actor == actor)
    if action:
        q = q.where(audit_log.c.action == action)
    if target:
        q = q.where(audit_log.c.target == target)
    return [dict(r._mapping, detail=json.loads(r.detail)) for r in conn.execute(q)]


def stream(conn: Connection, batch: int = 20000) -> Iterator[dict]:
    """All entries in order, fetched in batches (never the whole log in memory)."""
    after = -1
    while True:
        rows = conn.execute(select(audit_log).where(audit_log.c.idx > after).order_by(audit_log.c.idx)
                            .limit(batch)).all()
        if not rows:
            return
        for r in rows:
            yield r._mapping
        after = rows[-1].idx

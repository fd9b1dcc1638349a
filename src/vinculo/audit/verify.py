"""Recompute the audit log from its entries and check every signed tree head.

A changed entry is named by its index: either its content no longer hashes to its stored
leaf hash, or (if the stored hash was changed too) the first signed tree head covering it fails.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, select

from vinculo.audit.events import entry_bytes
from vinculo.audit.merkle import CompactRange, leaf_hash
from vinculo.audit.service import stream
from vinculo.audit.treehead import TreeHead, verify_tree_head
from vinculo.records.model import parse_ts
from vinculo.store.tables import node_state, tree_heads


@dataclass(frozen=True)
class LogCheck:
    ok: bool
    entries: int
    root: str
    problem: str | None = None


def _heads(conn: Connection) -> dict[int, TreeHead]:
    rows = conn.execute(select(tree_heads).order_by(tree_heads.c.size))
    return {r.size: TreeHead(r.size, bytes.fromhex(r.root), parse_ts(r.ts), bytes.fromhex(r.signature)) for r in rows}


def _key_at(when: datetime, current: Ed25519PublicKey,
            retired: Sequence[tuple[Ed25519PublicKey, datetime]]) -> Ed25519PublicKey:
    return next((key for key, until in retired if when < until), current)


def verify_log(conn: Connection, node_id: str, public_key: Ed25519PublicKey,
               retired: Sequence[tuple[Ed25519PublicKey, datetime]] = ()) -> LogCheck:
    """`retired`: the node's earlier keys, oldest first, each with the time it was retired: a tree head
    made before that time (and after the one before it was retired) must carry that key's signature."""
    heads = _heads(conn)
    frontier = CompactRange()
    last_good = 0
    for e in stream(conn):
        if e["idx"] != frontier.size:
            return LogCheck(False, frontier.size, "", f"entry {frontier.size}: missing (next stored is {e['idx']})")
        try:
            detail = json.loads(e["detail"])
        except ValueError:
            return LogCheck(False, frontier.size, "", f"entry {e['idx']}: detail is not valid JSON")
        leaf = leaf_hash(entry_bytes(e["idx"], e["ts"], e["actor"], e["action"], e["target"], detail))
        if leaf.hex() != e["leaf_hash"]:
            return LogCheck(False, frontier.size, "", f"entry {e['idx']}: content does not match its leaf hash "
                            f"({e['action']} by {e['actor']})")
        frontier.append(leaf)
        head = heads.get(frontier.size)
        if head is not None:
            if not verify_tree_head(_key_at(head.timestamp, public_key, retired), node_id, head):
                return LogCheck(False, frontier.size, "", f"tree head at size {head.size}: bad signature")
            if head.root != frontier.root():
                return LogCheck(False, frontier.size, "", f"entry {last_good}..{frontier.size - 1}: changed; "
                                f"the signed tree head at size {head.size} does not match")
            last_good = frontier.size
    size = conn.execute(select(node_state.c.audit_size).where(node_state.c.id == 1)).scalar_one()
    if size != frontier.size:
        return LogCheck(False, frontier.size, "", f"log holds {frontier.size} entries, node state says {size}")
    if frontier.size and frontier.size not in heads:
        return LogCheck(False, frontier.size, "", f"no signed tree head for the latest size {frontier.size}")
    return LogCheck(True, frontier.size, frontier.root().hex())

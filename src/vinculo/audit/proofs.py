"""Proofs over this node's own audit log, computed from the leaf hashes it stores.

Only hashes leave this module: a consistency proof names no entry and reveals nothing of what was logged.
A subtree root is computed by streaming its range of leaf hashes in batches (memory O(log n)); a
proof reads each leaf of the tree at most once.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from vinculo.audit.merkle import CompactRange, consistency_ranges
from vinculo.audit.treehead import TreeHead
from vinculo.records.model import parse_ts
from vinculo.store.tables import audit_log, tree_heads

BATCH = 20_000


class ProofError(ValueError):
    """A proof that cannot be made for these sizes (they name a tree this log never had)."""


def latest_head(conn: Connection) -> TreeHead | None:
    """The node's latest signed tree head, or None for an empty log."""
    row = conn.execute(select(tree_heads).order_by(tree_heads.c.size.desc()).limit(1)).one_or_none()
    if row is None:
        return None
    return TreeHead(row.size, bytes.fromhex(row.root), parse_ts(row.ts), bytes.fromhex(row.signature))


def range_root(conn: Connection, lo: int, hi: int) -> bytes:
    """MTH of leaves [lo, hi) as stored; raises ProofError when one of them is missing."""
    tree, after = CompactRange(), lo - 1
    while after < hi - 1:
        rows = conn.execute(select(audit_log.c.idx, audit_log.c.leaf_hash)
                            .where(audit_log.c.idx > after, audit_log.c.idx < hi)
                            .order_by(audit_log.c.idx).limit(BATCH)).all()
        if not rows or rows[0].idx != after + 1 or rows[-1].idx != after + len(rows):
            raise ProofError(f"the log has no entry {after + 1}: run `vinculo audit verify`")
        tree.extend([bytes.fromhex(r.leaf_hash) for r in rows])
        after = rows[-1].idx
    return tree.root()


def consistency_from_log(conn: Connection, old_size: int, new_size: int) -> list[bytes]:
    """RFC 6962 consistency proof from the tree of `old_size` entries to that of `new_size`.

    Both sizes must name trees this log has signed heads for (0 < old_size <= new_size <= latest)."""
    latest = conn.execute(select(func.max(tree_heads.c.size))).scalar() or 0
    if not 0 < old_size <= new_size <= latest:
        raise ProofError(f"sizes {old_size}..{new_size}: need 0 < first <= second <= {latest} (the latest "
                         "signed tree head)")
    return [range_root(conn, lo, hi) for lo, hi in consistency_ranges(old_size, new_size)]

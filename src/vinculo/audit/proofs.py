"""Proofs over this node's own audit log, computed from the leaf hashes it stores.

Only hashes leave this module: a consistency proof names no entry and reveals nothing of what was logged.
A subtree root is computed by streaming its range of leaf hashes in batches (memory O(log n)). The roots
of complete chunks of `CHUNK` leaves are cached in `audit_subtrees` the first time a proof needs them, so
after the first proof one costs about n / CHUNK rows instead of n. The cache only saves work: a stale or
forged one yields a proof that fails at the partner, never one that passes.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, func, select

from vinculo.audit.merkle import CompactRange, consistency_ranges
from vinculo.audit.treehead import TreeHead
from vinculo.records.model import parse_ts
from vinculo.store.tables import audit_log, audit_subtrees, tree_heads
from vinculo.store.upsert import upsert

BATCH = 20_000
CHUNK = 4096  # leaves per cached chunk root (a power of two)


class ProofError(ValueError):
    """A proof that cannot be made for these sizes (they name a tree this log never had)."""


def latest_head(conn: Connection) -> TreeHead | None:
    """The node's latest signed tree head, or None for an empty log."""
    row = conn.execute(select(tree_heads).order_by(tree_heads.c.size.desc()).limit(1)).one_or_none()
    if row is None:
        return None
    return TreeHead(row.size, bytes.fromhex(row.root), parse_ts(row.ts), bytes.fromhex(row.signature))


def _leaves(conn: Connection, lo: int, hi: int) -> CompactRange:
    """A tree of the stored leaves [lo, hi), read in batches; ProofError when one of them is missing."""
    tree, after = CompactRange(), lo - 1
    while after < hi - 1:
        rows = conn.execute(select(audit_log.c.idx, audit_log.c.leaf_hash)
                            .where(audit_log.c.idx > after, audit_log.c.idx < hi)
                            .order_by(audit_log.c.idx).limit(BATCH)).all()
        if not rows or rows[0].idx != after + 1 or rows[-1].idx != after + len(rows):
            raise ProofError(f"the log has no entry {after + 1}: run `vinculo audit verify`")
        tree.extend([bytes.fromhex(r.leaf_hash) for r in rows])
        after = rows[-1].idx
    return tree


def _chunk_roots(conn: Connection, first: int, count: int, fresh: list[dict]) -> list[bytes]:
    """Roots of chunks first..first+count-1 (complete ones only), from the cache or computed (and added
    to `fresh`, for the caller to cache)."""
    lo, hi = first * CHUNK, (first + count) * CHUNK
    cached = dict(conn.execute(select(audit_subtrees.c.start, audit_subtrees.c.root).where(
        audit_subtrees.c.start >= lo, audit_subtrees.c.start < hi, audit_subtrees.c.size == CHUNK)).all())
    roots = []
    for start in range(lo, hi, CHUNK):
        if start not in cached:
            cached[start] = _leaves(conn, start, start + CHUNK).root().hex()
            fresh.append({"start": start, "size": CHUNK, "root": cached[start]})
        roots.append(bytes.fromhex(cached[start]))
    return roots


def range_root(conn: Connection, lo: int, hi: int, fresh: list[dict] | None = None) -> bytes:
    """MTH of the stored leaves [lo, hi). From `lo` on a chunk boundary, the complete chunks come from
    their cached roots: the tree over them is the same tree as over their leaves, because every split
    of a tree of CHUNK * q + r leaves falls on a chunk boundary except inside the last r."""
    if lo % CHUNK or hi - lo < CHUNK:
        return _leaves(conn, lo, hi).root()
    full = (hi - lo) // CHUNK
    upper = CompactRange()
    upper.extend(_chunk_roots(conn, lo // CHUNK, full, [] if fresh is None else fresh))
    tail = _leaves(conn, lo + full * CHUNK, hi)
    return CompactRange(hi - lo, upper.hashes + tail.hashes).root()


def consistency_from_log(engine: Engine, old_size: int, new_size: int) -> list[bytes]:
    """RFC 6962 consistency proof from the tree of `old_size` entries to that of `new_size`.

    Both sizes must be in the log (0 < old_size <= new_size <= its latest signed tree head). Computed on
    a read-only connection; the chunk roots it computed are cached afterwards in a short transaction."""
    fresh: list[dict] = []
    with engine.connect() as conn:
        latest = conn.execute(select(func.max(tree_heads.c.size))).scalar() or 0
        if not 0 < old_size <= new_size <= latest:
            raise ProofError(f"sizes {old_size}..{new_size}: need 0 < first <= second <= {latest} (the latest "
                             "signed tree head)")
        proof = [range_root(conn, lo, hi, fresh) for lo, hi in consistency_ranges(old_size, new_size)]
    if fresh:
        with engine.begin() as conn:
            upsert(conn, audit_subtrees, fresh, ["start"], ["size", "root"])
    return proof

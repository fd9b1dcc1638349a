"""The change feed: a monotonic per-node sequence number for every committed record write.

Numbers come from the single `node_state` row; updating it holds that row's lock until commit,
so sequence order is commit order (a partner's cursor never skips a late-committing write).
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from vinculo.store.tables import node_state


def lock_node_state(conn: Connection) -> None:
    """Lock the node's state row now (PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the database).

    Every transaction that appends to the audit log locks this row when it commits. One that first locks
    another shared row (a partner's sync_state) must take this one first, or two such transactions running
    at once (a page being stored, receipts being sent) could each hold what the other waits for."""
    conn.execute(select(node_state.c.id).where(node_state.c.id == 1).with_for_update())


def allocate_seq(conn: Connection, count: int) -> int:
    """Reserve `count` sequence numbers; return the first."""
    conn.execute(update(node_state).where(node_state.c.id == 1).values(last_seq=node_state.c.last_seq + count))
    last = conn.execute(select(node_state.c.last_seq).where(node_state.c.id == 1)).scalar_one()
    return last - count + 1


def last_seq(conn: Connection) -> int:
    return conn.execute(select(node_state.c.last_seq).where(node_state.c.id == 1)).scalar_one()

"""The change feed: a monotonic per-node sequence number for every committed record write.

Numbers come from the single `node_state` row; updating it holds that row's lock until commit,
so sequence order is commit order (a partner's cursor never skips a late-committing write).
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from vinculo.store.tables import node_state


def allocate_seq(conn: Connection, count: int) -> int:
    """Reserve `count` sequence numbers; return the first."""
    conn.execute(update(node_state).where(node_state.c.id == 1).values(last_seq=node_state.c.last_seq + count))
    last = conn.execute(select(node_state.c.last_seq).where(node_state.c.id == 1)).scalar_one()
    return last - count + 1


def last_seq(conn: Connection) -> int:
    return conn.execute(select(node_state.c.last_seq).where(node_state.c.id == 1)).scalar_one()

"""Audited reads at load: a read-only unit of work's entries are group-committed, durable on return."""

import threading
import time

import pytest
import sqlalchemy as sa

from vinculo.audit.checks import verify_node
from vinculo.audit.events import AuditEvent
from vinculo.audit.group import AuditWriter
from vinculo.store.tables import audit_log, node_state, tree_heads
from vinculo.store.uow import ReadOnlyViolation


def counts(node):
    """Entries and tree heads, read as another process would (no write lock taken)."""
    engine = sa.create_engine(node.home.db_url)
    with engine.connect() as conn:
        out = (conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar(),
               conn.execute(sa.select(sa.func.count()).select_from(tree_heads)).scalar())
    engine.dispose()
    return out


def read(node, i):
    with node.uow(read_only=True) as uow:
        uow.conn.execute(sa.select(node_state.c.audit_size)).scalar()
        uow.audit(AuditEvent(f"user:r{i}", "record.read", f"seizure--{i}", {"n": i}))
        uow.commit()


def test_an_entry_is_durable_when_commit_returns(node):
    entries, heads = counts(node)
    read(node, 1)
    assert counts(node) == (entries + 1, heads + 1)  # on another connection, as another process sees it
    assert verify_node(node).ok


def test_concurrent_reads_share_a_transaction_and_a_tree_head(node):
    entries, heads = counts(node)
    with _log_head_locked(node):
        first = threading.Thread(target=read, args=(node, 0))
        first.start()
        time.sleep(0.5)  # the writer takes entry 0 and waits for the lock; the rest queue behind it
        rest = [threading.Thread(target=read, args=(node, i)) for i in range(1, 25)]
        for t in rest:
            t.start()
        time.sleep(0.5)
        assert counts(node) == (entries, heads)  # nothing is written while the head is held
    for t in [first, *rest]:
        t.join(60)
    after_entries, after_heads = counts(node)
    assert after_entries == entries + 25
    assert after_heads - heads <= 2  # one signed tree head per batch, not per request (25 without it)
    assert verify_node(node).ok
    with node.uow(read_only=True) as uow:
        actors = {r.actor for r in uow.conn.execute(sa.select(audit_log.c.actor).where(audit_log.c.idx >= entries))}
    assert actors == {f"user:r{i}" for i in range(25)}


def test_a_read_only_unit_of_work_refuses_to_write(node):
    entries, _ = counts(node)
    with pytest.raises(ReadOnlyViolation), node.uow(read_only=True) as uow:
        uow.audit(AuditEvent("user:x", "record.read", None, {}))
        uow.conn.execute(sa.update(node_state).values(last_seq=node_state.c.last_seq))
        uow.commit()
    assert counts(node)[0] == entries
    with node.uow() as uow:  # the same pooled connection writes again in an ordinary unit of work
        uow.conn.execute(sa.update(node_state).values(last_seq=node_state.c.last_seq))
        uow.commit()


def test_a_failed_batch_fails_every_request_in_it(node):
    def broken(_conn, _events):
        raise RuntimeError("disk full")

    writer = AuditWriter(node.engine, broken)
    with pytest.raises(RuntimeError, match="disk full"):
        writer.write([AuditEvent("user:x", "record.read", None, {})])
    assert writer.batches == 0


class _log_head_locked:
    """Hold the audit log's head as a writer would: SQLite's write lock, PostgreSQL's node_state row."""

    def __init__(self, node):
        self.engine = sa.create_engine(node.home.db_url, connect_args={"isolation_level": None}
                                       if node.home.db_url.startswith("sqlite") else {})

    def __enter__(self):
        self.conn = self.engine.connect()
        if self.engine.dialect.name == "sqlite":
            self.conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            self.tx = self.conn.begin()
            self.conn.execute(sa.select(node_state).with_for_update()).all()
        return self

    def __exit__(self, *exc):
        if self.engine.dialect.name == "sqlite":
            self.conn.exec_driver_sql("COMMIT")
        else:
            self.tx.commit()
        self.conn.close()
        self.engine.dispose()

"""Purges are purges: content a node drops (a tombstone for a revoked record, a withdrawal after its
partner narrowed the agreement) is gone from the database's files too, not only from its tables. Two real
nodes on loopback; SQLite: the raw bytes of the database file and its WAL; PostgreSQL: the table, and
that VACUUM ran (what PostgreSQL keeps beyond that is in docs/operators.md)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from conftest import SEIZURE, actor
from fed_helpers import pair
from sqlalchemy import text

from vinculo.federation import sync
from vinculo.federation.agreements import update_agreement
from vinculo.records import service
from vinculo.store.purge import after_purge

TERMS = {"record_types": ["seizure"], "max_tlp": "amber", "start": "2020-01-01"}


@pytest.fixture
def nodes(make_node):
    return make_node("us-dea", "US"), make_node("mx-fgr", "MX")


def on_disk(node) -> bytes:
    """Every byte of a SQLite node's database file and its WAL."""
    db = Path(node.engine.url.database)
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def rows_with(node, marker: str) -> int:
    with node.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM record_versions WHERE body LIKE :m"),
                            {"m": f"%{marker}%"}).scalar()


def last_vacuum(node):
    with node.engine.connect() as conn:
        return conn.execute(text("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'record_versions' "
                                 "AND schemaname = current_schema()")).scalar()


def test_revoked_and_withdrawn_content_leaves_the_receivers_disk(nodes):
    us, mx = nodes
    sqlite = mx.engine.dialect.name == "sqlite"
    ana = actor(us, "analyst")
    revoked_marker, withdrawn_marker = (f"PURGE-{uuid.uuid4().hex}" for _ in range(2))
    revoked = service.create_record(us, ana, "seizure", SEIZURE | {"description": revoked_marker}, {"tlp": "green"})
    withdrawn = service.create_record(us, ana, "seizure", SEIZURE | {"description": withdrawn_marker},
                                      {"tlp": "amber"})
    kept = service.create_record(us, ana, "seizure", SEIZURE | {"description": "kept"}, {"tlp": "green"})
    with pair(us, mx, us_terms=TERMS):
        assert sync.pull(mx, "us-dea").new == 3
        assert rows_with(mx, revoked_marker) == 1 and rows_with(mx, withdrawn_marker) == 1
        if sqlite:  # the scan sees content where it is
            disk = on_disk(mx)
            assert revoked_marker.encode() in disk and withdrawn_marker.encode() in disk
        else:
            before = last_vacuum(mx)

        service.revoke_record(us, actor(us, "supervisor"), revoked.id, "entered twice")
        assert sync.pull(mx, "us-dea").retracted == 1
        assert rows_with(mx, revoked_marker) == 0
        if sqlite:
            disk = on_disk(mx)
            assert revoked_marker.encode() not in disk and withdrawn_marker.encode() in disk
        else:
            vacuumed = last_vacuum(mx)
            assert vacuumed is not None and (before is None or vacuumed > before)

        _, count = update_agreement(us, "mx-fgr", TERMS | {"max_tlp": "green"})
        assert count == 1
        assert sync.pull(mx, "us-dea").retracted == 1
        assert rows_with(mx, withdrawn_marker) == 0
        if sqlite:
            assert withdrawn_marker.encode() not in on_disk(mx)
        else:
            assert last_vacuum(mx) > vacuumed
        assert service.get_record(mx, actor(mx, "supervisor"), kept.id)[0].body["description"] == "kept"
        tomb, _ = service.get_record(mx, actor(mx, "supervisor"), withdrawn.id)
        assert tomb.revoked and tomb.body == {}


def test_sqlite_connections_delete_securely(node):
    if node.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite setting")
    with node.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1


def test_after_purge_names_unknown_tables(node):
    with pytest.raises(ValueError, match="unknown tables"):
        after_purge(node.engine, ["record_versions; DROP TABLE users"])
    assert after_purge(node.engine, ["record_versions"]).done


def test_a_checkpoint_blocked_by_a_reader_is_finished_by_the_next(node, monkeypatch):
    if node.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite WAL")
    import sqlite3

    from vinculo.store import purge

    monkeypatch.setattr(purge, "SQLITE_WAIT_MS", 50)
    db = Path(node.engine.url.database)
    reader = sqlite3.connect(db, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM record_versions").fetchone()  # holds a snapshot
        service.create_record(node, actor(node, "analyst"), "seizure", SEIZURE)  # frames after that snapshot
        blocked = after_purge(node.engine, ["record_versions"])
        assert not blocked.done and "blocked" in blocked.detail
        assert db.with_name(db.name + "-wal").stat().st_size > 0
    finally:
        reader.close()
    assert after_purge(node.engine, ["record_versions"]).done
    assert db.with_name(db.name + "-wal").stat().st_size == 0

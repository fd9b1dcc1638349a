"""Database engines: SQLite (WAL, one writer at a time) by default, PostgreSQL by URL."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError

# How long a SQLite connection waits for another writer (a CLI import is one transaction and may hold
# the write lock for minutes: 60 s made the server's loops and CLI commands fail meanwhile).
BUSY_SECONDS = "VINCULO_SQLITE_BUSY_SECONDS"
DEFAULT_BUSY_SECONDS = 600


def busy_seconds() -> float:
    try:
        return min(max(float(os.environ.get(BUSY_SECONDS, DEFAULT_BUSY_SECONDS)), 0.1), 3600.0)
    except ValueError:
        return DEFAULT_BUSY_SECONDS


def locked(exc: BaseException) -> bool:
    """Whether `exc` is SQLite's "another writer holds the database" (it waited `busy_seconds()`)."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        wait = busy_seconds()
        engine = create_engine(url, connect_args={"isolation_level": None, "timeout": wait})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            # Deleted content is overwritten with zeros, in the database file and in the WAL frames the
            # deleting transaction writes (store.purge checkpoints the WAL after a purge).
            cur.execute("PRAGMA secure_delete=ON")
            cur.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
            cur.execute("PRAGMA cache_size=-131072")  # up to 128 MiB of pages: bulk imports stay in memory
            cur.execute("PRAGMA temp_store=MEMORY")
            # A page of a pull dirties thousands of scattered index pages. Checkpointing every 1,000 WAL
            # pages (the default; each checkpoint also syncs the database file) took a third of a
            # 500,000-record pull's commits; at 10,000 (~40 MB) writes to the same pages coalesce first.
            cur.execute("PRAGMA wal_autocheckpoint=10000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):  # noqa: ANN001
            # Take the write lock up front: every transaction here may append to the audit log,
            # and upgrading a read lock later would deadlock with another writer.
            # A read-only unit of work (store.uow) writes nothing: it begins deferred and takes no lock.
            conn.exec_driver_sql("BEGIN" if conn.info.get("vinculo_read_only") else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)

"""`vinculo db migrate-to URL`: copy a SQLite node into a new PostgreSQL database, then verify it there.

The target must be a new database (its schema absent or empty). This release's migrations create the
schema there; every table is then copied in foreign-key order (`COPY` through psycopg, store.upsert), the
sequences moved past the copied ids, the row counts compared table by table, and the audit log and the
records verified in PostgreSQL (audit.checks.verify_node) before `node.migrated` is appended there.
The SQLite database is only read, under its write lock for the whole copy (a consistent copy; nothing
writes meanwhile), and is left as it was: the node moves when its operator points VINCULO_DATABASE_URL
(or --db) at the new database. A node that is serving is refused: stop `vinculo serve` and the workers.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass

from sqlalchemy import Engine, MetaData, func, inspect, select, text

from vinculo.audit.checks import verify_node
from vinculo.audit.events import AuditEvent
from vinculo.node import pg_tools
from vinculo.node.context import Node
from vinculo.node.home import Home
from vinculo.store.engine import make_engine
from vinculo.store.migrate import upgrade
from vinculo.store.schema import metadata
from vinculo.store.upsert import insert_many

BATCH = 5_000


class MigrateError(RuntimeError):
    """The node cannot be copied there; nothing was changed on either side that matters (say why)."""


@dataclass(frozen=True)
class Migrated:
    url: str
    rows: dict[str, int]
    entries: int
    root: str
    records: int
    ok: bool
    problem: str | None


def _serving(home: Home) -> bool:
    fd = os.open(home.path / "node_key.lock", os.O_WRONLY | os.O_CREAT, 0o600)  # as node.key_rotation
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _revisions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(r for (r,) in conn.execute(text("SELECT version_num FROM alembic_version")))


def _prepare(target: Engine) -> None:
    with target.connect() as conn:
        schema = pg_tools.node_schema(conn)
        if not schema:
            raise MigrateError("URL: its search_path names no schema to create the node's tables in")
        state = pg_tools.schema_state(conn, schema)
        if state == "used":
            raise MigrateError(f"URL: schema {schema!r} is not empty; migrate into a new database, never over one")
        if state == "absent":
            conn.execute(text(f"CREATE SCHEMA {conn.dialect.identifier_preparer.quote(schema)}"))
            conn.commit()


def _copy(node: Node, target: Engine) -> dict[str, int]:
    reflected = MetaData()
    reflected.reflect(target)
    rows: dict[str, int] = {}
    with node.engine.connect() as src, src.begin():  # BEGIN IMMEDIATE (store.engine): the write lock
        present = set(inspect(src).get_table_names())
        with target.begin() as dst:
            for table in reversed(reflected.sorted_tables):  # what the migrations seeded comes from the node
                if table.name != "alembic_version":
                    dst.execute(table.delete())
            for table in reflected.sorted_tables:
                if table.name == "alembic_version" or table.name not in present:
                    continue
                source = metadata.tables.get(table.name, table)  # the node's own types read SQLite's values
                names = [c.name for c in table.columns]
                cols = [source.c[n] for n in names]
                count = 0
                result = src.execution_options(yield_per=BATCH).execute(select(*cols))
                for part in result.partitions(BATCH):
                    insert_many(dst, table.name, names, [tuple(r) for r in part])
                    count += len(part)
                rows[table.name] = count
                for column in table.primary_key.columns:
                    seq = dst.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                      {"t": table.name, "c": column.name}).scalar()
                    if seq:
                        dst.execute(text(f"SELECT setval(:s, COALESCE((SELECT MAX({column.name}) FROM "
                                         f"{table.name}), 0) + 1, false)"), {"s": seq})
            for name, count in rows.items():
                there = dst.execute(select(func.count()).select_from(reflected.tables[name])).scalar_one()
                if there != count:
                    raise MigrateError(f"{name}: {count:,} rows read, {there:,} in PostgreSQL")
    return rows


def migrate_to(node: Node, url: str, by: str = "cli") -> Migrated:
    if not url.startswith(("postgresql://", "postgresql+psycopg://")):
        raise MigrateError("URL: a PostgreSQL URL, postgresql://user@host:5432/database")
    if node.engine.dialect.name != "sqlite":
        raise MigrateError(f"this node is on {node.engine.dialect.name} already (back it up and restore it to move "
                           "it: vinculo backup / vinculo restore)")
    if _serving(node.home):
        raise MigrateError("the node is serving (vinculo serve or vinculo worker holds it): stop them first")
    target = make_engine(url)
    try:
        _prepare(target)
        upgrade(node.engine)  # both at this release's heads, so every table and column matches
        upgrade(target)
        if _revisions(node.engine) != _revisions(target):
            raise MigrateError("the two schemas differ after the migrations (a revision unknown to this release?)")
        rows = _copy(node, target)
        moved = Node(node.id, node.name, node.country, node.key, target, Home(node.home.path, url), node.settings)
        check = verify_node(moved)
        if check.ok:
            with moved.uow() as uow:
                uow.audit(AuditEvent(by, "node.migrated", node.id,
                                     {"from": "sqlite", "rows": sum(rows.values()), "tables": len(rows),
                                      "audit_size": check.entries}))
                uow.commit()
        return Migrated(url, rows, check.entries, check.root, check.records, check.ok, check.problem)
    finally:
        target.dispose()

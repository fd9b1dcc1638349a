"""After a purge commits, make the purged content unrecoverable from the database's files, as far as the
database allows. Call `after_purge(engine, tables)` once the transaction that deleted or blanked record
content has committed (a purge: a tombstone applied, a withdrawal received, any content dropped).

SQLite: every connection runs with `secure_delete=ON` (store.engine), so the deleting transaction zeroes
the freed cells and pages it writes; but the WAL still holds the frames written before, with the content.
`wal_checkpoint(TRUNCATE)` copies the WAL into the database file and truncates the WAL to zero bytes.
It waits at most `SQLITE_WAIT_MS` for readers of older snapshots; if they are still reading, the WAL is
checkpointed as far as it can be and the next purge (or this call again) finishes the job.

PostgreSQL: `VACUUM` of the affected tables, outside any transaction, removes the deleted row versions
(and their TOAST chunks) once no open transaction can still see them. PostgreSQL does not promise to
overwrite the freed space: its bytes stay in the table's files until reused, and in WAL segments until they
are recycled, in archived WAL and in backups. docs/operators.md says what that means for an operator.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine

from vinculo.store.schema import metadata

log = logging.getLogger("vinculo.store.purge")

SQLITE_WAIT_MS = 10_000
"""How long a checkpoint waits for readers of older snapshots (a purge never waits the full minute a
writer would)."""


@dataclass(frozen=True)
class PurgeResult:
    done: bool
    detail: str


def after_purge(engine: Engine, tables: Iterable[str]) -> PurgeResult:
    """Scrub what a committed purge of `tables` left on disk. A database error is logged and returned,
    not raised (the purge itself has committed; the content is no longer readable through the node)."""
    names = sorted(set(tables))
    unknown = [t for t in names if t not in metadata.tables]
    if unknown:
        raise ValueError(f"after_purge: unknown tables {unknown}")
    try:
        if engine.dialect.name == "sqlite":
            return _sqlite_checkpoint(engine)
        if engine.dialect.name == "postgresql":
            return _pg_vacuum(engine, names)
        return PurgeResult(False, f"no scrub for {engine.dialect.name}")
    except Exception as exc:  # noqa: BLE001 - the purge committed; report, do not fail the caller
        log.warning("after a purge of %s: %s", ", ".join(names), exc)
        return PurgeResult(False, str(exc))


def _sqlite_checkpoint(engine: Engine) -> PurgeResult:
    raw = engine.raw_connection()  # no BEGIN: a checkpoint runs outside any transaction
    try:
        cur = raw.cursor()
        (usual,) = cur.execute("PRAGMA busy_timeout").fetchone()
        cur.execute(f"PRAGMA busy_timeout={SQLITE_WAIT_MS}")
        try:
            busy, frames, copied = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            cur.execute(f"PRAGMA busy_timeout={int(usual)}")
            cur.close()
    finally:
        raw.close()
    if busy:
        log.warning("after a purge: WAL checkpoint blocked by readers (%s of %s frames copied); "
                    "the WAL is truncated at the next purge", copied, frames)
        return PurgeResult(False, f"checkpoint blocked: {copied} of {frames} WAL frames copied")
    return PurgeResult(True, "WAL checkpointed and truncated")


def _pg_vacuum(engine: Engine, tables: list[str]) -> PurgeResult:
    quote = engine.dialect.identifier_preparer.quote
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in tables:
            conn.exec_driver_sql(f"VACUUM {quote(name)}")
    return PurgeResult(True, f"vacuumed {', '.join(tables)}")

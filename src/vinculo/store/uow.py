"""Unit of work: one transaction per use case; audit events are appended in the same commit.

A read-only unit of work (`read_only=True`) writes nothing but audit entries: on SQLite it takes no write
lock, any other write in it is refused, and its entries go to the node's group-committing audit writer
(`vinculo.audit.group`) once its read transaction has ended; `commit` returns when they are durable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

from sqlalchemy import Connection, Engine, event

READ_ONLY = "vinculo_read_only"  # Connection.info flag, set for the length of a read-only unit of work


class ReadOnlyViolation(RuntimeError):
    """A read-only unit of work tried to write (a bug in the use case, never bad input)."""


class UnitOfWork:
    """`with node.uow() as uow: ...; uow.commit()`. Leaving without commit rolls back."""

    def __init__(self, engine: Engine, flush_audit: Callable[[Connection, list[Any]], None],
                 read_only: bool = False, write_audit: Callable[[list[Any]], None] | None = None):
        self._engine = engine
        self._flush_audit = flush_audit
        if read_only and write_audit is None:
            raise ValueError("a read-only unit of work needs the node's audit writer (write_audit)")
        self._write_audit = write_audit
        self.read_only = read_only
        self.conn: Connection
        self.pending_audit: list[Any] = []
        self.committed = False

    def __enter__(self) -> Self:
        self.conn = self._engine.connect()
        if self.read_only:
            _guard(self._engine)
            self.conn.info[READ_ONLY] = True
        self._tx = self.conn.begin()
        return self

    def audit(self, event: Any) -> None:
        self.pending_audit.append(event)

    def commit(self) -> None:
        if self.read_only:
            self._tx.commit()  # the reads are done: nothing holds a lock while the entries are written
            self.committed = True
            self._release()  # nor a pooled connection: the writer needs one, and requests may be many
            if self.pending_audit:
                events, self.pending_audit = self.pending_audit, []
                self._write_audit(events)  # type: ignore[misc]  (required with read_only)
            return
        if self.pending_audit:
            self._flush_audit(self.conn, self.pending_audit)
            self.pending_audit = []
        self._tx.commit()
        self.committed = True

    def __exit__(self, *exc: object) -> None:
        try:
            if not self.committed and self._tx.is_active:
                self._tx.rollback()
        finally:
            self._release()

    def _release(self) -> None:
        if not self.conn.closed:
            self.conn.info.pop(READ_ONLY, None)
            self.conn.close()


def _guard(engine: Engine) -> None:
    """Refuse any statement but a read on a connection inside a read-only unit of work."""
    if not event.contains(engine, "before_cursor_execute", _reads_only):
        event.listen(engine, "before_cursor_execute", _reads_only)


_READS = frozenset({"SELECT", "WITH", "PRAGMA", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SHOW"})


def _reads_only(conn, _cursor, statement, _params, _context, _many) -> None:
    if conn.info.get(READ_ONLY):
        word = statement.lstrip()[:9].split(None, 1)[0].upper() if statement.strip() else ""
        if word not in _READS:
            raise ReadOnlyViolation(f"a read-only unit of work may not run {word}")

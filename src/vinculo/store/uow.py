"""Unit of work: one transaction per use case; audit events are appended in the same commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine


class UnitOfWork:
    """`with node.uow() as uow: ...; uow.commit()`. Leaving without commit rolls back."""

    def __init__(self, engine: Engine, flush_audit: Callable[[Connection, list[Any]], None]):
        self._engine = engine
        self._flush_audit = flush_audit
        self.conn: Connection
        self.pending_audit: list[Any] = []
        self.committed = False

    def __enter__(self) -> "UnitOfWork":
        self.conn = self._engine.connect()
        self._tx = self.conn.begin()
        return self

    def audit(self, event: Any) -> None:
        self.pending_audit.append(event)

    def commit(self) -> None:
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
            self.conn.close()

"""Group commit for the audit entries of reads: one transaction and one signed tree head per batch.

Every read is audited, and on a busy node the reads come from many requests at once. Appending each
read's entry in its own write transaction serialises them all on the log's head (SQLite's write lock,
PostgreSQL's row lock on `node_state`) and signs a tree head per request. A read-only unit of work
(`node.uow(read_only=True)`) instead ends its read transaction and hands its entries to the node's
`AuditWriter`: one thread that appends whatever has queued in one transaction and one tree head, commits,
and only then lets each waiting request go on. So an entry is durable before its response is sent, the
wait is bounded by one batch's commit (entries that arrive during a commit go in the next batch, at most
`MAX_BATCH` events each), and the log and its proofs are exactly what one append per request would give.

A write's entries are never deferred: they are appended in the write's own transaction
(`store.uow.UnitOfWork.commit`), so a change and its audit entry commit together or not at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Connection, Engine

MAX_BATCH = 5000
"""Events in one batch (a transaction); more wait for the next one."""


class AuditWriter:
    """Appends queued audit events in batches, from one thread per node (started on first use)."""

    def __init__(self, engine: Engine, append: Callable[[Connection, list[Any]], Any]):
        self._engine, self._append = engine, append
        self._lock = threading.Condition()
        self._queue: list[tuple[list[Any], Future]] = []
        self._thread: threading.Thread | None = None
        self.batches = 0  # committed batches (for tests and the bench)

    def submit(self, events: list[Any]) -> Future:
        """Queue `events` (appended together, in order); the future is done once they are committed."""
        done: Future = Future()
        with self._lock:
            self._queue.append((list(events), done))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="vinculo-audit-writer", daemon=True)
                self._thread.start()
            self._lock.notify()
        return done

    def write(self, events: list[Any]) -> None:
        """`submit` and wait: raises what the batch's transaction raised."""
        self.submit(events).result()

    def _take(self) -> list[tuple[list[Any], Future]] | None:
        with self._lock:
            if not self._lock.wait_for(lambda: self._queue, timeout=30):
                self._thread = None  # idle: the next submit starts a new thread
                return None
            batch, size = [], 0
            while self._queue and (not batch or size + len(self._queue[0][0]) <= MAX_BATCH):
                item = self._queue.pop(0)
                batch.append(item)
                size += len(item[0])
            return batch

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            try:
                with self._engine.connect() as conn, conn.begin():
                    self._append(conn, [event for events, _ in batch for event in events])
            except BaseException as exc:  # noqa: BLE001 - every waiting request gets the error
                for _, done in batch:
                    done.set_exception(exc)
                continue
            self.batches += 1
            for _, done in batch:
                done.set_result(None)

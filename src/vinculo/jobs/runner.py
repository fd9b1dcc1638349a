"""A job runner: schedules what is due, claims jobs one at a time, runs them under a lease.

Every runner (the one inside `vinculo serve`, each `vinculo worker`) schedules the periodic work: when a
schedule's slot changes it queues one job per subject under the slot's unique key, so the same slot queued
by five processes is one job, run once. A running job's lease is moved on by a heartbeat thread; a runner
killed mid-job stops moving it, and once it expires another runner claims the job again (its attempts
counted; after the last one it is failed). A handler that raises is retried after a back-off.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from vinculo.jobs import service
from vinculo.jobs.model import Job, slot, slot_key
from vinculo.node.context import Node
from vinculo.records.model import format_ts, utcnow
from vinculo.store.engine import locked
from vinculo.store.tables_jobs import jobs

log = logging.getLogger("vinculo.jobs")

Handler = Callable[[Node, dict], "dict | None"]


@dataclass(frozen=True)
class Schedule:
    """Run `kind` every `interval` seconds, once per subject that `subjects(node)` names (subject, payload)."""

    kind: str
    interval: float
    subjects: Callable[[Node], list[tuple[str | None, dict]]]
    max_attempts: int = 3


def worker_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Runner:
    def __init__(self, node: Node, handlers: dict[str, Handler], schedules: list[Schedule] | None = None,
                 lease: float = 60.0, poll: float = 1.0, backoff_base: float | None = None):
        if lease <= 0 or poll <= 0:
            raise ValueError("lease and poll must be positive")
        self.node, self.handlers, self.schedules = node, dict(handlers), list(schedules or [])
        self.lease, self.poll, self.backoff_base = lease, poll, backoff_base
        self.worker = worker_id()
        self.stopped = threading.Event()
        self.ran = 0
        self._slots: dict[str, object] = {}
        self._thread: threading.Thread | None = None

    # scheduling
    def schedule_due(self) -> int:
        """Queue the current slot of every schedule whose slot changed since last time; how many were added."""
        added = 0
        now = utcnow()
        for s in self.schedules:
            start = slot(now, s.interval)
            if self._slots.get(s.kind) == start:
                continue
            subjects = s.subjects(self.node)
            with self.node.uow() as uow:
                for subject, payload in subjects:
                    key = slot_key(s.kind, subject, start)
                    added += service.enqueue_in(uow.conn, s.kind, payload | {"slot": key}, key, start, s.max_attempts)
                uow.commit()
            self._slots[s.kind] = start
        return added

    # running
    def _due(self) -> bool:
        """Whether a claim may find something (a read without the write lock, so idle runners stay cheap)."""
        stamp = format_ts(utcnow())
        due = or_(and_(jobs.c.status == "queued", jobs.c.run_after <= stamp),
                  and_(jobs.c.status == "running", jobs.c.lease_until < stamp))
        with self.node.uow(read_only=True) as uow:
            return uow.conn.execute(select(jobs.c.id).where(due, jobs.c.kind.in_(list(self.handlers)))
                                    .limit(1)).first() is not None

    def run_one(self) -> bool:
        """Claim and run one due job; whether there was one."""
        if not self._due():
            return False
        job = service.claim(self.node, self.worker, list(self.handlers), self.lease)
        if job is None:
            return False
        beat = threading.Event()
        heart = threading.Thread(target=self._heartbeat, args=(job, beat), name="vinculo-job-lease", daemon=True)
        heart.start()
        try:
            result = self.handlers[job.kind](self.node, job.payload)
        except Exception as exc:  # noqa: BLE001 - a failed attempt is recorded and retried, never fatal
            beat.set()
            heart.join()
            status = service.fail(self.node, job, exc, self.backoff_base)
            log.warning("job %s %s (attempt %d/%d) failed, now %s: %s", job.id, job.kind, job.attempts,
                        job.max_attempts, status, exc)
        else:
            beat.set()
            heart.join()
            if not service.complete(self.node, job, result):
                log.warning("job %s %s finished after its lease was taken over: outcome not recorded", job.id,
                            job.kind)
        self.ran += 1
        return True

    def _heartbeat(self, job: Job, stop: threading.Event) -> None:
        while not stop.wait(self.lease / 3):
            try:
                if not service.extend(self.node, job, self.lease):
                    log.warning("job %s: lease lost to another worker", job.id)
                    return
            except Exception as exc:  # noqa: BLE001
                if locked(exc):  # another writer held SQLite past the busy wait: one line, the next beat retries
                    log.warning("job %s: lease not extended, the database is busy with another writer", job.id)
                else:
                    log.exception("job %s: lease not extended", job.id)

    def run(self) -> None:
        """Until `stop()`: schedule, run what is due, wait `poll` seconds when nothing was."""
        while not self.stopped.is_set():
            ran = False
            try:
                self.schedule_due()
                ran = self.run_one()
            except Exception as exc:  # noqa: BLE001
                if locked(exc):
                    log.warning("jobs: the database is busy with another writer; trying again later")
                else:
                    log.exception("job runner")
            if not ran:
                self.stopped.wait(self.poll)

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.run, name="vinculo-jobs", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 30.0) -> None:
        self.stopped.set()
        if self._thread is not None:
            self._thread.join(timeout)

"""The job queue: enqueue, claim, finish, fail, extend a lease; list and prune.

Claiming is one short transaction: the oldest due job (queued and due, or running with an expired lease:
its worker died or lost the database) is selected `FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent
workers each take a different row without waiting on one another; on SQLite the transaction holds the
write lock (`BEGIN IMMEDIATE`, store.engine), which serialises claims across processes the same way.
A claim sets the worker's id and counts the attempt; finishing or failing is fenced on both, so a worker
that lost its lease and comes back late cannot overwrite the outcome of the attempt that replaced it.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from vinculo.jobs.model import Job, JobInvalid, backoff, check_key, check_kind, clip_error, encode_payload
from vinculo.node.context import Node
from vinculo.records.model import format_ts, utcnow
from vinculo.store.tables_jobs import jobs

DEFAULT_ATTEMPTS = 5
MAX_LIST = 500


def enqueue_in(conn: Connection, kind: str, payload: dict | None = None, key: str | None = None,
               run_after: dt.datetime | None = None, max_attempts: int = DEFAULT_ATTEMPTS) -> bool:
    """Queue a job inside an open transaction; with a `key` already queued (or run), nothing: returns
    whether a row was added."""
    if not 1 <= max_attempts <= 100:
        raise JobInvalid("max_attempts: 1-100")
    now = utcnow()
    values = {"kind": check_kind(kind), "key": check_key(key), "payload": encode_payload(payload), "status": "queued",
              "run_after": format_ts(run_after or now), "attempts": 0, "max_attempts": max_attempts,
              "created": format_ts(now)}
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(jobs).values(**values)
    if key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["key"])
    return conn.execute(stmt.returning(jobs.c.id)).first() is not None


def enqueue(node: Node, kind: str, payload: dict | None = None, key: str | None = None,
            run_after: dt.datetime | None = None, max_attempts: int = DEFAULT_ATTEMPTS) -> bool:
    with node.uow() as uow:
        added = enqueue_in(uow.conn, kind, payload, key, run_after, max_attempts)
        uow.commit()
    return added


def claim(node: Node, worker: str, kinds: list[str], lease: float) -> Job | None:
    """Take the oldest due job of one of `kinds` for `lease` seconds, or None. A job whose lease expired
    after its last allowed attempt is marked failed instead (its worker died each time)."""
    if not kinds:
        return None
    while True:
        now = utcnow()
        stamp = format_ts(now)
        due = or_(and_(jobs.c.status == "queued", jobs.c.run_after <= stamp),
                  and_(jobs.c.status == "running", jobs.c.lease_until < stamp))
        with node.uow() as uow:
            row = uow.conn.execute(select(jobs).where(due, jobs.c.kind.in_(kinds))
                                   .order_by(jobs.c.run_after, jobs.c.id).limit(1)
                                   .with_for_update(skip_locked=True)).first()
            if row is None:
                return None
            if row.status == "running" and row.attempts >= row.max_attempts:
                uow.conn.execute(update(jobs).where(jobs.c.id == row.id).values(
                    status="failed", finished=stamp, lease_until=None,
                    last_error=f"lease expired after attempt {row.attempts} of {row.max_attempts} (worker {row.worker})"))
                uow.commit()
                continue
            uow.conn.execute(update(jobs).where(jobs.c.id == row.id).values(
                status="running", attempts=row.attempts + 1, worker=worker,
                lease_until=format_ts(now + dt.timedelta(seconds=lease))))
            uow.commit()
        return Job(row.id, row.kind, row.key, json.loads(row.payload), row.attempts + 1, row.max_attempts, worker)


def _mine(job: Job):
    return and_(jobs.c.id == job.id, jobs.c.worker == job.worker, jobs.c.attempts == job.attempts,
                jobs.c.status == "running")


def extend(node: Node, job: Job, lease: float) -> bool:
    """Move the lease on (a heartbeat); False when the job is no longer this attempt's."""
    with node.uow() as uow:
        n = uow.conn.execute(update(jobs).where(_mine(job)).values(
            lease_until=format_ts(utcnow() + dt.timedelta(seconds=lease)))).rowcount
        uow.commit()
    return n == 1


def complete(node: Node, job: Job, result: dict | None = None) -> bool:
    with node.uow() as uow:
        n = uow.conn.execute(update(jobs).where(_mine(job)).values(
            status="done", finished=format_ts(utcnow()), lease_until=None,
            result=json.dumps(result, default=str)[:16_384] if result is not None else None)).rowcount
        uow.commit()
    return n == 1


def fail(node: Node, job: Job, exc: BaseException, base: float | None = None) -> str:
    """Record a failed attempt: queued again after a back-off, or failed for good after the last one.
    Returns the job's new status (or "lost" when it was no longer this attempt's)."""
    now = utcnow()
    final = job.attempts >= job.max_attempts
    values: dict = {"last_error": clip_error(exc), "lease_until": None}
    if final:
        values |= {"status": "failed", "finished": format_ts(now)}
    else:
        wait = backoff(job.attempts) if base is None else backoff(job.attempts, base)
        values |= {"status": "queued", "run_after": format_ts(now + dt.timedelta(seconds=wait))}
    with node.uow() as uow:
        n = uow.conn.execute(update(jobs).where(_mine(job)).values(**values)).rowcount
        uow.commit()
    return values["status"] if n == 1 else "lost"


def last_result(conn: Connection, kind: str) -> dict | None:
    """What the latest finished job of `kind` returned (a position to resume from, say)."""
    row = conn.execute(select(jobs.c.result).where(jobs.c.kind == kind, jobs.c.status == "done",
                                                   jobs.c.result.is_not(None))
                       .order_by(jobs.c.finished.desc(), jobs.c.id.desc()).limit(1)).first()
    return json.loads(row.result) if row else None


def list_jobs(node: Node, status: str | None = None, limit: int = 100) -> list[dict]:
    limit = max(1, min(limit, MAX_LIST))
    q = select(jobs).order_by(jobs.c.id.desc()).limit(limit)
    if status:
        q = q.where(jobs.c.status == status)
    with node.engine.connect() as conn:
        return [{c: getattr(r, c) for c in ("id", "kind", "key", "status", "attempts", "max_attempts", "run_after",
                                            "worker", "last_error", "finished")} for r in conn.execute(q)]


def counts(node: Node) -> dict[str, int]:
    with node.engine.connect() as conn:
        return dict(conn.execute(select(jobs.c.status, func.count()).group_by(jobs.c.status)).all())


def prune(node: Node, older_than: dt.timedelta) -> int:
    """Delete finished jobs (done or failed) finished before now - `older_than`; how many."""
    cutoff = format_ts(utcnow() - older_than)
    with node.uow() as uow:
        n = uow.conn.execute(delete(jobs).where(jobs.c.status.in_(("done", "failed")),
                                                jobs.c.finished < cutoff)).rowcount
        uow.commit()
    return n

"""The job queue on both databases: unique keys, claims, leases, attempts with back-off, the runner."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import SEIZURE, actor
from fed_helpers import pair
from sqlalchemy import select

from vinculo.jobs import service
from vinculo.jobs.model import JobInvalid, backoff, slot, slot_key
from vinculo.jobs.runner import Runner, Schedule
from vinculo.jobs.work import HANDLERS, once
from vinculo.records import service as records
from vinculo.records.model import utcnow
from vinculo.records.query import build_filters
from vinculo.store.tables_jobs import jobs


def rows(node):
    with node.engine.connect() as conn:
        return conn.execute(select(jobs).order_by(jobs.c.id)).all()


def wait_past(seconds: float) -> None:
    time.sleep(seconds + 0.05)  # let a lease run out (the test asserts no timing, it waits for one)


def test_a_key_is_queued_once_and_a_job_is_claimed_once(node):
    assert service.enqueue(node, "t.a", {"x": 1}, key="t.a:slot-1")
    assert not service.enqueue(node, "t.a", {"x": 2}, key="t.a:slot-1")
    assert service.enqueue(node, "t.a", {"x": 3})  # no key: always queued
    job = service.claim(node, "w1", ["t.a"], lease=60)
    assert job.payload == {"x": 1} and job.attempts == 1 and job.worker == "w1"
    other = service.claim(node, "w2", ["t.a"], lease=60)
    assert other.payload == {"x": 3}
    assert service.claim(node, "w3", ["t.a"], lease=60) is None
    assert service.complete(node, job, {"ok": True}) and service.complete(node, other)
    assert [r.status for r in rows(node)] == ["done", "done"]
    assert not service.enqueue(node, "t.a", key="t.a:slot-1")  # done, and still once
    assert service.claim(node, "w1", ["t.other"], lease=60) is None


def test_a_failed_attempt_waits_its_back_off_and_the_last_one_fails_for_good(node):
    service.enqueue(node, "t.f", max_attempts=2)
    job = service.claim(node, "w", ["t.f"], lease=60)
    assert service.fail(node, job, RuntimeError("boom")) == "queued"
    assert service.claim(node, "w", ["t.f"], lease=60) is None  # its back-off (5 s) is not over
    row = rows(node)[0]
    assert row.status == "queued" and row.last_error == "RuntimeError: boom" and row.run_after > row.created
    with node.uow() as uow:  # the back-off is over
        uow.conn.execute(jobs.update().values(run_after=row.created))
        uow.commit()
    again = service.claim(node, "w", ["t.f"], lease=60)
    assert again.attempts == 2
    assert service.fail(node, again, ValueError("still")) == "failed"
    assert rows(node)[0].status == "failed" and service.claim(node, "w", ["t.f"], lease=60) is None


def test_an_expired_lease_is_claimed_again_and_the_late_worker_cannot_overwrite(node):
    service.enqueue(node, "t.l", max_attempts=2)
    first = service.claim(node, "dead", ["t.l"], lease=0.05)
    wait_past(0.05)
    second = service.claim(node, "alive", ["t.l"], lease=60)
    assert second.id == first.id and second.attempts == 2
    assert not service.complete(node, first) and not service.extend(node, first, 60)
    assert service.fail(node, first, RuntimeError("late")) == "lost"
    assert service.complete(node, second, {"by": "alive"})
    row = rows(node)[0]
    assert row.status == "done" and row.worker == "alive" and row.last_error is None


def test_a_lease_that_expires_after_the_last_attempt_fails_the_job(node):
    service.enqueue(node, "t.x", max_attempts=1)
    service.claim(node, "dead", ["t.x"], lease=0.05)
    wait_past(0.05)
    assert service.claim(node, "w", ["t.x"], lease=60) is None
    row = rows(node)[0]
    assert row.status == "failed" and "lease expired after attempt 1 of 1" in row.last_error


def test_concurrent_claims_take_each_job_once(node):
    for i in range(40):
        service.enqueue(node, "t.c", {"i": i})
    taken: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while (job := service.claim(node, name, ["t.c"], lease=60)) is not None:
            with lock:
                taken.append(job.payload["i"])
            service.complete(node, job)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(taken) == list(range(40))
    assert {r.status for r in rows(node)} == {"done"}


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_hostile_jobs_are_refused_whole(node):
    with pytest.raises(JobInvalid, match="payload"):
        service.enqueue(node, "t.big", {"x": "a" * 20_000})
    with pytest.raises(JobInvalid, match="kind"):
        service.enqueue(node, "t; drop table jobs", {})
    with pytest.raises(JobInvalid, match="key"):
        service.enqueue(node, "t.k", key="k" * 201)
    with pytest.raises(JobInvalid, match="max_attempts"):
        service.enqueue(node, "t.k", max_attempts=0)
    assert rows(node) == []


def test_backoff_and_slots_are_the_same_in_every_process():
    assert [backoff(n) for n in (1, 2, 3, 20)] == [5.0, 10.0, 20.0, 900.0]
    now = utcnow()
    assert slot(now, 60) == slot(now.replace(second=now.second), 60) and slot(now, 60) <= now
    assert slot_key("sync.partner", "mx-fgr", slot(now, 60)).startswith("sync.partner:mx-fgr:")
    with pytest.raises(ValueError):
        slot(now, 0)


def test_two_runners_schedule_one_slot_once_and_a_raising_handler_is_retried(node):
    calls: list[dict] = []
    failures = [RuntimeError("first attempt fails")]

    def handler(n, payload):
        calls.append(payload)
        if failures:
            raise failures.pop()
        return {"ok": True}

    schedule = [Schedule("t.every", 3600, once)]
    a = Runner(node, {"t.every": handler}, schedule, backoff_base=0.0)
    b = Runner(node, {"t.every": handler}, schedule, backoff_base=0.0)
    assert a.schedule_due() + b.schedule_due() == 1
    assert a.run_one() and b.run_one() and not a.run_one()
    assert len(calls) == 2 and calls[0]["slot"] == calls[1]["slot"]
    row = rows(node)[0]
    assert row.status == "done" and row.attempts == 2 and row.last_error.startswith("RuntimeError")


def test_the_sync_job_pulls_from_a_partner(make_node):
    us, mx = make_node("us-dea", "US"), make_node("mx-fgr", "MX")
    rec = records.create_record(us, actor(us, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
    terms = {"record_types": ["seizure"], "max_tlp": "green", "start": "2020-01-01"}
    with pair(us, mx, us_terms=terms):
        runner = Runner(mx, HANDLERS, [Schedule("sync.partner", 3600, _partners)])
        runner.schedule_due()
        while runner.run_one():
            pass
    held = records.list_records(mx, actor(mx, "analyst"), build_filters(origin="us-dea"), None, 10).items
    assert [i["id"] for i in held] == [rec.id]
    assert [(r.kind, r.status) for r in rows(mx)] == [("sync.partner", "done")]


def _partners(node):
    from vinculo.jobs.work import partners_to_pull

    return partners_to_pull(500)(node)

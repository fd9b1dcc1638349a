"""Real processes on one PostgreSQL database: two `vinculo serve --no-jobs` servers and two `vinculo worker`s
of one node. Each scheduled sync runs once (in one worker or the other); a worker killed with SIGKILL in
the middle of a job loses nothing: its lease runs out and another worker runs the job again."""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from conftest import SEIZURE, actor
from fed_helpers import pair
from job_processes import CLI, processes, start, until, wait_http
from servers import free_port
from sqlalchemy import select

from vinculo.jobs import service
from vinculo.records import service as records
from vinculo.records.query import build_filters
from vinculo.store.tables_jobs import jobs

PG_ONLY = pytest.mark.parametrize("databases", ["postgresql"], indirect=True)

HERE = Path(__file__).parent
TERMS = {"record_types": ["seizure"], "max_tlp": "green", "start": "2020-01-01"}


def env_for(node, log: Path, lease: str = "2") -> dict:
    return os.environ | {
        "VINCULO_HOME": str(node.home.path), "VINCULO_DATABASE_URL": node.home.db_url,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        "VINCULO_JOB_MODULES": "job_handlers", "JOBS_TEST_LOG": str(log), "VINCULO_JOB_LEASE": lease,
        "VINCULO_JOB_POLL": "0.1"}


def job_rows(node, kind: str):
    with node.engine.connect() as conn:
        return conn.execute(select(jobs).where(jobs.c.kind == kind).order_by(jobs.c.id)).all()


@PG_ONLY
def test_two_servers_two_workers_each_scheduled_sync_runs_once(make_node, tmp_path):
    us, mx = make_node("us-dea", "US"), make_node("mx-fgr", "MX")
    log = tmp_path / "runs.log"
    env = env_for(mx, log)
    first = records.create_record(us, actor(us, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
    with ExitStack() as stack:
        stack.enter_context(pair(us, mx, us_terms=TERMS))
        procs = stack.enter_context(processes())
        ports = [free_port(), free_port()]
        for port in ports:
            procs.append(start(env, "serve", "--no-jobs", "--port", str(port), out=tmp_path / "serve.out"))
        for _ in range(2):
            procs.append(start(env, "worker", "--sync-interval", "1", "--retention-interval", "0",
                               out=tmp_path / "worker.out"))
        for port in ports:
            wait_http(f"http://127.0.0.1:{port}")
        held = lambda: records.list_records(mx, actor(mx, "analyst"), build_filters(origin="us-dea"), None,
                                            10).items
        until(lambda: len(held()) == 1, "the first record pulled")
        second = records.create_record(us, actor(us, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
        until(lambda: len(held()) == 2, "the second record pulled")
        until(lambda: sum(r.status == "done" for r in job_rows(mx, "sync.partner")) >= 4, "four sync slots done")
        for p in procs[2:]:
            p.send_signal(signal.SIGTERM)
        for p in procs[2:]:
            p.wait(30)
        # both servers answer from the one database meanwhile
        for port in ports:
            got = httpx.get(f"http://127.0.0.1:{port}/api/v1/node", timeout=5)
            assert got.status_code == 200 and got.json()["id"] == "mx-fgr"
    assert {i["id"] for i in held()} == {first.id, second.id}
    runs = Counter(line.split()[0] for line in log.read_text().splitlines())
    rows = job_rows(mx, "sync.partner")
    done = [r for r in rows if r.status == "done"]
    assert len(done) >= 4
    assert all(n == 1 for n in runs.values()), runs  # no slot ran twice, whichever worker ran it
    assert all(r.attempts == 1 for r in done) and len({r.key for r in rows}) == len(rows)
    assert set(runs) >= {r.key for r in done}


@PG_ONLY
def test_a_worker_killed_mid_job_loses_nothing_and_the_job_is_retried(node, tmp_path):
    log = tmp_path / "runs.log"
    env = env_for(node, log, lease="1")
    service.enqueue(node, "test.hold", {"dir": str(tmp_path)}, key="test.hold:once")
    with processes() as procs:
        a = start(env, "worker", "--sync-interval", "0", "--retention-interval", "0", out=tmp_path / "a.out")
        procs.append(a)
        until(lambda: (tmp_path / f"started.{a.pid}").exists(), "worker A to start the job")
        a.send_signal(signal.SIGKILL)
        a.wait(30)
        (tmp_path / "release").write_text("")
        b = start(env, "worker", "--sync-interval", "0", "--retention-interval", "0", out=tmp_path / "b.out")
        procs.append(b)
        until(lambda: job_rows(node, "test.hold")[0].status == "done", "the job done by worker B")
    row = job_rows(node, "test.hold")[0]
    assert row.attempts == 2 and row.worker.split(":")[1] == str(b.pid)
    assert log.read_text().splitlines() == [f"held {b.pid}"]  # A died before finishing; B finished it once
    assert (tmp_path / f"started.{b.pid}").exists()


def test_serve_refuses_more_than_one_process_on_sqlite(tmp_path):
    env = os.environ | {"VINCULO_HOME": str(tmp_path / "n"), "VINCULO_DATABASE_URL": ""}
    env.pop("VINCULO_DATABASE_URL")
    made = subprocess.run([*CLI, "init", "--node-id", "us-dea", "--name", "US", "--country", "US"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert made.returncode == 0, made.stderr
    refused = subprocess.run([*CLI, "serve", "--workers", "2"], env=env, capture_output=True, text=True,
                             timeout=120, check=False)
    assert refused.returncode == 2
    assert "needs PostgreSQL" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1

"""Benchmark: how fast the job queue (vinculo.jobs) hands out jobs, with 1 and with 2 worker processes.

    .venv/bin/python bench/jobs.py [--db postgresql://postgres@127.0.0.1:5432/test] [--jobs 2000] [--repeat 3]

N no-op jobs are queued on a fresh node, then W worker processes (each its own engine, as `vinculo worker`)
claim and complete them until none is left: each job is one claim (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, under the write lock on SQLite) and one fenced completion. The clock runs from the moment every
worker is ready to the last one done. In the same run: PostgreSQL with 1 worker, with 2, and SQLite with 1
(the in-process runner of `vinculo serve`). Prints jobs/s, medians of --repeat runs, and the ratio
2 workers / 1 worker on PostgreSQL. The handler does nothing, so this is the queue's own overhead: real jobs
(a pull, a signing batch) take from milliseconds to minutes each.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from ingest import Schema

from vinculo.jobs import service
from vinculo.node.context import open_node
from vinculo.node.home import resolve
from vinculo.node.service import init_node
from vinculo.store.engine import sqlite_url


def _worker(home: str, url: str, ready, go, done) -> None:
    node = open_node(resolve(home, url))
    ready.wait()
    go.wait()
    n = 0
    while (job := service.claim(node, f"bench-{mp.current_process().pid}", ["bench.noop"], 60)) is not None:
        service.complete(node, job)
        n += 1
    done.put(n)
    node.engine.dispose()


def run(url: str | None, workers: int, jobs: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "node"
        url = url or sqlite_url(home / "vinculo.db")
        node = init_node(resolve(home, url), "bench", "Benchmark node", "US")
        with node.uow() as uow:
            for i in range(jobs):
                service.enqueue_in(uow.conn, "bench.noop", {"i": i})
            uow.commit()
        node.engine.dispose()
        ctx = mp.get_context("spawn")
        ready, go, done = ctx.Barrier(workers + 1), ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=_worker, args=(str(home), url, ready, go, done)) for _ in range(workers)]
        for p in procs:
            p.start()
        ready.wait()
        t0 = time.perf_counter()
        go.set()
        taken = sum(done.get(timeout=600) for _ in procs)
        elapsed = time.perf_counter() - t0
        for p in procs:
            p.join(60)
        if taken != jobs:
            raise SystemExit(f"{taken} jobs taken of {jobs}: a job was taken twice or lost")
        return jobs / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--jobs", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rates: dict[str, list[float]] = {"pg1": [], "pg2": [], "sqlite1": []}
    for _ in range(max(1, args.repeat)):  # alternated, so that drift in the machine's speed hits all three
        for key, workers in (("pg1", 1), ("pg2", 2)):
            with Schema(args.db) as url:
                rates[key].append(run(url, workers, args.jobs))
        rates["sqlite1"].append(run(None, 1, args.jobs))
    med = {k: statistics.median(v) for k, v in rates.items()}
    ratios = [b / a for a, b in zip(rates["pg1"], rates["pg2"], strict=True)]
    for key, label in (("pg1", "PostgreSQL, 1 worker"), ("pg2", "PostgreSQL, 2 workers"), ("sqlite1", "SQLite, 1 worker")):
        print(f"{label}: {med[key]:,.0f} jobs/s (runs: {', '.join(f'{v:,.0f}' for v in rates[key])})")
    print(f"N={args.jobs:,} no-op jobs, each taken exactly once; PostgreSQL 2 workers / 1 worker = "
          f"{statistics.median(ratios):.2f} (runs: {', '.join(f'{r:.2f}' for r in ratios)}); "
          f"PostgreSQL 1 worker / SQLite 1 worker = {med['pg1'] / med['sqlite1']:.2f}")


if __name__ == "__main__":
    main()

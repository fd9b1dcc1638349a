"""Benchmark: the cost of correlation on insert with N records held (default 1,000,000).

    .venv/bin/python bench/correlate.py [--held N] [--inserts K] [--db URL]

A fresh node (SQLite in a temporary folder unless --db) is loaded with N phone, person and vehicle
records (bulk, as an import would), and the selector index is built once (timed: the catch-up
throughput). Then, in the same run, K records are created through the record service without
correlation (the baseline: `create_record` alone, each its own transaction), and K more each followed
by the catch-up that indexes them and raises their alerts (`create_record` + `alerts.refresh`), about
10% of them sharing a phone with a held record. Rounds alternate (base, correlated, base, correlated).
Prints ms per record for both, the correlation cost per record (the difference) and the ratio.
Goal: correlation <= 1 ms per record.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from vinculo.accounts.model import Actor
from vinculo.deconfliction import alerts
from vinculo.node.home import resolve
from vinculo.node.service import init_node
from vinculo.records import repository as repo
from vinculo.records import service
from vinculo.records.model import Record, new_id, utcnow, validate_markings
from vinculo.store.feed import allocate_seq

BATCH = 20_000


def phone(i: int) -> str:
    return f"+52 55 {10_000_000 + i * 7 % 89_999_999:08d}"


def _word(i: int) -> str:
    letters = "bcdfglmnprstvz"
    out = ""
    while True:
        i, r = divmod(i, len(letters))
        out += letters[r] + "aeiou"[r % 5]
        if not i:
            return out.capitalize()


def body(i: int) -> tuple[str, dict]:
    k = i % 3
    if k == 0:
        return "phone", {"number": phone(i)}
    if k == 1:
        return "person", {"full_name": f"{_word(i)} {_word(i // 7 + 13)} García",
                          "date_of_birth": f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}", "phones": [phone(i)]}
    return "vehicle", {"kind": "car", "plate": f"P{i:07d}"[-8:], "plate_country": "MX", "plate_state": "JAL"}


def load(node, held: int) -> float:
    marks = validate_markings({"tlp": "amber"})
    t0 = time.perf_counter()
    for start in range(0, held, BATCH):
        n = min(BATCH, held - start)
        with node.uow() as uow:
            first = allocate_seq(uow.conn, n)
            rows = []
            now = utcnow()
            for j in range(n):
                rtype, b = body(start + j)
                rec = Record(new_id(rtype), rtype, node.id, 1, now, now, marks, b)
                rows.append(repo.to_row(rec, first + j, rec.content_hash()))
            repo.insert_rows(uow.conn, rows)
            uow.commit()
        print(f"\r  loaded {start + n:,}/{held:,}", end="", flush=True)
    print()
    return time.perf_counter() - t0


def _number(held: int, rng: random.Random) -> str:
    return phone(rng.randrange(held) if rng.random() < 0.10 else held + rng.randrange(10**7))


def per_insert(node, who: Actor, k: int, rng: random.Random, held: int) -> tuple[list[float], list[float]]:
    """Each insert, then its catch-up: (insert times, correlation times), interleaved so both see the
    same machine load."""
    ins, cor = [], []
    for _ in range(k):
        t0 = time.perf_counter()
        service.create_record(node, who, "phone", {"number": _number(held, rng)})
        t1 = time.perf_counter()
        alerts.refresh(node)
        t2 = time.perf_counter()
        ins.append(t1 - t0)
        cor.append(t2 - t1)
    return ins, cor


def batched(node, who: Actor, k: int, rng: random.Random, held: int) -> tuple[float, float]:
    """k inserts, then one catch-up for all of them (as after an import or a sync): seconds each."""
    t0 = time.perf_counter()
    for _ in range(k):
        service.create_record(node, who, "phone", {"number": _number(held, rng)})
    t1 = time.perf_counter()
    alerts.refresh(node)
    return t1 - t0, time.perf_counter() - t1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--held", type=int, default=1_000_000)
    ap.add_argument("--inserts", type=int, default=1000)
    ap.add_argument("--db", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        node = init_node(resolve(Path(tmp) / "node", args.db), "bench-node", "Bench", "MX")
        who = Actor("bench", "analyst", node.id)
        print(f"loading {args.held:,} held records ({node.engine.url.get_backend_name()})")
        t_load = load(node, args.held)
        t0 = time.perf_counter()
        indexed, raised = alerts.refresh(node)
        t_index = time.perf_counter() - t0
        print(f"bulk load {args.held / t_load:,.0f} records/s; initial index {indexed:,} records in {t_index:.1f} s "
              f"({indexed / t_index:,.0f} records/s, {raised} alerts)")
        rng = random.Random(7)
        ins, cor = per_insert(node, who, args.inserts, rng, args.held)
        b, c = statistics.median(ins) * 1000, statistics.median(cor) * 1000
        bm, cm = statistics.mean(ins) * 1000, statistics.mean(cor) * 1000
        print(f"insert alone (baseline):          median {b:.3f} ms/record  mean {bm:.3f}")
        print(f"correlation on insert (catch-up): median {c:.3f} ms/record  mean {cm:.3f}   (goal <= 1 ms)")
        print(f"insert + correlation / insert:    {(b + c) / b:.2f}x (medians)   {(bm + cm) / bm:.2f}x (means)")
        t_ins, t_cor = batched(node, who, args.inserts, rng, args.held)
        print(f"batched ({args.inserts} inserts, one catch-up): insert {t_ins / args.inserts * 1000:.3f} ms/record, "
              f"correlation {t_cor / args.inserts * 1000:.3f} ms/record, ratio {(t_ins + t_cor) / t_ins:.2f}x")
        node.engine.dispose()


if __name__ == "__main__":
    main()

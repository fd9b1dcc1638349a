"""Benchmark: link analysis at 1M records and 3M relationships on a fresh SQLite node.

    .venv/bin/python bench/graph.py [--nodes 1000000] [--edges 3000000] [--queries 20] [--db URL]

Builds a random graph (uniform random pairs, mean degree 2*edges/nodes) as real `record_versions` rows,
builds the edge index once (`graph_edges`, from the change feed), then measures, for the same random
starts and pairs:

* vinculo: `graph.service.neighbourhood(k=2)` and `graph.service.path` (batched IN queries per BFS level,
  every record decided by release(), the query audited);
* baseline: the same traversals with the naive adjacency access - one query per node and direction and one
  record lookup (`repository.current`) plus release() per record - in the same run.

Prints median times and the ratio baseline/vinculo.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import select

from vinculo.accounts.model import Actor
from vinculo.graph import index, traverse
from vinculo.graph import service as graph
from vinculo.graph.index import Edge
from vinculo.node.home import resolve
from vinculo.node.service import init_node
from vinculo.records import repository as repo
from vinculo.records.model import format_ts, utcnow
from vinculo.sharing.release import release
from vinculo.store.feed import allocate_seq
from vinculo.store.tables import record_versions as rv
from vinculo.store.tables_graph import graph_edges as ge

TYPES = ("seizure", "person", "organization", "phone", "vehicle", "shipment", "lab", "location")
MARKINGS = json.dumps({"tlp": "amber", "handling": "H0", "handling_text": None, "reliability": "X",
                       "accuracy": 4, "partners": []})


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def populate(node, n_nodes: int, n_edges: int, seed: int = 7) -> list[str]:
    """Insert the records as stored rows (bodies are small; facets, hashes are placeholders)."""
    rng = random.Random(seed)
    ids = [f"{TYPES[i % len(TYPES)]}--{_uuid(rng)}" for i in range(n_nodes)]
    now = format_ts(utcnow())
    columns = repo._COLUMNS

    def row(seq: int, rid: str, rtype: str, body: str) -> tuple:
        values = {"seq": seq, "id": rid, "version": 1, "type": rtype, "origin": node.id, "created": now,
                  "modified": now, "revoked": False, "current": True, "markings": MARKINGS, "body": body,
                  "content_hash": "0" * 64, "signature": None, "tlp": "amber", "country": None, "substance": None,
                  "event_date": None, "search": "", "added": now}
        return tuple(values[c] for c in columns)

    batch = 50000
    with node.uow() as uow:
        first = allocate_seq(uow.conn, n_nodes + n_edges)
        seq = first
        rows = []
        for rid in ids:
            rtype = rid.split("--")[0]
            rows.append(row(seq, rid, rtype, '{"description": "bench"}'))
            seq += 1
            if len(rows) == batch:
                repo.insert_tuples(uow.conn, rows)
                rows = []
        for _ in range(n_edges):
            a, b = rng.randrange(n_nodes), rng.randrange(n_nodes)
            while b == a:
                b = rng.randrange(n_nodes)
            body = json.dumps({"relationship_type": "related-to", "source_ref": ids[a], "target_ref": ids[b]})
            rows.append(row(seq, f"relationship--{_uuid(rng)}", "relationship", body))
            seq += 1
            if len(rows) == batch:
                repo.insert_tuples(uow.conn, rows)
                rows = []
        repo.insert_tuples(uow.conn, rows)
        uow.commit()
    return ids


class Naive:
    """Adjacency the obvious way: one query per node and direction, one record lookup per record."""

    def __init__(self, conn, audience) -> None:
        self.conn, self.audience = conn, audience

    def ok(self, record_id: str) -> bool:
        # by id, current filtered here (repository.current's `current IS 1` makes SQLite scan; see report)
        rows = [r for r in self.conn.execute(select(rv).where(rv.c.id == record_id)) if r.current]
        return bool(rows) and release(repo.from_row(rows[0]), self.audience).allowed

    def expand(self, frontier: list[str]) -> dict[str, list[tuple[Edge, str]]]:
        out: dict[str, list[tuple[Edge, str]]] = {}
        cols = (ge.c.rel_id, ge.c.source, ge.c.target, ge.c.rel_type)
        for node_id in frontier:
            for col in (ge.c.source, ge.c.target):
                for r in self.conn.execute(select(*cols).where(col == node_id)):
                    e = Edge(r.rel_id, r.source, r.target, r.rel_type)
                    other = e.other(node_id)
                    if self.ok(e.rel_id) and self.ok(other):
                        out.setdefault(node_id, []).append((e, other))
        return out


def timed(fn, *args) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t0, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=3_000_000)
    ap.add_argument("--queries", type=int, default=20)
    ap.add_argument("--db", default=None, help="Database URL (default: SQLite in a temporary folder).")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        node = init_node(resolve(Path(tmp) / "node", args.db), "bench", "Benchmark node", "US")
        t_pop, ids = timed(populate, node, args.nodes, args.edges)
        print(f"populate: {args.nodes:,} records + {args.edges:,} relationships in {t_pop:.1f} s")
        with node.uow() as uow:
            t_idx, changed = timed(index.sync, uow.conn)
            uow.commit()
        print(f"edge index built once from the change feed: {changed:,} relationships in {t_idx:.1f} s")
        actor = Actor("bench", "analyst", node.id)
        rng = random.Random(11)
        starts = [rng.choice(ids) for _ in range(args.queries)]
        pairs = [(rng.choice(ids), rng.choice(ids)) for _ in range(args.queries)]

        ours_k2, sizes, ours_path, lengths = [], [], [], []
        for s in starts:
            t, res = timed(graph.neighbourhood, node, actor, s, 2)
            ours_k2.append(t)
            sizes.append(len(res.nodes))
        for a, b in pairs:
            t, res = timed(graph.path, node, actor, a, b)
            ours_path.append(t)
            lengths.append(len(res.paths[0]) - 1 if res.paths else -1)

        base_k2, base_path = [], []
        with node.engine.connect() as conn:
            naive = Naive(conn, actor.audience())
            for s, size in zip(starts, sizes):
                t, g = timed(traverse.neighbourhood, naive.expand, s, 2)
                assert len(g.depth) == size, "baseline and vinculo disagree"
                base_k2.append(t)
            for (a, b), hops in zip(pairs[: max(3, args.queries // 4)], lengths):
                t, found = timed(traverse.shortest_path, naive.expand, a, b)
                assert (len(found[0]) - 1 if found else -1) == hops, "baseline and vinculo disagree"
                base_path.append(t)
        med = statistics.median
        print(f"k=2 neighbourhood: {med(sizes):.0f} records (median) | vinculo {med(ours_k2) * 1000:.1f} ms, "
              f"naive {med(base_k2) * 1000:.1f} ms, ratio naive/vinculo = {med(base_k2) / med(ours_k2):.1f}x")
        print(f"shortest path: {med(lengths):.0f} hops (median) | vinculo {med(ours_path) * 1000:.1f} ms, "
              f"naive {med(base_path) * 1000:.1f} ms (first {len(base_path)} pairs), "
              f"ratio naive/vinculo = {med(base_path) / med(ours_path[: len(base_path)]):.1f}x")
        print(f"vinculo max: k=2 {max(ours_k2) * 1000:.1f} ms, path {max(ours_path) * 1000:.1f} ms")
        node.engine.dispose()


if __name__ == "__main__":
    main()

"""Benchmark: link analysis at 1M records and 3M relationships on a fresh SQLite node.

    .venv/bin/python bench/graph.py [--nodes 1000000] [--edges 3000000] [--queries 20] [--hidden 0.05] [--db URL]

Builds a random graph (uniform random pairs, mean degree 2*edges/nodes) as real `record_versions` rows, a
fraction ``--hidden`` of the records and relationships TLP:RED (an analyst may not see them: they must be
neither shown nor crossed). Then, in the same run and for the same random starts and pairs:

* vinculo: `graph.service.neighbourhood(k=2)` and `graph.service.path` (in-memory adjacency pruned by
  per-role flags derived from release(), only the records of the result decided by release(), audited);
* previous: the same traversals the way vinculo did them before (batched SQL per BFS level over the edge
  index, every record reached loaded and decided by release());
* naive: one query per node and direction, one record lookup and release() per record (first pairs only);
* networkx: `ego_graph(radius=2)` and `bidirectional_shortest_path` on an `nx.Graph` of the same visible
  graph (built from the flags, already in memory: no database, no release(), no audit).

Prints the edge-index build (SQL), the adjacency load, networkx's build, medians/maxima and ratios.
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

import networkx as nx
from sqlalchemy import select

from vinculo.accounts.model import Actor
from vinculo.graph import checked, fast, index, memory, traverse
from vinculo.graph import service as graph
from vinculo.graph.index import Edge
from vinculo.graph.visibility import rule_for
from vinculo.graph.visible import Visible
from vinculo.node.home import resolve
from vinculo.node.service import init_node
from vinculo.records import repository as repo
from vinculo.records.model import format_ts, utcnow
from vinculo.sharing.release import release
from vinculo.store.feed import allocate_seq
from vinculo.store.tables import record_versions as rv
from vinculo.store.tables_graph import graph_edges as ge

TYPES = ("seizure", "person", "organization", "phone", "vehicle", "shipment", "lab", "location")


def _markings(tlp: str) -> str:
    return json.dumps({"tlp": tlp, "handling": "H0", "handling_text": None, "reliability": "X", "accuracy": 4,
                       "partners": []})


AMBER, RED = _markings("amber"), _markings("red")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def populate(node, n_nodes: int, n_edges: int, hidden: float = 0.0, seed: int = 7) -> list[str]:
    """Insert the records as stored rows (bodies are small; facets, hashes are placeholders)."""
    rng = random.Random(seed)
    ids = [f"{TYPES[i % len(TYPES)]}--{_uuid(rng)}" for i in range(n_nodes)]
    now = format_ts(utcnow())
    columns = repo._COLUMNS

    def row(seq: int, rid: str, rtype: str, body: str) -> tuple:
        red = rng.random() < hidden
        values = {"seq": seq, "id": rid, "version": 1, "type": rtype, "origin": node.id, "created": now,
                  "modified": now, "revoked": False, "current": True, "markings": RED if red else AMBER,
                  "body": body, "content_hash": "0" * 64, "signature": None, "tlp": "red" if red else "amber",
                  "country": None, "substance": None, "event_date": None, "search": "", "added": now}
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


def visible_nx(adj: memory.Adjacency, role: str) -> nx.Graph:
    """The graph ``role`` may see, as networkx holds it (from the same flags)."""
    rule = rule_for(role)
    assert rule is not None
    keep = adj.e_alive[: adj.m] & rule.edge[adj.e_code[: adj.m]] & rule.node[adj.code[adj.e_src[: adj.m]]] \
        & rule.node[adj.code[adj.e_dst[: adj.m]]]
    g = nx.Graph()
    ids = adj.ids
    g.add_edges_from((ids[s], ids[t]) for s, t in zip(adj.e_src[: adj.m][keep].tolist(),
                                                       adj.e_dst[: adj.m][keep].tolist()))
    return g


def timed(fn, *args) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t0, result


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20


def hops(nodes: list | None) -> int:
    return len(nodes) - 1 if nodes else -1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=3_000_000)
    ap.add_argument("--queries", type=int, default=20)
    ap.add_argument("--hidden", type=float, default=0.05, help="Fraction of records an analyst may not see.")
    ap.add_argument("--db", default=None, help="Database URL (default: SQLite in a temporary folder).")
    args = ap.parse_args()
    med = statistics.median
    with tempfile.TemporaryDirectory() as tmp:
        node = init_node(resolve(Path(tmp) / "node", args.db), "bench", "Benchmark node", "US")
        t_pop, ids = timed(populate, node, args.nodes, args.edges, args.hidden)
        print(f"populate: {args.nodes:,} records + {args.edges:,} relationships "
              f"({args.hidden:.0%} TLP:RED) in {t_pop:.1f} s")
        with node.uow() as uow:
            t_idx, written = timed(index.sync, uow.conn)
            uow.commit()
        print(f"edge index (SQL table, bulk INSERT ... SELECT, indexes after): {written:,} edges in {t_idx:.1f} s")
        rss0 = rss_mb()
        with node.engine.connect() as conn:
            t0 = time.perf_counter()
            with memory.adjacency(node.engine, conn) as adj:
                t_mem = time.perf_counter() - t0
                print(f"in-memory adjacency: {adj.n:,} nodes, {adj.m:,} edges loaded in {t_mem:.1f} s, "
                      f"+{rss_mb() - rss0:.0f} MB RSS")
                rss1 = rss_mb()
                t_nx, g = timed(visible_nx, adj, "analyst")
                print(f"networkx Graph of the visible graph: {g.number_of_nodes():,} nodes, "
                      f"{g.number_of_edges():,} edges built in {t_nx:.1f} s, +{rss_mb() - rss1:.0f} MB RSS")
        actor = Actor("bench", "analyst", node.id)
        rng = random.Random(11)
        with node.engine.connect() as conn:  # starts and ends the analyst may see (release() decides)
            vis = Visible(conn, actor.audience())
            sample = rng.sample(ids, min(len(ids), 20 * args.queries))
            vis.cache.load(sample)
            visible = [i for i in sample if vis.node_ok(i)]
        starts = [rng.choice(visible) for _ in range(args.queries)]
        pairs = [(rng.choice(visible), rng.choice(visible)) for _ in range(args.queries)]

        ours_k2, sizes, ours_path, lengths = [], [], [], []
        before = dict(checked.stats)
        for s in starts:
            t, res = timed(graph.neighbourhood, node, actor, s, 2)
            ours_k2.append(t)
            sizes.append(len(res.nodes))
        for a, b in pairs:
            t, res = timed(graph.path, node, actor, a, b)
            ours_path.append(t)
            lengths.append(hops(res.paths[0] if res.paths else None))
        reruns = checked.stats["reruns"] - before["reruns"]
        exact = checked.stats["exact"] - before["exact"]

        core_k2, core_path = [], []  # the search alone: in memory, flags, no database, release() or audit
        with node.engine.connect() as conn, memory.adjacency(node.engine, conn) as adj:
            searcher = fast.Searcher(adj, rule_for("analyst"))
            for s in starts:
                core_k2.append(timed(fast.neighbourhood, searcher, adj.pos.get(s, 0), 2, 5000)[0])
            for a, b in pairs:
                core_path.append(timed(fast.shortest_path, searcher, adj.pos.get(a, 0), adj.pos.get(b, 0), 12)[0])

        nx_k2, nx_path = [], []
        for s, size in zip(starts, sizes):
            t, sub = timed(lambda s=s: nx.ego_graph(g, s, 2) if s in g else nx.Graph([(s, s)]))
            assert sub.number_of_nodes() == size, "networkx and vinculo disagree"
            nx_k2.append(t)
        for (a, b), n_hops in zip(pairs, lengths):
            def nx_path_of(a=a, b=b):
                try:
                    return nx.bidirectional_shortest_path(g, a, b)
                except (nx.NetworkXNoPath, nx.NodeNotFound):
                    return None
            t, found = timed(nx_path_of)
            assert hops(found) == n_hops or (hops(found) > 12 and n_hops == -1), "networkx and vinculo disagree"
            nx_path.append(t)

        prev_k2, prev_path, base_k2, base_path = [], [], [], []
        n_prev = max(3, args.queries // 2)
        n_base = max(3, args.queries // 4)
        with node.engine.connect() as conn:
            for s, size in zip(starts[:n_prev], sizes):
                t, sub = timed(traverse.neighbourhood, Visible(conn, actor.audience()).expand, s, 2)
                assert len(sub.depth) == size, "previous and vinculo disagree"
                prev_k2.append(t)
            for (a, b), n_hops in zip(pairs[:n_prev], lengths):
                t, found = timed(traverse.shortest_path, Visible(conn, actor.audience()).expand, a, b)
                assert hops(found[0] if found else None) == n_hops, "previous and vinculo disagree"
                prev_path.append(t)
            naive = Naive(conn, actor.audience())
            for s, size in zip(starts[:n_base], sizes):
                t, sub = timed(traverse.neighbourhood, naive.expand, s, 2)
                assert len(sub.depth) == size, "naive and vinculo disagree"
                base_k2.append(t)
            for (a, b), n_hops in zip(pairs[:n_base], lengths):
                t, found = timed(traverse.shortest_path, naive.expand, a, b)
                assert hops(found[0] if found else None) == n_hops, "naive and vinculo disagree"
                base_path.append(t)

        def line(name: str, ours: list[float], rows: list[tuple[str, list[float]]]) -> None:
            print(f"{name}: vinculo median {med(ours) * 1000:.1f} ms, max {max(ours) * 1000:.1f} ms "
                  "(service call: transaction, feed catch-up, search, release() on the result, audit)")
            for label, times in rows:
                print(f"    {label:<11} median {med(times) * 1000:9.1f} ms (n={len(times)}), "
                      f"ratio {label}/vinculo = {med(times) / med(ours[: len(times)]):.2f}x")

        print(f"k=2 neighbourhood: {med(sizes):.0f} records (median), {max(sizes)} max")
        line("k=2 neighbourhood", ours_k2, [("search", core_k2), ("networkx", nx_k2), ("previous", prev_k2), ("naive", base_k2)])
        print(f"shortest path: {med(lengths):.0f} hops (median)")
        line("shortest path", ours_path, [("search", core_path), ("networkx", nx_path), ("previous", prev_path), ("naive", base_path)])
        print(f"search = vinculo's in-memory search alone; networkx/search = {med(nx_k2) / med(core_k2):.2f}x (k=2), "
              f"{med(nx_path) / med(core_path):.2f}x (path)")
        print(f"release() re-checks that forced a new search: {reruns}; exact fallbacks: {exact}")
        node.engine.dispose()


if __name__ == "__main__":
    main()

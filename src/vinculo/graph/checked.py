"""Fast searches whose results are decided by ``release()``: search the flagged index, check, search again.

1. Search the in-memory adjacency (:mod:`vinculo.graph.memory`), pruning with the role's flags
   (:mod:`vinculo.graph.visibility`), which ``release()`` itself decided per marking code.
2. Load only the records of the result and decide each with ``release()`` (the views shown are those).
3. If ``release()`` hides a record or relationship the flags let through (it looked at more than the
   markings, or the record changed under us), exclude it and search again, so the answer is still the
   shortest path / the neighbourhood the user may see. At most :data:`RERUNS` times: after that (many
   disagreements) the search runs the exact way, asking ``release()`` about every record it reaches.

When the role's flags cannot be derived (``rule_for`` is ``None``) the exact way is the only way.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from vinculo.graph import fast, memory, traverse
from vinculo.graph.index import Edge
from vinculo.graph.memory import Adjacency
from vinculo.graph.visibility import Rule, rule_for
from vinculo.graph.visible import Visible
from vinculo.sharing.release import LocalUser

RERUNS = 4
stats = {"searches": 0, "reruns": 0, "exact": 0}  # process-wide counters (tests and the benchmark read them)


def _rule(vis: Visible) -> Rule | None:
    return rule_for(vis.audience.role) if isinstance(vis.audience, LocalUser) else None


def _edge(adj: Adjacency, e: int) -> Edge:
    return Edge(adj.e_rel[e], adj.ids[adj.e_src[e]], adj.ids[adj.e_dst[e]], adj.e_type[e])


def _hidden(adj: Adjacency, vis: Visible, found: fast.Found) -> tuple[list[int], list[int]]:
    """The nodes and edges of ``found`` that ``release()`` hides from the user."""
    edges = [_edge(adj, e) for e in found.edges]
    vis.cache.load([adj.ids[p] for p in found.nodes] + [e.rel_id for e in edges])
    nodes_out = [p for p in found.nodes if not vis.node_ok(adj.ids[p])]
    edges_out = [e for e, edge in zip(found.edges, edges) if not vis.edge_ok(edge) or not _current(vis, edge)]
    return nodes_out, edges_out


def _current(vis: Visible, edge: Edge) -> bool:
    """The edge still links what the current version of its relationship links (a version committed
    between two reads of a search may have moved it; the next search catches up)."""
    record = vis.cache.get(edge.rel_id)
    return record is not None and (record.body.get("source_ref"), record.body.get("target_ref")) == (
        edge.source, edge.target)


@dataclass
class Checked:
    """A result every record of which ``release()`` let the user see (ids, not numbers)."""

    nodes: list[str]
    depth: list[int]
    edges: list[Edge]
    truncated: bool = False


def _search(engine: Engine, vis: Visible, ends: list[str], run) -> Checked | None:
    """Run ``run(searcher, *node numbers)`` until ``release()`` agrees with every record of its result
    (``run`` returns ``None`` for no result). ``None`` here: fall back to the exact search."""
    rule = _rule(vis)
    if rule is None:
        return None
    stats["searches"] += 1
    nodes_out: set[int] = set()
    edges_out: set[int] = set()
    with memory.adjacency(engine, vis.conn) as adj:
        points = [adj.pos.get(x) for x in ends]
        for attempt in range(RERUNS + 1):
            if attempt:
                stats["reruns"] += 1
            found = run(fast.Searcher(adj, rule, nodes_out, edges_out), *points)
            if found is None:
                return Checked([], [], [])
            hide_nodes, hide_edges = _hidden(adj, vis, found)
            if not hide_nodes and not hide_edges:
                return Checked([adj.ids[p] for p in found.nodes], found.depth,
                               [_edge(adj, e) for e in found.edges], found.truncated)
            nodes_out.update(hide_nodes)
            edges_out.update(hide_edges)
    return None


def shortest_path(engine: Engine, vis: Visible, a: str, b: str, max_depth: int
                  ) -> tuple[list[str], list[Edge]] | None:
    """A shortest path from ``a`` to ``b`` through records the user may see (both already checked)."""
    if a == b:
        return [a], []

    def run(s: fast.Searcher, pa: int | None, pb: int | None) -> fast.Found | None:
        if pa is None or pb is None:
            return None
        return fast.shortest_path(s, pa, pb, max_depth)

    done = _search(engine, vis, [a, b], run)
    if done is None:
        stats["exact"] += 1
        return traverse.shortest_path(vis.expand, a, b, max_depth)
    return (done.nodes, done.edges) if done.nodes else None


def neighbourhood(engine: Engine, vis: Visible, start: str, k: int, max_nodes: int) -> traverse.Subgraph:
    """Records within ``k`` hops of ``start`` the user may see (``start`` already checked), and the
    relationships among them."""

    def run(s: fast.Searcher, p: int | None) -> fast.Found | None:
        if p is None:  # no relationship at all
            return None
        return fast.neighbourhood(s, p, k, max_nodes)

    done = _search(engine, vis, [start], run)
    if done is None:
        stats["exact"] += 1
        return traverse.neighbourhood(vis.expand, start, k, max_nodes)
    if not done.nodes:
        return traverse.Subgraph({start: 0})
    return traverse.Subgraph(dict(zip(done.nodes, done.depth)), {e.rel_id: e for e in done.edges}, done.truncated)

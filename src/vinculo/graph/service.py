"""Link analysis use cases over the records a user may see.

Every node and every relationship a traversal crosses is decided by ``release()`` for the user: a
record the user may not read is neither shown nor crossed, and a relationship counts only if the user may
read it (and its body). Each query is audited with the ids it returned.
"""

from __future__ import annotations

from dataclasses import dataclass

from vinculo.accounts.model import Actor
from vinculo.audit.events import AuditEvent
from vinculo.graph import checked, index, traverse
from vinculo.graph.index import Edge
from vinculo.graph.visible import Visible
from vinculo.node.context import Node
from vinculo.records.model import FieldError, RecordInvalid, id_type
from vinculo.records.service import Forbidden, NotFound

CHAIN = ("shipment", "lab", "seizure", "organization")


@dataclass(frozen=True)
class GraphResult:
    """Nodes (views with ``depth`` where it applies) and edges; ``truncated`` when a cap cut the result."""

    nodes: list[dict]
    edges: list[dict]
    truncated: bool = False
    groups: list[list[str]] | None = None
    paths: list[list[str]] | None = None

    def to_json(self) -> dict:
        out: dict = {"nodes": self.nodes, "edges": self.edges, "truncated": self.truncated}
        if self.groups is not None:
            out["groups"] = self.groups
        if self.paths is not None:
            out["paths"] = self.paths
        return out


def _require(actor: Actor) -> None:
    if not actor.may("records.read"):
        message = f"role {actor.role} may not read records"
        raise Forbidden(message, (message,))


def _check_id(record_id: str, field: str) -> None:
    try:
        id_type(record_id)
    except ValueError as exc:
        raise RecordInvalid([FieldError(field, str(exc))]) from None


def _edge_dict(edge: Edge) -> dict:
    return {"id": edge.rel_id, "source": edge.source, "target": edge.target, "type": edge.rel_type}


def _result(vis: Visible, depth: dict[str, int] | list[str], edges: list[Edge], truncated: bool = False,
            **extra: object) -> GraphResult:
    ids = list(depth)
    nodes = [vis.view(i) | ({"depth": depth[i]} if isinstance(depth, dict) else {}) for i in ids]
    return GraphResult(nodes, [_edge_dict(e) for e in edges], truncated, **extra)  # type: ignore[arg-type]


def _run(node: Node, actor: Actor, query: str, target: str | None, params: dict, work) -> GraphResult:
    _require(actor)
    with node.uow() as uow:
        index.sync(uow.conn)
        vis = Visible(uow.conn, actor.audience())
        result = work(vis)
        uow.audit(AuditEvent(actor.label, "graph.query", target,
                             {"query": query, **params, "ids": [n["id"] for n in result.nodes],
                              "relationships": [e["id"] for e in result.edges]}))
        uow.commit()
    return result


def _start(vis: Visible, record_id: str) -> None:
    if vis.cache.get(record_id) is None:
        raise NotFound(f"no record {record_id}")
    if not vis.node_ok(record_id):
        d = vis.decision(record_id)
        raise Forbidden(f"you may not read {record_id}", d.reasons if d else ())


def neighbourhood(node: Node, actor: Actor, record_id: str, k: int = 2, max_nodes: int = 5000) -> GraphResult:
    """Records within ``k`` hops of ``record_id`` and the relationships among them."""
    _check_id(record_id, "id")
    if not 0 <= k <= 6:
        raise RecordInvalid([FieldError("depth", "between 0 and 6 hops")])

    def work(vis: Visible) -> GraphResult:
        _start(vis, record_id)
        g = checked.neighbourhood(node.engine, vis, record_id, k, max_nodes)
        return _result(vis, g.depth, list(g.edges.values()), g.truncated)

    return _run(node, actor, "neighbourhood", record_id, {"k": k}, work)


def path(node: Node, actor: Actor, a: str, b: str, max_depth: int = 12) -> GraphResult:
    """A shortest path between two records (empty result when none within ``max_depth`` hops)."""
    _check_id(a, "from")
    _check_id(b, "to")

    def work(vis: Visible) -> GraphResult:
        _start(vis, a)
        _start(vis, b)
        found = checked.shortest_path(node.engine, vis, a, b, max_depth)
        if found is None:
            return GraphResult([], [], paths=[])
        nodes, edges = found
        return _result(vis, {n: i for i, n in enumerate(nodes)}, edges, paths=[nodes])

    return _run(node, actor, "path", a, {"to": b, "max_depth": max_depth}, work)


def groups(node: Node, actor: Actor, seeds: list[str] | None = None, min_size: int = 2, limit: int = 100,
           max_nodes: int = 100000) -> GraphResult:
    """Connected groups: of each seed record, or (no seeds) of the whole visible graph, largest first."""
    for s in seeds or ():
        _check_id(s, "seed")

    def work(vis: Visible) -> GraphResult:
        uf = traverse.UnionFind()
        edges: dict[str, Edge] = {}
        truncated = False
        if seeds:
            for s in seeds:
                _start(vis, s)
                if s in uf.parent:
                    continue
                g = traverse.component(vis.expand, s, max_nodes)
                truncated |= g.truncated
                uf.find(s)
                for e in g.edges.values():
                    uf.union(e.source, e.target)
                    edges[e.rel_id] = e
        else:
            for batch in index.all_edges(vis.conn):
                vis.cache.load([e.rel_id for e in batch] + [e.source for e in batch] + [e.target for e in batch])
                for e in batch:
                    if vis.edge_ok(e):
                        uf.union(e.source, e.target)
                        edges[e.rel_id] = e
                vis.cache.records.clear()  # decisions are kept; rows are not needed again
        found = [g for g in uf.groups() if len(g) >= min_size or (seeds and g[0] in set(seeds))]
        truncated |= len(found) > limit
        found = found[:limit]
        members = {m for g in found for m in g}
        kept = [e for e in edges.values() if e.source in members]
        return _result(vis, sorted(members), kept, truncated, groups=found)

    return _run(node, actor, "groups", None, {"seeds": seeds or [], "min_size": min_size}, work)


def chain(node: Node, actor: Actor, start: list[str] | None = None, types: tuple[str, ...] = CHAIN,
          limit: int = 1000) -> GraphResult:
    """Chains of records of ``types`` in order (default precursor shipment -> lab -> seizure ->
    organization) linked by relationships, from the given start records or from every visible one."""
    for s in start or ():
        _check_id(s, "start")
    if len(types) < 2:
        raise RecordInvalid([FieldError("types", "give at least two record types")])

    def work(vis: Visible) -> GraphResult:
        if start:
            for s in start:
                _start(vis, s)
            starts = list(start)
        else:
            firsts = index.edges_between_types(vis.conn, types[0], types[1], limit * 20)
            starts = [e.source if e.source.startswith(types[0] + "--") else e.target for e in firsts]
            vis.cache.load(starts)
            starts = [s for s in dict.fromkeys(starts) if vis.node_ok(s)]
        found = traverse.chains(vis.expand, starts, types, limit)
        members = list(dict.fromkeys(n for nodes, _ in found for n in nodes))
        edges = list({e.rel_id: e for _, es in found for e in es}.values())
        return _result(vis, members, edges, len(found) >= limit, paths=[nodes for nodes, _ in found])

    return _run(node, actor, "chain", None, {"types": list(types), "start": start or []}, work)

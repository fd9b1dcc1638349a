"""Graph traversals over an ``expand`` function (pure: no database, no release decisions).

``expand(frontier)`` returns, for each node of the frontier, its ``(edge, neighbour)`` pairs; the service
gives one that only yields what the user may see, loading a whole frontier per database round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from vinculo.graph.index import Edge

Expand = Callable[[list[str]], dict[str, list[tuple[Edge, str]]]]


@dataclass
class Subgraph:
    """Nodes with their hop distance from the start, the edges between them, and whether a cap cut it."""

    depth: dict[str, int] = field(default_factory=dict)
    edges: dict[str, Edge] = field(default_factory=dict)
    truncated: bool = False


def neighbourhood(expand: Expand, start: str, k: int, max_nodes: int = 5000) -> Subgraph:
    """Every node within ``k`` hops of ``start`` and the edges among them (breadth first, level by level)."""
    g = Subgraph({start: 0})
    frontier = [start]
    for level in range(1, k + 1):
        if not frontier:
            break
        nxt: list[str] = []
        for pairs in expand(frontier).values():
            for edge, other in pairs:
                if other not in g.depth:
                    if len(g.depth) >= max_nodes:
                        g.truncated = True
                        continue
                    g.depth[other] = level
                    nxt.append(other)
                g.edges[edge.rel_id] = edge
        frontier = nxt
    if k > 0 and frontier and not g.truncated:
        # edges among the outermost ring (found only when expanding it) complete the induced subgraph
        for pairs in expand(frontier).values():
            for edge, other in pairs:
                if other in g.depth:
                    g.edges[edge.rel_id] = edge
    return g


def shortest_path(expand: Expand, a: str, b: str, max_depth: int = 12) -> tuple[list[str], list[Edge]] | None:
    """A shortest path from ``a`` to ``b`` (bidirectional breadth-first search), or ``None``."""
    if a == b:
        return [a], []
    parents: tuple[dict[str, tuple[str, Edge] | None], ...] = ({a: None}, {b: None})
    frontiers = ([a], [b])
    for _ in range(max_depth):
        side = 0 if len(frontiers[0]) <= len(frontiers[1]) else 1
        if not frontiers[side]:
            return None
        mine, theirs = parents[side], parents[1 - side]
        nxt: list[str] = []
        meet: str | None = None
        for node, pairs in expand(frontiers[side]).items():
            for edge, other in pairs:
                if other not in mine:
                    mine[other] = (node, edge)
                    nxt.append(other)
                    if other in theirs and meet is None:
                        meet = other
        if meet is not None:
            return _join(parents, meet)
        frontiers = (nxt, frontiers[1]) if side == 0 else (frontiers[0], nxt)
    return None


def _walk(parents: dict[str, tuple[str, Edge] | None], node: str) -> tuple[list[str], list[Edge]]:
    nodes, edges = [node], []
    step = parents[node]
    while step is not None:
        prev, edge = step
        nodes.append(prev)
        edges.append(edge)
        step = parents[prev]
    return nodes, edges


def _join(parents: tuple[dict, dict], meet: str) -> tuple[list[str], list[Edge]]:
    left_nodes, left_edges = _walk(parents[0], meet)  # meet ... a
    right_nodes, right_edges = _walk(parents[1], meet)  # meet ... b
    return left_nodes[::-1] + right_nodes[1:], left_edges[::-1] + right_edges


def component(expand: Expand, start: str, max_nodes: int = 100000) -> Subgraph:
    """The connected group of ``start`` (up to ``max_nodes``)."""
    return neighbourhood(expand, start, k=max_nodes, max_nodes=max_nodes)


class UnionFind:
    """Disjoint sets over string ids (path halving, union by size)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.size: dict[str, int] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        if x not in parent:
            parent[x] = x
            self.size[x] = 1
            return x
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]

    def groups(self) -> list[list[str]]:
        out: dict[str, list[str]] = {}
        for x in self.parent:
            out.setdefault(self.find(x), []).append(x)
        return sorted((sorted(g) for g in out.values()), key=lambda g: (-len(g), g[0]))


def chains(expand: Expand, starts: Iterable[str], types: tuple[str, ...], limit: int = 1000,
           ) -> list[tuple[list[str], list[Edge]]]:
    """Paths whose i-th node has record type ``types[i]`` (e.g. shipment, lab, seizure, organization)."""
    partial: list[tuple[list[str], list[Edge]]] = [([s], []) for s in dict.fromkeys(starts)
                                                   if s.split("--", 1)[0] == types[0]]
    for want in types[1:]:
        if not partial:
            break
        links = expand(list(dict.fromkeys(p[0][-1] for p in partial)))
        grown: list[tuple[list[str], list[Edge]]] = []
        for nodes, edges in partial:
            for edge, other in links.get(nodes[-1], ()):
                if other.split("--", 1)[0] == want and other not in nodes:
                    grown.append((nodes + [other], edges + [edge]))
                    if len(grown) >= limit * 10:
                        break
        partial = grown
    done = [p for p in partial if len(p[0]) == len(types)]
    return done[:limit]

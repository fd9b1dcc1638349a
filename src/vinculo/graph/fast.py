"""Vectorised searches over the in-memory adjacency, pruned by visibility flags (no database, no release).

A :class:`Searcher` crosses an edge only if the flags say the user may cross the relationship and see the
record at its other end, and never crosses the records and relationships it was told to exclude (those a
``release()`` check of an earlier result hid). Frontiers are expanded a whole level at a time with numpy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from vinculo.graph.memory import Adjacency
from vinculo.graph.visibility import Rule


def _first_seen(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values in order of first occurrence, and the index of that occurrence."""
    uniq, first = np.unique(values, return_index=True)
    order = np.argsort(first, kind="stable")
    return uniq[order], first[order]


class Searcher:
    """One user's view of the adjacency: flags for ``rule`` minus the excluded nodes and edges."""

    def __init__(self, adj: Adjacency, rule: Rule, nodes_out: Iterable[int] = (), edges_out: Iterable[int] = ()):
        self.adj = adj
        self.rule = rule
        self.nodes_out = np.fromiter(set(nodes_out), dtype=np.int64)
        self.edges_out = np.fromiter(set(edges_out), dtype=np.int64)

    def step(self, frontier: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(from, other, edge)`` for every edge at ``frontier`` the user may cross."""
        adj = self.adj
        frm, oth, eid = adj.gather(frontier)
        keep = self.rule.edge[adj.e_code[eid]] & self.rule.node[adj.code[oth]]
        if self.nodes_out.size:
            keep &= ~np.isin(oth, self.nodes_out)
        if self.edges_out.size:
            keep &= ~np.isin(eid, self.edges_out)
        return frm[keep], oth[keep], eid[keep]



@dataclass
class Found:
    """Node and edge numbers of a result, nodes with their depth (hops from the start)."""

    nodes: list[int]
    depth: list[int]
    edges: list[int]
    truncated: bool = False


def shortest_path(s: Searcher, a: int, b: int, max_depth: int) -> Found | None:
    """A shortest path from ``a`` to ``b`` within ``max_depth`` hops (bidirectional, level by level)."""
    if a == b:
        return Found([a], [0], [])
    g, work = s.adj.scratch()
    seen, depth, pnode, pedge = (work[0], work[1]), (work[2], work[3]), (work[4], work[5]), (work[6], work[7])
    fronts = [np.array([a], dtype=np.int64), np.array([b], dtype=np.int64)]
    level = [0, 0]
    for side, root in ((0, a), (1, b)):
        seen[side][root], depth[side][root], pnode[side][root] = g, 0, -1
    for _ in range(max_depth):
        side = 0 if len(fronts[0]) <= len(fronts[1]) else 1
        if not len(fronts[side]):
            return None
        frm, oth, eid = s.step(fronts[side])
        new = seen[side][oth] != g
        frm, oth, eid = frm[new], oth[new], eid[new]
        uniq, first = _first_seen(oth)
        level[side] += 1
        seen[side][uniq] = g
        depth[side][uniq] = level[side]
        pnode[side][uniq] = frm[first]
        pedge[side][uniq] = eid[first]
        other = 1 - side
        meet = uniq[seen[other][uniq] == g]
        if len(meet):
            x = int(meet[np.argmin(depth[other][meet])])
            left_nodes, left_edges = _walk(pnode[0], pedge[0], x)
            right_nodes, right_edges = _walk(pnode[1], pedge[1], x)
            nodes = left_nodes[::-1] + right_nodes[1:]
            return Found(nodes, list(range(len(nodes))), left_edges[::-1] + right_edges)
        fronts[side] = uniq
    return None


def _walk(pnode: np.ndarray, pedge: np.ndarray, x: int) -> tuple[list[int], list[int]]:
    nodes, edges = [x], []
    while pnode[x] >= 0:
        edges.append(int(pedge[x]))
        x = int(pnode[x])
        nodes.append(x)
    return nodes, edges


def neighbourhood(s: Searcher, start: int, k: int, max_nodes: int) -> Found:
    """Nodes within ``k`` hops of ``start`` (at most ``max_nodes``) and every crossable edge among them."""
    g, work = s.adj.scratch()
    seen = work[0]
    seen[start] = g
    nodes, depths = [start], [0]
    frontier = np.array([start], dtype=np.int64)
    truncated = False
    for level in range(1, k + 1):
        if not len(frontier):
            break
        _, oth, _ = s.step(frontier)
        uniq, _ = _first_seen(oth[seen[oth] != g])
        room = max_nodes - len(nodes)
        if len(uniq) > room:
            truncated, uniq = True, uniq[:room]
        seen[uniq] = g
        nodes.extend(uniq.tolist())
        depths.extend([level] * len(uniq))
        frontier = uniq
    if k == 0:
        return Found(nodes, depths, [], truncated)
    _, oth, eid = s.step(np.array(nodes, dtype=np.int64))
    edges, _ = _first_seen(eid[seen[oth] == g])
    return Found(nodes, depths, edges.tolist(), truncated)

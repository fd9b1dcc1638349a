"""Traversals over hand-built graphs (pure: a dict adjacency as the expand function)."""

from __future__ import annotations

from vinculo.graph import traverse
from vinculo.graph.index import Edge


def graph(pairs: list[tuple[str, str]]):
    adj: dict[str, list[tuple[Edge, str]]] = {}
    for i, (a, b) in enumerate(pairs):
        e = Edge(f"relationship--{i}", a, b, "related-to")
        adj.setdefault(a, []).append((e, b))
        adj.setdefault(b, []).append((e, a))
    calls: list[int] = []

    def expand(frontier):
        calls.append(len(frontier))
        return {n: adj.get(n, []) for n in frontier}

    return expand, calls


#   a - b - c - d - e      f - g     h
#       |       |
#       x ----- y
PAIRS = [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("b", "x"), ("x", "y"), ("y", "d"), ("f", "g")]


def test_neighbourhood_levels_and_induced_edges():
    expand, _ = graph(PAIRS)
    g = traverse.neighbourhood(expand, "a", 2)
    assert g.depth == {"a": 0, "b": 1, "c": 2, "x": 2}
    assert {(e.source, e.target) for e in g.edges.values()} == {("a", "b"), ("b", "c"), ("b", "x")}
    g3 = traverse.neighbourhood(expand, "a", 3)
    assert g3.depth == {"a": 0, "b": 1, "c": 2, "x": 2, "d": 3, "y": 3}
    assert ("y", "d") in {(e.source, e.target) for e in g3.edges.values()}  # edge inside the outer ring
    assert traverse.neighbourhood(expand, "h", 2).depth == {"h": 0}
    capped = traverse.neighbourhood(expand, "a", 3, max_nodes=3)
    assert len(capped.depth) == 3 and capped.truncated


def test_shortest_path_both_ways_and_none():
    expand, _ = graph(PAIRS)
    nodes, edges = traverse.shortest_path(expand, "a", "e")
    assert nodes == ["a", "b", "c", "d", "e"] and len(edges) == 4
    assert [(e.source, e.target) for e in edges] == [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")]
    nodes, _ = traverse.shortest_path(expand, "x", "e")
    assert nodes == ["x", "y", "d", "e"]
    assert traverse.shortest_path(expand, "a", "g") is None
    assert traverse.shortest_path(expand, "a", "a") == (["a"], [])
    assert traverse.shortest_path(expand, "a", "e", max_depth=2) is None


def test_union_find_groups_and_chains():
    uf = traverse.UnionFind()
    for a, b in PAIRS:
        uf.union(a, b)
    assert uf.groups() == [["a", "b", "c", "d", "e", "x", "y"], ["f", "g"]]
    s, lab, lab2, sz, org = "shipment--1", "lab--1", "lab--2", "seizure--1", "organization--1"
    expand, _ = graph([(s, lab), (lab, sz), (org, sz), (s, lab2), (lab2, "seizure--2")])
    chains = traverse.chains(expand, [s, lab], ("shipment", "lab", "seizure", "organization"))
    assert [nodes for nodes, _ in chains] == [[s, lab, sz, org]]

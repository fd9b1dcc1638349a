"""The in-memory searches on small hand-built graphs, pruned by the flags (pure: no database)."""

from __future__ import annotations

import numpy as np

from vinculo.graph import fast
from vinculo.graph.memory import Adjacency
from vinculo.graph.visibility import code, rule_for
from vinculo.sharing.markings import TLP, Handling

AMBER = code(TLP.AMBER, Handling.H0, False)
RED = code(TLP.AMBER, Handling.H3, False)  # supervisors only (TLP:RED itself: named people, no role)

#   a - b - c - d - e      f - g     h (no edges)
#       |       |
#       x ----- y
PAIRS = [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("b", "x"), ("x", "y"), ("y", "d"), ("f", "g")]


def build(red_nodes=(), red_edges=()) -> Adjacency:
    edges = [(f"rel-{a}{b}", a, b, "related-to", RED if f"{a}{b}" in red_edges else AMBER) for a, b in PAIRS]
    nodes = {n: RED if n in red_nodes else AMBER for pair in PAIRS for n in pair}
    return Adjacency.from_edges(edges, nodes)


def path(adj: Adjacency, a: str, b: str, role="analyst", max_depth=12, nodes_out=(), edges_out=()):
    s = fast.Searcher(adj, rule_for(role), [adj.pos[n] for n in nodes_out], edges_out)
    found = fast.shortest_path(s, adj.pos[a], adj.pos[b], max_depth)
    if found is None:
        return None
    return [adj.ids[p] for p in found.nodes], [adj.e_rel[e] for e in found.edges]


def hood(adj: Adjacency, start: str, k: int, role="analyst", max_nodes=100):
    found = fast.neighbourhood(fast.Searcher(adj, rule_for(role)), adj.pos[start], k, max_nodes)
    return ({adj.ids[p]: d for p, d in zip(found.nodes, found.depth)}, {adj.e_rel[e] for e in found.edges},
            found.truncated)


def test_shortest_path_both_ways_and_none():
    adj = build()
    assert path(adj, "a", "e") == (["a", "b", "c", "d", "e"], ["rel-ab", "rel-bc", "rel-cd", "rel-de"])
    assert path(adj, "e", "a")[0] == ["e", "d", "c", "b", "a"]
    assert path(adj, "x", "e")[0] == ["x", "y", "d", "e"]
    assert path(adj, "a", "g") is None
    assert path(adj, "a", "a") == (["a"], [])
    assert path(adj, "a", "e", max_depth=3) is None and path(adj, "a", "e", max_depth=4) is not None


def test_hidden_record_on_the_shortest_path_takes_the_longer_visible_detour():
    adj = build(red_nodes={"c"})
    assert path(adj, "a", "e")[0] == ["a", "b", "x", "y", "d", "e"]  # analysts may not cross the RED c
    assert path(adj, "a", "e", role="supervisor")[0] == ["a", "b", "c", "d", "e"]
    assert path(adj, "a", "c") is None  # an end the analyst may not see is never reached
    adj = build(red_edges={"cd"})  # a RED relationship is not crossed either
    assert path(adj, "a", "e")[0] == ["a", "b", "x", "y", "d", "e"]


def test_hidden_records_on_the_only_path_mean_no_path():
    assert path(build(red_nodes={"c", "y"}), "a", "e") is None
    assert path(build(red_nodes={"b"}), "a", "e") is None
    assert path(build(red_edges={"de"}), "a", "e") is None
    assert path(build(), "a", "e", role="admin") is None  # administrators read no records
    assert path(build(), "a", "e", role="auditor") is None  # auditors see envelopes: no relationship fields


def test_excluded_records_are_not_crossed():
    adj = build()
    assert path(adj, "a", "e", nodes_out=["c"])[0] == ["a", "b", "x", "y", "d", "e"]
    assert path(adj, "a", "e", edges_out=[adj.e_rel.index("rel-xy"), adj.e_rel.index("rel-cd")]) is None


def test_neighbourhood_levels_induced_edges_and_hidden():
    adj = build()
    depth, edges, truncated = hood(adj, "a", 2)
    assert depth == {"a": 0, "b": 1, "c": 2, "x": 2} and edges == {"rel-ab", "rel-bc", "rel-bx"}
    depth, edges, _ = hood(adj, "a", 3)
    assert depth == {"a": 0, "b": 1, "c": 2, "x": 2, "d": 3, "y": 3} and "rel-yd" in edges  # edge in the ring
    depth, edges, _ = hood(build(red_nodes={"c"}), "a", 3)
    assert depth == {"a": 0, "b": 1, "x": 2, "y": 3} and "rel-bc" not in edges
    depth, edges, _ = hood(build(red_edges={"bx"}), "a", 3)
    assert depth == {"a": 0, "b": 1, "c": 2, "d": 3}
    assert hood(adj, "a", 0)[:2] == ({"a": 0}, set())
    depth, _, truncated = hood(adj, "a", 3, max_nodes=3)
    assert len(depth) == 3 and truncated


def test_overflow_edges_dead_edges_and_rebuild_give_the_same_answers():
    adj = build()
    adj.e_alive[adj.e_rel.index("rel-bc")] = False  # as if revoked
    adj._add_edge("rel-ae", adj.pos["a"], adj.pos["e"], "related-to", AMBER)  # as if just created
    adj.ids.append("z")
    adj.pos["z"] = len(adj.ids) - 1
    adj._fit_nodes()
    adj.code[adj.pos["z"]] = AMBER
    adj._add_edge("rel-ez", adj.pos["e"], adj.pos["z"], "related-to", AMBER)  # a node newer than the CSR
    before = (path(adj, "a", "z"), path(adj, "b", "c"), hood(adj, "z", 2))
    assert before[0] == (["a", "e", "z"], ["rel-ae", "rel-ez"])
    assert before[1][0] == ["b", "x", "y", "d", "c"]
    adj.rebuild()
    assert not adj.extra and (path(adj, "a", "z"), path(adj, "b", "c"), hood(adj, "z", 2)) == before


def test_gather_is_every_live_edge_once_per_end():
    adj = build()
    frm, oth, eid = adj.gather(np.array([adj.pos["b"], adj.pos["d"]]))
    got = sorted((adj.ids[f], adj.ids[o], adj.e_rel[e]) for f, o, e in zip(frm, oth, eid))
    assert got == sorted([("b", "a", "rel-ab"), ("b", "c", "rel-bc"), ("b", "x", "rel-bx"),
                          ("d", "c", "rel-cd"), ("d", "e", "rel-de"), ("d", "y", "rel-yd")])

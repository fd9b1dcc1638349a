"""The fast searches against release() on stored records: flags, exact equivalence, re-checks, the feed."""

from __future__ import annotations

import random

import numpy as np
import pytest
import sqlalchemy as sa

from vinculo.accounts.model import Actor
from vinculo.graph import checked, index, memory, traverse
from vinculo.graph import service as graph
from vinculo.graph.visibility import N_CODES, Rule, code_of, edge_readable, rule_for
from vinculo.graph.visible import Visible
from vinculo.records import repository as repo
from vinculo.records import service as records
from vinculo.sharing.markings import TLP, Handling
from vinculo.sharing.release import ROLES, release
from vinculo.store.tables import record_versions as rv
from vinculo.store.tables_graph import graph_edges as ge


def marks(tlp: TLP, handling: Handling) -> dict:
    out = {"tlp": tlp.value, "handling": handling.value}
    return out | ({"handling_text": "only for the task force"} if handling is Handling.H3 else {})


def test_flags_match_release_for_every_marking_and_role(node, supervisor):
    person = records.create_record(node, supervisor, "person", {"full_name": "Ana Ruiz"}).id
    for tlp in TLP:
        for handling in Handling:
            for revoked in (False, True):
                rid = records.create_record(node, supervisor, "seizure", {"date": "2025-01-01", "country": "MX", "substance": "fentanyl"},
                                            marks(tlp, handling)).id
                rel = records.create_record(node, supervisor, "relationship", {
                    "relationship_type": "related-to", "source_ref": person, "target_ref": rid},
                    marks(tlp, handling)).id
                if revoked:
                    records.revoke_record(node, supervisor, rid, "test")
                    records.revoke_record(node, supervisor, rel, "test")
    with node.engine.connect() as conn:
        stored = [(r.markings, r.revoked, repo.from_row(r))  # the markings as stored text: what the index reads
                  for r in conn.execute(sa.select(rv).where(rv.c.current.is_(True)))]
    assert len(stored) == 1 + 2 * len(TLP) * len(Handling) * 2
    for role in ROLES:
        rule = rule_for(role)
        assert rule is not None
        for text, revoked, record in stored:
            value = code_of(text, revoked)
            decision = release(record, Actor("u", role, node.id).audience())
            assert rule.node[value] == decision.allowed, (role, record.markings, record.revoked)
            if record.type == "relationship":
                assert rule.edge[value] == edge_readable(decision), (role, record.markings)
    assert not rule_for("analyst").node[-1]  # a missing record is never visible


@pytest.fixture
def random_world(node, supervisor):
    """24 records and 44 relationships with random markings (a fixed seed)."""
    rng = random.Random(5)
    choices = [(TLP.AMBER, Handling.H0)] * 5 + [(TLP.RED, Handling.H0), (TLP.GREEN, Handling.H3),
                                                (TLP.CLEAR, Handling.H2)]
    ids = [records.create_record(node, supervisor, "person", {"full_name": f"Person {i}"},
                                 marks(*rng.choice(choices))).id for i in range(24)]
    for _ in range(44):
        a, b = rng.sample(ids, 2)
        records.create_record(node, supervisor, "relationship",
                              {"relationship_type": "related-to", "source_ref": a, "target_ref": b},
                              marks(*rng.choice(choices)))
    return ids


def _hops(found) -> int:
    return len(found[0]) - 1 if found else -1


def test_fast_searches_equal_the_exact_ones(node, random_world):
    rng = random.Random(9)
    exact_before = checked.stats["exact"]
    with node.uow() as uow:
        index.sync(uow.conn)
        for role in ("analyst", "supervisor", "auditor"):
            vis = Visible(uow.conn, Actor("u", role, node.id).audience())
            seen = [i for i in random_world if vis.node_ok(i)]
            for start in seen:
                fast_g = checked.neighbourhood(node.engine, vis, start, 2, 5000)
                exact_g = traverse.neighbourhood(vis.expand, start, 2)
                assert fast_g.depth == exact_g.depth and set(fast_g.edges) == set(exact_g.edges), (role, start)
            for _ in range(30):
                a, b = rng.choice(seen), rng.choice(seen)
                found = checked.shortest_path(node.engine, vis, a, b, 12)
                assert _hops(found) == _hops(traverse.shortest_path(vis.expand, a, b, 12)), (role, a, b)
                if found:
                    assert all(vis.node_ok(n) for n in found[0]) and all(vis.edge_ok(e) for e in found[1])
                    assert [found[0][0], found[0][-1]] == [a, b]
    assert checked.stats["exact"] == exact_before  # every search above took the fast way


@pytest.fixture
def detours(node, supervisor):
    """a - h1..h6 - b (six AMBER H3 records, each on its own 2-hop path) and a - v1 - v2 - b all AMBER."""
    def rec(name, tlp=TLP.AMBER, handling=Handling.H0):
        return records.create_record(node, supervisor, "person", {"full_name": name}, marks(tlp, handling)).id

    ids = {"a": rec("a"), "b": rec("b"), "v1": rec("v1"), "v2": rec("v2")}
    for i in range(1, 7):
        ids[f"h{i}"] = rec(f"h{i}", TLP.AMBER, Handling.H3)  # supervisors only (TLP:RED: named people only)
    pairs = [("a", "v1"), ("v1", "v2"), ("v2", "b")] + [(x, f"h{i}") for i in range(1, 7) for x in ("a", "b")]
    for x, y in pairs:
        records.create_record(node, supervisor, "relationship",
                              {"relationship_type": "related-to", "source_ref": ids[x], "target_ref": ids[y]})
    return ids


def test_release_disagreeing_with_the_flags_forces_bounded_new_searches(node, analyst, detours, monkeypatch):
    """Flags that let everything through (as if release() looked past the markings): release() still hides
    the RED records, the search runs again without them, and past RERUNS it runs the exact way."""
    ids, back = detours, {v: k for k, v in detours.items()}
    everything = np.ones(N_CODES + 1, dtype=bool)
    everything[-1] = False
    monkeypatch.setattr(checked, "rule_for", lambda role: Rule(role, everything, everything))
    before = dict(checked.stats)
    result = graph.path(node, analyst, ids["a"], ids["b"])
    assert [back[n] for n in result.paths[0]] == ["a", "v1", "v2", "b"]  # the longer visible detour
    assert checked.stats["reruns"] - before["reruns"] == checked.RERUNS
    assert checked.stats["exact"] - before["exact"] == 1  # six hidden paths > RERUNS: the exact way
    hood = graph.neighbourhood(node, analyst, ids["a"], 3)  # the six RED records at one hop are left out
    assert {back[n["id"]]: n["depth"] for n in hood.nodes} == {"a": 0, "v1": 1, "v2": 2, "b": 3}
    monkeypatch.undo()
    before = dict(checked.stats)
    assert [back[n] for n in graph.path(node, analyst, ids["a"], ids["b"]).paths[0]] == ["a", "v1", "v2", "b"]
    assert checked.stats["reruns"] == before["reruns"] and checked.stats["exact"] == before["exact"]


def test_hidden_on_the_only_path_and_the_adjacency_following_the_feed(node, supervisor, analyst, detours):
    ids, back = detours, {v: k for k, v in detours.items()}
    assert graph.path(node, supervisor, ids["a"], ids["b"]).paths[0][1].startswith("person--")
    assert len(graph.path(node, supervisor, ids["a"], ids["b"]).paths[0]) == 3  # via a RED h
    records.update_record(node, supervisor, ids["v1"], {"full_name": "v1"}, marks(TLP.AMBER, Handling.H3))
    assert graph.path(node, analyst, ids["a"], ids["b"]).paths == []  # the only visible path is now hidden
    rel = records.create_record(node, supervisor, "relationship",
                                {"relationship_type": "related-to", "source_ref": ids["a"], "target_ref": ids["v2"]})
    assert [back[n] for n in graph.path(node, analyst, ids["a"], ids["b"]).paths[0]] == ["a", "v2", "b"]
    records.revoke_record(node, supervisor, rel.id, "wrong")
    assert graph.path(node, analyst, ids["a"], ids["b"]).paths == []
    records.update_record(node, supervisor, ids["v1"], {"full_name": "v1"}, marks(TLP.AMBER, Handling.H0))
    assert len(graph.path(node, analyst, ids["a"], ids["b"]).paths[0]) == 4
    memory.forget(node.engine)  # a fresh build agrees with the caught-up one
    assert len(graph.path(node, analyst, ids["a"], ids["b"]).paths[0]) == 4


def test_bulk_index_build_then_incremental(node, supervisor, detours, monkeypatch):
    monkeypatch.setattr(index, "BULK", 1)  # the first build drops and rebuilds the lookup indexes
    with node.uow() as uow:
        assert index.sync(uow.conn) == 15
        uow.commit()
    with node.engine.connect() as conn:
        rows = conn.execute(sa.select(ge)).all()
        assert {ix["name"] for ix in sa.inspect(conn).get_indexes("graph_edges")} >= {
            "ix_graph_edges_source", "ix_graph_edges_target"}
    assert len(rows) == 15 and {r.source_type for r in rows} == {"person"} and {r.rel_type for r in rows} == {
        "related-to"}
    rel = next(r for r in rows if {r.source, r.target} == {detours["a"], detours["v1"]})
    body = {"relationship_type": "leads", "source_ref": detours["v1"], "target_ref": detours["h1"]}
    records.update_record(node, supervisor, rel.rel_id, body)
    with node.uow() as uow:
        assert index.sync(uow.conn) == 1
        uow.commit()
    with node.engine.connect() as conn:
        again = conn.execute(sa.select(ge).where(ge.c.rel_id == rel.rel_id)).one()
        assert (again.source, again.target, again.rel_type) == (detours["v1"], detours["h1"], "leads")
        assert conn.execute(sa.select(sa.func.count()).select_from(ge)).scalar_one() == 15

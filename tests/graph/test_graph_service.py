"""Link analysis over stored records: what release() lets the user see, the edge index, exports, API."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import httpx
import pytest
from servers import serving

from vinculo.accounts import service as accounts
from vinculo.audit.service import entries
from vinculo.graph import export
from vinculo.graph import service as graph
from vinculo.records import service as records
from vinculo.records.model import RecordInvalid

# Hidden from analysts, read by supervisors: H3 (TLP:RED is for named people only, whatever their role).
H3 = {"tlp": "amber", "handling": "H3", "handling_text": "task force only"}


@pytest.fixture
def world(node, supervisor):
    """shipment -supplied-> lab -produced-> seizure -related-to-> org (H3: supervisors only); person -member-of-> org;
    a second route shipment -> phone -> seizure; an unrelated pair vehicle - location."""
    def rec(kind, body, tlp=None):
        return records.create_record(node, supervisor, kind, body, H3 if tlp == "h3" else None).id

    ids = {
        "shipment": rec("shipment", {"date": "2025-01-01", "status": "stopped", "substance_raw": "4-AP"}),
        "lab": rec("lab", {"kind": "fentanyl-synthesis", "status": "dismantled", "country": "MX"}),
        "seizure": rec("seizure", {"date": "2025-02-01", "country": "US", "substance": "fentanyl"}),
        "org": rec("organization", {"name": "Cartel X", "kind": "cartel"}, "h3"),
        "person": rec("person", {"full_name": "Juan Perez"}),
        "phone": rec("phone", {"number": "+52 55 1234 5678"}),
        "vehicle": rec("vehicle", {"kind": "truck", "plate": "ABC123"}),
        "location": rec("location", {"country": "MX", "name": "Culiacan"}),
    }

    def rel(a, b, kind="related-to", tlp=None):
        return rec("relationship", {"relationship_type": kind, "source_ref": ids[a], "target_ref": ids[b]}, tlp)

    ids["r1"] = rel("shipment", "lab", "supplied")
    ids["r2"] = rel("lab", "seizure", "produced")
    ids["r3"] = rel("seizure", "org")
    ids["r4"] = rel("person", "org", "member-of")
    ids["r5"] = rel("shipment", "phone", "uses")
    ids["r6"] = rel("phone", "seizure", "related-to", "h3")
    ids["r7"] = rel("vehicle", "location", "located-at")
    return ids


def names(ids, result):
    back = {v: k for k, v in ids.items()}
    return {back[n["id"]] for n in result.nodes}


def test_neighbourhood_as_supervisor_and_as_analyst(node, world, supervisor, analyst):
    sup = graph.neighbourhood(node, supervisor, world["shipment"], 2)
    assert names(world, sup) == {"shipment", "lab", "phone", "seizure"}
    assert {n["depth"] for n in sup.nodes if n["id"] == world["seizure"]} == {2}
    assert {e["id"] for e in sup.edges} == {world[r] for r in ("r1", "r2", "r5", "r6")}
    ana = graph.neighbourhood(node, analyst, world["shipment"], 3)
    assert names(world, ana) == {"shipment", "lab", "phone", "seizure"}  # org is RED: not shown, not crossed
    assert world["r6"] not in {e["id"] for e in ana.edges}  # RED relationship is not an edge for analysts
    assert names(world, graph.neighbourhood(node, supervisor, world["shipment"], 3)) >= {"org"}
    last = graph.neighbourhood(node, analyst, world["lab"], 1)
    with node.engine.connect() as conn:
        log = entries(conn, action="graph.query", limit=1000)
    assert log[-1]["actor"] == "user:analyst" and set(log[-1]["detail"]["ids"]) == {n["id"] for n in last.nodes}


def test_path_respects_visibility(node, world, supervisor, analyst):
    p = graph.path(node, supervisor, world["shipment"], world["person"])
    assert len(p.paths[0]) == 5 and p.paths[0][0] == world["shipment"] and p.paths[0][-1] == world["person"]
    with pytest.raises(records.Forbidden):
        graph.path(node, analyst, world["shipment"], world["org"])
    assert graph.path(node, analyst, world["shipment"], world["person"]).paths == []  # only via the RED org
    assert graph.path(node, supervisor, world["shipment"], world["vehicle"]).nodes == []
    with pytest.raises(RecordInvalid):
        graph.path(node, supervisor, "nope", world["vehicle"])
    with pytest.raises(records.NotFound):
        graph.path(node, supervisor, "seizure--00000000-0000-4000-8000-000000000000", world["vehicle"])


def test_groups_and_chain(node, world, supervisor, analyst):
    g = graph.groups(node, supervisor)
    assert [len(x) for x in g.groups] == [6, 2]
    g = graph.groups(node, analyst)
    assert [sorted(names(world, type(g)([{"id": i} for i in grp], []))) for grp in g.groups] == [
        ["lab", "phone", "seizure", "shipment"], ["location", "vehicle"]]
    seeded = graph.groups(node, supervisor, [world["vehicle"]])
    assert seeded.groups == [sorted([world["vehicle"], world["location"]])]
    chain = graph.chain(node, supervisor)
    assert chain.paths == [[world["shipment"], world["lab"], world["seizure"], world["org"]]]
    assert graph.chain(node, analyst).paths == []
    assert graph.chain(node, analyst, types=("shipment", "lab", "seizure")).paths == [
        [world["shipment"], world["lab"], world["seizure"]]]


def test_index_follows_new_versions_and_revocations(node, world, supervisor):
    assert len(graph.path(node, supervisor, world["lab"], world["seizure"]).paths[0]) == 2
    body = {"relationship_type": "produced", "source_ref": world["lab"], "target_ref": world["location"]}
    records.update_record(node, supervisor, world["r2"], body)
    assert len(graph.path(node, supervisor, world["lab"], world["location"]).paths[0]) == 2
    assert len(graph.path(node, supervisor, world["lab"], world["seizure"]).paths[0]) == 4  # via phone
    records.revoke_record(node, supervisor, world["r2"], "wrong link")
    assert graph.path(node, supervisor, world["lab"], world["location"]).paths == []


def test_exports(node, world, supervisor):
    result = graph.neighbourhood(node, supervisor, world["lab"], 1)
    doc = ET.fromstring(export.to_graphml(result))
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    assert {n.get("id") for n in doc.iterfind(".//g:node", ns)} == {n["id"] for n in result.nodes}
    assert len(doc.findall(".//g:edge", ns)) == 2
    nodes, edges = export.to_csv(result)
    rows = list(csv.DictReader(io.StringIO(nodes)))
    assert {r["label"] for r in rows} == {"fentanyl-synthesis", "4-AP", "fentanyl"}
    assert len(list(csv.DictReader(io.StringIO(edges)))) == 2


def test_api(node, world):
    accounts.add_user(node, "ana", "analyst", "analyst-password-1")
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as api:
        token = api.post("/api/v1/auth/login", json={"username": "ana", "password": "analyst-password-1"}).json()
        h = {"Authorization": f"Bearer {token['token']}"}
        r = api.get(f"/api/v1/graph/neighbours/{world['lab']}", params={"depth": 1}, headers=h)
        assert r.status_code == 200 and len(r.json()["nodes"]) == 3
        r = api.get("/api/v1/graph/path", params={"from": world["shipment"], "to": world["seizure"]}, headers=h)
        assert len(r.json()["paths"][0]) == 3
        r = api.get(f"/api/v1/graph/neighbours/{world['lab']}", params={"format": "graphml"}, headers=h)
        assert r.headers["content-type"].startswith("application/graphml+xml") and "<graphml" in r.text
        r = api.get(f"/api/v1/graph/neighbours/{world['org']}", headers=h)
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
        assert api.get("/api/v1/graph/groups", headers=h).json()["groups"]
        assert api.get("/api/v1/graph/chain", params={"types": "shipment,lab,seizure"}, headers=h).json()["paths"]

"""Two real nodes exchange records over TAXII 2.1: release, withheld fields, versions, tombstones,
receipts, forged objects, wrong credentials."""

import httpx
import pytest
from conftest import SEIZURE, actor
from fed_helpers import pair

from vinculo.audit.checks import verify_node
from vinculo.federation import inbox, receipts, sync
from vinculo.federation.agreements import update_agreement
from vinculo.federation.signing import sign_document
from vinculo.federation.stix_map import to_stix
from vinculo.node.keys import generate
from vinculo.records import service
from vinculo.records.query import build_filters
from vinculo.records.service import Forbidden

TERMS = {"record_types": ["seizure", "person"], "max_tlp": "amber", "start": "2020-01-01",
         "withheld_fields": {"person": ["date_of_birth"], "seizure": ["place"]}}
PERSON = {"full_name": "Juan Pérez López", "date_of_birth": "1980-02-03", "nationality": ["MX"]}


@pytest.fixture
def nodes(make_node):
    return make_node("us-dea", "US"), make_node("mx-fgr", "MX")


def ids_held(node):
    a = actor(node, "supervisor")
    return {i["id"]: i for i in service.list_records(node, a, build_filters(origin="us-dea"), None, 500).items}


def test_sync_release_versions_tombstones_receipts(nodes):
    us, mx = nodes
    ana = actor(us, "analyst")
    shared = service.create_record(us, ana, "seizure", SEIZURE, {"tlp": "amber"})
    secret = service.create_record(us, ana, "seizure", SEIZURE, {"tlp": "red"})
    person = service.create_record(us, ana, "person", PERSON, {"tlp": "green"})
    service.create_record(us, ana, "lab", {"kind": "fentanyl-pressing", "status": "active", "country": "US"})
    with pair(us, mx, us_terms=TERMS) as (us_url, _mx_url, cred_for_mx, _):
        first = sync.pull(mx, "us-dea", page_size=2)
        assert (first.new, first.rejected) == (2, [])
        held = ids_held(mx)
        assert set(held) == {shared.id, person.id} and secret.id not in held
        assert "date_of_birth" not in held[person.id]["body"] and "place" not in held[shared.id]["body"]
        raw = httpx.get(f"{us_url}/taxii2/api/collections/", headers={"Authorization": f"Bearer {cred_for_mx}"})
        all_id = next(c["id"] for c in raw.json()["collections"] if c["alias"] == "all")
        body = httpx.get(f"{us_url}/taxii2/api/collections/{all_id}/objects/",
                         headers={"Authorization": f"Bearer {cred_for_mx}"}).text
        assert "1980-02-03" not in body and "date_of_birth" not in body and "San Ysidro" not in body
        with pytest.raises(Forbidden):
            service.update_record(mx, actor(mx, "analyst"), shared.id, SEIZURE)

        again = sync.pull(mx, "us-dea")
        assert (again.new, again.updated) == (0, 0)
        service.update_record(us, ana, shared.id, SEIZURE | {"admin_area": "Baja California"})
        updated = sync.pull(mx, "us-dea")
        assert updated.updated == 1 and ids_held(mx)[shared.id]["version"] == 2

        service.revoke_record(us, actor(us, "supervisor"), person.id, "wrong person")
        revoked = sync.pull(mx, "us-dea")
        assert revoked.retracted == 1
        assert ids_held(mx).get(person.id) is None  # revoked and emptied: no longer listed
        tomb, _ = service.get_record(mx, actor(mx, "supervisor"), person.id)
        assert tomb.revoked and tomb.body == {}

        agreement, withdrawn = update_agreement(us, "mx-fgr", TERMS | {"record_types": ["person"]})
        assert withdrawn == 1
        narrowed = sync.pull(mx, "us-dea")
        assert narrowed.retracted == 1 and narrowed.receipts_sent >= 1
        got = receipts.list_receipts(us, "mx-fgr")
        assert {(r["record_id"], r["status"]) for r in got} >= {(person.id, "withdrawn"), (shared.id, "withdrawn")}
    for n in (us, mx):
        result = verify_node(n)
        assert result.ok, result.problem


def test_forged_altered_replayed_objects_are_rejected(nodes):
    us, mx = nodes
    ana = actor(us, "analyst")
    rec = service.create_record(us, ana, "seizure", SEIZURE, {"tlp": "green"})
    with pair(us, mx, us_terms=TERMS):
        sync.pull(mx, "us-dea")
    doc = rec.document() | {"body": {k: v for k, v in rec.body.items() if k != "place"}}
    good = to_stix(doc, sign_document(us.key, doc), "us-dea")
    altered = to_stix(doc | {"body": doc["body"] | {"country": "CA"}}, sign_document(us.key, doc), "us-dea")
    forged = to_stix(doc | {"version": 5}, sign_document(generate(), doc | {"version": 5}), "us-dea")
    unsigned = to_stix(doc | {"version": 6}, None, "us-dea")
    other_origin = doc | {"id": "seizure--00000000-0000-4000-8000-0000000000aa", "origin": "co-dijin", "version": 1}
    claims = to_stix(other_origin, sign_document(us.key, other_origin), "co-dijin")
    result = inbox.apply_page(mx, "us-dea", [good, altered, forged, unsigned, claims], None)
    assert result.unchanged == 1 and result.new == 0  # the good one is a replay of what is held
    reasons = " | ".join(r for _, r in result.rejected)
    assert len(result.rejected) == 4
    assert "signature does not verify" in reasons and "signed by nobody" in reasons or "does not verify" in reasons
    assert "claims origin co-dijin" in reasons
    older = rec.document() | {"version": 0}
    assert inbox.apply_page(mx, "us-dea", [to_stix(older, sign_document(us.key, older), "us-dea")],
                            None).rejected  # version 0 is not a version
    assert verify_node(mx).ok


def test_wrong_credentials_get_401_and_nothing_else(nodes):
    us, mx = nodes
    service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
    with pair(us, mx, us_terms=TERMS) as (us_url, *_):
        for headers in ({}, {"Authorization": "Bearer vnp_wrong"}, {"Authorization": "Basic bXg6d3Jvbmc="}):
            for path in ("/taxii2/", "/taxii2/api/collections/"):
                r = httpx.get(us_url + path, headers=headers)
                assert r.status_code == 401
                assert set(r.json()) == {"title", "description", "http_status"}
                assert "seizure" not in r.text
        r = httpx.post(us_url + "/api/v1/federation/receipts", json={"receipts": []},
                       headers={"Authorization": "Bearer vnp_wrong"})
        assert r.status_code == 401

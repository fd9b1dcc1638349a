"""TAXII 2.1 conformance of the server, read with the OASIS taxii2-client (and httpx where the client does not
show a header) against real served nodes; served objects checked with the OASIS stix2-validator.

Get Objects, Get Object, Get Object Manifests and Get Object Versions, their filters (match[id], match[type],
match[version], match[spec_version], added_after, limit, next) and paging by X-TAXII-Date-Added-Last."""

import json
from contextlib import ExitStack

import httpx
import pytest
import stix2
from conftest import SEIZURE, actor
from fed_helpers import pair
from servers import serving
from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import Server, as_pages

from vinculo.federation import inbox, outbox, partners, sync
from vinculo.federation.agreements import update_agreement
from vinculo.federation.stix_defs import node_identity_id
from vinculo.federation.stix_map import stix_id
from vinculo.records import repository as repo
from vinculo.records import service
from vinculo.records.importers.native import parse_ndjson
from vinculo.records.importers.service import import_rows

TERMS = {"record_types": ["seizure", "person", "event"], "max_tlp": "amber", "start": "2020-01-01"}
LOOSE = ValidationOptions(version="2.1")
STRICT = ValidationOptions(version="2.1", strict=True, disabled=["103", "202"])  # as in test_interop
EVENT = {"kind": "controlled-delivery", "begins": "2026-07-01T06:00:00-07:00", "ends": "2026-07-01T18:00:00-07:00",
         "coordinates": {"lat": 32.5421, "lon": -117.0297}, "radius_m": 1500, "place": "San Ysidro"}
TAXII = {"Accept": "application/taxii+json;version=2.1"}
# As OASIS publishes them (cti-stix-common-objects, extension-definition-specifications/tlp-2.0).
_TLP2 = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
OASIS_TLP = {
    mid: {"type": "marking-definition", "spec_version": "2.1", "id": mid, "created": "2022-10-01T00:00:00.000Z",
          "name": name, "extensions": {_TLP2: {"extension_type": "property-extension", "tlp_2_0": level}}}
    for mid, name, level in [
        ("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR", "clear"),
        ("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN", "green"),
        ("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER", "amber"),
        ("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "TLP:AMBER+STRICT", "amber+strict"),
        ("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED", "red"),
    ]
}


def _collections(url, partner, credential):
    root = Server(f"{url}/taxii2/", user=partner, password=credential).api_roots[0]
    return {c._raw["alias"]: c for c in root.collections}


def _valid(obj):
    loose, strict = validate_instance(obj, LOOSE), validate_instance(obj, STRICT)
    assert loose.is_valid and strict.is_valid, (obj["id"], [str(e) for e in strict.errors])


def _bulk(node, count, name="bulk"):
    """`count` seizures in one import: one transaction, one `added` for all."""
    path = node.home.path / f"{name}.ndjson"
    path.write_text("".join(json.dumps({"type": "seizure", "key": f"{name}{i}", "markings": {"tlp": "green"},
                                        "body": SEIZURE | {"place": f"p{i}"}}) + "\n" for i in range(count)))
    import_rows(node, actor(node, "analyst"), str(path), parse_ndjson(path))


@pytest.fixture
def served(make_node):
    us, mx = make_node("us-dea", "US"), make_node("mx-fgr", "MX")
    ana = actor(us, "analyst")
    made = {"seizure": service.create_record(us, ana, "seizure", SEIZURE, {"tlp": "green"}),
            "person": service.create_record(us, ana, "person", {"full_name": "Ana Ruiz"}, {"tlp": "green"}),
            "event": service.create_record(us, ana, "event", EVENT, {"tlp": "green"})}
    with pair(us, mx, us_terms=TERMS) as (us_url, _mx_url, cred_for_mx, _):
        yield us, mx, us_url, cred_for_mx, made


def test_definitions_versions_filters_paging_and_stable_date_added(served):
    _, _, url, cred, _ = served
    defs = _collections(url, "mx-fgr", cred)["definitions"]
    everything = defs.get_objects()["objects"]
    assert len(everything) > 10
    for obj in everything:  # markings have no `modified`: their version is `created` (was a 500)
        _valid(obj)
        assert defs.object_versions(obj["id"])["versions"] == [obj.get("modified", obj["created"])]
        assert defs.get_object(obj["id"])["objects"] == [obj]
    markings = defs.get_objects(type="marking-definition")["objects"]
    assert markings and {o["type"] for o in markings} == {"marking-definition"}
    assert len(markings) == sum(o["type"] == "marking-definition" for o in everything)
    two = [everything[3]["id"], everything[-1]["id"]]
    assert [o["id"] for o in defs.get_objects(id=",".join(two))["objects"]] == two
    assert defs.get_objects(type="identity", id=everything[-1]["id"])["objects"] == [
        o for o in [everything[-1]] if o["type"] == "identity"]
    # limit and next: every definition once, in pages of 4
    pages = list(as_pages(defs.get_objects, per_request=4))
    assert len(pages) > 2 and all(len(p["objects"]) <= 4 for p in pages)
    assert [o for p in pages for o in p["objects"]] == everything
    # date_added: distinct, increasing, the same at every call; added_after pages by it alone
    manifest = defs.get_manifest()["objects"]
    assert [m["id"] for m in manifest] == [o["id"] for o in everything]
    added = [m["date_added"] for m in manifest]
    assert added == sorted(set(added)) and defs.get_manifest()["objects"] == manifest
    got, after = [], None
    while True:
        page = defs.get_manifest(limit=3, added_after=after)["objects"]
        if not page:
            break
        got += page
        after = page[-1]["date_added"]
    assert got == manifest
    assert defs.get_objects(added_after=added[-2])["objects"] == everything[-1:]


def test_tlp_markings_are_served_exactly_as_oasis_publishes_them(served):
    _, _, url, cred, _ = served
    defs = _collections(url, "mx-fgr", cred)["definitions"]
    tlp = {o["id"]: o for o in defs.get_objects(type="marking-definition")["objects"] if o["id"] in OASIS_TLP}
    assert tlp == OASIS_TLP  # no created_by_ref: OASIS's objects have none
    assert all("created_by_ref" not in o for o in tlp.values())


def test_vinculo_event_is_served_by_type_and_by_id(served):
    _, _, url, cred, made = served
    colls = _collections(url, "mx-fgr", cred)
    sid = stix_id(made["event"].id)
    assert sid.startswith("vinculo-event--")
    for alias in ("all", "event"):
        (obj,) = colls[alias].get_objects(type="vinculo-event")["objects"]
        assert obj["id"] == sid
        _valid(obj)
        assert colls[alias].get_object(sid)["objects"] == [obj]
        assert colls[alias].object_versions(sid)["versions"] == [obj["modified"]]
    defs = colls["definitions"].get_objects(type="extension-definition")["objects"]
    assert any(d["name"] == "vinculo-event" for d in defs)


def test_match_version_and_spec_version(served):
    _, _, url, cred, made = served
    coll = _collections(url, "mx-fgr", cred)["all"]
    sid = stix_id(made["seizure"].id)
    (obj,) = coll.get_object(sid)["objects"]
    for version in ("last", "first", "all", obj["modified"], f"2001-01-01T00:00:00.000Z,{obj['modified']}"):
        assert coll.get_object(sid, version=version)["objects"] == [obj]
    assert coll.get_object(sid, version="2001-01-01T00:00:00.000Z")["objects"] == []
    only = coll.get_objects(version=obj["modified"])["objects"]
    assert obj in only and all(o["modified"] == obj["modified"] for o in only)
    assert [m["id"] for m in coll.get_manifest(version=obj["modified"])["objects"]] == [o["id"] for o in only]
    assert len(coll.get_objects(spec_version="2.1")["objects"]) == 3
    assert coll.get_objects(spec_version="2.0")["objects"] == []
    assert _collections(url, "mx-fgr", cred)["definitions"].get_objects(spec_version="2.0")["objects"] == []
    bad = httpx.get(f"{coll.url}objects/", params={"match[version]": "yesterday"}, headers=TAXII,
                    auth=("mx-fgr", cred))
    assert bad.status_code == 400 and "match[version]" in bad.json()["title"]


def test_paging_by_added_after_alone_loses_no_object_of_a_bulk_import(served):
    us, _, url, cred, made = served
    _bulk(us, 2485)  # one transaction: 2,485 versions stored with the same `added`
    later = service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
    coll = _collections(url, "mx-fgr", cred)["all"]
    auth = ("mx-fgr", cred)
    # a limit above the server's maximum is capped, not refused
    capped = httpx.get(f"{coll.url}objects/", params={"limit": 100_000}, headers=TAXII, auth=auth, timeout=60)
    assert capped.status_code == 200 and len(capped.json()["objects"]) == outbox.MAX_LIMIT and capped.json()["more"]
    # Get Objects paged by added_after = the previous page's X-TAXII-Date-Added-Last, never `next`
    seen, after, pages = [], None, 0
    while True:
        params = {"limit": 300} | ({"added_after": after} if after else {})
        r = httpx.get(f"{coll.url}objects/", params=params, headers=TAXII, auth=auth, timeout=60)
        assert r.status_code == 200
        objs = r.json()["objects"]
        if not objs:
            assert "X-TAXII-Date-Added-Last" not in r.headers
            break
        pages += 1
        seen += [o["id"] for o in objs]
        assert r.headers["X-TAXII-Date-Added-First"] <= r.headers["X-TAXII-Date-Added-Last"]
        assert after is None or r.headers["X-TAXII-Date-Added-First"] > after
        after = r.headers["X-TAXII-Date-Added-Last"]
    assert pages >= 9
    assert len(seen) == len(set(seen)) == 2485 + 4
    assert {stix_id(r.id) for r in (*made.values(), later)} <= set(seen)
    # the manifest's date_added: one per object, increasing, stable; taxii2-client pages by it alone too
    manifest = [m for p in as_pages(coll.get_manifest, per_request=1000) for m in p["objects"]]
    added = [m["date_added"] for m in manifest]
    assert [m["id"] for m in manifest] == seen and added == sorted(set(added))
    assert [m["date_added"] for m in coll.get_manifest(limit=1000)["objects"]] == added[:1000]
    got, after = [], None
    while True:
        page = coll.get_manifest(limit=700, added_after=after)["objects"]
        if not page:
            break
        got += [m["id"] for m in page]
        after = page[-1]["date_added"]
    assert got == seen


def test_a_withdrawal_tombstone_is_a_later_version_a_stix_store_keeps_apart(served):
    us, mx, url, cred, made = served
    coll = _collections(url, "mx-fgr", cred)["all"]
    first = coll.get_objects()["objects"]
    person = next(o for o in first if o["type"] == "identity")
    update_agreement(us, "mx-fgr", TERMS | {"record_types": ["seizure", "event"]})  # the person is withdrawn
    (tomb,) = [o for o in coll.get_objects()["objects"] if o["id"] == person["id"]]
    assert tomb["revoked"] is True
    assert tomb["modified"] > person["modified"]  # a new version, not the same (id, modified) emptied
    _valid(tomb)
    store = stix2.MemoryStore(allow_custom=True)
    store.add([person, tomb])
    assert len(store.query([stix2.Filter("id", "=", person["id"])])) == 2  # kept apart: two versions
    assert store.get(person["id"])["revoked"] is True  # the latest version is the tombstone
    # a Vinculo receiver still accepts it: it stores the person, then the tombstone drops its content
    assert inbox.apply_page(mx, "us-dea", [person], None).new == 1
    assert inbox.apply_page(mx, "us-dea", [tomb], None).retracted == 1
    with mx.engine.connect() as conn:
        held = repo.current(conn, made["person"].id)
    assert held is None or (held.revoked and held.body == {})


def _link(a, a_url, b, b_url):
    _, cred_for_b = partners.add_partner(a, b.id, f"{b.id} name", b.public_key_hex, b_url, b.country)
    _, cred_for_a = partners.add_partner(b, a.id, f"{a.id} name", a.public_key_hex, a_url, a.country)
    partners.store_pull_credential(b, a.id, cred_for_b)
    partners.store_pull_credential(a, b.id, cred_for_a)
    return cred_for_b


def test_a_relayed_objects_origin_identity_resolves_in_definitions(make_node):
    us, mx, ca = make_node("us-dea", "US"), make_node("mx-fgr", "MX"), make_node("ca-rcmp", "CA")
    relayed = service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE, {"tlp": "green", "onward": True})
    terms = {"record_types": ["seizure"], "max_tlp": "amber", "start": "2020-01-01"}
    with ExitStack() as stack:
        urls = {n.id: stack.enter_context(serving(n)) for n in (us, mx, ca)}
        _link(us, urls["us-dea"], mx, urls["mx-fgr"])
        cred_ca_at_mx = _link(mx, urls["mx-fgr"], ca, urls["ca-rcmp"])
        update_agreement(us, "mx-fgr", terms | {"onward_sharing": True})
        update_agreement(mx, "ca-rcmp", terms | {"relay_origins": ["us-dea"]})
        colls = _collections(urls["mx-fgr"], "ca-rcmp", cred_ca_at_mx)
        us_identity = node_identity_id("us-dea")
        before = {o["id"] for o in colls["definitions"].get_objects()["objects"]}
        assert us_identity not in before  # ca holds nothing from us-dea: mx does not name it to ca
        sync.pull(mx, "us-dea")
        (obj,) = colls["all"].get_objects()["objects"]
        assert obj["id"] == stix_id(relayed.id) and obj["created_by_ref"] == us_identity
        defs = colls["definitions"].get_objects()["objects"]
        (identity,) = [o for o in defs if o["id"] == us_identity]
        _valid(identity)
        assert identity["name"] == "us-dea name"
        assert colls["definitions"].get_object(us_identity)["objects"] == [identity]
        manifest = colls["definitions"].get_manifest()["objects"]
        assert [m["date_added"] for m in manifest] == sorted({m["date_added"] for m in manifest})

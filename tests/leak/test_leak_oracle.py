"""The oracle itself, on hand-made captures: it lets through what the rules allow and names what they
do not (so a silent leak test means something)."""

from __future__ import annotations

import json

from leak_oracle import Oracle
from leak_proxy import Capture

from vinculo.federation.stix_map import to_stix

US, MX, CA = "us-dea", "mx-fgr", "ca-rcmp"
OPEN = {"record_types": ["seizure", "person", "relationship"], "max_tlp": "amber", "start": "2020-01-01"}
U1, U2, U3 = ("00000000-0000-4000-8000-00000000000" + c for c in "123")


def doc(rid: str, origin: str, body: dict, tlp: str = "green", handling: str = "H0", **marks: object) -> dict:
    return {"id": rid, "type": rid.split("--")[0], "origin": origin, "version": 1,
            "created": "2026-01-01T00:00:00.000000Z", "modified": "2026-01-01T00:00:00.000000Z",
            "revoked": False, "markings": {"tlp": tlp, "handling": handling, "partners": [], **marks}, "body": body}


def page(server: str, client: str, *objs: dict, n: list = [0]) -> Capture:  # noqa: B006 - a counter
    n[0] += 2
    return Capture(client, server, "GET", "/taxii2/api/collections/x/objects/", {}, b"", n[0] - 1, 200, {},
                   json.dumps({"objects": list(objs)}).encode(), n[0])


def oracle(agreements: dict, *docs: dict) -> Oracle:
    o = Oracle(agreements)
    for d in docs:
        o.truth[d["id"]] = d
    return o


def rules(o: Oracle) -> list[str]:
    return [leak.rule for leak in o.leaks]


SEIZURE = doc(f"seizure--{U1}", US, {"country": "US", "place": "Secret warehouse"})
PERSON = doc(f"person--{U2}", US, {"full_name": "J P", "date_of_birth": "1980-02-03", "curp": "PELJ800203HDFRPN01"})


def test_a_direct_release_within_the_rules_passes_and_withheld_groups_are_named():
    o = oracle({(US, MX): OPEN | {"withheld_fields": {"person": ["date_of_birth"]}}}, SEIZURE, PERSON)
    o.sentinels[PERSON["id"]] = {"curp": "PELJ800203HDFRPN01"}
    without_dob = PERSON | {"body": {"full_name": "J P", "curp": "PELJ800203HDFRPN01"}}
    o.judge([page(US, MX, to_stix(SEIZURE, "sig", US), to_stix(without_dob, "sig", US))])
    assert rules(o) == ["withheld field curp in the body", "the value of withheld field curp in the bytes"]
    assert o.objects_checked == 2


def test_relays_need_every_permission_and_the_origins_exact_bytes():
    agreements = {(US, MX): OPEN | {"onward_sharing": True}, (MX, CA): OPEN | {"relay_origins": [US]}}
    ok = SEIZURE | {"markings": SEIZURE["markings"] | {"onward": True}}
    for_mx = ok | {"markings": ok["markings"] | {"onward_holder": MX}}  # the copy us signed for mx
    o = oracle(agreements, ok)
    o.judge([page(US, MX, to_stix(for_mx, "sig-us", US)), page(MX, CA, to_stix(for_mx, "sig-us", US))])
    assert o.leaks == [] and o.relayed == 1
    o1 = oracle(agreements, ok)  # a copy whose permission names nobody (or another node) is not mx's to relay
    o1.judge([page(US, MX, to_stix(ok, "sig-us", US)), page(MX, CA, to_stix(ok, "sig-us", US))])
    assert rules(o1) == [f"relayed by {MX} under an onward permission given to None"]
    altered = for_mx | {"body": {"country": "CA"}}
    o.judge([page(MX, CA, to_stix(altered, "sig-us", US))])
    assert f"relayed object is not exactly as {US} signed it" in rules(o)
    o2 = oracle(agreements | {(US, MX): OPEN}, SEIZURE)
    o2.judge([page(US, MX, to_stix(SEIZURE, "s", US)), page(MX, CA, to_stix(SEIZURE, "s", US))])
    assert rules(o2) == [("relayed although the markings do not permit onward sharing; "
                         f"{US}'s agreement with {MX} does not permit onward sharing")]


def test_tombstones_receipts_references_and_mentions():
    rel = doc(f"relationship--{U3}", US, {"relationship_type": "related-to", "source_ref": SEIZURE["id"],
                                          "target_ref": PERSON["id"]})
    secret = PERSON | {"markings": PERSON["markings"] | {"tlp": "red"}}
    o = oracle({(US, MX): OPEN}, SEIZURE, secret, rel)
    tomb = SEIZURE | {"revoked": True, "body": {}}
    o.judge([page(US, MX, to_stix(tomb, "s", US), to_stix(rel, "s", US))])
    assert rules(o) == ["tombstone for a record never sent to this partner",
                        f"references {PERSON['id']}, which {MX} may not receive"]
    receipts = {"receipts": [{"id": SEIZURE["id"], "version": 1}, {"id": PERSON["id"], "version": 1}]}
    o.leaks.clear()
    o.judge([Capture(MX, US, "POST", "/api/v1/federation/receipts", {}, json.dumps(receipts).encode(), 100, 200,
                     {}, b"{}", 101)])
    assert rules(o) == [f"receipt names a version {MX} did not receive from {US}",
                        "record named in bytes it may not be named in"]
    o.leaks.clear()
    o.judge([Capture(MX, US, "GET", "/taxii2/", {}, b"", 102, 200, {}, f'{{"x": "{U2}"}}'.encode(), 103)])
    assert rules(o) == ["record named in bytes it may not be named in"]

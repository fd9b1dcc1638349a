"""The egress guard, on its own: it reads the outgoing object, not release()'s decision."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vinculo.federation.egress import EgressRefused, Guard, check
from vinculo.federation.stix_map import stix_id, to_stix
from vinculo.sharing.agreements import Agreement
from vinculo.sharing.markings import TLP, Handling

TODAY = dt.date(2026, 6, 1)
BODY = {"date": "2025-06-01", "country": "US", "substance": "fentanyl", "route": "Tijuana",
        "quantity": {"amount": 1.0, "unit": "kg", "kg": 1.0}}


def doc(n=1, tlp="green", handling="H0", partners=None, origin="us-dea", body=None, revoked=False, rtype="seizure",
        onward=False, excluded=None):
    markings = {"tlp": tlp, "handling": handling, "reliability": "X", "accuracy": 4}
    if partners:
        markings["partners"] = list(partners)
    if onward:
        markings["onward"] = True
        markings["onward_holder"] = "mx-fgr" if origin == "us-dea" else "us-dea"
    if excluded:
        markings["excluded"] = list(excluded)
    if handling == "H3":
        markings["handling_text"] = "conditions"
    return {"id": f"{rtype}--00000000-0000-4000-8000-{n:012d}", "type": rtype, "origin": origin, "version": 1,
            "created": "2026-01-01T00:00:00.000000Z", "modified": "2026-01-01T00:00:00.000000Z",
            "revoked": revoked, "markings": markings, "body": dict(BODY) if body is None else body}


def obj(d):
    return to_stix(d, "00" * 64, d["origin"])


def agreement(**kw):
    terms = {"partner": "mx-fgr", "record_types": {"seizure"}, "max_tlp": TLP.AMBER, "start": dt.date(2026, 1, 1)}
    return Agreement(**(terms | kw))


def refusal(o, a=None, partner="mx-fgr"):
    try:
        check(o, partner, "us-dea", agreement() if a is None else a, TODAY)
    except EgressRefused as exc:
        return str(exc)
    return None


def test_an_allowed_object_passes_and_a_tombstone_always_does():
    assert refusal(obj(doc())) is None
    assert refusal(obj(doc(tlp="red", body={}, revoked=True))) is None


@pytest.mark.parametrize(("d", "a", "why"), [
    (doc(tlp="red"), None, "above the agreement"),
    (doc(tlp="amber+strict", partners=["mx-fgr"]), agreement(max_tlp=TLP.RED), "AMBER+STRICT never leaves"),
    (doc(excluded=["mx-fgr"]), None, "excluded by the origin"),
    (doc(onward=True), None, "does not let mx-fgr share onward"),
    (doc(origin="co-dijin", tlp="amber", onward=True), agreement(relay_origins={"co-dijin"}), "relaying a record"),
    (doc(origin="co-dijin", handling="H2", onward=True), agreement(relay_origins={"co-dijin"}), "relaying a record"),
    (doc(origin="mx-fgr"), None, "mx-fgr is the origin"),
    (doc(partners=["co-dijin"]), None, "not a named recipient"),
    (doc(tlp="red"), agreement(max_tlp=TLP.RED), "TLP:RED never leaves"),
    (doc(tlp="red", partners=["mx-fgr"]), agreement(max_tlp=TLP.RED), "TLP:RED never leaves"),
    (doc(handling="H3"), None, "TLP:RED / H3"),
    (doc(handling="H1"), agreement(handling_refused={Handling.H1}), "refused by the agreement"),
    (doc(handling="H0"), agreement(handling_required={Handling.H2}), "not among those the agreement requires"),
    (doc(origin="co-dijin", handling="H1"), agreement(relay_origins={"co-dijin"}), "relaying a record from co-dijin"),
    (doc(origin="co-dijin", handling="H2"), None, "relaying a record from co-dijin"),
    (doc(rtype="lab"), None, "type lab not covered"),
    (doc(revoked=True), None, "revoked records travel only as tombstones"),
    (doc(), agreement(end=dt.date(2026, 3, 1)), "not in force"),
])
def test_refusals_name_the_object_and_the_reason(d, a, why):
    out = refusal(obj(d), a)
    assert out is not None and out.startswith(stix_id(d["id"]) + ": ")
    assert why in out


def test_withheld_field_is_refused_on_every_object_not_once_per_marking():
    guard = Guard("mx-fgr", "us-dea", agreement(withheld_fields={"seizure": {"route", "quantity.kg"}}), TODAY)
    clean = doc(1, body={"date": "2025-06-01", "quantity": {"amount": 1.0, "unit": "kg"}})
    guard.check(obj(clean))
    for leaky in (doc(2, body={"route": "x"}), doc(3, body={"quantity": {"amount": 1.0, "unit": "kg", "kg": 2.0}})):
        with pytest.raises(EgressRefused, match="withheld field"):
            guard.check(obj(leaky))
    guard.check(obj(clean))


def test_withheld_groups_and_a_permitted_relay():
    a = agreement(record_types={"person"}, withheld_fields={"person": {"date_of_birth"}})
    curp = doc(4, rtype="person", body={"full_name": "R. Ortega", "curp": "OERR790314HSLRZF09"})
    assert "withheld field curp present" in refusal(obj(curp), a)
    assert refusal(obj(doc(5, rtype="person", body={"full_name": "R. Ortega"})), a) is None
    relay = agreement(relay_origins={"co-dijin"})
    assert refusal(obj(doc(6, origin="co-dijin", onward=True, handling="H1")), relay) is None
    other_holder = doc(7, origin="co-dijin", onward=True)
    other_holder["markings"]["onward_holder"] = "ca-rcmp"  # a copy co-dijin gave to ca-rcmp: not ours to relay
    assert "relaying" in refusal(obj(other_holder), relay)
    mine = doc(8, onward=True)
    assert refusal(obj(mine), agreement(onward_sharing=True)) is None
    mine["markings"]["onward_holder"] = "co-dijin"
    assert "marked for co-dijin" in refusal(obj(mine), agreement(onward_sharing=True))
    assert "relaying" in refusal(obj(doc(6, origin="co-dijin", onward=True, excluded=["gt-pnc"])),
                                 agreement(relay_origins={"co-dijin"}, withheld_fields={"seizure": {"route"}}))


def test_object_markings_must_match_the_document():
    o = obj(doc(tlp="green"))
    o["object_marking_refs"] = obj(doc(tlp="clear"))["object_marking_refs"]
    assert "markings do not match" in refusal(o)


def test_another_partners_agreement_or_none_refuses_everything():
    assert "no agreement with mx-fgr" in refusal(obj(doc()), agreement(partner="co-dijin"))
    with pytest.raises(EgressRefused, match="no agreement"):
        check(obj(doc()), "mx-fgr", "us-dea", None, TODAY)


def test_a_foreign_object_is_refused():
    assert "not a Vinculo object" in refusal({"type": "identity", "id": "identity--1"})


docs = st.builds(doc, n=st.integers(1, 5), tlp=st.sampled_from([t.value for t in TLP]),
                 handling=st.sampled_from(["H0", "H1", "H2", "H3"]),
                 partners=st.lists(st.sampled_from(["mx-fgr", "co-dijin"]), max_size=2, unique=True),
                 origin=st.sampled_from(["us-dea", "co-dijin"]), revoked=st.booleans(), onward=st.booleans(),
                 excluded=st.lists(st.sampled_from(["mx-fgr", "gt-pnc"]), max_size=1),
                 body=st.sampled_from([None, {}, {"date": "2025-06-01"}, {"quantity": {"amount": 1.0, "unit": "kg", "kg": 1.0}}]),
                 rtype=st.sampled_from(["seizure", "lab"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(docs, min_size=1, max_size=15), st.sampled_from([
    agreement(), agreement(max_tlp=TLP.RED, relay_origins={"co-dijin"}, withheld_fields={"seizure": {"quantity.kg"}}),
    agreement(record_types={"seizure", "lab"}, handling_refused={Handling.H1})]))
def test_a_page_guard_judges_each_object_as_a_fresh_check_does(batch, a):
    guard = Guard("mx-fgr", "us-dea", a, TODAY)
    for d in batch + batch[::-1]:
        try:
            guard.check(obj(d))
            got = None
        except EgressRefused as exc:
            got = str(exc)
        assert got == refusal(obj(d), a)

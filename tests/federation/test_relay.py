"""Relays across three real nodes honour the origin: its signed onward permission, its TLP and handling,
its agreement with the relaying node; receipts go only to the node a version came from."""

import datetime as dt
from contextlib import ExitStack

import pytest
from conftest import SEIZURE, actor
from servers import serving

from vinculo.federation import partners, receipts, sync
from vinculo.federation.agreements import update_agreement
from vinculo.federation.provenance import origin_signature
from vinculo.records import repository as repo
from vinculo.records import service
from vinculo.sharing.agreements import Agreement
from vinculo.sharing.release import PartnerNode, release

UPTO_AMBER = {"record_types": ["seizure"], "max_tlp": "amber", "start": "2020-01-01"}


def link(a, a_url, b, b_url):
    """a and b know each other's keys, URLs and pull credentials."""
    _, cred_for_b = partners.add_partner(a, b.id, b.id, b.public_key_hex, b_url, None)
    _, cred_for_a = partners.add_partner(b, a.id, a.id, a.public_key_hex, a_url, None)
    partners.store_pull_credential(b, a.id, cred_for_b)
    partners.store_pull_credential(a, b.id, cred_for_a)


def held(node, origin):
    with node.engine.connect() as conn:
        rows = conn.execute(repo.rv.select().where(repo.rv.c.origin == origin, repo.rv.c.current.is_(True))).all()
    return {r.id: repo.from_row(r) for r in rows}


@pytest.fixture
def three(make_node):
    us, mx, ca = make_node("us-dea", "US"), make_node("mx-fgr", "MX"), make_node("ca-rcmp", "CA")
    ana = actor(us, "analyst")
    made = {
        "green-onward": service.create_record(us, ana, "seizure", SEIZURE, {"tlp": "green", "onward": True}),
        "amber-onward": service.create_record(us, ana, "seizure", SEIZURE, {"tlp": "amber", "onward": True}),
        "green": service.create_record(us, ana, "seizure", SEIZURE, {"tlp": "green"}),
        "green-onward-h2": service.create_record(us, ana, "seizure", SEIZURE,
                                                 {"tlp": "green", "onward": True, "handling": "H2"}),
        "green-onward-not-ca": service.create_record(us, ana, "seizure", SEIZURE,
                                                     {"tlp": "green", "onward": True, "excluded": ["ca-rcmp"]}),
    }
    with ExitStack() as stack:
        urls = {n.id: stack.enter_context(serving(n)) for n in (us, mx, ca)}
        link(us, urls["us-dea"], mx, urls["mx-fgr"])
        link(us, urls["us-dea"], ca, urls["ca-rcmp"])
        link(mx, urls["mx-fgr"], ca, urls["ca-rcmp"])
        update_agreement(us, "ca-rcmp", UPTO_AMBER | {"max_tlp": "clear"})  # us sends ca CLEAR only
        update_agreement(mx, "ca-rcmp", UPTO_AMBER | {"relay_origins": ["us-dea"]})  # mx would relay us
        update_agreement(ca, "mx-fgr", UPTO_AMBER | {"relay_origins": ["us-dea"]})  # ca takes us via mx
        yield us, mx, ca, {k: r.id for k, r in made.items()}


def test_no_relay_when_the_origins_agreement_forbids_onward_sharing(three):
    us, mx, ca, ids = three
    update_agreement(us, "mx-fgr", UPTO_AMBER | {"onward_sharing": False})
    sync.pull(mx, "us-dea")
    at_mx = held(mx, "us-dea")
    assert set(at_mx) == set(ids.values())  # mx itself receives everything up to AMBER
    onward = at_mx[ids["green-onward"]]
    assert not onward.markings.onward  # sent without the permission, and signed so by us
    assert origin_signature(mx, onward)["status"] == "verified"
    sync.pull(ca, "mx-fgr")
    assert held(ca, "us-dea") == {}  # nothing of us's went on, AMBER least of all


def test_relay_only_what_the_origin_signed_as_onward_clear_or_green(three):
    us, mx, ca, ids = three
    update_agreement(us, "mx-fgr", UPTO_AMBER | {"onward_sharing": True})
    sync.pull(mx, "us-dea")
    assert held(mx, "us-dea")[ids["green-onward"]].markings.onward
    sync.pull(ca, "mx-fgr")
    at_ca = held(ca, "us-dea")
    assert set(at_ca) == {ids["green-onward"]}  # not AMBER, not without onward, not H2, not excluded ca
    assert origin_signature(ca, at_ca[ids["green-onward"]])["status"] == "verified"  # us's own signature


def test_receipts_go_only_to_the_node_a_version_came_from(three):
    us, mx, ca, ids = three
    update_agreement(us, "mx-fgr", UPTO_AMBER | {"onward_sharing": True})
    clear = service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE, {"tlp": "clear"})
    sync.pull(mx, "us-dea")
    sync.pull(ca, "mx-fgr")  # ca now holds green-onward, relayed by mx (and clear, if mx relays it)
    sync.pull(ca, "us-dea")  # us sends ca its CLEAR record only
    told_us = {r["record_id"] for r in receipts.list_receipts(us, "ca-rcmp")}
    assert clear.id in told_us
    assert ids["green-onward"] not in told_us  # us never sent it to ca: ca must not tell us it holds it
    told_mx = {r["record_id"] for r in receipts.list_receipts(mx, "ca-rcmp")}
    assert ids["green-onward"] in told_mx


def test_relays_are_one_hop_and_a_permission_taken_back_withdraws_the_copy(three):
    us, mx, ca, ids = three
    update_agreement(us, "mx-fgr", UPTO_AMBER | {"onward_sharing": True})
    sync.pull(mx, "us-dea")
    assert held(mx, "us-dea")[ids["green-onward"]].markings.onward_holder == "mx-fgr"
    sync.pull(ca, "mx-fgr")
    copy = held(ca, "us-dea")[ids["green-onward"]]
    assert copy.markings.onward and copy.markings.onward_holder == "mx-fgr"  # us's word: mx's to relay
    # ca relaying it on to a fourth node would be a second hop: release() refuses, whatever ca agreed
    onward_terms = Agreement(partner="gt-pnc", record_types=frozenset({"seizure"}), max_tlp="green",
                             relay_origins=frozenset({"us-dea"}), start=dt.date(2020, 1, 1))
    d = release(copy, PartnerNode("gt-pnc", "ca-rcmp", onward_terms, dt.date.today()))
    assert not d.allowed and "one hop" in d.reasons[0]
    # us takes the permission back: mx's copy carries it, so it is withdrawn (and the count says so)
    _, withdrawn = update_agreement(us, "mx-fgr", UPTO_AMBER | {"onward_sharing": False})
    assert withdrawn == 2  # green-onward and green-onward-not-ca: both copies carry mx's permission
    sync.pull(mx, "us-dea")
    with_content = {i for i, r in held(mx, "us-dea").items() if r.body}
    assert ids["green-onward"] not in with_content and ids["green-onward-not-ca"] not in with_content
    assert ids["amber-onward"] in with_content  # AMBER never carried a permission: nothing to take back
    sync.pull(ca, "mx-fgr")  # and nothing more of us's goes on from mx

"""Fixed leak scenarios on three real nodes, every byte between them captured and judged by the oracle
(`leak_oracle`), which knows the rules but not the product's release code."""

from __future__ import annotations

import pytest
from leak_harness import RecordSpec, Scenario, network

US, MX, CA = "us-dea", "mx-fgr", "ca-rcmp"
NODES = (US, MX, CA)
OPEN = {"record_types": ["seizure", "person", "note", "relationship"], "max_tlp": "amber", "start": "2020-01-01"}


def run(databases, tmp_path, scenario: Scenario):
    with network(databases, tmp_path, scenario.nodes) as net:
        out = net.run(scenario)
    assert not out.failed_pulls, out.failed_pulls
    return out


def assert_no_leaks(out) -> None:
    if out.oracle.leaks:
        pytest.fail(f"{len(out.oracle.leaks)} leaks:\n" + "\n".join(map(str, out.oracle.leaks)), pytrace=False)


def test_no_relay_when_origin_agreement_forbids_onward_sharing_and_never_amber(databases, tmp_path):
    """(1) us->mx does not permit onward sharing: mx, relaying us to ca, must not serve ca us's records;
    and TLP:AMBER is never relayed, whatever the markings say."""
    records = [RecordSpec(US, "seizure", {"tlp": "green", "handling": "H2", "onward": True}),
               RecordSpec(US, "seizure", {"tlp": "green", "handling": "H0", "onward": True}),
               RecordSpec(US, "seizure", {"tlp": "amber", "handling": "H2", "onward": True}),
               RecordSpec(US, "seizure", {"tlp": "amber", "handling": "H0", "onward": True})]
    agreements = {(US, MX): OPEN | {"onward_sharing": False},
                  (MX, CA): OPEN | {"relay_origins": [US], "onward_sharing": True},
                  (CA, MX): OPEN | {"relay_origins": [US]}}
    out = run(databases, tmp_path, Scenario(NODES, agreements, records, [("pull", MX, US), ("pull", CA, MX)]))
    assert len(out.oracle.received[(MX, US)]) == 4  # mx got all four: the relay had something to refuse
    assert_no_leaks(out)


def test_amber_relay_refused_even_when_onward_is_permitted(databases, tmp_path):
    """(1b) us->mx permits onward sharing, mx relays us to ca: GREEN onward goes, AMBER never does."""
    records = [RecordSpec(US, "seizure", {"tlp": "amber", "handling": "H2", "onward": True}),
               RecordSpec(US, "seizure", {"tlp": "amber", "handling": "H0", "onward": True})]
    agreements = {(US, MX): OPEN | {"onward_sharing": True},
                  (MX, CA): OPEN | {"relay_origins": [US]},
                  (CA, MX): OPEN | {"relay_origins": [US]}}
    out = run(databases, tmp_path, Scenario(NODES, agreements, records, [("pull", MX, US), ("pull", CA, MX)]))
    assert len(out.oracle.received[(MX, US)]) == 2
    assert_no_leaks(out)


def test_withholding_date_of_birth_withholds_curp_and_rfc(databases, tmp_path):
    """(2) withholding person.date_of_birth also removes the CURP and RFC (both carry the birth date)."""
    records = [RecordSpec(US, "person", {"tlp": "green", "handling": "H0"})]
    agreements = {(US, MX): OPEN | {"withheld_fields": {"person": ["date_of_birth"]}}}
    out = run(databases, tmp_path, Scenario(NODES, agreements, records, [("pull", MX, US)]))
    assert len(out.oracle.received[(MX, US)]) == 1  # the person went, and was judged
    assert_no_leaks(out)


def test_amber_strict_never_sent_whatever_the_agreement(databases, tmp_path):
    """(3) an agreement with max_tlp red or amber+strict never carries TLP:AMBER+STRICT, even to a named
    partner."""
    records = [RecordSpec(US, "seizure", {"tlp": "amber+strict", "handling": "H0", "partners": [MX, CA]}),
               RecordSpec(US, "seizure", {"tlp": "amber+strict", "handling": "H0"}),
               RecordSpec(US, "seizure", {"tlp": "red", "handling": "H0", "partners": [MX]})]
    agreements = {(US, MX): OPEN | {"max_tlp": "red"}, (US, CA): OPEN | {"max_tlp": "amber+strict"}}
    out = run(databases, tmp_path,
              Scenario(NODES, agreements, records, [("pull", MX, US), ("pull", CA, US)]))
    assert out.oracle.objects_checked == 0  # nor TLP:RED, even named: it is for named people, never a partner
    assert_no_leaks(out)


def test_receipts_to_origin_never_name_what_came_by_relay(databases, tmp_path):
    """(4) ca got us's records from mx (a permitted relay); its receipts to us (sent when it pulls from
    us) name only what us itself sent ca."""
    records = [RecordSpec(US, "seizure", {"tlp": "green", "handling": "H2", "onward": True}),
               RecordSpec(US, "seizure", {"tlp": "green", "handling": "H0", "onward": True}),
               RecordSpec(US, "person", {"tlp": "green", "handling": "H0"})]
    agreements = {(US, MX): OPEN | {"onward_sharing": True},
                  (MX, CA): OPEN | {"relay_origins": [US]},
                  (CA, MX): OPEN | {"relay_origins": [US]},
                  (US, CA): OPEN | {"record_types": ["person"]},
                  (CA, US): OPEN | {"relay_origins": [MX]}}
    steps = [("pull", MX, US), ("pull", CA, MX), ("pull", CA, US), ("pull", CA, US)]
    out = run(databases, tmp_path, Scenario(NODES, agreements, records, steps))
    assert out.oracle.relayed >= 1 and out.oracle.receipts_checked >= 1  # both paths were exercised
    assert_no_leaks(out)


def test_relay_stops_when_the_origin_withdraws_onward_sharing(databases, tmp_path):
    """(5) us->mx permitted onward sharing when mx pulled; then us changes that agreement to forbid it.
    mx must not go on relaying what it got under the old terms."""
    records = [RecordSpec(US, "seizure", {"tlp": "green", "handling": "H0", "onward": True})]
    agreements = {(US, MX): OPEN | {"onward_sharing": True},
                  (MX, CA): OPEN | {"relay_origins": [US]},
                  (CA, MX): OPEN | {"relay_origins": [US]}}
    steps = [("pull", MX, US), ("agree", US, MX, OPEN | {"onward_sharing": False}), ("pull", MX, US),
             ("pull", CA, MX)]
    out = run(databases, tmp_path, Scenario(NODES, agreements, records, steps))
    assert len(out.oracle.received[(MX, US)]) == 1
    assert_no_leaks(out)


def test_second_hop_relay_needs_the_origins_permission_for_that_hop(databases, tmp_path):
    """(6) us lets mx share onward and mx relays us to ca; ca relays us to co. us never let ca share
    onward (no agreement at all): ca must not pass on the onward permission us signed for mx."""
    co = "co-dijin"
    records = [RecordSpec(US, "seizure", {"tlp": "green", "handling": "H0", "onward": True})]
    agreements = {(US, MX): OPEN | {"onward_sharing": True},
                  (MX, CA): OPEN | {"relay_origins": [US]}, (CA, MX): OPEN | {"relay_origins": [US]},
                  (CA, co): OPEN | {"relay_origins": [US]}, (co, CA): OPEN | {"relay_origins": [US]}}
    steps = [("pull", MX, US), ("pull", CA, MX), ("pull", co, CA)]
    out = run(databases, tmp_path, Scenario((US, MX, CA, co), agreements, records, steps))
    assert len(out.oracle.received[(CA, MX)]) == 1  # the first hop was allowed and happened
    assert_no_leaks(out)

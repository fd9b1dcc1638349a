"""A record that names others (a relationship's ends, a note's subjects) went to a partner only with them;
when one of those is withdrawn from the partner, whatever names it is withdrawn too, over real HTTP."""

import pytest
from conftest import SEIZURE, actor
from fed_helpers import pair

from vinculo.federation import sync
from vinculo.federation.agreements import update_agreement
from vinculo.records import service
from vinculo.records.query import build_filters

TERMS = {"record_types": ["seizure", "person", "relationship", "note"], "max_tlp": "amber", "start": "2020-01-01"}
PERSON = {"full_name": "Juan Pérez López", "nationality": ["MX"]}


@pytest.fixture
def nodes(make_node):
    return make_node("us-dea", "US"), make_node("mx-fgr", "MX")


def held(node) -> set[str]:
    items = service.list_records(node, actor(node, "supervisor"), build_filters(origin="us-dea"), None, 500).items
    return {i["id"] for i in items}


def linked(us):
    ana = actor(us, "analyst")
    seizure = service.create_record(us, ana, "seizure", SEIZURE, {"tlp": "green"})
    person = service.create_record(us, ana, "person", PERSON, {"tlp": "green"})
    rel = service.create_record(us, ana, "relationship", {"relationship_type": "seized-from", "source_ref": seizure.id,
                                                          "target_ref": person.id}, {"tlp": "green"})
    about_rel = service.create_record(us, ana, "note", {"about_refs": [rel.id], "text": "seen at the crossing"},
                                      {"tlp": "green"})
    about_person = service.create_record(us, ana, "note", {"about_refs": [person.id], "text": "known courier"},
                                         {"tlp": "green"})
    return seizure, person, rel, about_rel, about_person


def test_re_marking_an_end_withdraws_what_names_it(nodes):
    us, mx = nodes
    seizure, person, rel, about_rel, about_person = linked(us)
    with pair(us, mx, us_terms=TERMS):
        sync.pull(mx, "us-dea")
        assert held(mx) == {seizure.id, person.id, rel.id, about_rel.id, about_person.id}
        service.update_record(us, actor(us, "analyst"), seizure.id, SEIZURE, {"tlp": "red"})
        report = sync.pull(mx, "us-dea")
        # the seizure, the relationship naming it and the note about that relationship; not the person
        assert report.retracted == 3
        assert held(mx) == {person.id, about_person.id}
        assert sync.pull(mx, "us-dea").retracted == 0  # said once


def test_narrowing_an_agreement_withdraws_what_names_the_withdrawn(nodes):
    us, mx = nodes
    seizure, person, rel, about_rel, about_person = linked(us)
    with pair(us, mx, us_terms=TERMS):
        sync.pull(mx, "us-dea")
        _, withdrawn = update_agreement(us, "mx-fgr", TERMS | {"record_types": ["seizure", "relationship", "note"]})
        assert withdrawn == 4  # what the administrator is told is what goes
        sync.pull(mx, "us-dea")
        assert held(mx) == {seizure.id}  # the person went, and with it both notes' subjects and the link

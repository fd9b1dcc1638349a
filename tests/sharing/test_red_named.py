"""TLP:RED is for named people: its author and the local users it names read it; nobody else, never a
partner (issue 25, item 7: an analyst was locked out of the RED record they had just saved)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import SEIZURE, actor
from hypothesis import given, settings
from hypothesis import strategies as st

from vinculo.accounts import service as accounts
from vinculo.records import service
from vinculo.records.model import Record, RecordInvalid
from vinculo.records.query import build_filters
from vinculo.sharing.agreements import Agreement
from vinculo.sharing.markings import TLP, Handling, Markings
from vinculo.sharing.release import ROLES, LocalUser, PartnerNode, release

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
NAMES = ("ana", "bea", "sam", "aud")
WIDE = Agreement(partner="mx-fgr", record_types=frozenset({"seizure", "note"}), max_tlp=TLP.RED,
                 start=dt.date(2026, 1, 1))


@st.composite
def red_records(draw):
    handling = draw(st.sampled_from(list(Handling)))
    marks = Markings(tlp=TLP.RED, handling=handling, handling_text="c" if handling is Handling.H3 else None,
                     recipients=tuple(draw(st.lists(st.sampled_from(NAMES), max_size=3, unique=True))),
                     partners=tuple(draw(st.lists(st.sampled_from(["mx-fgr", "co-dijin"]), max_size=2, unique=True))))
    return Record("seizure--00000000-0000-4000-8000-000000000003", "seizure",
                  draw(st.sampled_from(["us-dea", "mx-fgr", "co-dijin"])), 1, T0, T0, marks,
                  dict(SEIZURE), draw(st.booleans()))


@settings(max_examples=500, deadline=None)
@given(red_records(), st.sampled_from(NAMES), st.sampled_from([*ROLES, "guest"]))
def test_red_is_read_by_the_people_it_names_only(record, name, role):
    d = release(record, LocalUser(name, role, "us-dea"))
    named = record.origin == "us-dea" and name in record.markings.recipients
    if role == "auditor":  # the envelope and markings, never the content
        assert d.allowed and d.view["body"] == {}
    elif role in ("analyst", "supervisor") and named:
        assert d.allowed and d.view == record.document()
    else:
        assert not d.allowed and d.view is None
    assert d.reasons


@settings(max_examples=300, deadline=None)
@given(red_records())
def test_red_never_reaches_a_partner(record):
    for partner in ("mx-fgr", "co-dijin"):
        d = release(record, PartnerNode(partner, "us-dea", WIDE.model_copy(update={"partner": partner}),
                                        dt.date(2026, 6, 1)))
        assert not d.allowed


def test_recipients_only_on_red_and_well_formed():
    with pytest.raises(ValueError, match="only a TLP:RED"):
        Markings(tlp=TLP.AMBER, recipients=("ana",))
    with pytest.raises(ValueError, match="not a user name"):
        Markings(tlp=TLP.RED, recipients=("Ana Smith",))
    with pytest.raises(ValueError, match="named twice"):
        Markings(tlp=TLP.RED, recipients=("ana", "ana"))
    assert "recipients" not in Markings(tlp=TLP.RED).to_json()  # older versions keep their signed bytes


@pytest.fixture
def people(node):
    for name, role in (("ana", "analyst"), ("bea", "analyst"), ("sam", "supervisor")):
        accounts.add_user(node, name, role, f"{name}-password-123")
    return {name: actor(node, role, name) for name, role in (("ana", "analyst"), ("bea", "analyst"),
                                                              ("sam", "supervisor"))}


def _reads(node, who, record_id) -> bool:
    try:
        service.get_record(node, who, record_id)
    except service.Forbidden:
        return False
    return True


def test_the_author_keeps_reading_what_they_saved(node, people):
    ana, bea, sam = people["ana"], people["bea"], people["sam"]
    saved = service.create_record(node, ana, "seizure", SEIZURE, {"tlp": "red"})
    assert saved.markings.recipients == ("ana",)
    assert _reads(node, ana, saved.id)
    assert not _reads(node, bea, saved.id) and not _reads(node, sam, saved.id)  # supervisors too: named only
    f = build_filters(tlp="red")
    assert service.count_records(node, ana, f) == 1 == len(service.list_records(node, ana, f).items)
    for other in (bea, sam):
        assert service.count_records(node, other, f) == 0 == len(service.list_records(node, other, f).items)
    assert len(service.history(node, ana, saved.id)) == 1


def test_named_users_read_it_and_the_author_stays_first(node, people):
    ana, bea, sam = people["ana"], people["bea"], people["sam"]
    saved = service.create_record(node, ana, "seizure", SEIZURE, {"tlp": "red", "recipients": ["bea"]})
    assert saved.markings.recipients == ("ana", "bea")
    assert _reads(node, bea, saved.id) and not _reads(node, sam, saved.id)
    # bea edits and names only sam: ana stays (the author), bea stays (she saved it), sam joins
    edited = service.update_record(node, bea, saved.id, SEIZURE | {"place": "pier 4"},
                                   {"tlp": "red", "recipients": ["sam"]})
    assert edited.markings.recipients == ("ana", "sam", "bea")
    assert all(_reads(node, who, saved.id) for who in (ana, bea, sam))
    assert service.count_records(node, sam, build_filters(text="pier")) == 1


def test_naming_someone_who_is_not_a_user_is_refused(node, people):
    with pytest.raises(RecordInvalid) as exc:
        service.create_record(node, people["ana"], "seizure", SEIZURE, {"tlp": "red", "recipients": ["zed"]})
    assert exc.value.errors[0].field == "markings.recipients" and "zed" in exc.value.errors[0].reason
    with pytest.raises(RecordInvalid):
        service.create_record(node, people["ana"], "seizure", SEIZURE, {"tlp": "amber", "recipients": ["bea"]})
    assert service.count_records(node, people["ana"], build_filters()) == 0  # nothing half-written

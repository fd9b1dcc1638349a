"""A count an audience gets equals the number of records it could list, always (hypothesis, both databases).

Random records (random markings, TLP:RED recipients, origins, revocation and bodies) are stored, then every
local role, as users named and not named on the TLP:RED ones, counts and lists them with random filters, `text` included. The dashboard's seizure total is held to the same.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from conftest import SEIZURE, actor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vinculo.records import dashboard, service
from vinculo.records import repository as repo
from vinculo.records.model import Record, RecordInvalid, new_id, validate_body
from vinculo.records.query import build_filters
from vinculo.sharing.markings import Markings
from vinculo.sharing.release import ROLES
from vinculo.store.feed import allocate_seq
from vinculo.store.tables import record_versions
from vinculo.store.tables_readers import record_readers

WORDS = ("palenque", "tuesday", "informant", "warehouse", "ferry")
ORIGINS = ("us-dea", "mx-fgr", "co-dijin")
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

# Who may be named on a TLP:RED record, and who reads: the role-named actors and two more of each role.
NAMES = ("analyst", "supervisor", "auditor", "ana2", "sup2")
READERS = (*((r, r) for r in ROLES), ("analyst", "ana2"), ("supervisor", "sup2"))

markings = st.builds(
    lambda tlp, handling, named: Markings(
        tlp=tlp,
        handling=handling,
        handling_text="ask" if handling == "H3" else None,
        recipients=tuple(named) if tlp == "red" else (),
    ),
    st.sampled_from(("clear", "green", "amber", "amber+strict", "red")),
    st.sampled_from(("H0", "H1", "H2", "H3")),
    st.lists(st.sampled_from(NAMES), max_size=3, unique=True),
)


ABOUT = "seizure--00000000-0000-4000-8000-000000000001"


def _note(words: list[str]) -> tuple[str, dict]:
    return "note", {"kind": "note", "text": " ".join(words) or "nothing", "about_refs": [ABOUT]}


def _seizure(country: str, substance: str, day: int) -> tuple[str, dict]:
    return "seizure", SEIZURE | {
        "country": country,
        "substance": substance,
        "date": f"2025-0{1 + day % 9}-1{day}",
        "place": "pier by the ferry" if day % 2 else "warehouse",
    }


bodies = st.one_of(
    st.builds(_note, st.lists(st.sampled_from(WORDS), max_size=3)),
    st.builds(
        _seizure, st.sampled_from(("US", "MX")), st.sampled_from(("fentanyl", "cocaine")), st.integers(0, 8)
    ),
)
stored = st.lists(
    st.tuples(bodies, markings, st.sampled_from(ORIGINS), st.booleans()), min_size=1, max_size=10
)
filters = st.fixed_dictionaries(
    {},
    optional={
        "type_": st.sampled_from(("note", "seizure")),
        "country": st.sampled_from(("US", "MX")),
        "substance": st.sampled_from(("fentanyl", "cocaine")),
        "date_from": st.just("2025-04-01"),
        "date_to": st.just("2025-06-30"),
        "text": st.sampled_from((*WORDS, "ferr", "e")),
        "origin": st.sampled_from(ORIGINS),
        "tlp": st.sampled_from(("clear", "green", "amber", "red")),
    },
)


def _store(node, items) -> None:
    with node.uow() as uow:
        uow.conn.execute(sa.delete(record_versions))
        uow.conn.execute(sa.delete(record_readers))
        seq = allocate_seq(uow.conn, len(items))
        rows = []
        for k, ((rtype, body), marks, origin, revoked) in enumerate(items):
            record = Record(
                new_id(rtype), rtype, origin, 1, T0, T0, marks, validate_body(rtype, body), revoked
            )
            rows.append(repo.to_row(record, seq + k, f"{k:064x}"))
        repo.insert_rows(uow.conn, rows)
        uow.commit()


def _listed(node, who, f) -> list[dict]:
    items, cursor = [], None
    for _ in range(50):
        page = service.list_records(node, who, f, cursor, 2)
        items += page.items
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor
    raise AssertionError("paging did not end")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(items=stored, given_filters=st.lists(filters, min_size=1, max_size=3))
def test_count_equals_listing_for_every_role(node, items, given_filters):
    _store(node, items)
    for role, name in READERS:
        who = actor(node, role, name)
        for given_ in given_filters:
            f = build_filters(**given_)
            if role == "admin":
                with pytest.raises(service.Forbidden):
                    service.count_records(node, who, f)
                continue
            try:
                counted = service.count_records(node, who, f)
            except RecordInvalid:  # a content filter for a role that reads no content: listing refuses too
                with pytest.raises(RecordInvalid):
                    service.list_records(node, who, f)
                assert role == "auditor"
                continue
            listed = _listed(node, who, f)
            assert counted == len(listed) == len({i["id"] for i in listed}), (role, given_)
        figures = dashboard.counts(node, who)
        if figures.readable:
            assert figures.total == service.count_records(node, who, build_filters(type_="seizure"))
            for country in dashboard.MAP_COUNTRIES:  # the map's per-state counts add up to the country's count
                in_country = sum(n for (c, _), n in figures.areas["seizure"].items() if c == country)
                assert in_country == service.count_records(
                    node, who, build_filters(type_="seizure", country=country)
                )

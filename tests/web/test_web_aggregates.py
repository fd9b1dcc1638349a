"""Dashboard counts in SQL equal counting the views release() gives each role (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools

import pytest
from conftest import SEIZURE

from vinculo.accounts.model import Actor
from vinculo.records import aggregates, dashboard, repository, service
from vinculo.records.repository import Filters
from vinculo.sharing.markings import TLP, Handling
from vinculo.sharing.release import ROLES, LocalUser, release

SUBSTANCES = ("fentanyl", "cocaine", "methamphetamine")
AREAS = (("US", "California"), ("US", "TX"), ("MX", "Sinaloa"), ("MX", "Ciudad de México"), ("MX", None))


@pytest.fixture
def mixed(node):
    """Seizures and labs under every TLP x handling, some revoked, some superseded."""
    sam = Actor("sam", "supervisor", node.id)
    combos = list(itertools.product(TLP, Handling))
    for i, (tlp, handling) in enumerate(combos * 2):
        country, area = AREAS[i % len(AREAS)]
        marks = {"tlp": tlp.value, "handling": handling.value}
        if handling is Handling.H3:
            marks["handling_text"] = "ask first"
        body = SEIZURE | {"country": country, "substance": SUBSTANCES[i % 3], "date": f"202{4 + i % 2}-0{1 + i % 9}-15"}
        body = {k: v for k, v in body.items() if k != "admin_area"} | ({"admin_area": area} if area else {})
        rec = service.create_record(node, sam, "seizure", body, marks)
        if i % 7 == 0:
            service.update_record(node, sam, rec.id, body | {"substance": "heroin"}, marks)
        if i % 11 == 0:
            service.revoke_record(node, sam, rec.id, "duplicate")
        lab = {"kind": "methamphetamine", "status": "active", "country": country}
        service.create_record(node, sam, "lab", lab | ({"admin_area": area} if area else {}), marks)
    return node


def _views(node, role: str) -> list[dict]:
    with node.engine.connect() as conn:
        records = repository.page(conn, Filters(), None, 10_000)
    views = []
    for record in records:
        decision = release(record, LocalUser("x", role, node.id))
        if decision.allowed:
            views.append(decision.view)
    return views


@pytest.mark.parametrize("role", ROLES)
def test_sql_counts_equal_counting_released_views(mixed, role):
    rule = aggregates.rule_for(role)
    views = _views(mixed, role)
    with mixed.engine.connect() as conn:
        assert aggregates.by_substance_month(conn, rule) == aggregates.views_by_substance_month(views)
        for record_type in ("seizure", "lab"):
            assert aggregates.by_admin_area(conn, rule, record_type, ("US", "MX")) == \
                aggregates.views_by_admin_area(views, record_type, ("US", "MX"))


def test_rules_come_from_release():
    analyst = aggregates.rule_for("analyst")
    assert ("red", "H0") not in analyst.pairs and ("amber", "H3") not in analyst.pairs
    assert ("amber+strict", "H2") in analyst.pairs
    supervisor = aggregates.rule_for("supervisor")
    assert len(supervisor.pairs) == (len(TLP) - 1) * len(Handling)  # TLP:RED: only where it names them
    assert supervisor.named == analyst.named == {("red", h.value) for h in Handling}
    assert aggregates.rule_for("admin").reads_nothing and aggregates.rule_for("auditor").reads_nothing


def test_dashboard_counts_follow_writes(node):
    ana = Actor("ana", "analyst", node.id)
    assert dashboard.counts(node, ana).total == 0
    service.create_record(node, ana, "seizure", SEIZURE, {"tlp": "amber"})
    first = dashboard.counts(node, ana)
    assert first.total == 1 and first.trends[0].substance == "fentanyl" and first.trends[0].series[-1] == 1
    service.create_record(node, ana, "seizure", SEIZURE | {"substance": "cocaine"}, {"tlp": "red"})
    assert dashboard.counts(node, ana).total == 2  # TLP:RED: its author reads it
    assert dashboard.counts(node, Actor("sam", "supervisor", node.id)).total == 1  # not named: not read
    assert dashboard.counts(node, Actor("bea", "analyst", node.id)).total == 1
    assert not dashboard.counts(node, Actor("aud", "auditor", node.id)).readable
    assert not dashboard.counts(node, Actor("adm", "admin", node.id)).readable


def test_trend_window_skips_months_without_data():
    from collections import Counter

    from vinculo.records.dashboard import MONTHS, _trends

    cells = Counter({("cocaine", f"{2011 + i // 12}-{i % 12 + 1:02d}"): 1 for i in range(72)})
    cells[("fentanyl", "2025-06")] = 3
    total, window, trends = _trends(cells)
    assert total == 75 and len(window) == MONTHS
    assert window[-1] == "2025-06" and window[0] == "2015-02"  # 23 UNODC-era months, then the recent one
    assert dict((t.substance, sum(t.series)) for t in trends) == {"cocaine": 23, "fentanyl": 3}

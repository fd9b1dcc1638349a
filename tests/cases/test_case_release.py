"""Cases and the scorecard read through release(): the view the actor may have, never the stored document."""

from __future__ import annotations

import datetime as dt

import pytest

from vinculo.audit import service as audit
from vinculo.audit.events import AuditEvent
from vinculo.cases import service as cases
from vinculo.cases.scorecard_service import scorecard
from vinculo.records import service as records
from vinculo.records.query import build_filters
from vinculo.sharing import release as rel

TODAY = dt.date(2025, 6, 1)


def extradition(node, actor, markings=None, **extra):
    data = {
        "kind": "treaty_extradition",
        "date": "2025-01-06",
        "requesting_country": "US",
        "requested_country": "MX",
        "requested_node": "mx-fgr",
        "treaty": "us-mx-1978",
        "reference": "EXT-2025-001",
        "subject": "J. Doe",
        "charges": ["21 U.S.C. 959"],
        "nationality": ["MX"],
        "death_penalty_possible": True,
    } | extra
    return cases.open_case(node, actor, data, markings)


def test_case_view_is_the_released_view(node, analyst, monkeypatch):
    """If release() withholds a field from an actor, the case view (and its summary) lack it too."""
    case = extradition(node, analyst)
    real = rel.release

    def withholding_subject(record, audience):
        decision = real(record, audience)
        if decision.allowed and record.type == "case" and getattr(audience, "role", "") == "analyst":
            view = decision.view | {
                "body": {k: v for k, v in decision.view["body"].items() if k != "subject"}
            }
            return rel.Release(True, view, decision.reasons, ("subject",))
        return decision

    monkeypatch.setattr(records, "release", withholding_subject)
    got = cases.get_case(node, analyst, case.id, TODAY)
    assert "subject" not in got["case"]["body"] and got["summary"]["subject"] is None
    assert got["case"]["body"]["reference"] == "EXT-2025-001"
    assert [s["subject"] for s in cases.list_cases(node, analyst, today=TODAY)] == [None]


def test_unreadable_case_is_neither_shown_nor_counted(node, analyst, supervisor):
    extradition(node, analyst)
    red = extradition(node, supervisor, {"tlp": "red"}, reference="EXT-2025-002")
    assert [s["reference"] for s in cases.list_cases(node, analyst, today=TODAY)] == ["EXT-2025-001"]
    assert len(cases.list_cases(node, supervisor, today=TODAY)) == 2
    assert records.count_records(node, analyst, build_filters(type_="case")) == 1
    assert all(a["case"] != red.id for a in cases.case_alerts(node, analyst, dt.date(2026, 6, 1)))
    with pytest.raises(records.Forbidden):
        cases.get_case(node, analyst, red.id, TODAY)


def _log(node, seizure_id):
    with node.uow() as uow:
        audit.append(
            uow.conn,
            node.id,
            node.key,
            [
                AuditEvent(
                    "system", "release", None, {"partner": "mx-fgr", "ids": [seizure_id], "versions": [1]}
                ),
                AuditEvent("system", "psi.hit", None, {"partner": "mx-fgr"}),
            ],
            now=dt.datetime(2025, 3, 6, tzinfo=dt.UTC),
        )
        uow.commit()


def test_scorecard_audit_figures_are_not_for_analysts(node, analyst, supervisor):
    seizure = records.create_record(
        node,
        analyst,
        "seizure",
        {"date": "2025-03-01", "country": "US", "substance": "fentanyl"},
        {"tlp": "green"},
    )
    _log(node, seizure.id)
    card = scorecard(node, analyst, "mx-fgr", "2025", TODAY)
    assert card["out"]["shared"]["records"] == 0 and card["psi"] == {"hits": 0, "followed_up": 0}
    assert "out.shared" in card["withheld"]["figures"] and "analyst" in card["withheld"]["reason"]
    assert not any(d.startswith("audit:") for d in card["derived_from"])
    full = scorecard(node, supervisor, "mx-fgr", "2025", TODAY)
    assert full["out"]["shared"]["records"] == 1 and full["psi"]["hits"] == 1 and "withheld" not in full
    with node.engine.connect() as conn:
        read = audit.entries(conn, action="audit.read", after=-1)
    assert [e["detail"]["scorecard"] for e in read] == ["mx-fgr"] and read[0]["actor"] == "user:supervisor"


def test_scorecard_shows_an_auditor_no_content(node, analyst, supervisor, auditor):
    """Auditors read the log, but a shared record's incident date is content: not in their figures."""
    seizure = records.create_record(
        node,
        analyst,
        "seizure",
        {"date": "2025-03-01", "country": "US", "substance": "fentanyl"},
        {"tlp": "green"},
    )
    _log(node, seizure.id)
    assert (
        scorecard(node, supervisor, "mx-fgr", "2025", TODAY)["out"]["shared"][
            "median_days_incident_to_receipt"
        ]
        == 5.0
    )
    card = scorecard(node, auditor, "mx-fgr", "2025", TODAY)
    assert card["out"]["shared"]["records"] == 1 and card["out"]["shared"]["by_tlp"] == {"green": 1}
    assert card["out"]["shared"]["median_days_incident_to_receipt"] is None

"""The cooperation scorecard against figures computed by hand on a fixed data set."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import httpx
import pytest
from servers import serving

from vinculo.accounts import service as accounts
from vinculo.audit import service as audit
from vinculo.audit.events import AuditEvent
from vinculo.cases import service as cases
from vinculo.cases.convert import body_from_state
from vinculo.cases.machine import advance
from vinculo.cases.model import open_case
from vinculo.cases.scorecard import Shared, compute, parse_period, rows
from vinculo.cases.scorecard_service import scorecard
from vinculo.records import service as records

D = dt.date
P2025 = parse_period("2025")
TODAY = D(2026, 1, 15)


def ts(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day + "T12:00:00+00:00")


def case_view(cid, kind, opened, steps, requesting="us-dea", requested="mx-fgr"):
    treaty = "us-mx-1978" if kind == "treaty_extradition" else None
    state = open_case(cid, kind, opened_on=D.fromisoformat(opened), requesting_state="US", requested_state="MX",
                      treaty=treaty)
    for to, at in steps:
        state = advance(state, to, D.fromisoformat(at), "step")
    body = body_from_state(state, {"requesting_node": requesting, "requested_node": requested})
    return {"id": cid, "origin": "us-dea", "body": body}


C1 = case_view("case--1", "treaty_extradition", "2025-01-06",
               [("provisional_arrest", "2025-01-08"), ("arrested", "2025-01-10")])
C2 = case_view("case--2", "information_request", "2025-03-01", [("answered", "2025-03-11")])
C3 = case_view("case--3", "treaty_extradition", "2024-06-01",
               [("formal_request_received", "2024-07-01"), ("hearing", "2024-08-01"),
                ("judicial_opinion", "2024-09-02"), ("executive_decision", "2024-10-01"),
                ("surrender_ordered", "2025-01-10"), ("surrendered", "2025-02-01")])
C4 = case_view("case--4", "mla_request", "2025-11-01", [], requesting="mx-fgr", requested="us-dea")
C5 = case_view("case--5", "mla_request", "2025-02-01", [], requested="co-dijin")
ANSWER = {"id": "note--1", "origin": "mx-fgr", "created": "2025-01-20T09:00:00.000000Z",
          "body": {"kind": "response", "about_refs": ["case--1"], "text": "arrest confirmed"}}
SHARED = [
    Shared("out", "seizure--s1", 1, ts("2025-03-10"), "seizure", "green", D(2025, 3, 1)),
    Shared("out", "seizure--s1", 1, ts("2025-04-01"), "seizure", "green", D(2025, 3, 1)),  # sent again
    Shared("out", "person--p1", 1, ts("2025-05-01"), "person", "amber", None),
    Shared("out", "seizure--s2", 1, ts("2024-12-31"), "seizure", "green", D(2024, 12, 1)),  # before 2025
    Shared("in", "seizure--m1", 2, ts("2025-02-11"), "seizure", "amber", D(2025, 2, 1)),
    Shared("in", "lab--m2", 1, ts("2025-06-30"), "lab", "amber", D(2025, 6, 10)),
]
PSI = [("psi.hit", "mx-fgr", ts("2025-05-01")), ("psi.hit", "mx-fgr", ts("2025-06-01")),
       ("psi.followup", "mx-fgr", ts("2025-06-02")), ("psi.hit", "co-dijin", ts("2025-06-01"))]


def test_hand_computed_figures():
    card = compute("us-dea", "mx-fgr", P2025, SHARED, [C1, C2, C3, C4, C5], [ANSWER], PSI, TODAY)
    assert card["as_of"] == "2025-12-31"
    assert card["out"]["shared"] == {"records": 2, "by_type": {"person": 1, "seizure": 1},
                                     "by_tlp": {"amber": 1, "green": 1},
                                     "median_days_incident_to_receipt": 9.0, "with_incident_date": 1}
    assert card["in"]["shared"] == {"records": 2, "by_type": {"lab": 1, "seizure": 1}, "by_tlp": {"amber": 2},
                                    "median_days_incident_to_receipt": 15.0, "with_incident_date": 2}
    # C1 answered by mx-fgr after 14 days, C2 answered (closed) after 10; C1's 60-day clock ran out
    assert card["out"]["requests"] == {"sent": 2, "answered": 2, "overdue": 1, "median_days_to_answer": 12.0}
    assert card["in"]["requests"] == {"sent": 1, "answered": 0, "overdue": 1, "median_days_to_answer": None}
    assert card["out"]["extradition"] == {
        "open_by_stage": {"arrested": 1}, "open_total": 1,
        "age_distribution": {"<90d": 0, "90-179d": 0, "180-364d": 1, "1-2y": 0, ">=2y": 0},
        "median_days_per_stage": {"executive_decision": 101.0, "provisional_arrest": 2.0, "requested": 2.0,
                                  "surrender_ordered": 22.0},
        "completed_per_year": {"2025": {"surrendered": 1}}}
    assert card["in"]["extradition"]["open_total"] == 0 and card["in"]["extradition"]["completed_per_year"] == {}
    assert card["psi"] == {"hits": 2, "followed_up": 1}
    assert ("out", "requests.median_days_to_answer", 12.0) in rows(card)


def test_nothing_gives_zeros_and_none():
    card = compute("us-dea", "mx-fgr", parse_period("2025-Q2"), [], [], [], [], TODAY)
    assert card["from"] == "2025-04-01" and card["to"] == "2025-06-30"
    assert card["out"]["shared"]["records"] == 0 and card["out"]["shared"]["median_days_incident_to_receipt"] is None
    assert card["in"]["requests"] == {"sent": 0, "answered": 0, "overdue": 0, "median_days_to_answer": None}
    assert card["psi"] == {"hits": 0, "followed_up": 0}


@pytest.mark.parametrize("bad", ["25", "2025-13", "2025-Q5", "2025-02-01..2025-01-01", "last year"])
def test_bad_period(bad):
    with pytest.raises(ValueError, match="period"):
        parse_period(bad)


def test_from_stored_events_cli_and_api(node, analyst, supervisor, home, db_url, tmp_path, monkeypatch):
    """Release/receive audit entries (as federation writes them) and case records in the database."""
    seizure = records.create_record(node, analyst, "seizure", {"date": "2025-03-01", "country": "US",
                                                               "substance": "fentanyl"}, {"tlp": "green"})
    person = records.create_record(node, analyst, "person", {"full_name": "Juan Perez"}, {"tlp": "amber"})
    incoming = cases.open_case(node, analyst, {"kind": "information_request", "date": "2025-05-01",
                                               "requesting_country": "MX", "requested_country": "US",
                                               "requesting_node": "mx-fgr"})
    monkeypatch.setattr(records, "utcnow", lambda: ts("2025-05-08"))
    cases.answer_case(node, analyst, incoming.id, "subscriber data attached")  # we answer after 7 days
    monkeypatch.undo()
    with node.uow() as uow:
        audit.append(uow.conn, node.id, node.key, [
            AuditEvent("system", "release", None, {"partner": "mx-fgr", "ids": [seizure.id], "versions": [1]})],
            now=ts("2025-03-06"))
        audit.append(uow.conn, node.id, node.key, [  # the form federation writes: [id, version, status]
            AuditEvent("partner:mx-fgr", "release", "partner:mx-fgr", {"partner": "mx-fgr", "objects": [
                [person.id, 1, "record"], [seizure.id, 1, "tombstone"]]})], now=ts("2025-04-01"))
        audit.append(uow.conn, node.id, node.key, [
            AuditEvent("system", "receive", seizure.id, {"partner": "mx-fgr", "id": seizure.id, "version": 1})],
            now=ts("2025-03-21"))
        audit.append(uow.conn, node.id, node.key, [AuditEvent("system", "psi.hit", None, {"partner": "mx-fgr"})],
                     now=ts("2025-04-01"))
        uow.commit()
    card = scorecard(node, supervisor, "mx-fgr", "2025", TODAY)  # the audit log's figures: supervisors, auditors
    assert card["out"]["shared"]["records"] == 2 and card["out"]["shared"]["by_tlp"] == {"amber": 1, "green": 1}
    assert card["out"]["shared"]["median_days_incident_to_receipt"] == 5.0
    assert card["in"]["shared"]["median_days_incident_to_receipt"] == 20.0
    # answered by a response note after 7 days, but the case itself was never advanced: its steps are overdue
    assert card["in"]["requests"] == {"sent": 1, "answered": 1, "overdue": 1, "median_days_to_answer": 7.0}
    assert card["psi"]["hits"] == 1 and scorecard(node, supervisor, "co-dijin", "2025", TODAY)["out"]["shared"][
        "records"] == 0

    env = os.environ | {"VINCULO_HOME": str(home.path), "VINCULO_DATABASE_URL": db_url}
    out = subprocess.run([sys.executable, "-m", "vinculo.cli.main", "scorecard", "--partner", "mx-fgr", "--period",
                          "2025", "--today", "2026-01-15", "--csv", str(tmp_path / "s.csv"), "--json",
                          str(tmp_path / "s.json")], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "requests.median_days_to_answer" in out.stdout
    assert json.loads((tmp_path / "s.json").read_text())["in"]["requests"]["answered"] == 1
    assert "in,requests.answered,1" in (tmp_path / "s.csv").read_text()
    bad = subprocess.run([sys.executable, "-m", "vinculo.cli.main", "scorecard", "--partner", "mx-fgr", "--period",
                          "someday"], capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "period" in bad.stderr

    accounts.add_user(node, "ana", "analyst", "analyst-password-1")
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as api:
        token = api.post("/api/v1/auth/login", json={"username": "ana", "password": "analyst-password-1"}).json()
        h = {"Authorization": f"Bearer {token['token']}"}
        got = api.get("/api/v1/scorecard", params={"partner": "mx-fgr", "period": "2025", "today": "2026-01-15"},
                      headers=h)
        assert got.status_code == 200 and got.json()["in"]["requests"]["answered"] == 1
        assert api.get("/api/v1/scorecard", params={"partner": "mx-fgr", "period": "x"}, headers=h).status_code == 400

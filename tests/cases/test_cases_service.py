"""Cases stored as records: open, advance (each transition a version), refusals, lists, alerts, answers."""

from __future__ import annotations

import datetime as dt

import pytest

from vinculo.accounts.model import Actor
from vinculo.cases import service as cases
from vinculo.cases.machine import GuardFailed, InvalidTransition
from vinculo.records import service as records
from vinculo.records.model import RecordInvalid

TODAY = dt.date(2025, 6, 1)


def extradition(node, actor, **extra):
    data = {"kind": "treaty_extradition", "date": "2025-01-06", "requesting_country": "US",
            "requested_country": "MX", "requested_node": "mx-fgr", "treaty": "us-mx-1978",
            "reference": "EXT-2025-001", "subject": "J. Doe", "charges": ["21 U.S.C. 959"],
            "nationality": ["MX"], "death_penalty_possible": True, "red_notice": "A-1234/1-2025"} | extra
    return cases.open_case(node, actor, data)


def test_open_and_advance_make_versions_with_history(node, analyst):
    case = extradition(node, analyst)
    assert case.type == "case" and case.version == 1 and case.body["state"] == "requested"
    assert case.body["requesting_node"] == "us-dea" and case.body["requested_node"] == "mx-fgr"
    case = cases.advance_case(node, analyst, case.id, "provisional_arrest", "2025-01-08", "urgent request")
    case = cases.advance_case(node, analyst, case.id, "arrested", dt.date(2025, 1, 10), "arrested in Culiacan")
    assert case.version == 3 and case.body["state"] == "arrested"
    assert [h["to_state"] for h in case.body["history"]] == ["requested", "provisional_arrest", "arrested"]
    versions = records.history(node, analyst, case.id)
    assert [v["body"]["state"] for v in versions] == ["requested", "provisional_arrest", "arrested"]
    assert case.body["red_notice"] == "A-1234/1-2025" and case.body["reference"] == "EXT-2025-001"


def test_invalid_transition_names_allowed_next_and_writes_nothing(node, analyst):
    case = extradition(node, analyst)
    case = cases.advance_case(node, analyst, case.id, "provisional_arrest", "2025-01-08", "urgent")
    case = cases.advance_case(node, analyst, case.id, "arrested", "2025-01-10", "arrested")
    with pytest.raises(InvalidTransition) as err:
        cases.advance_case(node, analyst, case.id, "hearing", "2025-01-11", "too early")
    assert err.value.allowed == ["formal_request_received", "released", "withdrawn"]
    assert "allowed next: formal_request_received, released, withdrawn" in str(err.value)
    with pytest.raises(InvalidTransition, match="before the last change"):
        cases.advance_case(node, analyst, case.id, "formal_request_received", "2025-01-09", "backdated")
    with pytest.raises(RecordInvalid):
        cases.advance_case(node, analyst, case.id, "formal_request_received", "2025-02-01", " ")
    _, decision = records.get_record(node, analyst, case.id)
    assert decision.view["version"] == 3


def test_death_penalty_guard_until_assurance(node, analyst):
    case = extradition(node, analyst)
    for to, at in (("formal_request_received", "2025-02-01"), ("hearing", "2025-02-10"),
                   ("judicial_opinion", "2025-03-01"), ("executive_decision", "2025-03-20")):
        case = cases.advance_case(node, analyst, case.id, to, at, "step")
    with pytest.raises(GuardFailed, match="death_penalty"):
        cases.advance_case(node, analyst, case.id, "surrender_ordered", "2025-04-01", "go")
    cases.add_case_assurance(node, analyst, case.id, "death_penalty", "2025-03-25", "US Embassy", "no DP")
    case = cases.advance_case(node, analyst, case.id, "surrender_ordered", "2025-04-01", "go")
    assert case.body["state"] == "surrender_ordered" and case.body["assurances"][0]["given_by"] == "US Embassy"


def test_bad_open_input_names_the_field(node, analyst):
    with pytest.raises(RecordInvalid, match="kind"):
        cases.open_case(node, analyst, {"kind": "kidnapping", "date": "2025-01-01", "requesting_country": "US",
                                        "requested_country": "MX"})
    with pytest.raises(RecordInvalid, match="requested_country"):
        cases.open_case(node, analyst, {"kind": "mla_request", "date": "2025-01-01"})
    with pytest.raises(RecordInvalid, match="treaty"):
        extradition(node, analyst, treaty="no-such-treaty")
    with pytest.raises(RecordInvalid, match="colour"):
        extradition(node, analyst, colour="red")
    assert records.count_records(node, analyst, records.repo.Filters(type="case")) == 0


def test_stored_body_must_replay_through_the_machine(node, analyst):
    case = extradition(node, analyst)
    body = dict(case.body, state="surrendered",
                history=case.body["history"] + [{"from_state": "requested", "to_state": "surrendered",
                                                 "at": "2025-02-01", "reason": "skip"}])
    with pytest.raises(RecordInvalid, match="not allowed"):
        records.update_record(node, analyst, case.id, body)


def test_list_filters_alerts_and_answers(node, analyst):
    a = extradition(node, analyst)
    a = cases.advance_case(node, analyst, a.id, "provisional_arrest", "2025-01-08", "urgent")
    a = cases.advance_case(node, analyst, a.id, "arrested", "2025-01-10", "arrested")  # 60-day clock: 11 Mar
    b = cases.open_case(node, analyst, {"kind": "information_request", "date": "2025-05-20",
                                        "requesting_country": "MX", "requested_country": "US",
                                        "requesting_node": "mx-fgr", "params": {"answer_days": 30}})
    c = cases.open_case(node, analyst, {"kind": "mla_request", "date": "2025-05-29", "requesting_country": "US",
                                        "requested_country": "CO", "requested_node": "co-dijin"})
    every = cases.list_cases(node, analyst, today=TODAY)
    assert [s["id"] for s in every] == [a.id, b.id, c.id]
    assert every[1]["requested_node"] == "us-dea" and every[1]["partner"] == "mx-fgr"
    overdue = cases.list_cases(node, analyst, cases.CaseFilters(overdue=True), TODAY)
    assert [s["id"] for s in overdue] == [a.id, b.id]  # b: acknowledgement (2 business days) is late
    assert overdue[0]["overdue"] == ["T11-FORMAL-REQUEST-60D"]
    assert [s["id"] for s in cases.list_cases(node, analyst, cases.CaseFilters(partner="mx-fgr"), TODAY)] == [a.id, b.id]
    assert [s["id"] for s in cases.list_cases(node, analyst, cases.CaseFilters(stage="arrested"), TODAY)] == [a.id]
    assert [s["id"] for s in cases.list_cases(node, analyst, cases.CaseFilters(country="co"), TODAY)] == [c.id]
    assert [s["id"] for s in cases.list_cases(node, analyst, cases.CaseFilters(kind="mla_request"), TODAY)] == [c.id]
    with pytest.raises(RecordInvalid, match="kind"):
        cases.list_cases(node, analyst, cases.CaseFilters(kind="nope"), TODAY)

    alerts = cases.case_alerts(node, analyst, TODAY)
    assert [(x["case"], x["rule_id"], x["due"]) for x in alerts] == [
        (a.id, "T11-FORMAL-REQUEST-60D", "2025-03-11"), (b.id, "INFO-ACK", "2025-05-22")]
    soon = cases.case_alerts(node, analyst, TODAY, within_days=30)
    assert {x["rule_id"] for x in soon if x["level"] == "due-soon"} == {"INFO-ANSWER", "MLA-ACK", "MLA-DECISION"}
    assert cases.case_alerts(node, analyst, TODAY, partner="co-dijin") == []

    cases.answer_case(node, analyst, b.id, "Acknowledged; answer follows", "status")
    cases.answer_case(node, analyst, b.id, "Phone subscriber: ...", "response")
    shown = cases.get_case(node, analyst, b.id, TODAY)
    assert [n["body"]["kind"] for n in shown["answers"]] == ["status", "response"]
    assert {d["rule_id"] for d in shown["deadlines"]} == {"INFO-ACK", "INFO-ANSWER"}
    with pytest.raises(RecordInvalid):
        cases.answer_case(node, analyst, b.id, "x", "gossip")


def test_cases_go_through_release(node, analyst, supervisor, auditor):
    red = extradition(node, supervisor)
    records.update_record(node, supervisor, red.id, red.body, {"tlp": "red"})
    assert cases.list_cases(node, analyst, today=TODAY) == []
    assert [s["id"] for s in cases.list_cases(node, supervisor, today=TODAY)] == [red.id]
    with pytest.raises(records.Forbidden):
        cases.advance_case(node, analyst, red.id, "withdrawn", "2025-02-01", "x")
    assert cases.list_cases(node, auditor, today=TODAY) == []  # envelope only: no content to summarise
    with pytest.raises(records.Forbidden):
        cases.open_case(node, Actor("adm", "admin", node.id), {"kind": "mla_request", "date": "2025-01-01",
                                                              "requesting_country": "US",
                                                              "requested_country": "MX"})

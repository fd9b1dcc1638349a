"""Every shipped deadline rule: due-date arithmetic and met / late / overdue / missed / moot."""

from __future__ import annotations

from datetime import date

import pytest

from vinculo.cases import (
    CaseKind,
    advance,
    deadlines,
    grant_extension,
    load_table,
    open_case,
    record_event,
)
from vinculo.cases.dates import NO_HOLIDAYS


def build(kind, steps, *, opened=date(2024, 1, 2), events=(), requested="MX", requesting="US", **fields):
    """Open a case and walk it through ``steps`` = [(state, date), ...]."""
    case = open_case(
        "C-1", kind, opened_on=opened, requesting_state=requesting, requested_state=requested, **fields
    )
    for state, at in steps:
        case = advance(case, state, at, f"to {state}")
    for name, at in events:
        case = record_event(case, name, at)
    return case


def one(case, rule_id, today, **kwargs):
    found = [d for d in deadlines(case, today, **kwargs) if d.rule_id == rule_id]
    assert len(found) == 1, [d.rule_id for d in deadlines(case, today, **kwargs)]
    return found[0]


def absent(case, rule_id, today):
    assert rule_id not in {d.rule_id for d in deadlines(case, today)}


TE = CaseKind.TREATY_EXTRADITION
SHIPPED_TABLES = ("us-mx-1978", "mla-generic", "info-generic", "generic")
ARREST = [("provisional_arrest", date(2024, 12, 10)), ("arrested", date(2024, 12, 15))]


# --- treaty art. 11: 60 days for the formal request ---------------------------------------------------


def test_t11_due_date_crosses_the_year():
    case = build(TE, ARREST, treaty="us-mx-1978")
    d = one(case, "T11-FORMAL-REQUEST-60D", date(2025, 2, 13))
    assert (d.start, d.due, d.status, d.met, d.overdue) == (
        date(2024, 12, 15),
        date(2025, 2, 13),
        "pending",
        None,
        False,
    )
    assert "art. 11" in d.reference
    d = one(case, "T11-FORMAL-REQUEST-60D", date(2025, 2, 14))
    assert (d.status, d.met, d.overdue) == ("overdue", None, True)


@pytest.mark.parametrize(
    "step, status, met",
    [
        (("formal_request_received", date(2025, 2, 13)), "met", True),  # on the due date
        (("formal_request_received", date(2025, 2, 14)), "late", False),
        (("released", date(2025, 2, 14)), "missed", False),  # released because the deadline passed
        (("withdrawn", date(2025, 1, 20)), "moot", None),  # withdrawn before the due date
    ],
)
def test_t11_outcomes(step, status, met):
    case = build(TE, [*ARREST, step], treaty="us-mx-1978")
    d = one(case, "T11-FORMAL-REQUEST-60D", date(2025, 6, 1))
    assert (d.status, d.met, d.overdue) == (status, met, False)


def test_t11_applies_in_both_directions_and_not_without_arrest():
    us_requested = build(TE, ARREST, treaty="us-mx-1978", requested="US", requesting="MX")
    assert one(us_requested, "T11-FORMAL-REQUEST-60D", date(2025, 1, 1)).due == date(2025, 2, 13)
    absent(
        build(TE, [("provisional_arrest", date(2024, 12, 10))], treaty="us-mx-1978"),
        "T11-FORMAL-REQUEST-60D",
        date(2025, 1, 1),
    )
    assert deadlines(build(TE, ARREST), date(2025, 1, 1)) == []  # no treaty, no table


@pytest.mark.parametrize(
    "arrested, due", [(date(2024, 1, 1), date(2024, 3, 1)), (date(2023, 1, 1), date(2023, 3, 2))]
)
def test_t11_provisional_arrest_request_leap_year(arrested, due):
    case = build(
        CaseKind.PROVISIONAL_ARREST,
        [("granted", arrested), ("arrested", arrested)],
        opened=arrested,
        treaty="us-mx-1978",
    )
    d = one(case, "T11-PA-FORMAL-REQUEST-60D", arrested)
    assert (d.due, d.status) == (due, "pending")
    done = advance(case, "formal_request_presented", due, "diplomatic note")
    assert one(done, "T11-PA-FORMAL-REQUEST-60D", due).status == "met"


# --- Ley de Extradicion Internacional (Mexico requested) ---------------------------------------------

HEARING = [*ARREST, ("formal_request_received", date(2025, 1, 20)), ("hearing", date(2025, 1, 31))]


def test_lei25_objection_window():
    case = build(TE, HEARING, treaty="us-mx-1978")
    d = one(case, "LEI-25-OBJECTIONS-3D", date(2025, 2, 4))
    # Fri 31 Jan + 3 MX business days, Mon 3 Feb is a holiday -> Thu 6 Feb
    assert (d.due, d.type, d.status, d.met, d.overdue) == (date(2025, 2, 6), "window", "open", None, False)
    d = one(case, "LEI-25-OBJECTIONS-3D", date(2025, 2, 7))
    assert (d.status, d.met, d.overdue) == ("closed", False, False)  # a window is never overdue
    used = record_event(case, "objections_filed", date(2025, 2, 6))
    assert one(used, "LEI-25-OBJECTIONS-3D", date(2025, 2, 7)).status == "used"
    late = record_event(case, "objections_filed", date(2025, 2, 7))
    assert one(late, "LEI-25-OBJECTIONS-3D", date(2025, 2, 7)).status == "late"


def test_lei25_weekends_only_calendar_override():
    case = build(TE, HEARING, treaty="us-mx-1978")
    d = one(case, "LEI-25-OBJECTIONS-3D", date(2025, 2, 4), holidays=NO_HOLIDAYS)
    assert d.due == date(2025, 2, 5)


def test_lei25_evidence_period_and_extension():
    case = build(TE, HEARING, treaty="us-mx-1978", events=[("objections_filed", date(2025, 3, 7))])
    d = one(case, "LEI-25-EVIDENCE-20D", date(2025, 3, 10))
    assert (d.start, d.due, d.status) == (date(2025, 3, 7), date(2025, 4, 7), "open")  # skips Mon 17 Mar
    extended = grant_extension(case, "LEI-25-EVIDENCE-20D", 10)
    assert one(extended, "LEI-25-EVIDENCE-20D", date(2025, 3, 10)).due == date(2025, 4, 21)
    closed = record_event(case, "evidence_closed", date(2025, 3, 20))
    assert one(closed, "LEI-25-EVIDENCE-20D", date(2025, 3, 21)).status == "used"
    absent(build(TE, HEARING, treaty="us-mx-1978"), "LEI-25-EVIDENCE-20D", date(2025, 3, 10))


def test_lei27_opinion_follows_the_evidence_period():
    case = build(TE, HEARING, treaty="us-mx-1978", events=[("objections_filed", date(2025, 3, 7))])
    d = one(case, "LEI-27-OPINION-5D", date(2025, 3, 10))
    assert (d.start, d.due, d.status) == (date(2025, 4, 7), date(2025, 4, 14), "pending")
    early = record_event(case, "evidence_closed", date(2025, 3, 20))  # Thu
    d = one(early, "LEI-27-OPINION-5D", date(2025, 3, 21))
    assert (d.start, d.due) == (date(2025, 3, 20), date(2025, 3, 27))
    done = advance(early, "judicial_opinion", date(2025, 3, 28), "opinion sent to SRE")
    assert one(done, "LEI-27-OPINION-5D", date(2025, 3, 28)).status == "late"


def test_lei27_opinion_without_objections_starts_when_window_closes():
    case = build(TE, HEARING, treaty="us-mx-1978")
    d = one(case, "LEI-27-OPINION-5D", date(2025, 2, 10))
    assert (d.start, d.due) == (date(2025, 2, 6), date(2025, 2, 13))
    assert one(case, "LEI-27-OPINION-5D", date(2025, 2, 14)).overdue


OPINION = [*HEARING, ("judicial_opinion", date(2025, 12, 10))]


def test_lei30_decision_crosses_christmas_and_new_year():
    case = build(TE, OPINION, treaty="us-mx-1978")
    d = one(case, "LEI-30-DECISION-20D", date(2025, 12, 31))
    assert (d.start, d.due, d.status) == (date(2025, 12, 10), date(2026, 1, 9), "pending")
    granted = advance(case, "executive_decision", date(2026, 1, 9), "SRE grants")
    assert one(granted, "LEI-30-DECISION-20D", date(2026, 2, 1)).status == "met"
    refused = advance(case, "refused", date(2026, 1, 12), "SRE refuses")
    assert one(refused, "LEI-30-DECISION-20D", date(2026, 2, 1)).status == "late"
    assert one(case, "LEI-30-DECISION-20D", date(2026, 1, 12)).overdue


DECISION = [*OPINION, ("executive_decision", date(2026, 1, 9))]


def test_lei33_amparo_window():
    case = build(TE, DECISION, treaty="us-mx-1978")
    d = one(case, "LEI-33-AMPARO-15D", date(2026, 1, 20))
    assert (d.due, d.type, d.status) == (date(2026, 1, 30), "window", "open")
    filed = advance(case, "amparo", date(2026, 1, 29), "amparo filed")
    assert one(filed, "LEI-33-AMPARO-15D", date(2026, 3, 1)).status == "used"
    ordered = advance(case, "surrender_ordered", date(2026, 2, 2), "no amparo")
    assert one(ordered, "LEI-33-AMPARO-15D", date(2026, 2, 2)).status == "closed"


def test_lei35_surrender_within_60_calendar_days():
    case = build(TE, [*DECISION, ("surrender_ordered", date(2026, 2, 2))], treaty="us-mx-1978")
    d = one(case, "LEI-35-SURRENDER-60D", date(2026, 2, 3))
    assert (d.due, d.status) == (date(2026, 4, 3), "pending")
    released = advance(case, "released", date(2026, 4, 6), "not collected in time, LEI art. 35")
    d = one(released, "LEI-35-SURRENDER-60D", date(2026, 4, 6))
    assert (d.status, d.met, d.overdue) == ("missed", False, False)
    absent(case, "USC-3188-SURRENDER-2M", date(2026, 2, 3))


@pytest.mark.parametrize(
    "ordered, due", [(date(2023, 12, 31), date(2024, 2, 29)), (date(2024, 12, 31), date(2025, 2, 28))]
)
def test_usc3188_two_calendar_months(ordered, due):
    steps = [
        ("formal_request_received", ordered),
        ("hearing", ordered),
        ("judicial_opinion", ordered),
        ("executive_decision", ordered),
        ("surrender_ordered", ordered),
    ]
    case = build(TE, steps, opened=date(2023, 6, 1), treaty="us-mx-1978", requested="US", requesting="MX")
    d = one(case, "USC-3188-SURRENDER-2M", ordered)
    assert (d.due, d.status) == (due, "pending")
    assert one(case, "USC-3188-SURRENDER-2M", date(due.year, 3, 1)).overdue
    ids = {x.rule_id for x in deadlines(case, ordered)}
    assert not any(i.startswith("LEI-") for i in ids)  # Mexican procedure rules do not apply


def test_p97_temporary_surrender_return_needs_agreed_period():
    steps = [("granted", date(2025, 3, 1)), ("surrendered_temporarily", date(2025, 3, 15))]
    case = build(CaseKind.TEMPORARY_SURRENDER, steps, treaty="us-mx-1978")
    absent(case, "P97-TEMPORARY-RETURN", date(2025, 4, 1))
    agreed = build(CaseKind.TEMPORARY_SURRENDER, steps, treaty="us-mx-1978", params={"return_days": 180})
    d = one(agreed, "P97-TEMPORARY-RETURN", date(2025, 4, 1))
    assert (d.due, d.status) == (date(2025, 9, 11), "pending")
    returned = advance(agreed, "returned", date(2025, 9, 1), "trial concluded")
    assert one(returned, "P97-TEMPORARY-RETURN", date(2025, 9, 1)).status == "met"


# --- generic tables -----------------------------------------------------------------------------------


def test_mla_rules_with_pause_and_params():
    kind = CaseKind.MLA_REQUEST
    case = build(kind, [], opened=date(2025, 12, 29))
    ack = one(case, "MLA-ACK", date(2025, 12, 29))
    assert ack.due == date(2026, 1, 6)  # 5 MX business days, skipping 1 Jan
    assert one(case, "MLA-DECISION", date(2025, 12, 29)).due == date(2026, 1, 28)
    paused = build(
        kind,
        [("returned_for_clarification", date(2026, 1, 5)), ("under_review", date(2026, 1, 15))],
        opened=date(2025, 12, 29),
    )
    assert one(paused, "MLA-ACK", date(2026, 1, 5)).status == "met"
    assert one(paused, "MLA-DECISION", date(2026, 1, 20)).due == date(2026, 2, 7)  # +10 paused days
    still_paused = build(kind, [("returned_for_clarification", date(2026, 1, 5))], opened=date(2025, 12, 29))
    assert one(still_paused, "MLA-DECISION", date(2026, 2, 10)).due == date(
        2026, 3, 5
    )  # +36 days paused so far
    assert not one(still_paused, "MLA-DECISION", date(2026, 2, 10)).overdue
    accepted = build(
        kind,
        [("under_review", date(2026, 1, 2)), ("accepted", date(2026, 1, 20))],
        opened=date(2025, 12, 29),
        params={"execution_days": 45},
    )
    d = one(accepted, "MLA-EXECUTION", date(2026, 1, 21))
    assert (d.due, d.status) == (date(2026, 3, 6), "pending")
    assert one(accepted, "MLA-DECISION", date(2026, 1, 21)).status == "met"


def test_information_request_configurable_answer_deadline():
    kind = CaseKind.INFORMATION_REQUEST
    case = build(
        kind, [], opened=date(2025, 1, 30), params={"answer_days": 10}, requested="US", requesting="MX"
    )
    assert one(case, "INFO-ACK", date(2025, 1, 30)).due == date(2025, 2, 3)  # Thu + 2 US business days
    d = one(case, "INFO-ANSWER", date(2025, 2, 10))
    assert (d.due, d.overdue) == (date(2025, 2, 9), True)
    default = build(kind, [], opened=date(2025, 1, 30), requested="US", requesting="MX")
    assert one(default, "INFO-ANSWER", date(2025, 2, 10)).due == date(2025, 3, 1)
    clarified = build(
        kind,
        [
            ("awaiting_clarification", date(2025, 2, 3)),
            ("acknowledged", date(2025, 2, 8)),
            ("answered", date(2025, 2, 13)),
        ],
        opened=date(2025, 1, 30),
        params={"answer_days": 10},
        requested="US",
        requesting="MX",
    )
    d = one(clarified, "INFO-ANSWER", date(2025, 3, 1))
    assert (d.due, d.status, d.met) == (date(2025, 2, 14), "met", True)
    assert one(clarified, "INFO-ACK", date(2025, 3, 1)).satisfied_on == date(2025, 2, 3)


def test_deportation_rules():
    kind = CaseKind.DEPORTATION
    case = build(kind, [("detained", date(2025, 9, 10))], opened=date(2025, 9, 10))
    assert one(case, "DEP-DETENTION", date(2025, 9, 11)).due == date(2025, 10, 2)  # skips 16 Sep (MX)
    steps = [("detained", date(2025, 9, 10)), ("order_issued", date(2025, 9, 20))]
    ordered = build(kind, steps, opened=date(2025, 9, 10))
    assert one(ordered, "DEP-DETENTION", date(2025, 9, 20)).status == "met"
    assert one(ordered, "DEP-REMOVAL", date(2025, 9, 20)).due == date(2025, 12, 19)
    appealed = build(
        kind,
        [*steps, ("appealed", date(2025, 10, 1)), ("order_issued", date(2025, 11, 15))],
        opened=date(2025, 9, 10),
    )
    d = one(appealed, "DEP-REMOVAL", date(2025, 11, 16))
    assert (d.start, d.due) == (date(2025, 11, 15), date(2026, 2, 13))  # restarts after the appeal


def test_extra_treaty_transfer_rules():
    kind = CaseKind.EXTRA_TREATY_TRANSFER
    case = build(kind, [], opened=date(2025, 2, 20), requesting="US", requested="MX")
    assert one(case, "XT-DECISION", date(2025, 2, 21)).due == date(2025, 3, 6)
    steps = [
        ("authorized", date(2025, 2, 25)),
        ("suspended", date(2025, 2, 26)),
        ("authorized", date(2025, 3, 8)),
        ("transferred", date(2025, 3, 30)),
    ]
    done = build(kind, steps, opened=date(2025, 2, 20))
    d = one(done, "XT-EXECUTION", date(2025, 4, 1))
    # restarts at the second authorisation (8 Mar): suspension before it does not count
    assert (d.start, d.due, d.status) == (date(2025, 3, 8), date(2025, 4, 7), "met")
    suspended = build(kind, steps[:2], opened=date(2025, 2, 20))
    d = one(suspended, "XT-EXECUTION", date(2025, 4, 1))
    assert (d.due, d.overdue) == (date(2025, 4, 30), False)  # 30 days + 34 paused days so far


def test_joint_operation_rules_including_after_closure():
    kind = CaseKind.JOINT_OPERATION
    case = build(kind, [], opened=date(2025, 4, 28))
    assert one(case, "JO-ANSWER", date(2025, 4, 28)).due == date(2025, 5, 6)  # skips 1 May (MX)
    steps = [("approved", date(2025, 4, 30)), ("active", date(2025, 5, 10)), ("concluded", date(2025, 6, 30))]
    concluded = build(kind, steps, opened=date(2025, 4, 28))
    d = one(concluded, "JO-REPORT", date(2025, 8, 1))
    assert (d.due, d.status, d.overdue) == (date(2025, 7, 30), "overdue", True)  # closed case, still due
    reported = record_event(concluded, "report_delivered", date(2025, 7, 15))
    assert one(reported, "JO-REPORT", date(2025, 8, 1)).status == "met"


def test_deadlines_sorted_by_due_date():
    case = build(TE, [*HEARING], treaty="us-mx-1978", events=[("objections_filed", date(2025, 2, 3))])
    dues = [d.due for d in deadlines(case, date(2025, 2, 4))]
    assert dues == sorted(dues) and len(dues) == 4


# Which test exercises which shipped rule; test_every_rule_is_covered keeps this complete.
RULE_TESTS = {
    "T11-FORMAL-REQUEST-60D": test_t11_outcomes,
    "T11-PA-FORMAL-REQUEST-60D": test_t11_provisional_arrest_request_leap_year,
    "LEI-25-OBJECTIONS-3D": test_lei25_objection_window,
    "LEI-25-EVIDENCE-20D": test_lei25_evidence_period_and_extension,
    "LEI-27-OPINION-5D": test_lei27_opinion_follows_the_evidence_period,
    "LEI-30-DECISION-20D": test_lei30_decision_crosses_christmas_and_new_year,
    "LEI-33-AMPARO-15D": test_lei33_amparo_window,
    "LEI-35-SURRENDER-60D": test_lei35_surrender_within_60_calendar_days,
    "USC-3188-SURRENDER-2M": test_usc3188_two_calendar_months,
    "P97-TEMPORARY-RETURN": test_p97_temporary_surrender_return_needs_agreed_period,
    "MLA-ACK": test_mla_rules_with_pause_and_params,
    "MLA-DECISION": test_mla_rules_with_pause_and_params,
    "MLA-EXECUTION": test_mla_rules_with_pause_and_params,
    "INFO-ACK": test_information_request_configurable_answer_deadline,
    "INFO-ANSWER": test_information_request_configurable_answer_deadline,
    "DEP-DETENTION": test_deportation_rules,
    "DEP-REMOVAL": test_deportation_rules,
    "XT-DECISION": test_extra_treaty_transfer_rules,
    "XT-EXECUTION": test_extra_treaty_transfer_rules,
    "JO-ANSWER": test_joint_operation_rules_including_after_closure,
    "JO-REPORT": test_joint_operation_rules_including_after_closure,
}


def test_every_rule_is_covered():
    shipped = {r.rule_id for t in SHIPPED_TABLES for r in load_table(t).rules}
    assert shipped == set(RULE_TESTS)

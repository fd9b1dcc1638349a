"""End-to-end flows: the US->MX happy path, a US-requested path, and every terminal outcome."""

from __future__ import annotations

from collections import deque
from datetime import date, timedelta

import pytest

from vinculo.cases import (
    MACHINES,
    Assurance,
    CaseKind,
    InvalidTransition,
    add_assurance,
    advance,
    deadlines,
    open_case,
    record_event,
)


def test_happy_path_us_requests_from_mexico():
    case = open_case(
        "EXT-2025-001",
        CaseKind.TREATY_EXTRADITION,
        opened_on=date(2025, 1, 6),
        requesting_state="US",
        requested_state="MX",
        treaty="us-mx-1978",
        subject="J. Doe",
        nationality=("MX",),
        charges=("21 U.S.C. 959 (fentanyl distribution for import)", "21 U.S.C. 963 (conspiracy)"),
        red_notice="A-1234/1-2025",
        death_penalty_possible=True,
    )
    steps = [
        ("provisional_arrest", date(2025, 1, 8), "urgent request via Interpol channel, art. 11"),
        ("arrested", date(2025, 1, 10), "arrested in Culiacan"),
        ("formal_request_received", date(2025, 3, 5), "diplomatic note with art. 10 documents"),
        ("hearing", date(2025, 3, 12), "hearing before the district judge"),
    ]
    for to, at, why in steps:
        case = advance(case, to, at, why)
    case = record_event(case, "objections_filed", date(2025, 3, 14), "identity")
    case = record_event(case, "evidence_closed", date(2025, 4, 4))
    case = advance(case, "judicial_opinion", date(2025, 4, 9), "opinion favourable to extradition")
    case = advance(case, "executive_decision", date(2025, 5, 6), "SRE grants extradition")
    case = advance(case, "amparo", date(2025, 5, 20), "amparo filed")
    with pytest.raises(InvalidTransition):
        advance(case, "surrender_ordered", date(2025, 9, 1), "amparo denied")  # no assurance yet
    case = add_assurance(
        case, Assurance("death_penalty", date(2025, 8, 28), "US Embassy", "no death penalty sought")
    )
    case = advance(case, "surrender_ordered", date(2025, 9, 1), "amparo denied in final instance")
    case = advance(case, "surrendered", date(2025, 9, 20), "handed over at Toluca airport")

    assert case.is_closed and case.state == "surrendered"
    assert [t.to_state for t in case.history] == [
        "requested",
        "provisional_arrest",
        "arrested",
        "formal_request_received",
        "hearing",
        "judicial_opinion",
        "executive_decision",
        "amparo",
        "surrender_ordered",
        "surrendered",
    ]
    report = {d.rule_id: d for d in deadlines(case, date(2025, 10, 1))}
    assert {k: v.status for k, v in report.items()} == {
        "T11-FORMAL-REQUEST-60D": "met",  # 10 Jan + 60 = 11 Mar, received 5 Mar
        "LEI-25-OBJECTIONS-3D": "used",
        "LEI-25-EVIDENCE-20D": "used",
        "LEI-27-OPINION-5D": "met",  # evidence closed Fri 4 Apr -> due Fri 11 Apr
        "LEI-30-DECISION-20D": "met",  # 9 Apr + 20 business days = 8 May
        "LEI-33-AMPARO-15D": "used",
        "LEI-35-SURRENDER-60D": "met",  # 1 Sep + 60 = 31 Oct
    }
    assert report["T11-FORMAL-REQUEST-60D"].due == date(2025, 3, 11)
    assert report["LEI-27-OPINION-5D"].due == date(2025, 4, 11)
    assert report["LEI-30-DECISION-20D"].due == date(2025, 5, 8)
    assert report["LEI-35-SURRENDER-60D"].due == date(2025, 10, 31)
    assert all(d.met is True and not d.overdue for d in report.values())
    with pytest.raises(InvalidTransition, match=r"allowed next: none \(case is closed\)"):
        advance(case, "released", date(2025, 10, 1), "too late")


def test_mexico_requests_from_the_us_with_habeas_corpus():
    case = open_case(
        "EXT-MX-7",
        CaseKind.TREATY_EXTRADITION,
        opened_on=date(2024, 10, 1),
        requesting_state="MX",
        requested_state="US",
        treaty="us-mx-1978",
    )
    for to, at in [
        ("formal_request_received", date(2024, 10, 1)),
        ("hearing", date(2024, 11, 4)),
        ("judicial_opinion", date(2024, 12, 2)),  # certification of extraditability (18 U.S.C. 3184)
        ("executive_decision", date(2025, 2, 3)),  # Secretary of State signs the surrender warrant
        ("habeas_corpus", date(2025, 2, 10)),
        ("surrender_ordered", date(2025, 6, 30)),
        ("surrendered", date(2025, 8, 15)),
    ]:
        case = advance(case, to, at, to)
    report = {d.rule_id: d for d in deadlines(case, date(2025, 9, 1))}
    assert set(report) == {"USC-3188-SURRENDER-2M"}
    assert (report["USC-3188-SURRENDER-2M"].due, report["USC-3188-SURRENDER-2M"].status) == (
        date(2025, 8, 30),
        "met",
    )


def _paths_to_terminals(kind: CaseKind) -> dict[str, list[str]]:
    """Shortest path from the initial state to every terminal state."""
    m = MACHINES[kind]
    paths = {m.initial: []}
    queue = deque([m.initial])
    while queue:
        state = queue.popleft()
        for nxt in m.transitions[state]:
            if nxt not in paths:
                paths[nxt] = [*paths[state], nxt]
                queue.append(nxt)
    return {s: p for s, p in paths.items() if s in m.terminal}


OUTCOMES = [
    (kind, terminal, path) for kind in CaseKind for terminal, path in _paths_to_terminals(kind).items()
]


@pytest.mark.parametrize("kind, terminal, path", OUTCOMES, ids=[f"{k}->{t}" for k, t, _ in OUTCOMES])
def test_every_terminal_outcome(kind, terminal, path):
    case = open_case(
        "C",
        kind,
        opened_on=date(2025, 12, 20),
        requesting_state="US",
        requested_state="MX",
        treaty="us-mx-1978"
        if kind in (CaseKind.TREATY_EXTRADITION, CaseKind.PROVISIONAL_ARREST, CaseKind.TEMPORARY_SURRENDER)
        else None,
    )
    for i, state in enumerate(path):
        case = advance(case, state, date(2025, 12, 20) + timedelta(days=7 * (i + 1)), f"step {i}")
    assert case.state == terminal and case.is_closed
    assert case.history[-1].at.year == 2026 or len(path) < 2  # histories cross the year boundary
    deadlines(case, date(2026, 6, 1))  # evaluating a closed case never fails


def test_terminal_outcomes_cover_every_terminal_state():
    assert {(k, t) for k, t, _ in OUTCOMES} == {(k, t) for k, m in MACHINES.items() for t in m.terminal}
    expected = {"surrendered", "refused", "withdrawn", "released"}
    assert {t for k, t, _ in OUTCOMES if k is CaseKind.TREATY_EXTRADITION} == expected


def test_release_after_missed_formal_request_then_amparo_granted_elsewhere():
    base = open_case(
        "EXT-9",
        CaseKind.TREATY_EXTRADITION,
        opened_on=date(2025, 1, 2),
        requesting_state="US",
        requested_state="MX",
        treaty="us-mx-1978",
    )
    arrested = advance(
        advance(base, "provisional_arrest", date(2025, 1, 3), "x"), "arrested", date(2025, 1, 6), "x"
    )
    overdue = [d for d in deadlines(arrested, date(2025, 3, 10)) if d.overdue]
    assert [d.rule_id for d in overdue] == ["T11-FORMAL-REQUEST-60D"]
    released = advance(arrested, "released", date(2025, 3, 10), "60 days elapsed without formal request")
    (d,) = deadlines(released, date(2025, 3, 10))
    assert (d.rule_id, d.status, d.met) == ("T11-FORMAL-REQUEST-60D", "missed", False)

    amparo = base
    for to, at in [
        ("formal_request_received", date(2025, 2, 1)),
        ("hearing", date(2025, 2, 10)),
        ("judicial_opinion", date(2025, 3, 3)),
        ("executive_decision", date(2025, 3, 20)),
        ("amparo", date(2025, 4, 1)),
    ]:
        amparo = advance(amparo, to, at, to)
    redo = advance(amparo, "executive_decision", date(2025, 7, 1), "amparo granted for effects: new decision")
    window = next(d for d in deadlines(redo, date(2025, 7, 2)) if d.rule_id == "LEI-33-AMPARO-15D")
    assert (window.start, window.status) == (date(2025, 7, 1), "open")  # a new decision reopens the window
    refused = advance(amparo, "refused", date(2025, 7, 1), "amparo granted: extradition quashed")
    assert refused.is_closed

"""State machines: structure, every invalid transition, dates, reasons, events and guards."""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from datetime import date

import pytest

from vinculo.cases import (
    MACHINES,
    Assurance,
    CaseKind,
    GuardFailed,
    InvalidTransition,
    add_assurance,
    advance,
    allowed_next,
    grant_extension,
    open_case,
    record_event,
)

D0 = date(2025, 1, 6)


def new_case(kind: CaseKind, **fields):
    fields.setdefault("requesting_state", "US")
    fields.setdefault("requested_state", "MX")
    return open_case(f"{kind}-1", kind, opened_on=D0, **fields)


def _reachable(kind: CaseKind) -> set[str]:
    m = MACHINES[kind]
    seen, queue = {m.initial}, deque([m.initial])
    while queue:
        for nxt in m.transitions[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


@pytest.mark.parametrize("kind", list(CaseKind))
def test_machine_structure(kind):
    m = MACHINES[kind]
    assert m.kind is kind and m.initial in m.transitions
    for state, targets in m.transitions.items():
        assert set(targets) <= set(m.transitions), state
        assert state not in targets, f"self-loop on {state}"
        assert len(set(targets)) == len(targets)
    assert _reachable(kind) == set(m.transitions), "unreachable states"
    assert m.terminal, "no terminal state"
    for state in m.transitions:  # every state can still end
        reach, queue = {state}, deque([state])
        while queue:
            for nxt in m.transitions[queue.popleft()]:
                if nxt not in reach:
                    reach.add(nxt)
                    queue.append(nxt)
        assert reach & m.terminal, state


def test_us_mx_extradition_machine_has_the_treaty_steps():
    m = MACHINES[CaseKind.TREATY_EXTRADITION]
    for state in (
        "requested",
        "provisional_arrest",
        "arrested",
        "formal_request_received",
        "hearing",
        "judicial_opinion",
        "executive_decision",
        "amparo",
        "habeas_corpus",
        "surrendered",
        "refused",
        "withdrawn",
        "released",
    ):
        assert state in m.transitions
    assert m.terminal == {"surrendered", "refused", "withdrawn", "released"}
    assert allowed_next("treaty_extradition", "arrested") == [
        "formal_request_received",
        "released",
        "withdrawn",
    ]
    assert allowed_next(CaseKind.TREATY_EXTRADITION, "surrendered") == []


def test_allowed_next_unknown_state():
    with pytest.raises(ValueError, match="has no state 'limbo'"):
        allowed_next(CaseKind.MLA_REQUEST, "limbo")
    with pytest.raises(ValueError):
        allowed_next("not_a_kind", "received")


INVALID = [
    (kind, state, target)
    for kind, m in MACHINES.items()
    for state, targets in m.transitions.items()
    for target in m.transitions
    if target not in targets
]


@pytest.mark.parametrize("kind, state, target", INVALID, ids=[f"{k}:{s}->{t}" for k, s, t in INVALID])
def test_every_invalid_transition_is_rejected(kind, state, target):
    case = replace(new_case(kind), state=state)
    allowed = allowed_next(kind, state)
    with pytest.raises(InvalidTransition) as info:
        advance(case, target, date(2025, 2, 1), "test")
    err = info.value
    assert (err.kind, err.from_state, err.to, err.allowed) == (kind, state, target, allowed)
    expected_next = ", ".join(allowed) if allowed else "none (case is closed)"
    assert str(err) == f"{kind}: cannot go from {state!r} to {target!r}; allowed next: {expected_next}"


def test_unknown_target_state_is_an_invalid_transition():
    with pytest.raises(InvalidTransition, match="allowed next: provisional_arrest, formal_request_received"):
        advance(new_case(CaseKind.TREATY_EXTRADITION), "teleported", D0, "x")


def test_every_valid_transition_records_history():
    count = 0
    for kind, m in MACHINES.items():
        for state, targets in m.transitions.items():
            for target in targets:
                case = replace(new_case(kind), state=state)
                moved = advance(case, target, date(2025, 2, 1), "because")
                assert moved.state == target
                assert moved.history[-1].from_state == state
                assert moved.history[-1].at == date(2025, 2, 1)
                assert moved.history[-1].reason == "because"
                assert case.state == state  # the input is not mutated
                count += 1
    assert count == sum(len(t) for m in MACHINES.values() for t in m.transitions.values())


def test_dates_must_not_go_backwards_and_reason_is_required():
    case = advance(new_case(CaseKind.TREATY_EXTRADITION), "provisional_arrest", date(2025, 1, 10), "urgent")
    same_day = advance(case, "arrested", date(2025, 1, 10), "found")  # same day is fine
    assert same_day.state == "arrested"
    with pytest.raises(InvalidTransition, match=r"date 2025-01-09 is before the last change on 2025-01-10"):
        advance(case, "arrested", date(2025, 1, 9), "found")
    with pytest.raises(ValueError, match="needs a reason"):
        advance(case, "arrested", date(2025, 1, 11), "  ")


def test_open_case_validation():
    case = new_case(
        CaseKind.TREATY_EXTRADITION,
        nationality=("MX", "US"),
        charges=("21 U.S.C. 963",),
        red_notice="A-1234/5-2025",
        treaty="us-mx-1978",
    )
    assert case.state == "requested" and case.history[0].from_state is None and case.history[0].at == D0
    assert case.nationality == ("MX", "US") and case.red_notice == "A-1234/5-2025"
    with pytest.raises(ValueError, match="requesting_state"):
        open_case("x", CaseKind.MLA_REQUEST, opened_on=D0, requesting_state="USA", requested_state="MX")
    with pytest.raises(ValueError, match="must differ"):
        open_case("x", CaseKind.MLA_REQUEST, opened_on=D0, requesting_state="MX", requested_state="MX")
    with pytest.raises(ValueError, match="nationality"):
        new_case(CaseKind.MLA_REQUEST, nationality=("mexican",))


def test_record_event():
    case = new_case(CaseKind.TREATY_EXTRADITION)
    with_event = record_event(case, "objections_filed", date(2025, 3, 1), "identity")
    assert with_event.occurred("objections_filed") == [date(2025, 3, 1)]
    assert with_event.state == case.state
    with pytest.raises(ValueError, match="has no event 'party'"):
        record_event(case, "party", date(2025, 3, 1))
    with pytest.raises(ValueError, match="before the case was opened"):
        record_event(case, "objections_filed", date(2024, 12, 31))
    with pytest.raises(ValueError, match="events: none"):
        record_event(new_case(CaseKind.MLA_REQUEST), "objections_filed", date(2025, 3, 1))


def test_grant_extension_accumulates():
    case = grant_extension(new_case(CaseKind.TREATY_EXTRADITION), "LEI-25-EVIDENCE-20D", 5)
    case = grant_extension(case, "LEI-25-EVIDENCE-20D", 5)
    assert case.extensions == {"LEI-25-EVIDENCE-20D": 10}
    with pytest.raises(ValueError):
        grant_extension(case, "LEI-25-EVIDENCE-20D", 0)


def _at_executive_decision(**fields):
    case = new_case(CaseKind.TREATY_EXTRADITION, treaty="us-mx-1978", **fields)
    return replace(case, state="executive_decision")


def test_death_penalty_guard_blocks_surrender_without_assurance():
    case = _at_executive_decision(death_penalty_possible=True)
    with pytest.raises(GuardFailed) as info:
        advance(case, "surrender_ordered", date(2025, 6, 2), "no amparo filed")
    assert "requires a 'death_penalty' assurance: Treaty (1978) art. 8" in str(info.value)
    assert isinstance(info.value, InvalidTransition)
    assured = add_assurance(case, Assurance("death_penalty", date(2025, 5, 30), "US Embassy note 123"))
    assert (
        advance(assured, "surrender_ordered", date(2025, 6, 2), "no amparo filed").state
        == "surrender_ordered"
    )


def test_death_penalty_guard_only_when_exposed_and_with_a_treaty():
    assert (
        advance(_at_executive_decision(), "surrender_ordered", date(2025, 6, 2), "x").state
        == "surrender_ordered"
    )
    no_treaty = replace(
        new_case(CaseKind.TREATY_EXTRADITION, death_penalty_possible=True), state="executive_decision"
    )
    assert advance(no_treaty, "surrender_ordered", date(2025, 6, 2), "x").state == "surrender_ordered"
    # other assurance kinds do not satisfy the guard
    other = add_assurance(
        _at_executive_decision(death_penalty_possible=True), Assurance("specialty", date(2025, 5, 1), "DOJ")
    )
    with pytest.raises(GuardFailed):
        advance(other, "surrender_ordered", date(2025, 6, 2), "x")


def test_temporary_surrender_guard():
    case = new_case(CaseKind.TEMPORARY_SURRENDER, treaty="us-mx-1978", death_penalty_possible=True)
    case = advance(case, "granted", date(2025, 2, 1), "granted under art. 15(2)")
    with pytest.raises(GuardFailed, match="allowed next: surrendered_temporarily, withdrawn"):
        advance(case, "surrendered_temporarily", date(2025, 2, 5), "flight")

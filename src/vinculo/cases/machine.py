"""Pure functions that move a case through its state machine."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from .kinds import CaseKind, machine_for
from .model import Assurance, CaseEvent, CaseState, Transition
from .rules import RuleTable, table_for


class InvalidTransition(ValueError):
    """A transition the case's machine (or a guard) does not allow.

    The message names the allowed next states, e.g. ``treaty_extradition:
    cannot go from 'arrested' to 'hearing'; allowed next: formal_request_received,
    released, withdrawn``.
    """

    def __init__(
        self, kind: CaseKind, from_state: str, to: str, allowed: list[str], detail: str = ""
    ) -> None:
        self.kind = kind
        self.from_state = from_state
        self.to = to
        self.allowed = allowed
        self.detail = detail
        nxt = ", ".join(allowed) if allowed else "none (case is closed)"
        message = f"{kind}: cannot go from {from_state!r} to {to!r}; allowed next: {nxt}"
        super().__init__(f"{message} ({detail})" if detail else message)


class GuardFailed(InvalidTransition):
    """The transition is in the machine but a rule-table guard blocks it."""


def allowed_next(kind: CaseKind | str, state: str) -> list[str]:
    """States that may follow ``state`` for ``kind`` (empty for terminal states)."""
    m = machine_for(kind)
    if state not in m.transitions:
        raise ValueError(f"{CaseKind(kind)} has no state {state!r}; states: {', '.join(m.states)}")
    return list(m.transitions[state])


def check_guards(case: CaseState, to: str, table: RuleTable | None) -> str | None:
    """Return why a guard blocks ``case`` from entering ``to``, or ``None``."""
    if table is None:
        return None
    for guard in table.guards:
        applies = case.kind in guard.kinds and to in guard.to and getattr(case, guard.when)
        if applies and not case.has_assurance(guard.requires_assurance):
            return f"requires a {guard.requires_assurance!r} assurance: {guard.reference}"
    return None


def advance(case: CaseState, to: str, at: date, reason: str) -> CaseState:
    """Return a copy of ``case`` moved to ``to`` on ``at``.

    Raises :class:`InvalidTransition` if ``to`` is not an allowed next state,
    if ``at`` is earlier than the last change, or (as :class:`GuardFailed`) if
    a guard of the case's rule table blocks it. ``reason`` must not be blank.
    """
    allowed = allowed_next(case.kind, case.state)
    if to not in allowed:
        raise InvalidTransition(case.kind, case.state, to, allowed)
    if at < case.last_change:
        raise InvalidTransition(
            case.kind, case.state, to, allowed, f"date {at} is before the last change on {case.last_change}"
        )
    if not reason.strip():
        raise ValueError("a transition needs a reason")
    blocked = check_guards(case, to, table_for(case))
    if blocked:
        raise GuardFailed(case.kind, case.state, to, allowed, blocked)
    return replace(case, state=to, history=(*case.history, Transition(case.state, to, at, reason)))


def record_event(case: CaseState, name: str, at: date, note: str = "") -> CaseState:
    """Return a copy of ``case`` with a dated event (e.g. ``objections_filed``)."""
    m = machine_for(case.kind)
    if name not in m.events:
        known = ", ".join(sorted(m.events)) or "none"
        raise ValueError(f"{case.kind} has no event {name!r}; events: {known}")
    if at < case.opened_on:
        raise ValueError(f"event date {at} is before the case was opened on {case.opened_on}")
    return replace(case, events=(*case.events, CaseEvent(name, at, note)))


def add_assurance(case: CaseState, assurance: Assurance) -> CaseState:
    """Return a copy of ``case`` with ``assurance`` on file."""
    return replace(case, assurances=(*case.assurances, assurance))


def grant_extension(case: CaseState, rule_id: str, days: int) -> CaseState:
    """Return a copy of ``case`` where rule ``rule_id`` runs ``days`` longer (same unit as the rule)."""
    if days <= 0:
        raise ValueError("an extension must be a positive number of days")
    extensions = dict(case.extensions)
    extensions[rule_id] = extensions.get(rule_id, 0) + days
    return replace(case, extensions=extensions)

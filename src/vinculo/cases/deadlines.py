"""Evaluate a case's deadline rules against a reference date ("today").

Statuses of a ``deadline`` rule: ``pending`` (open, not yet due), ``overdue``
(open, past due), ``met`` (done by the due date), ``late`` (done after it),
``missed`` (case closed after the due date without it) and ``moot`` (case
closed before the due date without it). A ``window`` rule (a period a party
*may* use, such as the 3 days to object) is ``open``, ``used``, ``late`` or
``closed``; a window is never overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .dates import NO_HOLIDAYS, HolidayCalendar, add
from .model import CaseState
from .rules import Rule, RuleTable, holiday_calendars, table_for


@dataclass(frozen=True)
class Deadline:
    """One evaluated rule. ``met`` is ``None`` while open or moot."""

    rule_id: str
    due: date
    description: str
    met: bool | None
    overdue: bool
    status: str
    start: date
    satisfied_on: date | None
    reference: str
    type: str = "deadline"


def _dates_of(case: CaseState, ref: str) -> list[date]:
    what, name = ref.split(":", 1)
    return case.entered(name) if what == "state" else case.occurred(name)


def _start(case: CaseState, rule: Rule, done: dict[str, Deadline]) -> date | None:
    """Trigger date: the first reference in ``rule.start`` that has happened."""
    for ref in rule.start:
        if ref.startswith("rule:"):
            base = done.get(ref[5:])
            if base is None:
                continue
            if base.satisfied_on is not None and base.satisfied_on <= base.due:
                return base.satisfied_on
            return base.due
        dates = _dates_of(case, ref)
        if dates:
            return dates[-1]
    return None


def _paused_days(case: CaseState, rule: Rule, start: date, due: date, stop: date) -> int:
    """Calendar days spent in ``rule.paused_by`` states between ``start`` and the (moving) due date."""
    if not rule.paused_by:
        return 0
    history = case.history
    total = 0
    for i, step in enumerate(history):
        if step.to_state not in rule.paused_by:
            continue
        begin = max(step.at, start)
        end = min(history[i + 1].at if i + 1 < len(history) else stop, stop)
        if begin > due + timedelta(days=total):
            break
        if end > begin:
            total += (end - begin).days
    return total


def _status(rule: Rule, case: CaseState, due: date, satisfied: date | None, today: date) -> str:
    window = rule.type == "window"
    if satisfied is not None:
        return ("used" if window else "met") if satisfied <= due else "late"
    closes_case = case.is_closed and f"state:{case.state}" not in rule.start
    if closes_case:
        if case.last_change <= due:
            return "moot"
        return "closed" if window else "missed"
    if today > due:
        return "closed" if window else "overdue"
    return "open" if window else "pending"


_MET = {"met": True, "used": True, "late": False, "missed": False, "closed": False}


def evaluate(
    case: CaseState,
    rule: Rule,
    today: date,
    done: dict[str, Deadline],
    holidays: HolidayCalendar | None = None,
) -> Deadline | None:
    """Evaluate one rule; ``None`` if it has not been triggered or has no length configured."""
    start = _start(case, rule, done)
    days = case.params.get(rule.days_param, rule.days) if rule.days_param else rule.days
    if start is None or days is None:
        return None
    days += case.extensions.get(rule.rule_id, 0)
    cal = holidays or holiday_calendars().get(rule.calendar or case.requested_state, NO_HOLIDAYS)
    due = add(start, days, rule.count, cal)
    hits = [d for ref in rule.until for d in _dates_of(case, ref) if d >= start]
    satisfied = min(hits) if hits else None
    stop = satisfied or (case.last_change if case.is_closed else today)
    due += timedelta(days=_paused_days(case, rule, start, due, max(stop, start)))
    status = _status(rule, case, due, satisfied, today)
    return Deadline(
        rule_id=rule.rule_id,
        due=due,
        description=rule.description,
        met=_MET.get(status),
        overdue=status == "overdue",
        status=status,
        start=start,
        satisfied_on=satisfied,
        reference=rule.reference,
        type=rule.type,
    )


def deadlines(
    case: CaseState, today: date, *, table: RuleTable | None = None, holidays: HolidayCalendar | None = None
) -> list[Deadline]:
    """All triggered deadlines of ``case`` as of ``today``, sorted by due date.

    ``table`` defaults to :func:`rules.table_for`; ``holidays`` overrides the
    holiday calendar of every business-day rule (default: the rule's
    ``calendar`` or the requested state's calendar).
    """
    table = table or table_for(case)
    if table is None:
        return []
    done: dict[str, Deadline] = {}
    for rule in table.rules:
        if rule.applies_to(case):
            result = evaluate(case, rule, today, done, holidays)
            if result is not None:
                done[rule.rule_id] = result
    return sorted(done.values(), key=lambda d: (d.due, d.rule_id))

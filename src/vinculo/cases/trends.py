"""Month-by-month trends behind the scorecard's figures (pure; the same inputs as the scorecard).

For each month of the period, each way:

* ``shared``: records first shared in that month (the months add up to the scorecard's ``shared.records``);
* ``answered``: requests opened in the period and answered in that month (they add up to
  ``requests.answered``); ``overdue``: requests opened in the period by the month's end with a step
  overdue at that end (the month holding ``as_of`` is taken at ``as_of``: it equals ``requests.overdue``);
* ``open_by_stage``: extradition cases open at the month's end per stage (the last point equals
  ``extradition.open_by_stage``).

Months after ``as_of`` have ``None`` for the state-based series (not known yet) and 0 for the counts.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from vinculo.cases.convert import state_from_body
from vinculo.cases.deadlines import deadlines
from vinculo.cases.kinds import CaseKind, machine_for
from vinculo.cases.scorecard import Period, Shared, _answer_date, _state_on


def months(period: Period) -> list[tuple[str, dt.date, dt.date]]:
    """``(YYYY-MM, first day, last day)`` of each month the period touches, clipped to the period."""
    out = []
    day = period.start.replace(day=1)
    while day <= period.end:
        nxt = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        out.append((day.strftime("%Y-%m"), max(day, period.start), min(nxt - dt.timedelta(days=1), period.end)))
        day = nxt
    return out


def _index(spans: list[tuple[str, dt.date, dt.date]], day: dt.date) -> int | None:
    key = day.strftime("%Y-%m")
    return next((i for i, (label, _, _) in enumerate(spans) if label == key), None)


def _shared(spans, items: list[Shared], direction: str, period: Period) -> list[int]:
    first: dict[str, Shared] = {}
    for s in sorted(items, key=lambda s: s.at):
        if s.direction == direction and period.has(s.at.date()) and s.record_id not in first:
            first[s.record_id] = s
    counts = [0] * len(spans)
    for s in first.values():
        counts[_index(spans, s.at.date())] += 1  # type: ignore[index]
    return counts


def _requests(spans, cases: list[dict], answers: list[dict], period: Period, as_of: dt.date) -> dict:
    opened = [c for c in cases if period.has(dt.date.fromisoformat(c["body"]["date"]))]
    answered = [0] * len(spans)
    for c in opened:
        ans = _answer_date(c, answers)
        if ans is not None and ans <= as_of:
            answered[_index(spans, max(ans, period.start))] += 1  # type: ignore[index]
    overdue: list[int | None] = []
    for _, start, end in spans:
        if start > as_of:
            overdue.append(None)
            continue
        at = min(end, as_of)
        overdue.append(sum(1 for c in opened if dt.date.fromisoformat(c["body"]["date"]) <= at
                           and any(d.overdue for d in deadlines(state_from_body(c["id"], c["body"]), at))))
    return {"answered": answered, "overdue": overdue}


def _pipeline(spans, cases: list[dict], as_of: dt.date) -> dict:
    ext = [c for c in cases if c["body"]["kind"] == CaseKind.TREATY_EXTRADITION.value]
    terminal = machine_for(CaseKind.TREATY_EXTRADITION).terminal
    per_month: list[Counter | None] = []
    for _, start, end in spans:
        if start > as_of:
            per_month.append(None)
            continue
        at = min(end, as_of)
        per_month.append(Counter(s for c in ext if (s := _state_on(c, at)) is not None and s not in terminal))
    stages = sorted({s for m in per_month if m for s in m})
    return {"open_by_stage": {s: [None if m is None else m.get(s, 0) for m in per_month] for s in stages},
            "open_total": [None if m is None else sum(m.values()) for m in per_month]}


def trends(period: Period, shared: list[Shared], out_cases: list[dict], in_cases: list[dict],
           answers: list[dict], as_of: dt.date) -> dict:
    """The monthly series, each way; see the module docstring for how they add up to the scorecard."""
    spans = months(period)
    return {
        "months": [label for label, _, _ in spans],
        "out": {"shared": _shared(spans, shared, "out", period),
                "requests": _requests(spans, out_cases, answers, period, as_of),
                "extradition": _pipeline(spans, out_cases, as_of)},
        "in": {"shared": _shared(spans, shared, "in", period),
               "requests": _requests(spans, in_cases, answers, period, as_of),
               "extradition": _pipeline(spans, in_cases, as_of)},
    }

"""The cooperation scorecard with one partner over one period, each way (pure computation).

Inputs are stored events only, so every figure can be re-derived and audited:

* ``release`` audit entries (detail ``partner``, ``ids``, optional ``versions``) - records this node sent;
* ``receive`` audit entries (detail ``partner``, ``id``, ``version``) - records this node got from the partner;
* the metadata (type, TLP, incident date) of the record versions those entries name;
* ``case`` records (requests) and the ``note`` records of kind ``response`` answering them;
* ``psi.hit`` / ``psi.followup`` audit entries (detail ``partner``).

"out" is this node -> partner, "in" is partner -> this node. Missing inputs give 0 counts and ``None``
medians, never an error.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter
from dataclasses import dataclass

from vinculo.cases.convert import state_from_body
from vinculo.cases.deadlines import deadlines
from vinculo.cases.kinds import CaseKind, machine_for
from vinculo.cases.preexport import scorecard_figures

AGE_BUCKETS = ((0, 89, "<90d"), (90, 179, "90-179d"), (180, 364, "180-364d"), (365, 729, "1-2y"),
               (730, 10**9, ">=2y"))


@dataclass(frozen=True)
class Period:
    label: str
    start: dt.date
    end: dt.date  # inclusive

    def has(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def parse_period(text: str) -> Period:
    """``2025``, ``2025-Q2``, ``2025-06`` or ``2025-01-01..2025-06-30``."""
    t = text.strip()
    if m := re.fullmatch(r"(\d{4})", t):
        y = int(m.group(1))
        return Period(t, dt.date(y, 1, 1), dt.date(y, 12, 31))
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", t):
        y, q = int(m.group(1)), int(m.group(2))
        start = dt.date(y, 3 * q - 2, 1)
        end = dt.date(y + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1)
        return Period(t, start, end)
    if m := re.fullmatch(r"(\d{4})-(\d{2})", t):
        y, mo = int(m.group(1)), int(m.group(2))
        if 1 <= mo <= 12:
            end = dt.date(y + (mo == 12), mo % 12 + 1, 1) - dt.timedelta(days=1)
            return Period(t, dt.date(y, mo, 1), end)
    if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", t):
        try:
            start, end = dt.date.fromisoformat(m.group(1)), dt.date.fromisoformat(m.group(2))
        except ValueError:
            start = end = None  # type: ignore[assignment]
        if start and end and start <= end:
            return Period(t, start, end)
    raise ValueError(f"period: expected YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD, got {text!r}")


@dataclass(frozen=True)
class Shared:
    """One record version released to (out) or received from (in) the partner, at ``at``."""

    direction: str
    record_id: str
    version: int | None
    at: dt.datetime
    type: str
    tlp: str | None
    incident: dt.date | None


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def _shared(items: list[Shared], direction: str, period: Period) -> dict:
    first: dict[str, Shared] = {}
    for s in sorted(items, key=lambda s: s.at):
        if s.direction == direction and period.has(s.at.date()) and s.record_id not in first:
            first[s.record_id] = s
    by_type = Counter(s.type for s in first.values())
    by_tlp = Counter(s.tlp or "unknown" for s in first.values())
    days = [(s.at.date() - s.incident).days for s in first.values() if s.incident]
    return {"records": len(first), "by_type": dict(sorted(by_type.items())), "by_tlp": dict(sorted(by_tlp.items())),
            "median_days_incident_to_receipt": _median(days), "with_incident_date": len(days)}


def _answer_date(view: dict, answers: list[dict]) -> dt.date | None:
    body = view["body"]
    state = state_from_body(view["id"], body)
    dates = [dt.date.fromisoformat(n["created"][:10]) for n in answers
             if n["origin"] == body.get("requested_node") and view["id"] in n["body"].get("about_refs", ())
             and n["body"].get("kind") == "response"]
    terminal = machine_for(state.kind).terminal
    dates += [t.at for t in state.history if t.to_state in terminal]
    return min(dates) if dates else None


def _state_on(view: dict, day: dt.date) -> str | None:
    """The state a case was in at the end of ``day`` (``None`` if not yet opened)."""
    state = None
    for t in view["body"]["history"]:
        if dt.date.fromisoformat(t["at"]) <= day:
            state = t["to_state"]
    return state


def _requests(cases: list[dict], answers: list[dict], period: Period, today: dt.date) -> dict:
    opened = [c for c in cases if period.has(dt.date.fromisoformat(c["body"]["date"]))]
    as_of = min(today, period.end)
    answered, times, overdue = 0, [], 0
    for c in opened:
        ans = _answer_date(c, answers)
        if ans is not None and ans <= as_of:
            answered += 1
            times.append((ans - dt.date.fromisoformat(c["body"]["date"])).days)
        if any(d.overdue for d in deadlines(state_from_body(c["id"], c["body"]), as_of)):
            overdue += 1
    return {"sent": len(opened), "answered": answered, "overdue": overdue, "median_days_to_answer": _median(times)}


def _pipeline(cases: list[dict], period: Period, today: dt.date) -> dict:
    ext = [c for c in cases if c["body"]["kind"] == CaseKind.TREATY_EXTRADITION.value]
    terminal = machine_for(CaseKind.TREATY_EXTRADITION).terminal
    as_of = min(today, period.end)
    by_stage: Counter[str] = Counter()
    ages: Counter[str] = Counter()
    stays: dict[str, list[int]] = {}
    completed: dict[str, Counter[str]] = {}
    for c in ext:
        state = _state_on(c, as_of)
        if state is not None and state not in terminal:
            by_stage[state] += 1
            age = (as_of - dt.date.fromisoformat(c["body"]["date"])).days
            ages[next(label for lo, hi, label in AGE_BUCKETS if lo <= age <= hi)] += 1
        hist = c["body"]["history"]
        for before, after in zip(hist, hist[1:]):
            left = dt.date.fromisoformat(after["at"])
            if period.has(left):
                stays.setdefault(before["to_state"], []).append(
                    (left - dt.date.fromisoformat(before["at"])).days)
        for t in hist:
            at = dt.date.fromisoformat(t["at"])
            if t["to_state"] in terminal and at <= as_of:
                completed.setdefault(str(at.year), Counter())[t["to_state"]] += 1
    return {"open_by_stage": dict(sorted(by_stage.items())),
            "open_total": sum(by_stage.values()),
            "age_distribution": {label: ages.get(label, 0) for _, _, label in AGE_BUCKETS},
            "median_days_per_stage": {s: _median(v) for s, v in sorted(stays.items())},
            "completed_per_year": {y: dict(sorted(c.items())) for y, c in sorted(completed.items())}}


def compute(local: str, partner: str, period: Period, shared: list[Shared], cases: list[dict],
            answers: list[dict], psi: list[tuple[str, str, dt.datetime]], today: dt.date) -> dict:
    """The scorecard. ``cases``/``answers`` are released views of ``case``/``note`` records; ``psi`` holds
    ``(action, partner, at)`` of ``psi.hit``/``psi.followup`` entries."""
    out_cases = [c for c in cases if c["body"].get("requesting_node") == local
                 and c["body"].get("requested_node") == partner]
    in_cases = [c for c in cases if c["body"].get("requesting_node") == partner
                and c["body"].get("requested_node") == local]
    from vinculo.cases.trends import trends  # (it builds on this module's helpers)

    pen = CaseKind.PRE_EXPORT_NOTIFICATION.value  # pre-export notifications: their own figures, not requests
    out_pen, in_pen = ([c for c in cs if c["body"]["kind"] == pen] for cs in (out_cases, in_cases))
    out_cases, in_cases = ([c for c in cs if c["body"]["kind"] != pen] for cs in (out_cases, in_cases))
    as_of = min(today, period.end)

    in_period = [(a, p) for a, p, at in psi if p == partner and period.has(at.date())]
    hits = sum(1 for a, _ in in_period if a == "psi.hit")
    follow = sum(1 for a, _ in in_period if a == "psi.followup")
    return {
        "node": local, "partner": partner, "period": period.label,
        "from": period.start.isoformat(), "to": period.end.isoformat(), "as_of": min(today, period.end).isoformat(),
        "out": {"shared": _shared(shared, "out", period), "requests": _requests(out_cases, answers, period, today),
                "extradition": _pipeline(out_cases, period, today),
                "pre_export": scorecard_figures(out_pen, answers, period.start, period.end, as_of)},
        "in": {"shared": _shared(shared, "in", period), "requests": _requests(in_cases, answers, period, today),
               "extradition": _pipeline(in_cases, period, today),
               "pre_export": scorecard_figures(in_pen, answers, period.start, period.end, as_of)},
        "psi": {"hits": hits, "followed_up": follow},
        "trends": trends(period, shared, out_cases, in_cases, answers, min(today, period.end)),
        "derived_from": ["audit:release", "audit:receive", "audit:psi.hit", "audit:psi.followup",
                         "records:case", "records:note(kind=response)"],
    }


def rows(card: dict) -> list[tuple[str, str, object]]:
    """Flatten a scorecard into ``(direction, figure, value)`` rows for tables and CSV."""
    out: list[tuple[str, str, object]] = []

    def walk(direction: str, prefix: str, value: object) -> None:
        if isinstance(value, dict):
            if not value:
                out.append((direction, prefix, 0))
            for k, v in value.items():
                walk(direction, f"{prefix}.{k}" if prefix else str(k), v)
        else:
            out.append((direction, prefix, value))

    for direction in ("out", "in"):
        walk(direction, "", card[direction])
    walk("both", "psi", card["psi"])
    return out

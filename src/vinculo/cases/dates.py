"""Date arithmetic for deadlines: calendar days, business days, calendar months.

Business days skip Saturdays, Sundays and the holidays of a
:class:`HolidayCalendar` (fixed dates, "nth weekday of month" rules and
explicit dates, loaded from ``treaties/holidays.json``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any, Literal

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
Count = Literal["calendar_days", "business_days", "calendar_months"]
COUNTS: tuple[Count, ...] = ("calendar_days", "business_days", "calendar_months")


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The ``nth`` ``weekday`` (0 = Monday) of a month; ``nth=-1`` is the last one."""
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7 + 7 * (-nth - 1))


@dataclass(frozen=True)
class HolidayCalendar:
    """Public holidays of one jurisdiction.

    ``observed="nearest_weekday"`` moves a fixed holiday falling on Saturday to
    the Friday before and on Sunday to the Monday after (U.S. federal rule).
    """

    name: str
    fixed: frozenset[tuple[int, int]] = frozenset()
    floating: tuple[tuple[int, int, int], ...] = ()  # (month, weekday, nth)
    dates: frozenset[date] = frozenset()
    observed: Literal["none", "nearest_weekday"] = "none"

    @classmethod
    def from_spec(cls, name: str, spec: dict[str, Any]) -> HolidayCalendar:
        """Build from the JSON form used in ``holidays.json``."""
        fixed = frozenset(tuple(int(p) for p in md.split("-")) for md in spec.get("fixed", ()))
        floating = tuple(
            (int(f["month"]), WEEKDAYS[f["weekday"]], int(f["nth"])) for f in spec.get("floating", ())
        )
        observed = spec.get("observed", "none")
        if observed not in ("none", "nearest_weekday"):
            raise ValueError(f"holiday calendar {name}: unknown observed rule {observed!r}")
        for month, day in fixed:  # type: ignore[misc]
            date(2000, month, day)  # validates (2000 is a leap year)
        return cls(
            name=name,
            fixed=fixed,  # type: ignore[arg-type]
            floating=floating,
            dates=frozenset(date.fromisoformat(d) for d in spec.get("dates", ())),
            observed=observed,
        )

    def holidays_in(self, year: int) -> frozenset[date]:
        return _holidays_in(self, year)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays_in(day.year)


@cache
def _holidays_in(cal: HolidayCalendar, year: int) -> frozenset[date]:
    found: set[date] = {d for d in cal.dates if d.year == year}
    for y in (year - 1, year, year + 1):  # an observed day may cross the year boundary
        for month, day in cal.fixed:
            if month == 2 and day == 29 and not calendar.isleap(y):
                continue
            holiday = date(y, month, day)
            if cal.observed == "nearest_weekday":
                if holiday.weekday() == 5:
                    holiday -= timedelta(days=1)
                elif holiday.weekday() == 6:
                    holiday += timedelta(days=1)
            if holiday.year == year:
                found.add(holiday)
    found.update(nth_weekday(year, m, wd, n) for m, wd, n in cal.floating)
    return frozenset(found)


NO_HOLIDAYS = HolidayCalendar("weekends-only")


def add_calendar_days(start: date, days: int) -> date:
    """``start`` plus ``days`` days (day 1 is the day after ``start``)."""
    return start + timedelta(days=days)


def add_business_days(start: date, days: int, holidays: HolidayCalendar = NO_HOLIDAYS) -> date:
    """The ``days``-th business day after ``start`` (``start`` itself if ``days == 0``)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    current = start
    while days:
        current += timedelta(days=1)
        if holidays.is_business_day(current):
            days -= 1
    return current


def add_months(start: date, months: int) -> date:
    """Same day ``months`` calendar months later, clamped to the month's last day."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def add(start: date, amount: int, count: Count, holidays: HolidayCalendar = NO_HOLIDAYS) -> date:
    """Dispatch on ``count`` (``calendar_days``, ``business_days`` or ``calendar_months``)."""
    if count == "calendar_days":
        return add_calendar_days(start, amount)
    if count == "business_days":
        return add_business_days(start, amount, holidays)
    if count == "calendar_months":
        return add_months(start, amount)
    raise ValueError(f"unknown day count {count!r}")

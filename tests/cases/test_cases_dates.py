"""Date arithmetic used by deadline rules: month/year boundaries, leap years, business days."""

from __future__ import annotations

from datetime import date

import pytest

from vinculo.cases.dates import (
    NO_HOLIDAYS,
    HolidayCalendar,
    add,
    add_business_days,
    add_calendar_days,
    add_months,
    nth_weekday,
)
from vinculo.cases.rules import holiday_calendars

MX = holiday_calendars()["MX"]
US = holiday_calendars()["US"]


@pytest.mark.parametrize(
    "start, days, due",
    [
        (date(2024, 12, 15), 60, date(2025, 2, 13)),  # year boundary
        (date(2024, 1, 1), 60, date(2024, 3, 1)),  # leap year
        (date(2023, 1, 1), 60, date(2023, 3, 2)),
        (date(2025, 1, 31), 1, date(2025, 2, 1)),  # month boundary
        (date(2025, 3, 3), 0, date(2025, 3, 3)),
    ],
)
def test_calendar_days(start, days, due):
    assert add_calendar_days(start, days) == due
    assert add(start, days, "calendar_days") == due


@pytest.mark.parametrize(
    "start, months, due",
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # clamped, leap year
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2023, 12, 31), 2, date(2024, 2, 29)),  # year boundary + clamp
        (date(2024, 12, 31), 2, date(2025, 2, 28)),
        (date(2025, 11, 30), 2, date(2026, 1, 30)),
        (date(2025, 8, 31), 1, date(2025, 9, 30)),
        (date(2025, 5, 15), 12, date(2026, 5, 15)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
    ],
)
def test_calendar_months(start, months, due):
    assert add_months(start, months) == due
    assert add(start, months, "calendar_months") == due


def test_business_days_skip_weekends():
    friday = date(2025, 6, 6)
    assert add_business_days(friday, 0) == friday
    assert add_business_days(friday, 1) == date(2025, 6, 9)  # Monday
    assert add_business_days(friday, 5) == date(2025, 6, 13)
    assert add_business_days(date(2025, 6, 7), 1) == date(2025, 6, 9)  # from a Saturday
    assert add(friday, 1, "business_days", NO_HOLIDAYS) == date(2025, 6, 9)
    with pytest.raises(ValueError):
        add_business_days(friday, -1)


def test_business_days_cross_the_year_and_holidays_mx():
    # 20 MX business days from Wed 10 Dec 2025 skip 25 Dec and 1 Jan.
    assert add_business_days(date(2025, 12, 10), 20, MX) == date(2026, 1, 9)
    assert add_business_days(date(2025, 12, 10), 20) == date(2026, 1, 7)  # weekends only
    assert add_business_days(date(2025, 12, 31), 1, MX) == date(2026, 1, 2)
    # first Monday of February 2025 (3 Feb) is a Mexican holiday
    assert add_business_days(date(2025, 1, 31), 3, MX) == date(2025, 2, 6)
    # third Monday of March 2025 (17 Mar)
    assert add_business_days(date(2025, 3, 7), 20, MX) == date(2025, 4, 7)


def test_us_observed_holidays_cross_the_year():
    # 1 Jan 2022 was a Saturday: observed on Friday 31 Dec 2021; 25 Dec 2021 -> Fri 24 Dec.
    assert {date(2021, 12, 24), date(2021, 12, 31)} <= US.holidays_in(2021)
    assert date(2022, 1, 1) not in US.holidays_in(2022)
    assert add_business_days(date(2021, 12, 23), 1, US) == date(2021, 12, 27)
    assert date(2026, 7, 3) in US.holidays_in(2026)  # 4 July 2026 is a Saturday
    assert date(2026, 1, 19) in US.holidays_in(2026)  # MLK day, third Monday
    assert date(2025, 11, 27) in US.holidays_in(2025)  # Thanksgiving, fourth Thursday
    assert date(2025, 5, 26) in US.holidays_in(2025)  # Memorial Day, last Monday


def test_mx_calendar():
    assert MX.holidays_in(2026) == {
        date(2026, 1, 1),
        date(2026, 2, 2),
        date(2026, 3, 16),
        date(2026, 5, 1),
        date(2026, 9, 16),
        date(2026, 11, 16),
        date(2026, 12, 25),
    }
    assert date(2030, 10, 1) in MX.holidays_in(2030)  # change of federal executive
    assert not MX.is_business_day(date(2025, 9, 16))
    assert MX.is_business_day(date(2025, 9, 17))


@pytest.mark.parametrize(
    "year, month, weekday, nth, expected",
    [
        (2025, 2, 0, 1, date(2025, 2, 3)),
        (2025, 11, 3, 4, date(2025, 11, 27)),
        (2025, 5, 0, -1, date(2025, 5, 26)),
        (2024, 2, 3, -1, date(2024, 2, 29)),
        (2026, 3, 0, 3, date(2026, 3, 16)),
    ],
)
def test_nth_weekday(year, month, weekday, nth, expected):
    assert nth_weekday(year, month, weekday, nth) == expected


def test_holiday_spec_validation():
    leap = HolidayCalendar.from_spec("X", {"fixed": ["02-29"]})
    assert date(2024, 2, 29) in leap.holidays_in(2024)
    assert leap.holidays_in(2025) == frozenset()
    with pytest.raises(ValueError):
        HolidayCalendar.from_spec("X", {"fixed": ["02-30"]})
    with pytest.raises(ValueError):
        HolidayCalendar.from_spec("X", {"observed": "closest"})
    with pytest.raises(ValueError):
        add(date(2025, 1, 1), 1, "weeks")  # type: ignore[arg-type]

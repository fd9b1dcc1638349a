"""CBP "Nationwide Drug Seizures" monthly CSV (OFO + USBP).

Columns: ``FY, Month (abbv), Component, Region, Land Filter, Area of
Responsibility, Drug Type, Count of Event, Sum Qty (lbs)``. Rows are
aggregates. ``FY`` is ``2026 (FYTD)`` for the current, partial year. U.S.
fiscal years start in October, so ``OCT``-``DEC`` of FY *N* are calendar
months of year *N-1*.

Each row yields three points with the same dims and calendar ``period``:
``events`` (count of seizure events), ``weight_lb`` (raw pounds as published,
float noise included) and ``weight_kg`` (pounds x 0.45359237).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ._rows import PathLike, read_rows
from .series import KG_PER_LB, Attr, Point, month_period

SOURCE = "cbp"

COLUMNS = (
    "FY",
    "Month (abbv)",
    "Component",
    "Region",
    "Land Filter",
    "Area of Responsibility",
    "Drug Type",
    "Count of Event",
    "Sum Qty (lbs)",
)

MONTHS = {
    name: number
    for number, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1
    )
}

_FY = re.compile(r"^(\d{4})(\s*\(FYTD\))?$")


def fiscal_to_calendar(fiscal_year: int, month: int) -> tuple[int, int]:
    """Map a U.S. federal fiscal year and month number to the calendar (year, month)."""
    return (fiscal_year - 1, month) if month >= 10 else (fiscal_year, month)


def parse_cbp(path: PathLike) -> Iterator[Point]:
    """Yield ``events``, ``weight_lb`` and ``weight_kg`` points for every CSV row."""
    for row in read_rows(path, COLUMNS):
        fy_text = row.text("FY")
        match = _FY.match(fy_text)
        if not match:
            raise row.error("FY", f"expected 'YYYY' or 'YYYY (FYTD)', got {fy_text!r}")
        fiscal_year = int(match.group(1))
        month_text = row.text("Month (abbv)").upper()
        if month_text not in MONTHS:
            raise row.error("Month (abbv)", f"unknown month {month_text!r}")
        year, month = fiscal_to_calendar(fiscal_year, MONTHS[month_text])
        events = row.integer("Count of Event")
        pounds = row.number("Sum Qty (lbs)")
        dims = {
            "component": row.text("Component"),
            "region": row.text("Region"),
            "land_filter": row.text("Land Filter"),
            "aor": row.text("Area of Responsibility"),
            "drug": row.text("Drug Type"),
            "fiscal_year": str(fiscal_year),
        }
        attrs: dict[str, Attr] = {"fytd": True} if match.group(2) else {}
        period = month_period(year, month)
        yield Point(SOURCE, "events", dims, period, float(events), "events", dict(attrs))
        yield Point(SOURCE, "weight_lb", dict(dims), period, pounds, "lb", dict(attrs))
        yield Point(SOURCE, "weight_kg", dict(dims), period, pounds * KG_PER_LB, "kg", dict(attrs))

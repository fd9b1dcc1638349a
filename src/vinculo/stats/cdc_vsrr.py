"""CDC/NCHS VSRR Provisional Drug Overdose Death Counts (data.cdc.gov ``xkb8-kh2a``).

Values are rolling **12-month-ending** counts (not monthly counts): the row
for ``2018, November`` covers Dec 2017 - Nov 2018 and gets ``period`` ``2018-11``.
Indicators are ICD-10 drug groups plus ``Number of Deaths`` (all causes) and
``Percent with drugs specified`` (unit ``percent``).

Per point ``attrs`` keep ``predicted`` (when present), ``footnote``,
``footnote_symbol``, ``percent_complete`` and ``percent_pending`` as published.
Rows with an empty ``Data Value`` (suppressed in newer exports) are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ._rows import PathLike, read_rows
from .series import Attr, Point, month_period

SOURCE = "cdc_vsrr"
SERIES = "twelve_month_ending"

COLUMNS = (
    "State",
    "Year",
    "Month",
    "Period",
    "Indicator",
    "Data Value",
    "Percent Complete",
    "Percent Pending Investigation",
    "State Name",
    "Footnote",
    "Footnote Symbol",
    "Predicted Value",
)

_MONTH_NAMES = "january february march april may june july august september october november december"
MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES.split(), start=1)}

PERIOD_LABEL = "12 month-ending"

_YEAR = re.compile(r"^\d{4}$")


def unit_for(indicator: str) -> str:
    """``percent`` for percentage indicators, ``deaths`` otherwise."""
    return "percent" if indicator.lower().startswith("percent") else "deaths"


def parse_cdc_vsrr(path: PathLike) -> Iterator[Point]:
    """Yield one point per row that has a ``Data Value``."""
    for row in read_rows(path, COLUMNS):
        period_label = row.text("Period")
        if period_label != PERIOD_LABEL:
            raise row.error("Period", f"expected {PERIOD_LABEL!r}, got {period_label!r}")
        year_text = row.text("Year")
        if not _YEAR.match(year_text):
            raise row.error("Year", f"expected a 4-digit year, got {year_text!r}")
        month_text = row.text("Month")
        month = MONTHS.get(month_text.lower())
        if month is None:
            raise row.error("Month", f"unknown month {month_text!r}")
        if not row.text("Data Value", required=False):
            continue
        value = row.number("Data Value", thousands=True)
        indicator = row.text("Indicator")
        attrs: dict[str, Attr] = {}
        if row.text("Predicted Value", required=False):
            attrs["predicted"] = row.number("Predicted Value", thousands=True)
        for key, column in (
            ("footnote", "Footnote"),
            ("footnote_symbol", "Footnote Symbol"),
            ("percent_complete", "Percent Complete"),
            ("percent_pending", "Percent Pending Investigation"),
        ):
            text = row.text(column, required=False)
            if text:
                attrs[key] = text
        dims = {"state": row.text("State"), "state_name": row.text("State Name"), "indicator": indicator}
        yield Point(
            SOURCE, SERIES, dims, month_period(int(year_text), month), value, unit_for(indicator), attrs
        )

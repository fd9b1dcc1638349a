"""DEA NFLIS-Drug Data Query System (DQS) raw export.

One row = number of lab "drug reports" (not seizures, not weights) for one
substance, state and half-year. ``PERIOD`` is ``SA1 (JAN - JUN)`` or
``SA2 (JUL - DEC)``; ``RPTAGGR`` carries trailing spaces. The most recent
half-year is usually incomplete (lab reporting lag): compare the period with
``query_run_date`` in ``attrs``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ._rows import PathLike, read_rows
from .series import Attr, Point

SOURCE = "nflis"

COLUMNS = (
    "LABTYPE",
    "RPTAGGR",
    "YYYY",
    "PERIOD",
    "DRUG_REPORTS",
    "QUERY_RUN_DATE",
    "SUBSTANCE_ID",
    "SUBSTANCE_DESCRIPTION",
    "BASE_ID",
    "BASE_DESCRIPTION",
    "DRUG_CATEGORY_CODE",
    "DRUG_CATEGORY_DESCRIPTION",
    "STATE",
    "STATE_LONG_NAME",
    "STATE_FIPS",
)

#: Report aggregations understood by this adapter, mapped to series names.
SERIES = {"DrugReport": "drug_reports"}

_PERIOD = re.compile(r"^SA([12])\b")
_YEAR = re.compile(r"^\d{4}$")


def half_year_period(year: int, half: int) -> str:
    """Return the ``YYYY-H1``/``YYYY-H2`` period label."""
    return f"{year:04d}-H{half}"


def parse_nflis(path: PathLike) -> Iterator[Point]:
    """Yield one ``drug_reports`` point per row (substance x state x half-year)."""
    for row in read_rows(path, COLUMNS):
        aggregation = row.text("RPTAGGR")
        if aggregation not in SERIES:
            raise row.error(
                "RPTAGGR", f"unsupported aggregation {aggregation!r} (expected one of {sorted(SERIES)})"
            )
        year_text = row.text("YYYY")
        if not _YEAR.match(year_text):
            raise row.error("YYYY", f"expected a 4-digit year, got {year_text!r}")
        period_text = row.text("PERIOD")
        match = _PERIOD.match(period_text)
        if not match:
            raise row.error("PERIOD", f"expected 'SA1 (...)' or 'SA2 (...)', got {period_text!r}")
        reports = row.integer("DRUG_REPORTS")
        dims = {
            "substance": row.text("SUBSTANCE_DESCRIPTION"),
            "substance_id": row.text("SUBSTANCE_ID"),
            "base": row.text("BASE_DESCRIPTION"),
            "base_id": row.text("BASE_ID"),
            "drug_category": row.text("DRUG_CATEGORY_DESCRIPTION"),
            "drug_category_code": row.text("DRUG_CATEGORY_CODE"),
            "state": row.text("STATE"),
            "state_name": row.text("STATE_LONG_NAME"),
            "state_fips": row.text("STATE_FIPS", required=False),
            "lab_type": row.text("LABTYPE"),
        }
        attrs: dict[str, Attr] = {
            "query_run_date": row.text("QUERY_RUN_DATE", required=False),
            "period_label": period_text,
        }
        yield Point(
            SOURCE,
            SERIES[aggregation],
            dims,
            half_year_period(int(year_text), int(match.group(1))),
            float(reports),
            "reports",
            attrs,
        )

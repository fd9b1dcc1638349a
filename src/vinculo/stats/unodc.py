"""UNODC Individual Drug Seizures (IDS), ``;``-separated CSV, optionally zipped.

Individual seizures are aggregated by country, drug and calendar month:

* series ``seizures`` (unit ``seizures``): number of seizure records; attrs
  ``missing_amount`` counts records without an ``AMOUNT``;
* series ``amount``: summed ``AMOUNT`` per ``DRUG_UNIT`` *as reported*
  (Kilogram, Gram, Tablet, Litre ...; no unit conversion). The unit is also in
  ``dims["unit"]``; an empty unit becomes ``unspecified``. attrs ``seizures``
  is the number of records summed.

Names are kept as reported (whitespace stripped, case not normalised).
Points are yielded in order of first appearance in the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from ._rows import PathLike, read_rows
from .series import Attr, Point

SOURCE = "unodc"
UNSPECIFIED_UNIT = "unspecified"

COLUMNS = (
    "REGION",
    "SUBREGION",
    "COUNTRY",
    "SEIZURE_DATE",
    "DRUG_NAME",
    "AMOUNT",
    "DRUG_UNIT",
)

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")

GroupKey = tuple[str, str, str, str, str]  # region, subregion, country, drug, YYYY-MM


@dataclass(slots=True)
class _Group:
    seizures: int = 0
    missing_amount: int = 0
    amounts: dict[str, list[float]] = field(default_factory=dict)  # unit -> [sum, count]


def parse_unodc(path: PathLike) -> Iterator[Point]:
    """Aggregate the IDS file at ``path`` (``.zip`` or ``.csv``) and yield points.

    The whole file is validated before the first point is yielded.
    """
    groups: dict[GroupKey, _Group] = {}
    for row in read_rows(path, COLUMNS, delimiter=";"):
        date_text = row.text("SEIZURE_DATE")
        match = _DATE.match(date_text)
        try:
            if not match:
                raise ValueError
            date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise row.error("SEIZURE_DATE", f"expected a YYYY-MM-DD date, got {date_text!r}") from None
        key = (
            row.text("REGION"),
            row.text("SUBREGION"),
            row.text("COUNTRY"),
            row.text("DRUG_NAME"),
            date_text[:7],
        )
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group()
        group.seizures += 1
        if not row.text("AMOUNT", required=False):
            group.missing_amount += 1
            continue
        amount = row.number("AMOUNT")
        unit = row.text("DRUG_UNIT", required=False) or UNSPECIFIED_UNIT
        acc = group.amounts.get(unit)
        if acc is None:
            group.amounts[unit] = [amount, 1.0]
        else:
            acc[0] += amount
            acc[1] += 1
    for (region, subregion, country, drug, period), group in groups.items():
        dims = {"region": region, "subregion": subregion, "country": country, "drug": drug}
        attrs: dict[str, Attr] = {"missing_amount": group.missing_amount} if group.missing_amount else {}
        yield Point(SOURCE, "seizures", dims, period, float(group.seizures), "seizures", attrs)
        for unit, (total, count) in group.amounts.items():
            yield Point(
                SOURCE, "amount", {**dims, "unit": unit}, period, total, unit, {"seizures": int(count)}
            )

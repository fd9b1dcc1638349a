"""Common model for public statistics: one observation = one :class:`Point`.

Every adapter (``cbp``, ``nflis``, ``cdc_vsrr``, ``unodc``) yields ``Point``
objects and raises :class:`StatsFormatError` on bad input.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

Attr = str | int | float | bool

KG_PER_LB = 0.45359237  # exact, by definition (international avoirdupois pound)

__all__ = ["KG_PER_LB", "Attr", "Point", "StatsFormatError", "month_period", "parse_int", "parse_number"]


@dataclass(frozen=True, slots=True)
class Point:
    """One observation of a public statistic.

    ``dims`` identify the series (all string values); ``attrs`` annotate the
    single observation (footnotes, completeness flags, predicted values ...).
    Points compare by value but are not hashable (``dims`` is a dict).
    ``period`` is ``YYYY-MM`` for monthly data or ``YYYY-H1``/``YYYY-H2``.
    """

    source: str
    series: str
    dims: dict[str, str]
    period: str
    value: float
    unit: str
    attrs: dict[str, Attr] = field(default_factory=dict)


class StatsFormatError(ValueError):
    """Bad input in a statistics file; ``str()`` is ``file:row: field: reason``.

    ``row`` is the 1-based physical line where the offending record starts
    (the header is line 1).
    """

    def __init__(self, file: str, row: int, field: str, reason: str) -> None:
        self.file = file
        self.row = row
        self.field = field
        self.reason = reason
        super().__init__(f"{file}:{row}: {field}: {reason}")

    def __reduce__(self):  # keep picklable despite the custom __init__
        return (type(self), (self.file, self.row, self.field, self.reason))


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_INT = re.compile(r"^\d+$")


def parse_number(text: str, file: str, row: int, field_name: str, *, thousands: bool = False) -> float:
    """Parse a finite, non-negative decimal number or raise ``StatsFormatError``.

    Accepts plain and scientific notation (``4.4e-05``); with ``thousands`` a
    ``,`` group separator (``1,234``) is accepted too. ``nan``/``inf`` and
    negatives are rejected.
    """
    raw = text.strip()
    if thousands and re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d*)?", raw):
        raw = raw.replace(",", "")
    if not raw:
        raise StatsFormatError(file, row, field_name, "empty value, expected a number")
    if not _NUMBER.match(raw):
        raise StatsFormatError(file, row, field_name, f"not a number: {text!r}")
    value = float(raw)
    if not math.isfinite(value):
        raise StatsFormatError(file, row, field_name, f"not a finite number: {text!r}")
    if value < 0:
        raise StatsFormatError(file, row, field_name, f"negative value: {text!r}")
    return value


def parse_int(text: str, file: str, row: int, field_name: str) -> int:
    """Parse a non-negative integer (digits only) or raise ``StatsFormatError``."""
    raw = text.strip()
    if not _INT.match(raw):
        raise StatsFormatError(file, row, field_name, f"not a non-negative integer: {text!r}")
    return int(raw)


def month_period(year: int, month: int) -> str:
    """Return the ``YYYY-MM`` period label."""
    return f"{year:04d}-{month:02d}"

"""CSV files that are safe to open in a spreadsheet (OWASP "CSV injection").

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel, LibreOffice and
Google Sheets as a formula (`=HYPERLINK(...)`, `+cmd|' /C calc'!A0`). Every CSV the node writes goes through
`writer()` (or `safe_cell()`), which prefixes such a cell with a single quote, so it is shown as text. Numbers
are written as they are: a negative number is data, not a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet will show it as text; ints and floats are left as numbers."""
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _SafeWriter:
    def __init__(self, inner: Any):
        self._inner = inner

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._inner.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(fh: TextIO, **kwargs: Any) -> _SafeWriter:
    """`csv.writer(fh)` whose every cell is neutralised."""
    return _SafeWriter(csv.writer(fh, **kwargs))


class DictWriter(csv.DictWriter):
    """`csv.DictWriter` whose every cell (and header) is neutralised."""

    def writerow(self, rowdict):  # noqa: ANN001, ANN201
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})

"""Row reader shared by the adapters: header checks, line numbers, typed getters."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

from .series import StatsFormatError, parse_int, parse_number

PathLike = str | os.PathLike[str]


@dataclass(frozen=True, slots=True)
class Row:
    """One data record with its file label and starting line number."""

    file: str
    line: int
    values: dict[str, str]

    def error(self, field: str, reason: str) -> StatsFormatError:
        return StatsFormatError(self.file, self.line, field, reason)

    def text(self, field: str, *, required: bool = True) -> str:
        """Field value with surrounding whitespace removed."""
        value = self.values[field].strip()
        if required and not value:
            raise self.error(field, "empty value")
        return value

    def number(self, field: str, *, thousands: bool = False) -> float:
        return parse_number(self.values[field], self.file, self.line, field, thousands=thousands)

    def integer(self, field: str) -> int:
        return parse_int(self.values[field], self.file, self.line, field)


@contextmanager
def _open_text(path: PathLike) -> Iterator[tuple[str, TextIO]]:
    """Open a CSV file, or the single CSV member of a ``.zip``, as UTF-8 text."""
    name = os.fspath(path)
    if name.lower().endswith(".zip"):
        try:
            archive = zipfile.ZipFile(name)
        except zipfile.BadZipFile as exc:
            raise StatsFormatError(name, 0, "(zip)", f"not a zip archive: {exc}") from None
        with archive:
            members = [m for m in archive.namelist() if m.lower().endswith(".csv")]
            if len(members) != 1:
                raise StatsFormatError(
                    name, 0, "(zip)", f"expected exactly one .csv member, found {len(members)}"
                )
            label = f"{name}!{members[0]}"
            with archive.open(members[0]) as raw:
                yield label, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    else:
        with open(name, encoding="utf-8-sig", newline="") as handle:
            yield name, handle


def read_rows(path: PathLike, required: Sequence[str], *, delimiter: str = ",") -> Iterator[Row]:
    """Yield :class:`Row` objects after checking that ``required`` columns exist.

    Raises ``StatsFormatError`` for a missing/duplicate column, a truncated or
    over-long record, undecodable bytes or malformed quoting. Blank lines are
    skipped.
    """
    with _open_text(path) as (label, handle):
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        last_line = 0
        try:
            header = next(reader, None)
            if header is None:
                raise StatsFormatError(label, 1, "(header)", "empty file, no header row")
            header = [h.strip() for h in header]
            last_line = reader.line_num
            seen: set[str] = set()
            for name in header:
                if name in seen:
                    raise StatsFormatError(label, 1, name, "duplicate column")
                seen.add(name)
            for name in required:
                if name not in seen:
                    raise StatsFormatError(label, 1, name, "missing column")
            width = len(header)
            for record in reader:
                line, last_line = last_line + 1, reader.line_num
                if not record:
                    continue
                if len(record) < width:
                    raise StatsFormatError(
                        label, line, header[len(record)], f"truncated row: {len(record)} of {width} fields"
                    )
                if len(record) > width:
                    raise StatsFormatError(label, line, "(row)", f"too many fields: {len(record)} of {width}")
                yield Row(label, line, dict(zip(header, record)))
        except csv.Error as exc:
            raise StatsFormatError(label, last_line + 1, "(csv)", str(exc)) from None
        except UnicodeDecodeError as exc:
            raise StatsFormatError(label, last_line + 1, "(encoding)", f"not UTF-8: {exc.reason}") from None

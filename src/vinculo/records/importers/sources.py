"""A file to import, named by format and path: what a worker process needs to parse it on its own."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from vinculo.records.importers import native, unodc
from vinculo.records.importers.rows import ParsedRow, Unknowns
from vinculo.records.importers.text import open_zip

FORMATS = ("unodc-ids", "ndjson", "csv")


@dataclass(frozen=True)
class FileSource:
    format: str  # one of FORMATS
    path: Path
    record_type: str | None = None  # the type of every row of a CSV file

    def rows(self, unknowns: Unknowns) -> Iterator[ParsedRow]:
        """Parsed rows, read within `Limits.from_env()`; a file that is not of its format, unreadable or
        over a limit raises ImportRejected, unodc.FormatError or ValueError, naming file and row."""
        if self.format == "unodc-ids":
            return unodc.parse(self.path, unknowns)
        if self.format == "csv":
            return native.parse_csv(self.path, self.record_type or "")
        if self.format == "ndjson":
            return native.parse_ndjson(self.path)
        raise ValueError(f"unknown import format {self.format!r}: one of {', '.join(FORMATS)}")

    def size(self) -> int:
        """Bytes to parse: the uncompressed size of a zip's members."""
        if self.path.suffix.lower() == ".zip":
            try:
                with open_zip(self.path) as zf:
                    return sum(info.file_size for info in zf.infolist())
            except ValueError:
                pass  # the parser names what is wrong with the file
        return self.path.stat().st_size

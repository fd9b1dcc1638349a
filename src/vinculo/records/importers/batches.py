"""Sort parsed rows into batches of valid rows and a tally of the invalid ones.

After a bad row, unless invalid rows are skipped, reading goes on only to report errors: no more batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from vinculo.records.importers.rows import ParsedRow
from vinculo.records.model import FieldError

BATCH = 5000
PROGRESS_EVERY = 1000
KEPT_ERRORS = 1000


@dataclass
class RowError:
    file: str
    row: int
    error: FieldError

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.error}"


@dataclass
class Tally:
    """What reading a file found: rows read, rows rejected, their errors and raw text (for a reject file)."""

    rows: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejects: list[tuple[int, str, str]] = field(default_factory=list)


def batches(rows: Iterable[ParsedRow], tally: Tally, source: str, skip_invalid: bool,
            size: int = BATCH) -> Iterator[tuple[str, object]]:
    """Yield ("progress", rows read since the last one) and ("batch", [valid ParsedRow, ...])."""
    batch: list[ParsedRow] = []
    for parsed in rows:
        tally.rows += 1
        if tally.rows % PROGRESS_EVERY == 0:
            yield "progress", PROGRESS_EVERY
        if parsed.errors:
            tally.rejected += 1
            if len(tally.errors) < KEPT_ERRORS:
                tally.errors.extend(RowError(source, parsed.row, e) for e in parsed.errors)
            tally.rejects.append((parsed.row, parsed.raw, "; ".join(map(str, parsed.errors))))
            if not skip_invalid:
                batch.clear()
            continue
        if tally.rejected and not skip_invalid:
            continue
        batch.append(parsed)
        if len(batch) >= size:
            yield "batch", batch
            batch = []
    yield "progress", tally.rows % PROGRESS_EVERY
    if batch and not (tally.rejected and not skip_invalid):
        yield "batch", batch

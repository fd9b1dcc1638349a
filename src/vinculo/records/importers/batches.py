"""Sort parsed rows into batches of valid rows and a tally of the invalid ones.

After a bad row, unless invalid rows are skipped, reading goes on only to report errors: no more batches.
Memory stays within a batch: at most KEPT_ERRORS errors are kept, and rejected rows (for a reject file,
when invalid rows are skipped) leave in chunks of REJECTS_CHUNK as ("rejects", [...]) events.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from vinculo.records.importers.rows import ParsedRow
from vinculo.records.model import FieldError

BATCH = 5000
PROGRESS_EVERY = 1000
KEPT_ERRORS = 1000
REJECTS_CHUNK = 1000


@dataclass
class RowError:
    file: str
    row: int
    error: FieldError

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.error}"


@dataclass
class Tally:
    """What reading a file found: rows read, rows rejected, the first KEPT_ERRORS of their errors."""

    rows: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)


def batches(rows: Iterable[ParsedRow], tally: Tally, source: str, skip_invalid: bool,
            size: int = BATCH) -> Iterator[tuple[str, object]]:
    """Yield ("progress", rows read since the last one), ("batch", [valid ParsedRow, ...]) and, when
    invalid rows are skipped, ("rejects", [(row, raw text, reasons), ...])."""
    batch: list[ParsedRow] = []
    rejects: list[tuple[int, str, str]] = []
    for parsed in rows:
        tally.rows += 1
        if tally.rows % PROGRESS_EVERY == 0:
            yield "progress", PROGRESS_EVERY
        if parsed.errors:
            tally.rejected += 1
            if len(tally.errors) < KEPT_ERRORS:
                tally.errors.extend(RowError(source, parsed.row, e) for e in parsed.errors[:KEPT_ERRORS])
            if not skip_invalid:
                batch.clear()
                continue
            rejects.append((parsed.row, parsed.raw, "; ".join(map(str, parsed.errors))))
            if len(rejects) >= REJECTS_CHUNK:
                yield "rejects", rejects
                rejects = []
            continue
        if tally.rejected and not skip_invalid:
            continue
        batch.append(parsed)
        if len(batch) >= size:
            yield "batch", batch
            batch = []
    yield "progress", tally.rows % PROGRESS_EVERY
    if rejects:
        yield "rejects", rejects
    if batch and not (tally.rejected and not skip_invalid):
        yield "batch", batch


@dataclass
class CheckSummary:
    """What checking a file found (in a worker process; nothing written): rows, rejected, the first errors."""

    rows: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    unknowns: dict = field(default_factory=dict)

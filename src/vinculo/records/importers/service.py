"""Write parsed rows as records: all or nothing by default, one audit event per import.

The whole import is one transaction. Rows are written in batches as they are parsed; on the first
invalid row (unless `skip_invalid`) parsing goes on only to collect errors, then everything rolls back.
Ids derive from each row's source key, so importing the same file again adds nothing. Large files are
parsed and prepared in a worker process (see worker.py) while this process writes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self, TextIO

from vinculo import csvsafe
from vinculo.accounts.model import Actor
from vinculo.audit.events import AuditEvent
from vinculo.audit.merkle import CompactRange
from vinculo.collector import fewer_collections
from vinculo.node.context import Node
from vinculo.notify import hooks as notify_hooks
from vinculo.records import repository as repo
from vinculo.records.importers import worker
from vinculo.records.importers.batches import RowError, Tally
from vinculo.records.importers.prepare import Prepared, prepared_batches
from vinculo.records.importers.rows import ParsedRow, Unknowns
from vinculo.records.importers.sources import FileSource
from vinculo.records.model import format_ts, utcnow
from vinculo.records.service import Forbidden
from vinculo.store.feed import allocate_seq

MAX_ERRORS = 20
__all__ = ["ImportFailed", "ImportReport", "RowError", "import_file", "import_rows"]


@dataclass
class ImportReport:
    source: str
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    unknowns: dict = field(default_factory=dict)
    root: str | None = None
    first_seq: int | None = None
    last_seq: int | None = None
    reject_file: str | None = None


class ImportFailed(Exception):
    def __init__(self, report: ImportReport):
        self.report = report
        shown = "\n".join(str(e) for e in report.errors[:MAX_ERRORS])
        super().__init__(f"{report.rejected} invalid rows; nothing was imported\n{shown}")


class _Writer:
    """Writes prepared batches: drops ids already held, takes sequence numbers, extends the Merkle tree."""

    def __init__(self, conn, report: ImportReport, tree: CompactRange):
        self.conn, self.report, self.tree = conn, report, tree

    def write(self, prepared: list[Prepared]) -> None:
        known = repo.existing_ids(self.conn, [rid for rid, _, _ in prepared])
        fresh, seen = [], set()
        for rid, row, leaf in prepared:
            if rid in known or rid in seen:
                self.report.duplicates += 1
            else:
                seen.add(rid)
                fresh.append((row, leaf))
        if not fresh:
            return
        first = allocate_seq(self.conn, len(fresh))
        self.tree.extend([leaf for _, leaf in fresh])
        repo.insert_tuples(self.conn, [(first + offset, *row) for offset, (row, _) in enumerate(fresh)])
        self.report.imported += len(fresh)
        self.report.first_seq = self.report.first_seq or first
        self.report.last_seq = first + len(fresh) - 1


def import_rows(node: Node, actor: Actor, source: str, rows: Iterable[ParsedRow], *, unknowns: Unknowns | None = None,
                skip_invalid: bool = False, reject_path: Path | None = None,
                progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import rows parsed in this process (`unknowns`: what the parser counted, for the report)."""
    _require(actor)
    tally, ts = Tally(), format_ts(utcnow())
    events = prepared_batches(rows, tally, source, node.id, ts, skip_invalid)
    return _write(node, actor, source, events, tally, unknowns or Unknowns(), ts, skip_invalid, reject_path,
                  progress)


def import_file(node: Node, actor: Actor, file: FileSource, *, name: str | None = None, skip_invalid: bool = False,
                reject_path: Path | None = None, progress: Callable[[int], None] | None = None,
                workers: bool | None = None) -> ImportReport:
    """Import a file; files of `worker.MIN_BYTES` or more are parsed in a worker process (`workers`
    forces either way). `name` is how the report and the audit log name the file."""
    _require(actor)
    name = name or str(file.path)
    tally, unknowns, ts = Tally(), Unknowns(), format_ts(utcnow())
    if workers is None:
        workers = file.size() >= worker.MIN_BYTES
    if workers:
        events = worker.prepared_events(file, name, node.id, ts, skip_invalid, tally, unknowns)
    else:
        events = prepared_batches(file.rows(unknowns), tally, name, node.id, ts, skip_invalid)
    return _write(node, actor, name, events, tally, unknowns, ts, skip_invalid, reject_path, progress)


def _require(actor: Actor) -> None:
    if not actor.may("records.import"):
        raise Forbidden(f"role {actor.role} may not import records")


def _write(node: Node, actor: Actor, source: str, events: Generator[tuple[str, object], None, None], tally: Tally,
           unknowns: Unknowns, ts: str, skip_invalid: bool, reject_path: Path | None,
           progress: Callable[[int], None] | None) -> ImportReport:
    report = ImportReport(source)
    tree = CompactRange()
    rejects = _Rejects(reject_path, source)
    with node.uow() as uow, fewer_collections(), rejects:
        writer = _Writer(uow.conn, report, tree)
        try:
            for kind, payload in events:
                if kind == "batch":
                    writer.write(payload)
                elif kind == "rejects":
                    rejects.write(payload)
                elif progress and payload:
                    progress(payload)
        finally:
            events.close()  # stops a worker process if writing failed
        report.rows, report.rejected, report.errors = tally.rows, tally.rejected, tally.errors
        if report.rejected and not skip_invalid:
            report.imported = 0
            raise ImportFailed(report)  # the transaction rolls back: nothing half-written
        report.unknowns = unknowns.summary()
        report.root = tree.root().hex() if tree.size else None
        uow.audit(AuditEvent(actor.label, "import", source, {
            "imported": report.imported, "duplicates": report.duplicates, "rejected": report.rejected,
            "first_seq": report.first_seq, "last_seq": report.last_seq, "root": report.root,
            "unknown_names": unknowns.total()}))
        uow.commit()
        report.reject_file = rejects.keep()
    notify_hooks.written(node)
    return report

class _Rejects:
    """The reject file, written as rejected rows arrive (a `.partial` file, 0600, cells neutralised for
    spreadsheets); renamed into place when the import commits, removed if it does not."""

    def __init__(self, path: Path | None, source: str):
        self.path, self.source = path, source
        self.fh: TextIO | None = None
        self.kept = False

    def write(self, rows: list[tuple[int, str, str]]) -> None:
        if self.path is None:
            return
        if self.fh is None:
            partial = self._partial()
            partial.unlink(missing_ok=True)
            self.fh = os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", newline="",
                                encoding="utf-8")
            self.out = csvsafe.writer(self.fh)
            self.out.writerow(["file", "row", "reason", "raw"])
        for row, raw, reason in rows:
            self.out.writerow([self.source, row, reason, raw])

    def keep(self) -> str | None:
        if self.fh is None or self.path is None:
            return None
        self.fh.close()
        os.replace(self._partial(), self.path)
        self.kept = True
        return str(self.path)

    def _partial(self) -> Path:
        assert self.path is not None
        return self.path.with_name(self.path.name + ".partial")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fh is not None and not self.kept:
            self.fh.close()
            self._partial().unlink(missing_ok=True)

"""Write parsed rows as records: all or nothing by default, one audit event per import.

The whole import is one transaction. Rows are written in batches as they are parsed; on the first
invalid row (unless `skip_invalid`) parsing goes on only to collect errors, then everything rolls back.
Ids derive from each row's source key, so importing the same file again adds nothing.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from vinculo.accounts.model import Actor
from vinculo.audit.events import AuditEvent
from vinculo.audit.merkle import CompactRange, leaf_hash
from vinculo.canonical import canonical_json, dumps_prepared
from vinculo.node.context import Node
from vinculo.records import repository as repo
from vinculo.records.facets import facets
from vinculo.records.importers.rows import ParsedRow, Unknowns
from vinculo.records.model import FieldError, format_ts, source_id, utcnow
from vinculo.records.service import Forbidden
from vinculo.store.feed import allocate_seq

BATCH = 5000
MAX_ERRORS = 20


@dataclass
class RowError:
    file: str
    row: int
    error: FieldError

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.error}"


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


def _document_bytes(rid: str, rtype: str, origin: str, ts: str, markings_json: str, body_json: str) -> bytes:
    """The canonical bytes of a first version, assembled from canonical parts (keys in JCS order).

    Equal to `canonical_json(version_document(...))`: ids, types, origins and timestamps are plain
    ASCII without characters JSON escapes (checked by their patterns), which the tests assert.
    """
    return (f'{{"body":{body_json},"created":"{ts}","id":"{rid}","markings":{markings_json},'
            f'"modified":"{ts}","origin":"{origin}","revoked":false,"type":"{rtype}","version":1}}').encode()


def _prepare(batch: list[ParsedRow], origin: str, ts: str, markings_cache: dict) -> list[tuple[str, tuple]]:
    """Everything about a row that does not depend on its sequence number (ids, JSON, hash, facets)."""
    out = []
    for p in batch:
        rid = source_id(p.record_type, p.key)
        key = id(p.markings)
        if key not in markings_cache:
            markings_cache[key] = (p.markings, canonical_json(p.markings).decode())
        markings_json = markings_cache[key][1]
        body_json = dumps_prepared(p.body) if p.prepared else canonical_json(p.body).decode()
        digest = hashlib.sha256(_document_bytes(rid, p.record_type, origin, ts, markings_json, body_json)).hexdigest()
        f = facets(p.record_type, p.body)
        out.append((rid, (rid, 1, p.record_type, origin, ts, ts, False, True, markings_json, body_json, digest, None,
                          p.markings["tlp"], p.markings.get("handling", "H0"), f.country, f.substance,
                          f.event_date, f.search, ts)))
    return out


class _Writer:
    """Writes prepared batches: drops ids already held, takes sequence numbers, extends the Merkle tree.

    (A writer thread overlapping the database with parsing was measured slower here: both halves need
    the GIL most of the time and the machine has two cores.)"""

    def __init__(self, conn, report: ImportReport, tree: CompactRange):  # noqa: ANN001
        self.conn, self.report, self.tree = conn, report, tree

    def write(self, prepared: list[tuple[str, tuple]]) -> None:
        known = repo.existing_ids(self.conn, [rid for rid, _ in prepared])
        fresh, seen = [], set()
        for rid, row in prepared:
            if rid in known or rid in seen:
                self.report.duplicates += 1
            else:
                seen.add(rid)
                fresh.append(row)
        if not fresh:
            return
        first = allocate_seq(self.conn, len(fresh))
        rows = []
        for offset, row in enumerate(fresh):
            self.tree.append(leaf_hash(bytes.fromhex(row[10])))
            rows.append((first + offset, *row))
        repo.insert_tuples(self.conn, rows)
        self.report.imported += len(rows)
        self.report.first_seq = self.report.first_seq or first
        self.report.last_seq = first + len(rows) - 1


def _read(rows: Iterable[ParsedRow], report: ImportReport, rejects: list, source: str, skip_invalid: bool,
          progress: Callable[[int], None] | None, flush: Callable[[list[ParsedRow]], None]) -> None:
    """Count and sort rows into batches for `flush`; after a bad row (without skip_invalid) only read on."""
    batch: list[ParsedRow] = []
    for parsed in rows:
        report.rows += 1
        if progress and report.rows % 1000 == 0:
            progress(1000)
        if parsed.errors:
            report.rejected += 1
            if len(report.errors) < 1000:
                report.errors.extend(RowError(source, parsed.row, e) for e in parsed.errors)
            rejects.append((parsed.row, parsed.raw, "; ".join(map(str, parsed.errors))))
            if not skip_invalid:
                batch.clear()
            continue
        if report.rejected and not skip_invalid:
            continue  # keep reading only to report errors; nothing will be written
        batch.append(parsed)
        if len(batch) >= BATCH:
            flush(batch)
            batch = []
    if progress:
        progress(report.rows % 1000)
    if batch and not (report.rejected and not skip_invalid):
        flush(batch)


def import_rows(node: Node, actor: Actor, source: str, rows: Iterable[ParsedRow], *, unknowns: Unknowns | None = None,
                skip_invalid: bool = False, reject_path: Path | None = None,
                progress: Callable[[int], None] | None = None) -> ImportReport:
    if not actor.may("records.import"):
        raise Forbidden(f"role {actor.role} may not import records")
    report = ImportReport(source)
    tree = CompactRange()
    ts = format_ts(utcnow())
    rejects = []
    markings_cache: dict = {}
    with node.uow() as uow:
        writer = _Writer(uow.conn, report, tree)
        _read(rows, report, rejects, source, skip_invalid, progress,
              lambda batch: writer.write(_prepare(batch, node.id, ts, markings_cache)))
        if report.rejected and not skip_invalid:
            report.imported = 0
            raise ImportFailed(report)  # the transaction rolls back: nothing half-written
        report.unknowns = (unknowns or Unknowns()).summary()
        report.root = tree.root().hex() if tree.size else None
        if reject_path is not None and rejects:
            _write_rejects(reject_path, source, rejects)
            report.reject_file = str(reject_path)
        uow.audit(AuditEvent(actor.label, "import", source, {
            "imported": report.imported, "duplicates": report.duplicates, "rejected": report.rejected,
            "first_seq": report.first_seq, "last_seq": report.last_seq, "root": report.root,
            "unknown_names": (unknowns or Unknowns()).total()}))
        uow.commit()
    return report


def _write_rejects(path: Path, source: str, rejects: list[tuple[int, str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "row", "reason", "raw"])
        for row, raw, reason in rejects:
            w.writerow([source, row, reason, raw])

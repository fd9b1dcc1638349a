"""Imports from the web and the API in two steps: stage and check (nothing written), then confirm.

A staged upload is a file in the node home (`uploads/`) with a random token and the name of the user who
sent it; `check` only parses (every row validated, no transaction opened); `confirm` runs the all-or-nothing
import and removes the staged file.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from vinculo.accounts.model import Actor
from vinculo.node.context import Node
from vinculo.records.importers import unodc
from vinculo.records.importers.rows import Unknowns
from vinculo.records.importers.service import ImportReport, RowError, import_file
from vinculo.records.importers.sources import FORMATS, FileSource
from vinculo.records.model import FieldError, RecordInvalid
from vinculo.records.service import Forbidden, NotFound
from vinculo.records.types import RECORD_TYPES

MAX_BYTES = 200 * 1024 * 1024
MAX_SHOWN = 200
_SUFFIX = {"unodc-ids": ".zip", "ndjson": ".ndjson", "csv": ".csv"}


@dataclass
class Staged:
    token: str
    filename: str
    format: str
    record_type: str | None
    user: str


@dataclass
class CheckReport:
    token: str
    filename: str
    rows: int = 0
    valid: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    unknowns: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.rows > 0 and self.rejected == 0


def _dir(node: Node) -> Path:
    path = node.home.path / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def require_import(actor: Actor) -> None:
    if not actor.may("records.import"):
        message = f"role {actor.role} may not import records"
        raise Forbidden(message, (message,))


def stage(node: Node, actor: Actor, filename: str, fmt: str, record_type: str | None, data: BinaryIO) -> Staged:
    """Keep an uploaded file for checking; refuse unknown formats and oversized files."""
    require_import(actor)
    errors = []
    if fmt not in FORMATS:
        errors.append(FieldError("format", f"one of {', '.join(FORMATS)}"))
    if fmt == "csv" and record_type not in RECORD_TYPES:
        errors.append(FieldError("record_type", f"CSV files need a record type: one of {', '.join(RECORD_TYPES)}"))
    if errors:
        raise RecordInvalid(errors)
    if fmt == "unodc-ids" and filename.lower().endswith(".csv"):
        suffix = ".csv"
    else:
        suffix = _SUFFIX[fmt]
    token = secrets.token_urlsafe(16)
    target = _dir(node) / f"{token}{suffix}"
    with open(target, "wb") as out:
        copied = 0
        while chunk := data.read(1 << 20):
            copied += len(chunk)
            if copied > MAX_BYTES:
                out.close()
                target.unlink()
                raise RecordInvalid([FieldError("file", f"larger than {MAX_BYTES // (1024 * 1024)} MB")])
            out.write(chunk)
    if copied == 0:
        target.unlink()
        raise RecordInvalid([FieldError("file", "the file is empty")])
    staged = Staged(token, Path(filename).name or "upload", fmt, record_type if fmt == "csv" else None, actor.name)
    (_dir(node) / f"{token}.json").write_text(json.dumps(staged.__dict__ | {"path": target.name}))
    return staged


def _load(node: Node, actor: Actor, token: str) -> tuple[Staged, Path]:
    require_import(actor)
    if not token or not token.replace("-", "").replace("_", "").isalnum():
        raise NotFound("no such staged upload")
    meta = _dir(node) / f"{token}.json"
    if not meta.exists():
        raise NotFound("no such staged upload (already imported, or never uploaded)")
    info = json.loads(meta.read_text())
    if info["user"] != actor.name:
        raise Forbidden("this upload belongs to another user")
    path = _dir(node) / info.pop("path")
    return Staged(**info), path


@contextmanager
def _file_errors(staged: Staged, path: Path) -> Iterator[None]:
    """A file that is not of its format: a field error naming the uploaded file, not the staged path."""
    try:
        yield
    except (unodc.FormatError, ValueError, UnicodeDecodeError) as exc:
        raise RecordInvalid([FieldError("file", str(exc).replace(str(path), staged.filename))]) from None


def _source(staged: Staged, path: Path) -> FileSource:
    return FileSource(staged.format, path, staged.record_type)


def check(node: Node, actor: Actor, token: str) -> CheckReport:
    """Parse and validate every row; write nothing."""
    staged, path = _load(node, actor, token)
    report = CheckReport(token, staged.filename)
    unknowns = Unknowns()
    with _file_errors(staged, path):
        for parsed in _source(staged, path).rows(unknowns):
            report.rows += 1
            if parsed.errors:
                report.rejected += 1
                if len(report.errors) < MAX_SHOWN:
                    report.errors.extend(RowError(staged.filename, parsed.row, e) for e in parsed.errors)
            else:
                report.valid += 1
    report.unknowns = unknowns.summary()
    return report


def confirm(node: Node, actor: Actor, token: str) -> ImportReport:
    """Import the staged file (all or nothing) and forget it."""
    staged, path = _load(node, actor, token)
    with _file_errors(staged, path):
        report = import_file(node, actor, _source(staged, path), name=staged.filename)
    discard(node, actor, token)
    return report


def discard(node: Node, actor: Actor, token: str) -> None:
    _, path = _load(node, actor, token)
    path.unlink(missing_ok=True)
    (_dir(node) / f"{token}.json").unlink(missing_ok=True)


def copy_from(node: Node, actor: Actor, source: Path, fmt: str, record_type: str | None = None) -> Staged:
    """Stage a local file (tests, scripts)."""
    with open(source, "rb") as fh:
        return stage(node, actor, source.name, fmt, record_type, fh)


__all__ = ["CheckReport", "Staged", "check", "confirm", "copy_from", "discard", "stage"]

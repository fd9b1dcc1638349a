"""Imports from the web and the API in two steps: stage and check (nothing written), then confirm.

A staged upload is a file in the node home (`uploads/`, 0700; the file and its note 0600) with a random
token and the name of the user who sent it; `check` only parses (every row validated, no transaction
opened) in a worker process, within the import limits and a deadline, and stops when the client goes away;
`confirm` runs the all-or-nothing import. A staged file is removed on every outcome: a check that fails
or is stopped, a confirm that imports or fails, a discard; one checked but never confirmed is removed
after STAGED_HOURS.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from vinculo.accounts.model import Actor
from vinculo.node.context import Node
from vinculo.records.importers import unodc
from vinculo.records.importers.limits import Limits
from vinculo.records.importers.service import ImportFailed, ImportReport, RowError, import_file
from vinculo.records.importers.sources import FORMATS, FileSource
from vinculo.records.importers.worker import Cancelled, CheckJob, WorkerFailed
from vinculo.records.model import FieldError, RecordInvalid
from vinculo.records.service import Forbidden, NotFound
from vinculo.records.types import RECORD_TYPES

MAX_BYTES = 200 * 1024 * 1024
MAX_SHOWN = 200
STAGED_HOURS = 24
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
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _private(path: Path) -> BinaryIO:
    """A new file only its owner may read (created so: never readable by others, even for a moment)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def _sweep(folder: Path) -> None:
    """Remove staged uploads older than STAGED_HOURS (checked, never confirmed nor discarded)."""
    cutoff = time.time() - STAGED_HOURS * 3600
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass


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
    folder = _dir(node)
    _sweep(folder)
    target, meta = folder / f"{token}{suffix}", folder / f"{token}.json"
    try:
        with _private(target) as out:
            copied = 0
            while chunk := data.read(1 << 20):
                copied += len(chunk)
                if copied > MAX_BYTES:
                    raise RecordInvalid([FieldError("file", f"larger than {MAX_BYTES // (1024 * 1024)} MB")])
                out.write(chunk)
        if copied == 0:
            raise RecordInvalid([FieldError("file", "the file is empty")])
        staged = Staged(token, Path(filename).name or "upload", fmt, record_type if fmt == "csv" else None,
                        actor.name)
        with _private(meta) as out:
            out.write(json.dumps(staged.__dict__ | {"path": target.name}).encode())
    except BaseException:
        target.unlink(missing_ok=True)
        meta.unlink(missing_ok=True)
        raise
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
    """A file that is not of its format, unreadable or over a limit: a field error naming the uploaded
    file, not the staged path."""
    try:
        yield
    except (unodc.FormatError, ValueError, UnicodeDecodeError) as exc:
        raise RecordInvalid([FieldError("file", str(exc).replace(str(path), staged.filename))]) from None


def _source(staged: Staged, path: Path) -> FileSource:
    return FileSource(staged.format, path, staged.record_type)


class _Running:
    """How many checks run in this process (each holds a worker process)."""

    def __init__(self) -> None:
        self.count, self.lock = 0, threading.Lock()

    def acquire(self, most: int) -> bool:
        with self.lock:
            if self.count >= most:
                return False
            self.count += 1
            return True

    def release(self) -> None:
        with self.lock:
            self.count -= 1


_RUNNING = _Running()


async def _until_disconnected(receive: Callable[[], Awaitable[dict]]) -> None:
    """Return when the ASGI client has gone away (the request body is already read)."""
    while (await receive()).get("type") != "http.disconnect":
        pass


async def check_async(node: Node, actor: Actor, token: str,
                      receive: Callable[[], Awaitable[dict]] | None = None) -> CheckReport:
    """Parse and validate every row in a worker process; write nothing. The worker is killed (and the
    upload discarded) when the client goes away (an ASGI `receive` says http.disconnect), when
    `Limits.check_seconds` pass, or when the caller is cancelled. A file that fails the check, or
    cannot be checked, is discarded too."""
    staged, path = _load(node, actor, token)
    limits = Limits.from_env()
    if not _RUNNING.acquire(limits.max_checks):
        _remove(node, token)
        raise RecordInvalid([FieldError("file", f"{limits.max_checks} checks are running already "
                                                "(VINCULO_IMPORT_MAX_CHECKS); try again in a moment")])
    try:
        return await _check(node, token, staged, path, limits, receive)
    finally:
        _RUNNING.release()


async def _check(node: Node, token: str, staged: Staged, path: Path, limits: Limits,
                 receive: Callable[[], Awaitable[dict]] | None) -> CheckReport:
    job = CheckJob(_source(staged, path), staged.filename, MAX_SHOWN)
    waiting = asyncio.ensure_future(asyncio.to_thread(job.result))
    gone = asyncio.ensure_future(_until_disconnected(receive) if receive else asyncio.Event().wait())
    try:
        done, _ = await asyncio.wait({waiting, gone}, timeout=limits.check_seconds,
                                     return_when=asyncio.FIRST_COMPLETED)
        if not done:
            job.cancel()
            await asyncio.wait({waiting})
            raise RecordInvalid([FieldError("file", f"checking took longer than {limits.check_seconds} s "
                                                    "(VINCULO_IMPORT_CHECK_SECONDS); nothing was imported")])
        if waiting not in done:
            job.cancel()
            await asyncio.wait({waiting})
        with _file_errors(staged, path):
            try:
                summary = waiting.result()
            except (WorkerFailed, RuntimeError) as exc:
                if isinstance(exc, Cancelled):
                    raise
                raise RecordInvalid([FieldError("file", f"{staged.filename}: could not be checked ({exc})")]) from None
    except BaseException:
        job.cancel()
        _remove(node, token)
        raise
    finally:
        gone.cancel()
    report = CheckReport(token, staged.filename, summary.rows, summary.rows - summary.rejected, summary.rejected,
                         summary.errors, summary.unknowns)
    if not report.ok:
        _remove(node, token)
    return report


def check(node: Node, actor: Actor, token: str) -> CheckReport:
    """`check_async` for callers without an event loop (scripts, tests)."""
    return asyncio.run(check_async(node, actor, token))


def confirm(node: Node, actor: Actor, token: str) -> ImportReport:
    """Import the staged file (all or nothing) and forget it, whether it imported or not."""
    staged, path = _load(node, actor, token)
    try:
        with _file_errors(staged, path):
            return import_file(node, actor, _source(staged, path), name=staged.filename)
    finally:
        _remove(node, token)


def _remove(node: Node, token: str) -> None:
    for path in _dir(node).glob(f"{token}.*"):
        path.unlink(missing_ok=True)


def discard(node: Node, actor: Actor, token: str) -> None:
    _load(node, actor, token)
    _remove(node, token)


def copy_from(node: Node, actor: Actor, source: Path, fmt: str, record_type: str | None = None) -> Staged:
    """Stage a local file (tests, scripts)."""
    with open(source, "rb") as fh:
        return stage(node, actor, source.name, fmt, record_type, fh)


__all__ = ["CheckReport", "ImportFailed", "Staged", "check", "check_async", "confirm", "copy_from", "discard", "stage"]

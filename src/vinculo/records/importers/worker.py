"""Parse and prepare a large file in a worker process while this process writes.

Parsing and preparing (ids, canonical JSON, hashes, facets) is most of an import's work and needs no
database; the writer needs the connection and the transaction. On two cores the halves overlap.

The worker is a fresh interpreter (`python -m vinculo.records.importers.worker`, not a fork: the parent
may hold threads and database connections). It reads the file itself, runs with the garbage collector
off (nothing it allocates outlives a batch in a cycle) and writes length-prefixed pickled frames to its
standard output; the parent trusts them as it trusts its own code (same program, same user, a pipe
nobody else holds; see `vinculo.frames`). A few frames wait in the worker at most, so memory stays
flat however large the file.
"""

from __future__ import annotations

import gc
import json
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from vinculo import frames
from vinculo.records.importers.batches import CheckSummary, RowError, Tally
from vinculo.records.importers.limits import ImportRejected
from vinculo.records.importers.prepare import prepared_batches
from vinculo.records.importers.rows import Unknowns
from vinculo.records.importers.sources import FileSource
from vinculo.records.importers.unodc import FormatError

IN_FLIGHT = 4  # prepared batches waiting in the worker for the pipe
MIN_BYTES = 4 * 1024 * 1024  # smaller files are parsed in this process: starting a worker costs ~0.3 s


class WorkerFailed(RuntimeError):
    """The worker process stopped without finishing (killed, out of memory, or a bug)."""


def _work(source: FileSource, name: str, origin: str, ts: str, skip_invalid: bool, out: BinaryIO) -> None:
    gc.disable()
    pending, thread = frames.writer(out, IN_FLIGHT)

    def put(kind: str, payload: object) -> None:
        pending.put(frames.pack((kind, payload)))

    try:
        unknowns, tally = Unknowns(), Tally()
        progress = 0
        for kind, payload in prepared_batches(source.rows(unknowns), tally, name, origin, ts, skip_invalid):
            if kind == "progress":
                progress += payload
                continue
            put(kind, (progress, payload))
            progress = 0
        put("end", (progress, tally, unknowns.counts))
    except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
        try:
            put("error", exc)
        except (pickle.PicklingError, TypeError, AttributeError):
            put("error", RuntimeError(f"{type(exc).__name__}: {exc}"))
    finally:
        pending.put(None)
        thread.join()


def prepared_events(source: FileSource, name: str, origin: str, ts: str, skip_invalid: bool,
                    tally: Tally, unknowns: Unknowns) -> Iterator[tuple[str, object]]:
    """("progress", n), ("batch", prepared rows) and ("rejects", rows) events of a file, prepared in a worker process;
    `tally` and `unknowns` are filled in when the worker is done. The worker's errors are raised here."""
    args = json.dumps({"format": source.format, "path": str(source.path), "record_type": source.record_type,
                       "name": name, "origin": origin, "ts": ts, "skip_invalid": skip_invalid})
    proc = subprocess.Popen([sys.executable, "-m", __name__, args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, bufsize=1 << 20)
    try:
        while (frame := frames.read(proc.stdout)) is not None:
            kind, payload = frame
            if kind == "error":
                raise payload
            progress, rest = payload[0], payload[1:]
            if progress:
                yield "progress", progress
            if kind in ("batch", "rejects"):
                yield kind, rest[0]
            else:
                done, counts = rest
                tally.__dict__.update(done.__dict__)
                unknowns.counts = counts
                return
        raise WorkerFailed(f"the import worker stopped before the end of the file (exit code {proc.wait()})")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.wait()


def _check(source: FileSource, name: str, shown: int, out: BinaryIO) -> None:
    """Validate every row, write nothing: one ("end", CheckSummary) or ("error", exception) frame."""
    summary, unknowns = CheckSummary(), Unknowns()
    try:
        for parsed in source.rows(unknowns):
            summary.rows += 1
            if parsed.errors:
                summary.rejected += 1
                if len(summary.errors) < shown:
                    summary.errors.extend(RowError(name, parsed.row, e) for e in parsed.errors[:shown])
        summary.unknowns = unknowns.summary()
        frame = ("end", summary)
    except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
        clean = isinstance(exc, ImportRejected | FormatError) or type(exc) is ValueError  # pickle as they are
        frame = ("error", exc if clean else RuntimeError(f"{type(exc).__name__}: {exc}"))
    frames.write(out, frames.pack(frame))


class CheckJob:
    """A file being checked in a worker process: `result()` waits for it (in a thread), `cancel()` (from
    any thread) kills the process, so its memory is returned at once and `result()` raises Cancelled."""

    def __init__(self, source: FileSource, name: str, shown: int):
        args = json.dumps({"mode": "check", "format": source.format, "path": str(source.path),
                           "record_type": source.record_type, "name": name, "shown": shown})
        self.proc = subprocess.Popen([sys.executable, "-m", __name__, args], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE)
        self.cancelled = False

    def result(self) -> CheckSummary:
        try:
            frame = frames.read(self.proc.stdout)
        finally:
            self.proc.stdout.close()
            code = self.proc.wait()
        if self.cancelled:
            raise Cancelled("the check was stopped")
        if frame is None:
            raise WorkerFailed(f"the check worker stopped before the end of the file (exit code {code})")
        kind, payload = frame
        if kind == "error":
            raise payload
        return payload

    def cancel(self) -> None:
        self.cancelled = True
        if self.proc.poll() is None:
            self.proc.kill()


class Cancelled(RuntimeError):
    """A check stopped before its end: the client went away or its deadline passed."""


def main(argv: list[str]) -> None:
    a = json.loads(argv[0])
    source = FileSource(a["format"], Path(a["path"]), a["record_type"])
    if a.get("mode") == "check":
        _check(source, a["name"], a["shown"], sys.stdout.buffer)
    else:
        _work(source, a["name"], a["origin"], a["ts"], a["skip_invalid"], sys.stdout.buffer)


if __name__ == "__main__":
    main(sys.argv[1:])

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
from vinculo.records.importers.batches import Tally
from vinculo.records.importers.prepare import prepared_batches
from vinculo.records.importers.rows import Unknowns
from vinculo.records.importers.sources import FileSource

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
            put("batch", (progress, payload))
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
    """("progress", n) and ("batch", prepared rows) events of a file, prepared in a worker process;
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
            if kind == "batch":
                yield "batch", rest[0]
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


def main(argv: list[str]) -> None:
    a = json.loads(argv[0])
    source = FileSource(a["format"], Path(a["path"]), a["record_type"])
    _work(source, a["name"], a["origin"], a["ts"], a["skip_invalid"], sys.stdout.buffer)


if __name__ == "__main__":
    main(sys.argv[1:])

"""Jobs, pure: the row as a value, back-off, schedule slots and their unique keys (no I/O here)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

STATUSES = ("queued", "running", "done", "failed")
MAX_PAYLOAD = 16_384  # bytes of JSON: a job names its work (a partner, a position), it carries no data
MAX_KEY = 200
MAX_ERROR = 2_000
BACKOFF_BASE = 5.0  # seconds before the 2nd attempt; doubled for each further one
BACKOFF_CAP = 900.0


class JobInvalid(ValueError):
    """A job that cannot be queued (bad kind, key or payload): a bug or bad input, said plainly."""


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    key: str | None
    payload: dict
    attempts: int  # including this one, once claimed
    max_attempts: int
    worker: str | None

    @classmethod
    def from_row(cls, row) -> Job:
        return cls(row.id, row.kind, row.key, json.loads(row.payload), row.attempts, row.max_attempts, row.worker)


def encode_payload(payload: dict | None) -> str:
    text = json.dumps(payload or {}, sort_keys=True, separators=(",", ":"))
    if len(text.encode()) > MAX_PAYLOAD:
        raise JobInvalid(f"job payload: {len(text.encode()):,} bytes, at most {MAX_PAYLOAD:,}")
    return text


def check_kind(kind: str) -> str:
    if not isinstance(kind, str) or not 0 < len(kind) <= 64 or not kind.replace(".", "").replace("_", "").isalnum():
        raise JobInvalid(f"job kind {str(kind)[:70]!r}: 1-64 letters, digits, dots and underscores")
    return kind


def check_key(key: str | None) -> str | None:
    if key is not None and (not isinstance(key, str) or not 0 < len(key) <= MAX_KEY):
        raise JobInvalid(f"job key: 1-{MAX_KEY} characters")
    return key


def backoff(attempts: int, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: base, 2×base, 4×base… at most cap."""
    return min(cap, base * 2 ** max(0, attempts - 1))


def slot(now: dt.datetime, interval: float) -> dt.datetime:
    """The start of the schedule slot `now` falls in: every process computes the same one."""
    if interval <= 0:
        raise ValueError("a schedule's interval must be positive")
    epoch = now.timestamp()
    return dt.datetime.fromtimestamp(epoch - epoch % interval, dt.UTC)


def slot_key(kind: str, subject: str | None, start: dt.datetime) -> str:
    """The unique key of one scheduled run: `kind:subject:slot start` (queued once across processes)."""
    stamp = start.strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z"
    return f"{kind}:{subject or '-'}:{stamp}"[:MAX_KEY]


def clip_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR]

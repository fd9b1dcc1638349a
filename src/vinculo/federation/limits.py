"""How much one pull from a partner may take: pages, bytes, objects, time, and what its audit keeps.

Every limit has a default here and a `VINCULO_PULL_*` environment variable that overrides it (read when a
pull starts, so a running `vinculo serve` picks a change up on its next run). A partner that exceeds one
ends its own pull with a `sync.failed` reason; what was already stored stays, and the next run resumes
from the last stored cursor. See "Pull limits" in docs/operators.md.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields, replace

_CURSOR_RE = re.compile(r"[\x21-\x7e]+")  # visible ASCII, no spaces or control characters


@dataclass(frozen=True)
class PullLimits:
    max_pages: int = 2_000  # pages per pull; the rest waits for the next run
    max_page_bytes: int = 32 * 1024 * 1024  # one page's body, decoded; refused while it streams in
    max_page_objects: int = 5_000  # objects in one page (the client asks for at most 1,000 by default)
    deadline: float = 900.0  # seconds of wall-clock time for one whole pull
    read_timeout: float = 30.0  # seconds with no byte from the partner
    connect_timeout: float = 10.0
    max_cursor: int = 256  # characters in a `next` cursor the partner hands us
    max_depth: int = 24  # nesting of one object (a Vinculo record is at most 6 deep)
    max_reasons: int = 20  # rejection reasons kept in a pull's audit entry and its last_result
    max_reason_chars: int = 300  # characters of one reason (and of an id) kept there

    def check_cursor(self, cursor: object) -> str | None:
        """Why `cursor` (a `next` a partner sent) may not be stored, or None when it may."""
        if cursor is None:
            return None
        if not isinstance(cursor, str):
            return f"not a string but {type(cursor).__name__}"
        if len(cursor) > self.max_cursor:
            return f"{len(cursor):,} characters, more than {self.max_cursor} (VINCULO_PULL_MAX_CURSOR)"
        if not _CURSOR_RE.fullmatch(cursor):
            return "empty, or holds spaces, control or non-ASCII characters"
        return None

    def clip(self, text: object) -> str:
        """`text` cut to `max_reason_chars` (a reason or an id that goes into the audit log)."""
        text = str(text)
        if len(text) <= self.max_reason_chars:
            return text
        return text[: self.max_reason_chars] + f"... ({len(text):,} characters)"


class LimitsError(ValueError):
    """A `VINCULO_PULL_*` variable that is not a positive number."""


ENV = {f.name: "VINCULO_PULL_" + f.name.upper() for f in fields(PullLimits)}


def pull_limits(**overrides: float) -> PullLimits:
    """The defaults, overridden by the environment, then by `overrides` (tests, benchmarks)."""
    found: dict = {}
    for f in fields(PullLimits):
        raw = os.environ.get(ENV[f.name])
        if raw is None or not raw.strip():
            continue
        kind = float if f.type in ("float", float) else int
        try:
            value = kind(raw.replace("_", ""))
        except ValueError:
            raise LimitsError(f"{ENV[f.name]}={raw!r}: not a number") from None
        if value <= 0:
            raise LimitsError(f"{ENV[f.name]}={raw!r}: must be above 0")
        found[f.name] = value
    return replace(PullLimits(), **found, **overrides)

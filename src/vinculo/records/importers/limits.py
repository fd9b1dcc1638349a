"""How much of a file an import reads before it refuses it: one place for every bound.

Each limit can be changed with an environment variable (read when an import starts, and inherited by
the import worker). A file over a limit is refused as a whole with `ImportRejected`, which names the
file, the row and the reason; nothing is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_row_bytes: int = 1 * MiB  # one row (a line, or a CSV record over several lines), and one field
    max_rows: int = 2_000_000  # lines read, blank ones included
    max_depth: int = 32  # nesting of objects and arrays in an NDJSON line
    max_int: int = 2**53 - 1  # |integer| in an NDJSON line (I-JSON, RFC 7493: exact in every JSON reader)
    max_ratio: int = 100  # a zip member's size / its compressed size (the UNODC file is about 17)
    max_unzipped_bytes: int = 4 * 1024 * MiB  # a zip member's declared size
    check_seconds: int = 600  # a web or API check is stopped after this long
    max_checks: int = 4  # web and API checks running at once (each in its own worker process)

    @classmethod
    def from_env(cls) -> Limits:
        """The defaults, with any `VINCULO_IMPORT_<NAME>` variable (e.g. VINCULO_IMPORT_MAX_ROWS) applied."""
        values = {}
        for f in fields(cls):
            raw = os.environ.get(env_name(f.name))
            if raw is not None and raw.strip():
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    raise ValueError(f"{env_name(f.name)}={raw!r}: not an integer") from None
                if values[f.name] <= 0:
                    raise ValueError(f"{env_name(f.name)}={raw!r}: must be positive")
        return cls(**values)


def env_name(field: str) -> str:
    return "VINCULO_IMPORT_" + field.upper()


class ImportRejected(ValueError):
    """A file refused as a whole: not of its format, unreadable, or over a limit."""

    def __init__(self, file: str, row: int | None, reason: str):
        self.file, self.row, self.reason = file, row, reason
        super().__init__(f"{file}:{row}: {reason}" if row else f"{file}: {reason}")

    def __reduce__(self):
        return (type(self), (self.file, self.row, self.reason))

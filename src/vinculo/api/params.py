"""The integer parameters every face shares, each range-checked before it reaches a service.

SQLite INTEGER and PostgreSQL BIGINT are signed 64-bit: a larger Python int given to the driver raises
OverflowError (or a DataError) deep in the store, which is a 500 for what is only bad input. So every integer
that comes from outside - query, path, form, JSON body, TAXII `next` - is declared with one of these types
(a 422 problem+json from FastAPI's validation when out of range), or read with `token()` (a 400 naming the
parameter) when it is an opaque string.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Query
from pydantic import Field

MAX_INT = 2**63 - 1  # the largest signed 64-bit integer
MAX_SEQ = MAX_INT
_DIGITS = re.compile(r"[0-9]{1,19}")

# Query parameters.
Cursor = Annotated[int | None, Query(ge=1, le=MAX_SEQ, description="`next_cursor` of the previous page.")]
Before = Annotated[int | None, Query(ge=1, le=MAX_SEQ, description="Only entries older than this id.")]
AuditAfter = Annotated[int, Query(ge=-1, le=MAX_SEQ,
                                  description="Only entries after this index (-1: from the start).")]
Flag = Annotated[int | None, Query(ge=0, le=MAX_INT)]

# JSON body fields.
Version = Annotated[int, Field(ge=1, le=MAX_INT)]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]


class BadToken(ValueError):
    """An opaque paging token that is not one this node handed out."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.name, self.reason = name, reason


def token(value: str | None, name: str, lo: int = 0, hi: int = MAX_SEQ) -> int | None:
    """An opaque integer token (`next` of a TAXII page, a form's version number): None when absent, else
    1-19 ASCII digits within [lo, hi]; BadToken names the parameter otherwise."""
    if value is None or value == "":
        return None
    if not _DIGITS.fullmatch(value):
        raise BadToken(name, "must be the token from a previous response (digits only)")
    number = int(value)
    if not lo <= number <= hi:
        raise BadToken(name, f"out of range ({lo}..{hi})")
    return number

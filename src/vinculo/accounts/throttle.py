"""Login throttling rules (pure): after THRESHOLD failures on a key, refuse for a window that doubles with
each further failure, up to MAX_WINDOW; a key quiet for FORGET starts over.

Keys are the user name tried (whether or not the user exists, so the answer reveals nothing) and the client
address. An address gets a higher threshold than a name: one office may share an address.
"""

from __future__ import annotations

import datetime as dt
import math

THRESHOLD = {"user": 5, "addr": 20}
BASE_WINDOW = dt.timedelta(seconds=30)
MAX_WINDOW = dt.timedelta(hours=1)
FORGET = dt.timedelta(days=1)
KEY_CHARS = 64


def keys(name: str, client: str | None) -> list[tuple[str, str]]:
    """(kind, key) pairs a login attempt counts against."""
    out = [("user", "user:" + name[:KEY_CHARS])]
    if client:
        out.append(("addr", "addr:" + client[:KEY_CHARS]))
    return out


def window(kind: str, failures: int) -> dt.timedelta | None:
    """How long a key is refused after its `failures`-th consecutive failure (None: not yet)."""
    over = failures - THRESHOLD[kind]
    if over < 0:
        return None
    return min(MAX_WINDOW, BASE_WINDOW * 2 ** min(over, 16))


def retry_after(blocked_until: dt.datetime, now: dt.datetime) -> int:
    """Whole seconds to wait (at least 1), as a Retry-After header gives them."""
    return max(1, math.ceil((blocked_until - now).total_seconds()))

"""TAXII `date_added` as this node serves it: strictly increasing along the change feed.

A bulk import stores thousands of versions in one transaction, all with the same `added` timestamp. Served
as is, a client paging with `added_after` = the last page's X-TAXII-Date-Added-Last (as TAXII 2.1 allows)
skips every object of the import after the first page. So the feed serves

    date_added = added + seq microseconds

(`seq`: the version's change-feed sequence number). Sequence order is commit order and `added` does not go
back along it, so this is strictly increasing in `seq`: every object has its own date_added, a later object
a later one, and `added_after` = any served date_added resumes exactly after that object. It is computed from
the stored row, so it is stable (the same object always has the same date_added), and it needs no change
to what is stored. The cost: date_added runs ahead of the time of storing by `seq` microseconds (a second
per million versions the node has stored), which TAXII allows (it is the server's account of when an object
was added, and is only compared with other date_added values of the same server).

`added_after` is turned back into a feed position by bisection over the sequence numbers (primary key
seeks), since the served value is monotonic in `seq`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Connection, select

from vinculo.records import holding
from vinculo.records.model import format_ts, parse_ts
from vinculo.store.feed import last_seq
from vinculo.store.tables_federation import withdrawals


def served(added: str, seq: int) -> str:
    """The date_added served for the feed entry stored at `added` with sequence number `seq`."""
    return format_ts(parse_ts(added) + dt.timedelta(microseconds=seq))


def _bisect(top: int, first_at: Callable[[int], tuple[int, str] | None], after: dt.datetime) -> int:
    """The lowest s in [1, top] such that the first entry at or after s (if any) is served after `after`:
    every entry before s is served at or before `after`."""
    lo, hi = 1, top
    while lo < hi:
        mid = (lo + hi) // 2
        row = first_at(mid)
        if row is None or parse_ts(row[1]) + dt.timedelta(microseconds=row[0]) > after:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _first_withdrawal_at(conn: Connection, partner: str, seq: int) -> tuple[int, str] | None:
    row = conn.execute(select(withdrawals.c.seq, withdrawals.c.created).where(
        withdrawals.c.partner == partner, withdrawals.c.seq >= seq).order_by(withdrawals.c.seq).limit(1)).first()
    return (row[0], row[1]) if row is not None else None


def feed_position(conn: Connection, partner: str, after: dt.datetime) -> int:
    """The feed cursor for `added_after` = `after`: every entry up to it is served with a date_added at or
    before `after`, every entry after it with a later one (versions and the partner's withdrawals, merged)."""
    top = last_seq(conn) + 1
    versions = _bisect(top, lambda s: holding.first_at_or_after(conn, s), after)
    withdrawn = _bisect(top, lambda s: _first_withdrawal_at(conn, partner, s), after)
    return max(versions, withdrawn) - 1

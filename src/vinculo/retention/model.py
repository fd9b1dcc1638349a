"""Retention rules and cut-offs (pure: no I/O).

Received records: a record a partner released to us is kept while our agreement with that partner is in
force, for `retention_days` counted from when this node stored the version it holds (the `added` time of
that version, which is also the `received_at` of the receipt we sent for it, so both nodes count from the
same instant). A new version the origin releases is a new release and starts the count again. The
origin's own `created`/`modified` times are not used: they are the origin's clock, can be years older
than the release, and the origin sets them.

Own records: a rule per record type makes a record due for review `years` after it was first created
here (`created`); with `unless_linked_to_case`, a record that a current case names among its subjects is
not due. Nothing is purged until a supervisor approves it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from vinculo.records.model import format_ts
from vinculo.records.types import RECORD_TYPES
from vinculo.sharing.agreements import Agreement

MAX_YEARS = 100
APPROVER_ROLE = "supervisor"


@dataclass(frozen=True)
class Rule:
    record_type: str
    years: int
    unless_linked_to_case: bool = False

    def describe(self) -> str:
        unless = ", unless a case names it" if self.unless_linked_to_case else ""
        return f"{self.record_type} after {self.years} year{'s' if self.years != 1 else ''}{unless}"


def check_rule(record_type: str, years: object, unless_linked_to_case: bool = False) -> Rule:
    """A rule, or ValueError naming the bad part."""
    if record_type not in RECORD_TYPES:
        raise ValueError(f"record type {record_type!r}: one of {', '.join(sorted(RECORD_TYPES))}")
    if type(years) is not int or not 1 <= years <= MAX_YEARS:
        raise ValueError(f"--years {years!r}: a whole number of years from 1 to {MAX_YEARS}")
    return Rule(record_type, years, bool(unless_linked_to_case))


def years_before(now: dt.datetime, years: int) -> dt.datetime:
    """`now` moved back `years` calendar years (29 February becomes 28 February)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def ended(agreement: Agreement | None, today: dt.date) -> bool:
    """Whether `agreement` has ended: its last day in force (`end`) is before `today`."""
    return agreement is not None and agreement.end is not None and agreement.end < today


@dataclass(frozen=True)
class Cutoff:
    added_before: str | None
    """Versions stored before this time are due; None: every one (the agreement ended)."""
    reason: str


def received_cutoff(agreement: Agreement | None, now: dt.datetime) -> Cutoff | None:
    """What of the records received from `agreement.partner` is due for purging now (None: nothing: with no
    agreement, no retention was agreed)."""
    if agreement is None:
        return None
    if ended(agreement, now.date()):
        return Cutoff(None, f"agreement v{agreement.version} ended on {agreement.end.isoformat()}")
    days = agreement.retention_days
    return Cutoff(format_ts(now - dt.timedelta(days=days)),
                  f"retention of {days} days under agreement v{agreement.version} ended")

"""The one release-aware read layer for local users: lists, counts and searches of current records.

Every local read of many records goes through here. The query takes the audience and applies the release
rule *in the query*: a prefilter on the (TLP, handling) columns compiled from `release()` itself (see
`read_rule`), never written by hand. Rows that a page returns still go through `release()` one by one
(`service.list_records`), so the prefilter only decides what is counted and fetched, never what is shown.

Filters on the content (`text`, `country`, `substance`, `from`, `to`) read the body. An audience that sees no
body under any marking (auditors: the envelope only) is refused such a filter (`RecordInvalid`, a 422 naming
the field); otherwise records whose body the audience does not see in full match no content filter. So a
count never answers a question about content the audience could not read, and always equals what it could
list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlalchemy import Connection, func, select

from vinculo.records import repository as repo
from vinculo.records.model import FieldError, Record, RecordInvalid
from vinculo.records.types import RECORD_TYPES
from vinculo.sharing.markings import TLP, Handling, Markings
from vinculo.sharing.release import LocalUser, Release, release
from vinculo.store.tables import record_versions as rv
from vinculo.store.tables_readers import record_readers

PROBE_NODE = "probe-local"
PROBE_PARTNER = "probe-partner"
_PROBE_UUID = "00000000-0000-4000-8000-000000000000"
_PROBE_BODY = {
    "date": "2000-01-01",
    "country": "US",
    "substance": "probe",
    "admin_area": "probe",
    "kind": "other",
    "status": "active",
    "text": "probe",
}
# Filters that read the body (through the facet columns and the search text), by their parameter name.
CONTENT_FILTERS = (
    ("country", "country"),
    ("substance", "substance"),
    ("date_from", "from"),
    ("date_to", "to"),
    ("text", "text"),
)

Pair = tuple[str, str]


class RuleUndecidable(RuntimeError):
    """`release()` for local users depends on more than the markings: a prefilter on them would be wrong."""


def probe(record_type: str, origin: str, marks: Markings, revoked: bool = False) -> Record:
    now = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    return Record(
        f"{record_type}--{_PROBE_UUID}", record_type, origin, 1, now, now, marks, dict(_PROBE_BODY), revoked
    )


PROBE_USER = "probe"
# Whom a probe TLP:RED record names: nobody, others only (both: the probe user is not named), or the probe
# user, alone or not first (named). Only TLP:RED names people (`Markings.recipients`).
_UNNAMED = ((), ("probe-other",))
_NAMED = ((PROBE_USER,), ("probe-other", PROBE_USER))


def probed_pairs(
    role: str,
    outcome: Callable[[Record, Release], bool],
    record_types: tuple[str, ...] = RECORD_TYPES,
    revoked: tuple[bool, ...] = (False, True),
    origins: tuple[str, ...] = (PROBE_NODE, PROBE_PARTNER),
    named: bool = False,
) -> frozenset[Pair]:
    """The (TLP, handling) pairs for which `outcome(record, release(record, role))` holds, asked of
    `release()` with a probe record for every pair, record type, origin (ours, a partner's), revoked
    state and list of TLP:RED recipients (`named`: lists that name the probe user, else lists that do
    not). Raises `RuleUndecidable` if the answer depends on anything but the pair."""
    user = LocalUser(PROBE_USER, role, PROBE_NODE)
    pairs: set[Pair] = set()
    for tlp in TLP:
        for handling in Handling:
            names = (_NAMED if named else _UNNAMED) if tlp is TLP.RED else ((),)
            records = [
                probe(t, o, Markings(tlp=tlp, handling=handling, recipients=who,
                                     handling_text="probe" if handling is Handling.H3 else None), r)
                for t in record_types
                for o in origins
                for r in revoked
                for who in names
            ]
            outcomes = {outcome(p, release(p, user)) for p in records}
            if len(outcomes) != 1:
                raise RuleUndecidable(
                    f"release() for {role} at TLP:{tlp.value} {handling.value} depends on the "
                    "record type, origin or revocation; read through released views instead"
                )
            if outcomes.pop():
                pairs.add((tlp.value, handling.value))
    return frozenset(pairs)


def _allowed(_: Record, decision: Release) -> bool:
    return decision.allowed


def _whole(record: Record, decision: Release) -> bool:
    return decision.allowed and decision.view is not None and decision.view.get("body") == record.body


@dataclass(frozen=True)
class ReadRule:
    """What `release()` lets a local role read: `readable` pairs (any view), `whole` pairs (whole body);
    and, of this node's own records whose markings name the user (TLP:RED recipients), `named_readable`
    and `named_whole` (what naming adds: pairs not already readable without it)."""

    role: str
    readable: frozenset[Pair]
    whole: frozenset[Pair]
    named_readable: frozenset[Pair] = frozenset()
    named_whole: frozenset[Pair] = frozenset()

    @property
    def reads_nothing(self) -> bool:
        return not self.readable

    @property
    def reads_content(self) -> bool:
        return bool(self.whole)


@cache
def read_rule(role: str) -> ReadRule:
    readable, whole = probed_pairs(role, _allowed), probed_pairs(role, _whole)
    for outcome, unnamed in ((_allowed, readable), (_whole, whole)):
        # Naming a user must not matter for a partner's record: the SQL adds named records of ours only.
        if probed_pairs(role, outcome, origins=(PROBE_PARTNER,), named=True) != unnamed:
            raise RuleUndecidable(f"release() for a named {role} depends on a partner's markings")
    named_readable = probed_pairs(role, _allowed, origins=(PROBE_NODE,), named=True) - readable
    named_whole = probed_pairs(role, _whole, origins=(PROBE_NODE,), named=True) - whole
    return ReadRule(role, readable, whole, named_readable, named_whole)


def _named(pairs: frozenset[Pair], user: LocalUser | None) -> sa.ColumnElement | None:
    """This node's versions at `pairs` that name `user` (`store/tables_readers.py`)."""
    if user is None or not pairs:
        return None
    naming = select(record_readers.c.seq).where(record_readers.c.reader == user.name)
    return sa.and_(rv.c.seq.in_(naming), rv.c.origin == user.node, visible(pairs))


def _visible_to(base: frozenset[Pair], named: frozenset[Pair], user: LocalUser | None) -> sa.ColumnElement:
    extra = _named(named, user)
    return visible(base) if extra is None else sa.or_(visible(base), extra)


def visible(pairs: frozenset[Pair]) -> sa.ColumnElement:
    """The SQL form of a set of pairs: nothing for every pair, two IN lists for a product of TLPs and
    handlings (the usual shape: simple for the planner), else per TLP (one with every handling allowed needs
    only the TLP column)."""
    all_handlings = {h.value for h in Handling}
    all_tlps = {t.value for t in TLP}
    tlps, handlings = {t for t, _ in pairs}, {h for _, h in pairs}
    if pairs and pairs == {(t, h) for t in tlps for h in handlings}:
        product = [rv.c.tlp.in_(sorted(tlps))] if tlps != all_tlps else []
        product += [rv.c.handling.in_(sorted(handlings))] if handlings != all_handlings else []
        return sa.and_(*product) if product else sa.true()
    terms = []
    for tlp in TLP:
        allowed = {h for t, h in pairs if t == tlp.value}
        if allowed == all_handlings:
            terms.append(rv.c.tlp == tlp.value)
        elif allowed:
            terms.append(sa.and_(rv.c.tlp == tlp.value, rv.c.handling.in_(sorted(allowed))))
    return sa.or_(*terms) if terms else sa.false()


def content_filters(f: repo.Filters) -> list[str]:
    """The parameter names of the filters in `f` that read record content."""
    return [name for attr, name in CONTENT_FILTERS if getattr(f, attr)]


def check(rule: ReadRule, f: repo.Filters) -> None:
    """Refuse a content filter to an audience that reads no content (the message names each field)."""
    if rule.reads_content:
        return
    reason = (
        "auditors see the envelope and markings, not the content: this filter reads the content"
        if rule.role == "auditor"
        else f"role {rule.role} reads no record content: this filter reads it"
    )
    if names := content_filters(f):
        raise RecordInvalid([FieldError(name, reason) for name in names])


def where(rule: ReadRule, f: repo.Filters, user: LocalUser | None = None) -> sa.ColumnElement:
    """The release prefilter for `f`: readable markings; whole-body markings when a filter reads content;
    with `user`, also this node's records that name that user where naming is what lets it read them."""
    check(rule, f)
    if content_filters(f):
        return _visible_to(rule.whole, rule.named_whole, user)
    return _visible_to(rule.readable, rule.named_readable, user)


def page(
    conn: Connection, rule: ReadRule, f: repo.Filters, before_seq: int | None, limit: int,
    user: LocalUser | None = None,
) -> list[Record]:
    """Current versions matching `f` that `rule` (and `user`, if named) may read, newest change first,
    before `before_seq`."""
    q = repo._where(select(rv), f).where(where(rule, f, user))
    if before_seq is not None:
        q = q.where(rv.c.seq < before_seq)
    return [repo.from_row(r) for r in conn.execute(q.order_by(rv.c.seq.desc()).limit(limit))]


def count(conn: Connection, rule: ReadRule, f: repo.Filters, user: LocalUser | None = None) -> int:
    """How many current versions match `f` among those `rule` may read (what `page` would return in all)."""
    q = repo._where(select(func.count()).select_from(rv), f).where(where(rule, f, user))
    return conn.execute(q).scalar_one()


def readable_versions(
    conn: Connection, user: LocalUser, keys: set[tuple[str, int | None]]
) -> dict[tuple[str, int | None], Release]:
    """`release()` for `user` of each (id, version) in `keys` (version `None`: the current one), for those it
    allows; versions it does not allow are left out, as are ids this node does not hold."""
    rule = read_rule(user.role)
    ids = sorted({i for i, _ in keys})
    out: dict[tuple[str, int | None], Release] = {}
    for k in range(0, len(ids), 500):
        q = select(rv).where(rv.c.id.in_(ids[k : k + 500]), _visible_to(rule.readable, rule.named_readable, user))
        for row in conn.execute(q):
            candidates = [(row.id, row.version)] + ([(row.id, None)] if row.current else [])
            wanted = [key for key in candidates if key in keys]
            if not wanted:
                continue
            decision = release(repo.from_row(row), user)
            if decision.allowed:
                out.update(dict.fromkeys(wanted, decision))
    return out

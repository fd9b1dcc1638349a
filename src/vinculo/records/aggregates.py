"""Counts of records in SQL, limited to what a local role may read under `release()`.

Counting 311k records through `release()` one by one is too slow for a dashboard, so the counts run in
SQL over the records whose markings let the role read the counted fields. That set is not written here
by hand: `rule_for(role)` derives it from `release()` itself, by asking it about a probe record for
every TLP × handling combination (and two origins, to prove the origin does not matter). The tests
check that the SQL counts equal counting the released views record by record.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlalchemy import Connection, func, select

from vinculo.records.model import Record
from vinculo.sharing.markings import TLP, Handling, Markings
from vinculo.sharing.release import LocalUser, release
from vinculo.store.tables import record_versions as rv

_PROBE_NODE = "probe-local"
_PROBE_PARTNER = "probe-partner"
_PROBE_ID = "seizure--00000000-0000-4000-8000-000000000000"
# The body fields the counts group by: a role counts a record only if its view shows all of them.
COUNTED_FIELDS = ("date", "country", "substance", "admin_area")


class RuleUndecidable(RuntimeError):
    """`release()` for local users depends on more than the markings: SQL counts would be wrong."""


@dataclass(frozen=True)
class VisibleRule:
    """The (TLP, handling) pairs whose counted fields a role reads, as `release()` decides."""

    role: str
    pairs: frozenset[tuple[str, str]]

    @property
    def reads_nothing(self) -> bool:
        return not self.pairs


def _probe(record_type: str, origin: str, marks: Markings) -> Record:
    now = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    body = {"date": "2000-01-01", "country": "US", "substance": "probe", "admin_area": "probe",
            "kind": "other", "status": "active"}
    return Record(_PROBE_ID.replace("seizure", record_type), record_type, origin, 1, now, now, marks, body)


def _reads(record: Record, user: LocalUser) -> bool:
    decision = release(record, user)
    if not decision.allowed or decision.view is None:
        return False
    body = decision.view.get("body", {})
    return all(body.get(f) == record.body[f] for f in COUNTED_FIELDS)


@cache
def rule_for(role: str, record_types: tuple[str, ...] = ("seizure", "lab")) -> VisibleRule:
    """Which markings let `role` read the counted fields of `record_types`, asked of `release()`."""
    user = LocalUser("probe", role, _PROBE_NODE)
    pairs: set[tuple[str, str]] = set()
    for tlp in TLP:
        for handling in Handling:
            marks = Markings(tlp=tlp, handling=handling, handling_text="probe" if handling is Handling.H3 else None)
            outcomes = {_reads(_probe(t, origin, marks), user)
                        for t in record_types for origin in (_PROBE_NODE, _PROBE_PARTNER)}
            if len(outcomes) != 1:
                raise RuleUndecidable(f"release() for {role} at TLP:{tlp.value} {handling.value} depends on the "
                                      "record type or origin; count through released views instead")
            if outcomes.pop():
                pairs.add((tlp.value, handling.value))
    return VisibleRule(role, frozenset(pairs))


def _json_text(conn: Connection, column: sa.Column, key: str) -> sa.ColumnElement:
    if conn.dialect.name == "postgresql":
        return func.json_extract_path_text(sa.cast(column, sa.JSON), key)
    return func.json_extract(column, f"$.{key}")


def _visible(conn: Connection, rule: VisibleRule) -> sa.ColumnElement:
    """The SQL form of `rule`: a TLP with every handling allowed needs no JSON; others test handling."""
    all_handlings = {h.value for h in Handling}
    terms = []
    for tlp in TLP:
        allowed = {h for t, h in rule.pairs if t == tlp.value}
        if allowed == all_handlings:
            terms.append(rv.c.tlp == tlp.value)
        elif allowed:
            terms.append(sa.and_(rv.c.tlp == tlp.value, rv.c.handling.in_(sorted(allowed))))
    return sa.or_(*terms) if terms else sa.false()


def _base(conn: Connection, rule: VisibleRule, record_type: str, query: sa.Select) -> sa.Select:
    return query.where(rv.c.current.is_(True), rv.c.revoked.is_(False), rv.c.type == record_type,
                       _visible(conn, rule))


def by_substance_month(conn: Connection, rule: VisibleRule) -> Counter:
    """Seizures per (substance code or None, 'YYYY-MM' or None) that `rule` lets the role read."""
    month = func.substr(rv.c.event_date, 1, 7)
    q = _base(conn, rule, "seizure", select(rv.c.substance, month.label("month"), func.count()))
    q = q.group_by(rv.c.substance, month)
    return Counter({(s, m): n for s, m, n in conn.execute(q)})


def by_admin_area(conn: Connection, rule: VisibleRule, record_type: str, countries: tuple[str, ...]) -> Counter:
    """Records of `record_type` per (country, admin_area as written) in `countries`."""
    area = _json_text(conn, rv.c.body, "admin_area")
    q = _base(conn, rule, record_type, select(rv.c.country, area.label("area"), func.count()))
    q = q.where(rv.c.country.in_(countries)).group_by(rv.c.country, area)
    return Counter({(c, a): n for c, a, n in conn.execute(q)})


# The same counts over released views (what the SQL must equal; used by tests and small nodes).

def views_by_substance_month(views: list[dict]) -> Counter:
    out: Counter = Counter()
    for v in views:
        if v["type"] == "seizure" and not v["revoked"] and v["body"].get("date"):
            out[(v["body"].get("substance"), v["body"]["date"][:7])] += 1
    return out


def views_by_admin_area(views: list[dict], record_type: str, countries: tuple[str, ...]) -> Counter:
    out: Counter = Counter()
    for v in views:
        b = v["body"]
        if v["type"] == record_type and not v["revoked"] and b.get("country") in countries:
            out[(b["country"], b.get("admin_area"))] += 1
    return out

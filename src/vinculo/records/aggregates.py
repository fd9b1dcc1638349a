"""Counts of records in SQL, limited to what a local role may read under `release()`.

Counting 311k records through `release()` one by one is too slow for a dashboard, so the counts run in
SQL over the records whose markings let the role read the counted fields. That set is not written here
by hand: `rule_for(role)` derives it from `release()` itself, by asking it about a probe record for
every TLP × handling combination (and two origins, to prove the origin does not matter) - the same probes
as the read layer's (`reads.probed_pairs`). The tests
check that the SQL counts equal counting the released views record by record.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from functools import cache

import sqlalchemy as sa
from sqlalchemy import Connection, func, select

from vinculo.records import reads
from vinculo.records.model import Record
from vinculo.sharing.release import LocalUser, Release
from vinculo.store.tables import record_versions as rv

# The body fields the counts group by: a role counts a record only if its view shows all of them.
COUNTED_FIELDS = ("date", "country", "substance", "admin_area")
RuleUndecidable = reads.RuleUndecidable


@dataclass(frozen=True)
class VisibleRule:
    """The (TLP, handling) pairs whose counted fields a role reads, as `release()` decides."""

    role: str
    pairs: frozenset[tuple[str, str]]
    named: frozenset[tuple[str, str]] = frozenset()
    """What naming a user adds (TLP:RED recipients, this node's records: see `reads.ReadRule`)."""
    user: LocalUser | None = None
    """Set by `naming`: the rule then counts only this node's records that name `user`, at `named`."""

    @property
    def reads_nothing(self) -> bool:
        return not self.pairs and not self.named

    def naming(self, user: LocalUser) -> VisibleRule | None:
        """The rule for the records that count for `user` only because they name it (None: there are none)."""
        return replace(self, user=user) if self.named else None


def _reads(record: Record, decision: Release) -> bool:
    if not decision.allowed or decision.view is None:
        return False
    body = decision.view.get("body", {})
    return all(body.get(f) == record.body[f] for f in COUNTED_FIELDS)


@cache
def rule_for(role: str, record_types: tuple[str, ...] = ("seizure", "lab")) -> VisibleRule:
    """Which markings let `role` read the counted fields of `record_types`, asked of `release()` through
    the read layer's probes (`reads.probed_pairs`)."""
    pairs = reads.probed_pairs(role, _reads, record_types)
    if reads.probed_pairs(role, _reads, record_types, origins=(reads.PROBE_PARTNER,), named=True) != pairs:
        raise RuleUndecidable(f"release() for a named {role} depends on a partner's markings")
    named = reads.probed_pairs(role, _reads, record_types, origins=(reads.PROBE_NODE,), named=True) - pairs
    return VisibleRule(role, pairs, named)


def _json_text(conn: Connection, column: sa.Column, key: str) -> sa.ColumnElement:
    if conn.dialect.name == "postgresql":
        return func.json_extract_path_text(sa.cast(column, sa.JSON), key)
    return func.json_extract(column, f"$.{key}")


def _visible(conn: Connection, rule: VisibleRule) -> sa.ColumnElement:
    if rule.user is not None:
        return reads._named(rule.named, rule.user)
    return reads.visible(rule.pairs)


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

"""The dashboard use case: seizure trends, counts per state, recent partner records.

Counts run in SQL under the rule `release()` gives the actor's role (see `aggregates`); they are cached
per node, role rule and change-feed position, so they are recomputed only after a record write.
Recent partner records are listed through `list_records` (release() and audit per record).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from vinculo.accounts.model import Actor
from vinculo.node.context import Node
from vinculo.records import aggregates
from vinculo.records.repository import Filters
from vinculo.records.service import list_records
from vinculo.store.feed import last_seq
from vinculo.store.tables import partners

MAP_COUNTRIES = ("US", "MX")
TOP_SUBSTANCES = 8
MONTHS = 24
_cache: dict[tuple, tuple[Counter, dict[str, Counter]]] = {}  # per role: the counts naming no one
_lock = threading.Lock()


@dataclass(frozen=True)
class Trend:
    substance: str | None
    total: int
    series: list[int]  # one count per month of `Counts.months`


@dataclass(frozen=True)
class Counts:
    readable: bool
    total: int
    months: list[str]
    trends: list[Trend]
    areas: dict[str, Counter] = field(default_factory=dict)  # record type -> (country, area) -> n


def _trends(cells: Counter) -> tuple[int, list[str], list[Trend]]:
    """Totals, the last MONTHS months *that have seizures*, and the top substances' counts in them.

    Months without data are skipped rather than shown as a calendar window: one recent record must not
    push years of imported history (UNODC 2011-2016) out of the chart."""
    months = sorted({m for _, m in cells if m})
    totals: Counter = Counter()
    for (substance, _), n in cells.items():
        totals[substance] += n
    window = months[-MONTHS:]
    trends = [Trend(s, n, [cells.get((s, m), 0) for m in window]) for s, n in totals.most_common(TOP_SUBSTANCES)]
    return sum(totals.values()), window, trends


def counts(node: Node, actor: Actor) -> Counts:
    """Seizures by substance and month, and seizures and labs by US/MX state, that the actor may read.

    A role that reads no record content (administrators, auditors) gets `readable=False`, not an error:
    the dashboard is their landing page too.
    """
    rule = aggregates.rule_for(actor.role)
    if not actor.may("records.read") or rule.reads_nothing:
        return Counts(False, 0, [], [])
    with node.engine.connect() as conn:
        key = (node.id, str(node.engine.url), rule, last_seq(conn))
        with _lock:
            hit = _cache.get(key)
        if hit is None:
            cells = aggregates.by_substance_month(conn, rule)
            areas = {t: aggregates.by_admin_area(conn, rule, t, MAP_COUNTRIES) for t in ("seizure", "lab")}
            hit = (cells, areas)
            with _lock:
                for old in [k for k in _cache if k[:3] == key[:3]]:
                    del _cache[old]
                _cache[key] = hit
        cells, areas = hit
        if (named := rule.naming(actor.audience())) is not None:  # TLP:RED naming this user: not cached
            cells = cells + aggregates.by_substance_month(conn, named)
            areas = {t: n + aggregates.by_admin_area(conn, named, t, MAP_COUNTRIES) for t, n in areas.items()}
    total, months, trends = _trends(cells)
    return Counts(True, total, months, trends, areas)


def warm(node: Node) -> None:
    """Compute the counts of every role that reads records, so the first dashboard after start is quick."""
    from vinculo.accounts.model import PERMISSIONS

    for role, allowed in PERMISSIONS.items():
        if "records.read" in allowed:
            counts(node, Actor("dashboard-warmup", role, node.id, source="node"))


def recent_partner_records(node: Node, actor: Actor, limit: int = 10) -> list[dict]:
    """The newest records held from partners (through release() and audited, like any listing)."""
    if not actor.may("records.read"):
        return []
    with node.engine.connect() as conn:
        origins = [r.node_id for r in conn.execute(select(partners.c.node_id).order_by(partners.c.node_id))]
    items: list[dict] = []
    for origin in origins:
        items.extend(list_records(node, actor, Filters(origin=origin), None, limit).items)
    return sorted(items, key=lambda i: i["seq"], reverse=True)[:limit]

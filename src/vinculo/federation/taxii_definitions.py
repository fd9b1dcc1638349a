"""The Definitions collection a partner reads: what Vinculo objects refer to, each with a stable date_added.

Fixed definitions (the Vinculo project and this node's identity, the OASIS TLP 2.0 marking definitions,
Vinculo's handling markings and extension definitions) and, for relayed records, the identities of their
origins: a relayed object's `created_by_ref` names its origin, and the receiver must be able to resolve it.
An origin's identity is served only to a partner that holds a record from that origin (it was released
to it), so Definitions names no node the partner has not already received a record from.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from vinculo.federation.date_added import served
from vinculo.federation.stix_defs import DEFS_CREATED, definitions, node_identity, version_of
from vinculo.node.context import Node
from vinculo.records import holding
from vinculo.records.model import format_ts, parse_ts
from vinculo.store.tables import partners
from vinculo.store.tables_federation import holdings

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _origin_identities(conn, node: Node, partner: str) -> list[tuple[str, dict]]:  # noqa: ANN001
    held = select(holdings.c.record_id, holdings.c.version).where(holdings.c.partner == partner,
                                                                   holdings.c.withdrawn.is_(False))
    out = []
    for origin in sorted(holding.origins_of(conn, held.with_only_columns(holdings.c.record_id)) - {node.id}):
        # dated as the earliest version the partner holds from it: a date_added it was already served
        first = holding.first_added_of(conn, origin, held)
        if first is None:
            continue
        row = conn.execute(select(partners.c.name, partners.c.country).where(partners.c.node_id == origin)).first()
        name, country = (row.name, row.country or "??") if row is not None else (origin, "??")
        out.append((served(first[1], first[0]), node_identity(origin, name, country)))
    return out


def entries(node: Node, partner: str) -> list[tuple[str, dict]]:
    """(date_added, object) of every definition `partner` may read, in date_added order (all distinct)."""
    base = parse_ts(DEFS_CREATED)
    fixed = [(format_ts(base + dt.timedelta(microseconds=i)), obj)
             for i, obj in enumerate(definitions(node.id, node.name, node.country))]
    with node.engine.connect() as conn:
        origins = _origin_identities(conn, node, partner)
    return sorted(fixed + origins, key=lambda e: e[0])


def position(date_added: str) -> int:
    """A date_added as an integer `next` token (microseconds since 1970)."""
    return (parse_ts(date_added) - EPOCH) // dt.timedelta(microseconds=1)


def page(items: list[tuple[str, dict]], after: dt.datetime | None, after_token: int | None,
         limit: int) -> tuple[list[tuple[str, dict]], bool]:
    """Up to `limit` entries served after `after` (added_after) and after the `next` token; whether more remain."""
    rest = [e for e in items if (after is None or parse_ts(e[0]) > after)
            and (after_token is None or position(e[0]) > after_token)]
    return rest[:limit], len(rest) > limit


__all__ = ["entries", "page", "position", "version_of"]

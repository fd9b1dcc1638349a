"""Bulk reads of record versions for the indexes that project records into their own tables or memory
(the graph's edges and adjacency, deconfliction's selectors, alerts and PSI sets).

These are not reads *for* anyone: they return stored versions, and every caller puts what it shows through
`release()` for its audience (the graph's visibility codes, `alerts.Visible`, `psi_sets.build_sets`).
Records owns `record_versions`; the other domains reach it through here, never through the table.

- `current_records` / `current_bodies`: the current versions of given ids, in chunks;
- `changes`: the "catch up from the last sequence" query: versions written after a feed position (and up
  to another), in sequence order, one page at a time;
- `json_text`: a body field extracted by the database (SQLite and PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import Connection, func, select

from vinculo.records import repository as repo
from vinculo.records.model import Record
from vinculo.store.tables import record_versions as rv

CHUNK = 500
columns = rv.c  # the stored version's columns, for callers that choose which to read


def json_text(conn: Connection, key: str, column: sa.Column = rv.c.body) -> sa.ColumnElement:
    """``column``'s JSON field ``key`` as text, extracted in SQL."""
    if conn.dialect.name == "postgresql":
        return func.json_extract_path_text(sa.cast(column, sa.JSON), key)
    return func.json_extract(column, f"$.{key}")


def current_records(conn: Connection, record_ids: Iterable[str], chunk: int = CHUNK) -> dict[str, Record]:
    """Current versions of `record_ids` that this node holds, looked up by id only (the (id, version) index:
    with `current` in the WHERE clause SQLite's planner picks the (current, type, seq) index and scans)."""
    ids = list(dict.fromkeys(record_ids))
    out: dict[str, Record] = {}
    for i in range(0, len(ids), chunk):
        for r in conn.execute(select(rv).where(rv.c.id.in_(ids[i : i + chunk]))):
            if r.current:
                out[r.id] = repo.from_row(r)
    return out


def current_bodies(conn: Connection, record_ids: Iterable[str], chunk: int = CHUNK) -> dict[str, dict]:
    """Bodies of the current, not revoked versions of `record_ids`."""
    ids = list(dict.fromkeys(record_ids))
    out: dict[str, dict] = {}
    for i in range(0, len(ids), chunk):
        q = select(rv.c.id, rv.c.body).where(
            rv.c.id.in_(ids[i : i + chunk]), rv.c.current.is_(True), rv.c.revoked.is_(False)
        )
        out.update((r.id, json.loads(r.body)) for r in conn.execute(q))
    return out


def changes(
    cols: Iterable[sa.ColumnElement],
    after: int,
    upto: int | None = None,
    *where: sa.ColumnElement,
    current_only: bool = False,
    limit: int | None = None,
) -> sa.Select:
    """Versions written after feed position `after` (and at most `upto`), oldest first: the query a
    projection pages through to catch up (`after` = the last row's `seq` of the previous page)."""
    q = select(*cols).where(rv.c.seq > after, *where)
    if upto is not None:
        q = q.where(rv.c.seq <= upto)
    if current_only:
        q = q.where(rv.c.current.is_(True))
    q = q.order_by(rv.c.seq)
    return q.limit(limit) if limit is not None else q


def changed_since(conn: Connection, after: int, limit: int) -> list[tuple[int, str, int]]:
    """(seq, id, version) of the versions written after feed position `after`, oldest first, at most
    `limit`: what the notification matcher reads them by (it decides each through `reads`)."""
    rows = conn.execute(changes((rv.c.seq, rv.c.id, rv.c.version), after, None, limit=limit))
    return [(r.seq, r.id, r.version) for r in rows]

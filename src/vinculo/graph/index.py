"""The edge index (``graph_edges``) and batched reads of edges and records for traversals.

The index is derived from ``relationship`` records: :func:`sync` catches up from the change feed
(`graph_state.last_seq`), so it follows every writer (API, importers, federation) without hooks. The
neighbourhood and path searches use the in-memory adjacency (:mod:`vinculo.graph.memory`) instead; this
table serves groups, chains and the exact (release-per-record) searches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Connection, delete, func, insert, select, update

from vinculo.graph.rows import relationship_columns
from vinculo.records import projection
from vinculo.records.model import Record
from vinculo.records.projection import columns as rv_c
from vinculo.store import feed
from vinculo.store.tables_graph import graph_edges as ge
from vinculo.store.tables_graph import graph_state

CHUNK = 500  # ids per IN (...) query
BULK = 50_000  # a first build at least this large builds the lookup indexes after the rows


@dataclass(frozen=True, slots=True)
class Edge:
    rel_id: str
    source: str
    target: str
    rel_type: str

    def other(self, node_id: str) -> str:
        return self.target if node_id == self.source else self.source


def _source_type(conn: Connection, ref: sa.ColumnElement) -> sa.ColumnElement:
    if conn.dialect.name == "postgresql":
        return func.split_part(ref, "--", 1)
    return func.substr(ref, 1, func.instr(ref, "--") - 1)


def sync(conn: Connection) -> int:
    """Bring the edge index up to date with the relationship records; return how many edges were written.

    All in SQL: the edges of relationships changed since ``graph_state.last_seq`` are deleted, and their
    current versions inserted with one ``INSERT ... SELECT`` (fields extracted from the JSON body by the
    database). A first build of a large index drops the two lookup indexes and builds them after."""
    state = select(graph_state.c.last_seq).where(graph_state.c.id == 1)
    row = conn.execute(state).first()
    upto = feed.last_seq(conn)
    if row is not None and upto <= row.last_seq:
        return 0  # up to date: no lock taken
    if row is None:
        conn.execute(insert(graph_state).values(id=1, last_seq=0))
        last = 0
    else:  # lock the position (PostgreSQL) so two writers do not insert the same edges
        last = conn.execute(state.with_for_update()).scalar_one()
        if upto <= last:
            return 0
    changed = sa.and_(rv_c.type == "relationship", rv_c.seq > last, rv_c.seq <= upto)
    empty = conn.execute(select(ge.c.rel_id).limit(1)).first() is None
    if not empty:
        conn.execute(delete(ge).where(ge.c.rel_id.in_(select(rv_c.id).where(changed))))
    bulk = empty and conn.execute(select(func.count()).select_from(
        select(rv_c.seq).where(changed).limit(BULK).subquery())).scalar_one() >= BULK
    if bulk:
        for ix in ge.indexes:
            ix.drop(conn)
    src, dst, rtype = relationship_columns(conn)
    query = select(rv_c.id, src, dst, rtype, _source_type(conn, src), _source_type(conn, dst)).where(
        changed, rv_c.current.is_(True), rv_c.revoked.is_(False)).order_by(rv_c.id)  # key order: B-tree appends
    written = conn.execute(insert(ge).from_select(
        ["rel_id", "source", "target", "rel_type", "source_type", "target_type"], query),
        execution_options={"preserve_rowcount": True}).rowcount
    if bulk:
        for ix in ge.indexes:
            ix.create(conn)
    conn.execute(update(graph_state).where(graph_state.c.id == 1).values(last_seq=upto))
    return max(written, 0)


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def edges_of(conn: Connection, node_ids: Iterable[str]) -> list[Edge]:
    """Every indexed edge touching any of ``node_ids`` (both directions), each once."""
    ids = list(dict.fromkeys(node_ids))
    found: dict[str, Edge] = {}
    cols = (ge.c.rel_id, ge.c.source, ge.c.target, ge.c.rel_type)
    for chunk in _chunks(ids):
        for col in (ge.c.source, ge.c.target):
            for r in conn.execute(select(*cols).where(col.in_(chunk))):
                found[r.rel_id] = Edge(r.rel_id, r.source, r.target, r.rel_type)
    return list(found.values())


def all_edges(conn: Connection, batch: int = 50000) -> Iterator[list[Edge]]:
    """All indexed edges, in batches (keyset-paged by relationship id)."""
    after = ""
    while True:
        rows = conn.execute(select(ge.c.rel_id, ge.c.source, ge.c.target, ge.c.rel_type)
                            .where(ge.c.rel_id > after).order_by(ge.c.rel_id).limit(batch)).all()
        if not rows:
            return
        yield [Edge(r.rel_id, r.source, r.target, r.rel_type) for r in rows]
        after = rows[-1].rel_id


def edges_between_types(conn: Connection, a: str, b: str, limit: int) -> list[Edge]:
    """Edges linking a record of type ``a`` with one of type ``b`` (either direction)."""
    cols = (ge.c.rel_id, ge.c.source, ge.c.target, ge.c.rel_type)
    out: list[Edge] = []
    for x, y in ((a, b), (b, a)):
        q = select(*cols).where(ge.c.source_type == x, ge.c.target_type == y).order_by(ge.c.rel_id).limit(limit)
        out.extend(Edge(r.rel_id, r.source, r.target, r.rel_type) for r in conn.execute(q))
    return out


class RecordCache:
    """Current versions of records, loaded in batches (`records.projection`; parsed markings are shared)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.records: dict[str, Record | None] = {}

    def load(self, ids: Iterable[str]) -> None:
        missing = [i for i in dict.fromkeys(ids) if i not in self.records]
        for chunk in _chunks(missing):
            self.records.update(projection.current_records(self.conn, chunk, len(chunk) or 1))
            for i in chunk:
                self.records.setdefault(i, None)

    def get(self, record_id: str) -> Record | None:
        if record_id not in self.records:
            self.load([record_id])
        return self.records[record_id]

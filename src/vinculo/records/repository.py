"""Reading and writing record versions (the `record_versions` table)."""

from __future__ import annotations

import json
from functools import lru_cache
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select, update

from vinculo.records.facets import document_values
from vinculo.records.model import Record, format_ts, parse_ts, utcnow
from vinculo.sharing.markings import Markings
from vinculo.store.tables import record_versions as rv
from vinculo.store.tables_readers import record_readers
from vinculo.store.upsert import insert_many, placeholders


@dataclass(frozen=True)
class Filters:
    type: str | None = None
    country: str | None = None
    substance: str | None = None
    origin: str | None = None
    tlp: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    text: str | None = None
    include_revoked: bool = False


def to_row(record: Record, seq: int, content_hash: str, current: bool = True) -> dict:
    return document_row(record.document(), seq, content_hash, record.signature, current)


def document_row(doc: dict, seq: int, content_hash: str, signature: str | None = None, current: bool = True,
                 added: str | None = None) -> dict:
    """The table row for a version document (see `Record.document()`)."""
    values = document_values(doc, json.dumps(doc["markings"], ensure_ascii=False),
                             json.dumps(doc["body"], ensure_ascii=False), content_hash, signature, current,
                             added or format_ts(utcnow()))
    return dict(zip(_COLUMNS, (seq, *values), strict=True))


@lru_cache(maxsize=4096)
def parse_markings(text: str) -> Markings:
    """Markings are immutable and few distinct ones exist: parse each stored form once."""
    return Markings.model_validate(json.loads(text))


def from_row(row) -> Record:  # noqa: ANN001
    return Record(row.id, row.type, row.origin, row.version, parse_ts(row.created), parse_ts(row.modified),
                  parse_markings(row.markings), json.loads(row.body), row.revoked, row.signature, row.seq)


def insert_rows(conn: Connection, rows: list[dict]) -> None:
    if rows:
        conn.execute(insert(rv), rows)
        _insert_readers(conn, [(r["seq"], r["markings"]) for r in rows if r["tlp"] == "red"])


def _insert_readers(conn: Connection, red: list[tuple[int, str]]) -> None:
    """The users each TLP:RED version names (`store/tables_readers.py`), in the version's transaction."""
    readers = [{"seq": seq, "reader": name} for seq, text in red for name in parse_markings(text).recipients]
    if readers:
        conn.execute(insert(record_readers), readers)


_COLUMNS = ("seq", "id", "version", "type", "origin", "created", "modified", "revoked", "current", "markings", "body",
            "content_hash", "signature", "tlp", "handling", "country", "substance", "event_date", "search", "added")
_MARKINGS, _TLP = _COLUMNS.index("markings"), _COLUMNS.index("tlp")


def insert_tuples(conn: Connection, rows: list[tuple]) -> None:
    """Bulk insert rows given as tuples in `_COLUMNS` order (the import hot path: no per-row dicts)."""
    insert_many(conn, "record_versions", _COLUMNS, rows)
    _insert_readers(conn, [(r[0], r[_MARKINGS]) for r in rows if r[_TLP] == "red"])


def retire(conn: Connection, record_id: str) -> None:
    """Mark the current version of `record_id` as superseded."""
    conn.execute(update(rv).where(rv.c.id == record_id).values(current=False))


def current(conn: Connection, record_id: str) -> Record | None:
    """The current version: always the highest one (looked up through the (id, version) index)."""
    row = conn.execute(select(rv).where(rv.c.id == record_id).order_by(rv.c.version.desc()).limit(1)).one_or_none()
    return from_row(row) if row is not None and row.current else None


def current_many(conn: Connection, record_ids: list[str]) -> dict[str, Record]:
    """Current versions of many records at once."""
    out: dict[str, Record] = {}
    for i in range(0, len(record_ids), 900):
        rows = conn.execute(select(rv).where(rv.c.id.in_(record_ids[i : i + 900])))
        out.update({r.id: from_row(r) for r in rows if r.current})
    return out


def versions(conn: Connection, record_id: str) -> list[Record]:
    return [from_row(r) for r in conn.execute(select(rv).where(rv.c.id == record_id).order_by(rv.c.version))]


def existing_ids(conn: Connection, ids: list[str]) -> set[str]:
    """Which of `ids` this node already holds (any version)."""
    found: set[str] = set()
    if conn.dialect.name == "postgresql":  # one array parameter: psycopg rewrites every placeholder of a long IN
        for i in range(0, len(ids), 20000):
            rows = conn.exec_driver_sql("SELECT DISTINCT id FROM record_versions WHERE id = ANY(%s)",
                                        (ids[i : i + 20000],))
            found.update(row[0] for row in rows)
        return found
    for i in range(0, len(ids), 2000):
        chunk = ids[i : i + 2000]
        sql = f"SELECT DISTINCT id FROM record_versions WHERE id IN ({placeholders(conn, len(chunk))})"
        found.update(row[0] for row in conn.exec_driver_sql(sql, tuple(chunk)))
    return found


def _where(q, f: Filters):  # noqa: ANN001, ANN202
    q = q.where(rv.c.current.is_(True))
    if not f.include_revoked:
        q = q.where(rv.c.revoked.is_(False))
    for col, value in (("type", f.type), ("country", f.country), ("substance", f.substance),
                       ("origin", f.origin), ("tlp", f.tlp)):
        if value:
            q = q.where(rv.c[col] == value)
    if f.date_from:
        q = q.where(rv.c.event_date >= f.date_from)
    if f.date_to:
        q = q.where(rv.c.event_date <= f.date_to)
    if f.text:
        needle = f.text.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        q = q.where(rv.c.search.like(f"%{needle}%", escape="\\"))
    return q


def page(conn: Connection, f: Filters, before_seq: int | None, limit: int) -> list[Record]:
    """Current versions matching `f`, newest change first, strictly before `before_seq`."""
    q = _where(select(rv), f)
    if before_seq is not None:
        q = q.where(rv.c.seq < before_seq)
    return [from_row(r) for r in conn.execute(q.order_by(rv.c.seq.desc()).limit(limit))]


def count(conn: Connection, f: Filters) -> int:
    return conn.execute(_where(select(func.count()).select_from(rv), f)).scalar_one()


def stored_hashes(conn: Connection, batch: int = 20000):  # noqa: ANN201
    """Yield (seq, id, version, stored hash, recomputed document) for every version, in seq order."""
    after = 0
    while True:
        rows = conn.execute(select(rv).where(rv.c.seq > after).order_by(rv.c.seq).limit(batch)).all()
        if not rows:
            return
        for r in rows:
            yield r
        after = rows[-1].seq

"""What federation asks of the versions this node holds, beyond reading them: when one arrived, which were
stored in given ranges of the change feed, and dropping a record's content when its origin withdraws it.

Records owns `record_versions`; federation reaches it through here (and `repository`), never the table.
"""

from __future__ import annotations

import datetime as dt
import json

import orjson
from sqlalchemy import Connection, Select, and_, bindparam, delete, func, or_, select, update

from vinculo.records.model import Record, parse_ts
from vinculo.records.repository import from_row, parse_markings
from vinculo.store.tables import record_versions as rv

TABLE = rv.name
"""The table a purge empties of content (for `store.purge.after_purge`)."""


def added_at(conn: Connection, record_id: str, version: int) -> str | None:
    """When this node stored that version (its `added` timestamp), or None."""
    return conn.execute(select(rv.c.added).where(rv.c.id == record_id, rv.c.version == version)).scalar()


def first_seq_added_after(conn: Connection, ts: str) -> int | None:
    """The lowest change-feed sequence number of a version stored after `ts`."""
    return conn.execute(select(func.min(rv.c.seq)).where(rv.c.added > ts)).scalar()


def stored_in(conn: Connection, ranges: Select, since: int) -> list:
    """Rows (seq, id, version, dropped, added) of every version after `since` whose seq lies in one of
    `ranges` (a select of `first_seq` and `last_seq`); `dropped`: a tombstone, its content withdrawn."""
    dropped = and_(rv.c.revoked, rv.c.body == "{}").label("dropped")
    r = ranges.subquery()
    return conn.execute(select(rv.c.seq, rv.c.id, rv.c.version, dropped, rv.c.added)
                        .join(r, rv.c.seq.between(r.c.first_seq, r.c.last_seq))
                        .where(rv.c.seq > since).order_by(rv.c.seq)).all()


def drop_content(conn: Connection, record_id: str) -> list[list]:
    """Delete every stored version of `record_id` (its origin withdrew it); their [seq, content hash]."""
    gone = [[seq, digest] for seq, digest in conn.execute(
        select(rv.c.seq, rv.c.content_hash).where(rv.c.id == record_id))]
    conn.execute(delete(rv).where(rv.c.id == record_id))
    return gone


def made_since(conn: Connection, origin: str, since: dt.datetime) -> list[Record]:
    """Every version held from `origin` made (`modified`) at or after `since` that still has its content (a
    withdrawn one has none), in the order stored: what a key compromised since then may have signed."""
    content = ~and_(rv.c.revoked, rv.c.body == "{}")
    rows = conn.execute(select(rv.c.seq, rv.c.modified).where(rv.c.origin == origin, content)).all()
    seqs = [seq for seq, modified in rows if parse_ts(modified) >= since]  # compared as times, not as text
    out: list[Record] = []
    for i in range(0, len(seqs), 900):
        out += [from_row(r) for r in conn.execute(select(rv).where(rv.c.seq.in_(seqs[i : i + 900])))]
    return sorted(out, key=lambda r: r.seq or 0)


# --- retention: what is due, read without content ---------------------------------------------------

_HAS_CONTENT = or_(rv.c.revoked.is_(False), rv.c.body != "{}")  # not a tombstone (its content withdrawn)


def received_current(conn: Connection, ranges: Select, added_before: str | None, limit: int) -> list:
    """Up to `limit` rows (id, version, content_hash, added) of current versions that still have content,
    whose seq lies in one of `ranges` (the pages stored from one partner: a select of `first_seq` and
    `last_seq`) and, if `added_before` is given, that this node stored before it."""
    r = ranges.subquery()
    q = (select(rv.c.id, rv.c.version, rv.c.content_hash, rv.c.added)
         .join(r, rv.c.seq.between(r.c.first_seq, r.c.last_seq))
         .where(rv.c.current.is_(True), _HAS_CONTENT))
    if added_before is not None:
        q = q.where(rv.c.added < added_before)
    return conn.execute(q.order_by(rv.c.seq).limit(limit)).all()


def own_created_before(conn: Connection, origin: str, record_type: str, created_before: str) -> list:
    """Rows (id, version, content_hash, created) of `origin`'s current, unrevoked records of `record_type`
    first created before `created_before`."""
    return conn.execute(select(rv.c.id, rv.c.version, rv.c.content_hash, rv.c.created).where(
        rv.c.origin == origin, rv.c.type == record_type, rv.c.current.is_(True), rv.c.revoked.is_(False),
        rv.c.created < created_before).order_by(rv.c.seq)).all()


def case_subjects(conn: Connection) -> set[str]:
    """The ids every current, unrevoked case names in its `subject_refs` (cases of any origin)."""
    out: set[str] = set()
    for (body,) in conn.execute(select(rv.c.body).where(rv.c.type == "case", rv.c.current.is_(True),
                                                        rv.c.revoked.is_(False))):
        refs = orjson.loads(body).get("subject_refs")
        if isinstance(refs, list):
            out.update(r for r in refs if isinstance(r, str))
    return out


# --- the change feed a partner pulls, and the signing of our own versions at rest -----------------------

FEED_COLUMNS = (rv.c.seq, rv.c.id, rv.c.type, rv.c.origin, rv.c.version, rv.c.created, rv.c.modified,
                rv.c.markings, rv.c.body, rv.c.revoked, rv.c.signature, rv.c.added, rv.c.content_hash)
"""The columns of a feed row, in this order (`feed_record` reads them by position)."""
FEED_ADDED = 11  # the position of `added` in a feed row


def feed_rows(conn: Connection, after: int, types: set[str], ids: set[str] | None, batch: int) -> list:
    """Up to `batch` current versions of `types` (and `ids`, if given) after `after`, in seq order."""
    q = select(*FEED_COLUMNS).where(rv.c.seq > after, rv.c.current.is_(True), rv.c.type.in_(types))
    if ids is not None:
        q = q.where(rv.c.id.in_(ids))
    return conn.execute(q.order_by(rv.c.seq).limit(batch)).all()


def feed_record(r) -> Record:  # noqa: ANN001
    """`repository.from_row` for a `FEED_COLUMNS` row, read by position (a feed page reads 1,000 of them)."""
    seq, rid, rtype, origin, version, created, modified, markings, body, revoked, signature, _added, _hash = r
    try:
        content = orjson.loads(body)
    except orjson.JSONDecodeError:  # what only `json` reads (e.g. NaN): read it as from_row does
        content = json.loads(body)
    return Record(rid, rtype, origin, version, parse_ts(created), parse_ts(modified), parse_markings(markings),
                  content, revoked, signature, seq)


def current_after(conn: Connection, after: int, types: set[str]) -> bool:
    """Whether a current version of `types` lies after `after` in the feed."""
    return conn.execute(select(rv.c.seq).where(rv.c.seq > after, rv.c.current.is_(True), rv.c.type.in_(types))
                        .limit(1)).first() is not None


SIGNING_COLUMNS = (rv.c.seq, rv.c.id, rv.c.type, rv.c.origin, rv.c.version, rv.c.created, rv.c.modified,
                   rv.c.revoked, rv.c.markings, rv.c.body, rv.c.content_hash)


def unsigned_own(conn: Connection, origin: str, after: int, batch: int) -> list:
    """Up to `batch` current versions of `origin`'s (this node's) not yet signed, after `after`, in seq order
    (rows of `SIGNING_COLUMNS`)."""
    return conn.execute(select(*SIGNING_COLUMNS).where(
        rv.c.origin == origin, rv.c.seq > after, rv.c.current.is_(True), rv.c.signature.is_(None))
        .order_by(rv.c.seq).limit(batch)).all()


def set_signatures(conn: Connection, signed: list[tuple[int, str]]) -> None:
    """Store each (seq, signature) on a version still unsigned."""
    conn.execute(update(rv).where(and_(rv.c.seq == bindparam("s"), rv.c.signature.is_(None)))
                 .values(signature=bindparam("sig")), [{"s": seq, "sig": sig} for seq, sig in signed])


def first_at_or_after(conn: Connection, seq: int) -> tuple[int, str] | None:
    """(seq, added) of the stored version with the lowest sequence number at or after `seq` (a primary key seek)."""
    row = conn.execute(select(rv.c.seq, rv.c.added).where(rv.c.seq >= seq).order_by(rv.c.seq).limit(1)).first()
    return (row[0], row[1]) if row is not None else None


def origins_of(conn: Connection, record_ids: Select) -> set[str]:
    """The origins of the current versions of the records `record_ids` (a select of ids) names."""
    return set(conn.execute(select(rv.c.origin).distinct().where(
        rv.c.id.in_(record_ids.scalar_subquery()), rv.c.current.is_(True))).scalars())


def first_added_of(conn: Connection, origin: str, held: Select) -> tuple[int, str] | None:
    """(seq, added) of the earliest stored of the versions `held` names (a select of record id and version)
    that came from `origin`."""
    h = held.subquery()
    row = conn.execute(select(rv.c.seq, rv.c.added).join(h, and_(rv.c.id == h.c[0], rv.c.version == h.c[1]))
                       .where(rv.c.origin == origin).order_by(rv.c.seq).limit(1)).first()
    return (row[0], row[1]) if row is not None else None

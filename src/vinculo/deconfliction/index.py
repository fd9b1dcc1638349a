"""The selector index (``dc_selectors``): every record's selectors, kept up to date from the change feed.

:func:`catch_up` reads the current versions written since ``dc_state.last_seq`` (created here,
imported, or received from partners: all of them go through the feed), replaces their selectors and
hands the new valid ones to :mod:`vinculo.deconfliction.correlate`. Invalid selectors are stored
(``valid`` false, with the reason) so that they can be listed per record; they are never matched.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, insert, select, update

from vinculo.deconfliction import events
from vinculo.deconfliction.base import Selector
from vinculo.deconfliction.selectors import selectors_for
from vinculo.records import projection
from vinculo.records.projection import columns as rv_c
from vinculo.records.types import BODY_TYPES
from vinculo.sharing import service as sharing
from vinculo.store.tables_deconfliction import dc_selectors as ds
from vinculo.store.tables_deconfliction import dc_state

CHUNK = 500
BATCH = 5000
SELECTOR_FIELDS = frozenset({
    "full_name", "given_names", "surnames", "aliases", "curp", "rfc", "passports", "phones", "emails",
    "name", "address", "plate", "vin", "imo", "number", "imei", "container_numbers", "vessel_imo",
    "exporter", "importer", "consignee", "cas", "cas_numbers", "clabe", "ssn", "ein",
    "precursor",  # a pre-export notification's parties (selectors._case)
    "tablet", "package", "press", "analytes", "sha256",  # forensic exhibits
})
"""Body fields ``selectors_for`` reads: a type whose model has none of them yields no selectors."""
INDEXED_TYPES = tuple(sorted(t for t, model in BODY_TYPES.items()
                             if t == "event" or SELECTOR_FIELDS & set(model.model_fields)))


def vhash(kind: str, value: str, valid: bool = True) -> str:
    """The index key of a selector: SHA-256 of kind and value (invalid ones salted apart), 32 hex."""
    tag = b"" if valid else b"!"
    return hashlib.sha256(tag + kind.encode() + b"\x00" + value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def record_selectors(record_type: str, body: dict, country: str | None) -> list[Selector]:
    """All selectors of one record body (events: their space-time cells)."""
    if record_type == "event":
        return events.cell_selectors(body)
    return selectors_for(record_type, body, country)


@dataclass
class Fresh:
    """What one catch-up batch indexed: new valid keys per record, for correlation."""

    seq: dict[str, int] = field(default_factory=dict)  # record id -> seq of its version
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # vhash -> (kind, value)
    holders: dict[str, set[str]] = field(default_factory=dict)  # vhash -> new record ids
    events: dict[str, dict] = field(default_factory=dict)  # new event record id -> body


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _countries(conn: Connection, node_id: str, node_country: str) -> dict[str, str | None]:
    out: dict[str, str | None] = {p["node_id"]: p["country"] for p in sharing.list_partners(conn)}
    out[node_id] = node_country
    return out


def _position(conn: Connection) -> int:
    """The indexed position, its row locked until commit (one catch-up at a time; SQLite transactions
    here already hold the write lock)."""
    row = conn.execute(select(dc_state.c.last_seq).where(dc_state.c.id == 1).with_for_update()).first()
    if row is None:
        conn.execute(insert(dc_state).values(id=1, last_seq=0))
        return 0
    return row.last_seq


def index_batch(conn: Connection, rows: list, countries: dict[str, str | None], node_id: str) -> Fresh:
    """Replace the selectors of these current versions; return the new valid keys."""
    fresh = Fresh()
    # a first version written here has no selectors yet; anything else may replace some
    ids = [r.id for r in rows if r.version > 1 or r.origin != node_id]
    for chunk in _chunks(ids):
        conn.execute(delete(ds).where(ds.c.record_id.in_(chunk)))
    out: list[dict] = []
    for r in rows:
        if r.revoked:
            continue
        body = json.loads(r.body)
        seen: set[str] = set()
        for sel in record_selectors(r.type, body, countries.get(r.origin)):
            key = vhash(sel.kind, sel.value, sel.valid)
            if key in seen:
                continue
            seen.add(key)
            out.append({"record_id": r.id, "vhash": key, "kind": sel.kind, "value": sel.value,
                        "valid": sel.valid, "reason": (sel.reason or "")[:300] or None})
            if sel.valid:
                fresh.keys[key] = (sel.kind, sel.value)
                fresh.holders.setdefault(key, set()).add(r.id)
        fresh.seq[r.id] = r.seq
        if r.type == "event":
            fresh.events[r.id] = body
    if out:
        conn.execute(insert(ds), out)
    return fresh


def catch_up(conn: Connection, node_id: str, node_country: str, on_batch=None) -> int:
    """Index every current version written since the last catch-up; ``on_batch(conn, fresh)`` runs per
    batch in the same transaction. Returns how many versions were indexed.

    Sequence numbers are allocated under the ``node_state`` row lock (see ``store.feed``), so a
    committed version implies every lower number is committed or rolled back: the versions above our
    position that we can see are exactly the ones to index, and the position can move to the last.
    """
    last = _position(conn)
    countries: dict[str, str | None] | None = None
    done = 0
    while True:
        rows = conn.execute(projection.changes(
            (rv_c.seq, rv_c.id, rv_c.version, rv_c.type, rv_c.origin, rv_c.body, rv_c.revoked), last, None,
            rv_c.type.in_(INDEXED_TYPES), current_only=True, limit=BATCH)).all()
        if not rows:
            break
        if countries is None and any(r.origin != node_id for r in rows):
            countries = _countries(conn, node_id, node_country)
        fresh = index_batch(conn, rows, countries or {node_id: node_country}, node_id)
        if on_batch is not None:
            on_batch(conn, fresh)
        done += len(rows)
        last = rows[-1].seq
        if len(rows) < BATCH:
            break
    if done:
        conn.execute(update(dc_state).where(dc_state.c.id == 1).values(last_seq=last))
    return done


def selectors_of(conn: Connection, record_id: str) -> list[dict]:
    """The indexed selectors of one record (valid and invalid), for display."""
    rows = conn.execute(select(ds.c.kind, ds.c.value, ds.c.valid, ds.c.reason)
                        .where(ds.c.record_id == record_id).order_by(ds.c.kind, ds.c.value))
    return [{"kind": r.kind, "value": r.value, "valid": r.valid, "reason": r.reason} for r in rows]


def invalid_records(conn: Connection, limit: int = 1000) -> dict[str, list[dict]]:
    """Records with invalid identifiers: record id -> [{kind, value, reason}]."""
    rows = conn.execute(select(ds.c.record_id, ds.c.kind, ds.c.value, ds.c.reason)
                        .where(ds.c.valid.is_(False)).order_by(ds.c.record_id).limit(limit))
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r.record_id, []).append({"kind": r.kind, "value": r.value, "reason": r.reason})
    return out


def holders(conn: Connection, keys: Iterable[str], limit: int | None = None) -> dict[str, list[str]]:
    """Record ids holding each valid key (with ``limit``: at most that many rows in all)."""
    out: dict[str, list[str]] = {}
    for chunk in _chunks(list(dict.fromkeys(keys))):
        q = select(ds.c.vhash, ds.c.record_id).where(ds.c.vhash.in_(chunk), ds.c.valid.is_(True))
        for r in conn.execute(q if limit is None else q.limit(limit)):
            out.setdefault(r.vhash, []).append(r.record_id)
    return out


def values_of_kind(conn: Connection, kind: str) -> Iterator[tuple[str, str]]:
    """(record id, value) of every valid selector of one kind."""
    for r in conn.execute(select(ds.c.record_id, ds.c.value).where(ds.c.kind == kind, ds.c.valid.is_(True))):
        yield r.record_id, r.value

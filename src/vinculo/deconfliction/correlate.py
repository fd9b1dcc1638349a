"""Local correlation: new selectors matched against the records already held raise alerts.

A key held by at most ``cap`` records gives one alert per pair of records holding it (each pair once,
whichever record came first). A key held by more (a common name, a placeholder phone) gives a single
``over-common`` alert with the count, updated as the count grows, instead of a quadratic burst of
pairs. Events are matched by their space-time cells first, then by the exact test (windows overlap and
circles overlap) so that an alert means a real conflict.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, func, insert, or_, select, update

from vinculo.deconfliction import events
from vinculo.deconfliction.index import CHUNK, Fresh, holders, vhash
from vinculo.records import projection
from vinculo.store.tables_deconfliction import dc_alerts as da
from vinculo.store.tables_deconfliction import dc_selectors as ds

DEFAULT_CAP = 25
EVENT_KEY = vhash("event", "overlap")
MAX_EVENT_CANDIDATES = 2000


def _chunks(items: list) -> Iterable[list]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _counts(conn: Connection, keys: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for chunk in _chunks(keys):
        q = (select(ds.c.vhash, func.count()).where(ds.c.vhash.in_(chunk), ds.c.valid.is_(True))
             .group_by(ds.c.vhash))
        out.update({k: n for k, n in conn.execute(q)})
    return out


def _existing(conn: Connection, keys: list[str]) -> set[tuple[str, str, str]]:
    out: set[tuple[str, str, str]] = set()
    for chunk in _chunks(keys):
        q = select(da.c.vhash, da.c.record_a, da.c.record_b).where(da.c.vhash.in_(chunk))
        out.update((r.vhash, r.record_a, r.record_b) for r in conn.execute(q))
    return out


def _alert(now: str, status: str, kind: str, key: str, value: str, a: str, b: str, n: int, seq: int) -> dict:
    return {"created": now, "status": status, "kind": kind, "vhash": key, "value": value, "record_a": a,
            "record_b": b, "holders": n, "seq": seq}


def correlate(conn: Connection, fresh: Fresh, cap: int, now: str) -> int:
    """Raise the alerts a batch of newly indexed records causes; returns how many were raised."""
    keys = [k for k, (kind, _) in fresh.keys.items() if kind != events.KIND]
    counts = _counts(conn, keys)
    shared = [k for k in keys if counts.get(k, 0) >= 2]
    if not shared and not fresh.events:
        return 0
    over = [k for k in shared if counts[k] > cap]
    pairs_keys = [k for k in shared if counts[k] <= cap]
    held = holders(conn, pairs_keys)
    existing = _existing(conn, shared)
    rows: list[dict] = []
    for key in pairs_keys:
        kind, value = fresh.keys[key]
        everyone = sorted(held.get(key, ()))
        for new in sorted(fresh.holders[key]):
            for other in everyone:
                if other == new:
                    continue
                a, b = sorted((new, other))
                if (key, a, b) in existing:
                    continue
                existing.add((key, a, b))
                rows.append(_alert(now, "match", kind, key, value, a, b, 2, fresh.seq[new]))
    for key in over:
        kind, value = fresh.keys[key]
        seq = max(fresh.seq[i] for i in fresh.holders[key])
        if (key, "", "") in existing:
            conn.execute(update(da).where(da.c.vhash == key, da.c.record_a == "", da.c.record_b == "")
                         .values(holders=counts[key], seq=seq))
        else:
            rows.append(_alert(now, "over-common", kind, key, value, "", "", counts[key], seq))
    rows += _event_alerts(conn, fresh, now)
    if rows:
        conn.execute(insert(da), rows)
    return len(rows)


def _event_alerts(conn: Connection, fresh: Fresh, now: str) -> list[dict]:
    if not fresh.events:
        return []
    cell_keys = [k for k, (kind, _) in fresh.keys.items() if kind == events.KIND]
    held = holders(conn, cell_keys)
    candidates: dict[str, set[str]] = {}
    for key in cell_keys:
        for new in fresh.holders[key]:
            bucket = candidates.setdefault(new, set())
            if len(bucket) < MAX_EVENT_CANDIDATES:
                bucket.update(i for i in held.get(key, ()) if i != new)
    wanted = sorted(set().union(*candidates.values())) if candidates else []
    bodies = projection.current_bodies(conn, wanted, CHUNK)
    ids = list(fresh.events)
    existing: set[tuple[str, str]] = set()
    for chunk in _chunks(ids):
        q = select(da.c.record_a, da.c.record_b).where(
            da.c.vhash == EVENT_KEY, or_(da.c.record_a.in_(chunk), da.c.record_b.in_(chunk)))
        existing.update((r.record_a, r.record_b) for r in conn.execute(q))
    rows = []
    for new, others in candidates.items():
        for other in sorted(others):
            a, b = sorted((new, other))
            body = bodies.get(other) or fresh.events.get(other)
            if (a, b) in existing or body is None:
                continue
            found = events.overlap(fresh.events[new], body)
            if found is None:
                continue
            existing.add((a, b))
            value = f"{found['from']}/{found['to']}, {found['distance_m']} m apart (reach {found['reach_m']} m)"
            rows.append(_alert(now, "match", "event", EVENT_KEY, value, a, b, 2, fresh.seq[new]))
    return rows

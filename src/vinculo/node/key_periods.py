"""Which key a node signed with, when: the periods of this node's and each partner's retired keys.

The key in force is the pinned one (`partners.public_key`, or `node.public_key` for this node); it
verifies whatever its node serves, old versions too (a view re-signed after a rotation, a tombstone).
A retired key verifies only versions made (`modified`) before it was retired: a version its node made after
retiring it, or after the compromise time an operator stated, signed by it, does not verify.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from vinculo.node.keys import fingerprint
from vinculo.records.model import format_ts, parse_ts, utcnow
from vinculo.sodium import ed25519_verify_hex
from vinculo.store.tables_federation import key_periods


@dataclass(frozen=True)
class RetiredKey:
    public_key: str
    raw: bytes
    valid_from: dt.datetime | None  # None: since its node began
    valid_to: dt.datetime
    compromised: bool

    def covers(self, when: dt.datetime) -> bool:
        """Whether a version made at `when` may carry this key's signature: one made before the key was
        retired (or compromised). Not only since `valid_from`: while in force, a key also signs the views
        of older versions it serves, and those keep verifying."""
        return when < self.valid_to

    def describe(self) -> str:
        why = "compromised since" if self.compromised else "retired"
        return f"key {fingerprint(self.public_key)[:27]}… ({why} {format_ts(self.valid_to)})"


Retired = dict[str, tuple[RetiredKey, ...]]


def retired(conn: Connection, node_id: str | None = None) -> Retired:
    """Every node's retired keys (or `node_id`'s only), the earliest retired first."""
    q = select(key_periods).where(key_periods.c.valid_to.is_not(None)).order_by(key_periods.c.valid_to,
                                                                                 key_periods.c.id)
    if node_id is not None:
        q = q.where(key_periods.c.node_id == node_id)
    out: dict[str, list[RetiredKey]] = {}
    for r in conn.execute(q):
        out.setdefault(r.node_id, []).append(RetiredKey(
            r.public_key, bytes.fromhex(r.public_key), parse_ts(r.valid_from) if r.valid_from else None,
            parse_ts(r.valid_to), r.compromised))
    return {k: tuple(v) for k, v in out.items()}


def by_node(conn: Connection) -> dict[str, list[tuple[bytes, dt.datetime]]]:
    """Every node's retired keys as (raw key, retired at), for checks that take plain values
    (`records.signatures`, `audit.verify`)."""
    return {node_id: [(k.raw, k.valid_to) for k in olds] for node_id, olds in retired(conn).items()}


def key_for(keys: dict[str, bytes], older: Retired, signer: str, modified: str) -> bytes | None:
    """The key to verify `signer`'s version made at `modified` with first: the earliest retired key that
    covers that time, else the key in force (None: no key is pinned for `signer`)."""
    current = keys.get(signer)
    olds = older.get(signer)
    if current is None or not olds:
        return current
    when = parse_ts(modified)
    return next((k.raw for k in olds if k.covers(when)), current)


def second_look(candidates: list, verdicts: list[bool], keys: dict[str, bytes],
                older: Retired) -> tuple[list[bool], dict[int, str]]:
    """After a page's signatures were checked with `key_for`'s choice: a version signed by its node's key
    in force verifies too, whatever its time, and so does one signed by another retired key that covers
    its time; a version that verifies only with a retired key past that key's period is named (the reason, by candidate position). `candidates` are `inbox._check`'s
    (doc, signature, tombstone, canonical bytes, key, signer)."""
    if not older:
        return verdicts, {}
    out, why = list(verdicts), {}
    for i, ((doc, signature, _t, data, key, signer), ok) in enumerate(zip(candidates, verdicts, strict=True)):
        olds = older.get(signer)
        if ok or not olds:
            continue
        current, when = keys.get(signer), parse_ts(doc["modified"])
        if current is not None and key != current and ed25519_verify_hex(current, data, signature):
            out[i] = True
            continue
        used = next((k for k in olds if k.raw != key and ed25519_verify_hex(k.raw, data, signature)), None)
        if used is not None and used.covers(when):
            out[i] = True
        elif used is not None:
            why[i] = (f"{doc['id']}: signed with {signer}'s {used.describe()}, but made {doc['modified']}, "
                      "after that")
    return out, why


def acceptable(conn: Connection, signer: str, current: str | None, modified: dt.datetime) -> list[bytes]:
    """The keys a version `signer` made at `modified` may be signed with: the one in force, and the
    retired ones that cover that time."""
    olds = retired(conn, signer).get(signer, ())
    keys = [bytes.fromhex(current)] if current else []
    return keys + [k.raw for k in olds if k.covers(modified)]


def history(conn: Connection, node_id: str) -> list[dict]:
    """`node_id`'s keys that were replaced or that replaced another, in order (empty: never rotated)."""
    rows = conn.execute(select(key_periods).where(key_periods.c.node_id == node_id).order_by(key_periods.c.id))
    return [{"public_key": r.public_key, "fingerprint": fingerprint(r.public_key), "valid_from": r.valid_from,
             "valid_to": r.valid_to, "compromised": r.compromised, "source": r.source, "recorded": r.recorded}
            for r in rows]


def known(conn: Connection, node_id: str) -> set[str]:
    """Every key `node_id` is known here to have used before (retired ones)."""
    return set(conn.execute(select(key_periods.c.public_key).where(
        key_periods.c.node_id == node_id, key_periods.c.valid_to.is_not(None))).scalars())


def in_force_since(conn: Connection, node_id: str, public_key: str) -> str | None:
    """When `node_id`'s key in force came in (None: it is its first key, or it was pinned at the start)."""
    return conn.execute(select(key_periods.c.valid_from).where(
        key_periods.c.node_id == node_id, key_periods.c.public_key == public_key,
        key_periods.c.valid_to.is_(None)).order_by(key_periods.c.id.desc()).limit(1)).scalar()


def replace(conn: Connection, node_id: str, old_key: str, new_key: str, at: str, source: str,
            statement: dict | None = None, compromised: bool = False) -> None:
    """Record that `node_id` signs with `new_key` from `at` on: `old_key`'s period ends at `at` (the
    compromise time, if `compromised`). The caller changes the key in force itself, in the same transaction."""
    now = format_ts(utcnow())
    closed = conn.execute(update(key_periods).where(
        key_periods.c.node_id == node_id, key_periods.c.public_key == old_key, key_periods.c.valid_to.is_(None))
        .values(valid_to=at, compromised=compromised)).rowcount
    if not closed:  # its first key, or the key pinned when the partner was added
        conn.execute(insert(key_periods).values(node_id=node_id, public_key=old_key, valid_from=None, valid_to=at,
                                                compromised=compromised, source="first", recorded=now))
    conn.execute(insert(key_periods).values(
        node_id=node_id, public_key=new_key, valid_from=at, valid_to=None, compromised=False, source=source,
        statement=json.dumps(statement, sort_keys=True) if statement else None, recorded=now))


def earliest(conn: Connection, node_id: str) -> str | None:
    """The earliest key known here for `node_id` (the one with no start), if any of its keys was replaced."""
    return conn.execute(select(key_periods.c.public_key).where(
        key_periods.c.node_id == node_id, key_periods.c.valid_from.is_(None))
        .order_by(key_periods.c.id.desc()).limit(1)).scalar()


def learn(conn: Connection, node_id: str, old_key: str, until: str, later_key: str, statement: dict) -> None:
    """Record a key `node_id` used before any known here (`old_key`, retired at `until` for `later_key`, as
    a statement `later_key` signed says): what `old_key` signed before then verifies here too."""
    now = format_ts(utcnow())
    conn.execute(insert(key_periods).values(node_id=node_id, public_key=old_key, valid_from=None, valid_to=until,
                                            compromised=False, source="rotation", recorded=now))
    text = json.dumps(statement, sort_keys=True)
    if not conn.execute(update(key_periods).where(
            key_periods.c.node_id == node_id, key_periods.c.public_key == later_key,
            key_periods.c.valid_from.is_(None)).values(valid_from=until, statement=text)).rowcount:
        conn.execute(insert(key_periods).values(node_id=node_id, public_key=later_key, valid_from=until, valid_to=None,
                                                compromised=False, source="rotation", statement=text, recorded=now))


def statements(conn: Connection, node_id: str, most: int) -> list[dict]:
    """The signed rotation statements that brought `node_id`'s keys in, oldest first (the last `most`)."""
    rows = conn.execute(select(key_periods.c.statement).where(
        key_periods.c.node_id == node_id, key_periods.c.statement.is_not(None))
        .order_by(key_periods.c.id.desc()).limit(most)).scalars().all()
    return [json.loads(s) for s in reversed(rows)]

"""Check the signature stored with every record version against its origin's key.

This node's own versions are signed at rest (`federation.at_rest`), except bulk imports the background
signer has not reached yet (counted, not a problem). A partner's version was verified against the pinned
key when it arrived and must still verify; a tombstone (content withdrawn) is signed by the node that served
it, not by its origin, and holds no content: it is skipped, as `federation.provenance` does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import Connection, select

from vinculo.canonical import canonical_json
from vinculo.records.model import document_bytes, parse_ts, version_document
from vinculo.records.repository import parse_markings
from vinculo.sodium import ed25519_verify_batch, ed25519_verify_hex
from vinculo.store.tables import record_versions as rv

BATCH = 5_000


@dataclass(frozen=True)
class SignatureCheck:
    checked: int
    unsigned_own: int
    problem: str | None


def _bytes(r) -> bytes:
    data = document_bytes(r.id, r.type, r.origin, r.version, r.created, r.modified, r.revoked, r.markings, r.body)
    if hashlib.sha256(data).hexdigest() == r.content_hash:
        return data
    return canonical_json(version_document(r.id, r.type, r.origin, r.version, r.created, r.modified, r.revoked,
                                           parse_markings(r.markings).to_json(), json.loads(r.body)))


def check_signatures(conn: Connection, own: str, keys: dict[str, bytes],
                     older: dict[str, list[tuple[bytes, dt.datetime]]] | None = None) -> SignatureCheck:
    """`keys`: raw Ed25519 public keys by node id (this node's and every pinned partner's). `older`: the
    keys a node retired, each with the time it was retired (`node.key_periods`): a version made before
    then may carry that key's signature instead."""
    older = older or {}
    checked = unsigned = 0
    after = 0
    columns = (rv.c.seq, rv.c.id, rv.c.type, rv.c.origin, rv.c.version, rv.c.created, rv.c.modified,
               rv.c.revoked, rv.c.markings, rv.c.body, rv.c.content_hash, rv.c.signature)
    while True:
        rows = conn.execute(select(*columns).where(rv.c.seq > after).order_by(rv.c.seq).limit(BATCH)).all()
        if not rows:
            return SignatureCheck(checked, unsigned, None)
        after = rows[-1].seq
        items, which = [], []
        for r in rows:
            name = f"record {r.id} version {r.version} (seq {r.seq})"
            if r.origin != own and r.revoked and r.body == "{}":
                continue
            if r.signature is None:
                if r.origin == own:
                    unsigned += 1
                    continue
                return SignatureCheck(checked, unsigned, f"{name}: from {r.origin}, stored without its signature")
            key = keys.get(r.origin)
            if key is None:
                return SignatureCheck(checked, unsigned, f"{name}: no key for its origin {r.origin}")
            items.append((key, _bytes(r), r.signature))
            which.append((name + f": signature does not verify against {r.origin}'s key", r.origin, r.modified))
        for ok, (key, data, signature), (problem, origin, modified) in zip(ed25519_verify_batch(items), items, which,
                                                                            strict=True):
            checked += 1
            if not ok and not any(parse_ts(modified) < until and ed25519_verify_hex(retired, data, signature)
                                  for retired, until in older.get(origin, ())):
                return SignatureCheck(checked, unsigned, problem)

"""Where a held record version came from: this node, or a partner whose signature was verified."""

from __future__ import annotations

from sqlalchemy import select

from vinculo.canonical import canonical_json
from vinculo.node import key_periods
from vinculo.node.context import Node
from vinculo.records import holding
from vinculo.records.model import Record
from vinculo.sodium import ed25519_verify_hex
from vinculo.store.tables import partners


def origin_signature(node: Node, record: Record) -> dict:
    """The signature status of `record` as held here.

    ``status``: ``local`` (recorded on this node and signed by it: see `at_rest`), ``verified`` (signed by its
    origin, verified against the pinned key on receipt and again now), ``unsigned``, ``no-key`` (the
    origin is no longer a known partner), ``withdrawn`` (a tombstone: the content was dropped) or
    ``invalid`` (verifies neither against the pinned key nor against a key the origin retired after it
    made this version: `key_periods`).
    """
    if record.origin == node.id:  # `signed`: False until the background signer reaches a bulk import
        return {"status": "local", "signer": node.id, "received": None, "signed": bool(record.signature)}
    with node.engine.connect() as conn:
        key = conn.execute(select(partners.c.public_key).where(partners.c.node_id == record.origin)).scalar()
        received = holding.added_at(conn, record.id, record.version)
        accepted = key_periods.acceptable(conn, record.origin, key, record.modified)
    out = {"signer": record.origin, "received": received}
    if record.revoked and not record.body:
        return out | {"status": "withdrawn"}
    if not record.signature:
        return out | {"status": "unsigned"}
    if key is None:
        return out | {"status": "no-key"}
    data = canonical_json(record.document())
    ok = any(ed25519_verify_hex(k, data, record.signature) for k in accepted)
    return out | {"status": "verified" if ok else "invalid"}

"""Signatures at rest: this node's Ed25519 signature over each of its own versions, stored with it.

A version written one at a time (create, update, revoke) is signed as it is stored. A bulk import stores
its versions unsigned, so that importing stays fast; `sign_pending` signs them afterwards, in batches,
from `vinculo serve` (`SigningLoop`) or `vinculo records sign`. The outbox hands a partner the stored
signature whenever it sends the full version, and signs only what it must build for that partner
(a view with withheld fields, a tombstone) or what is not signed yet. A version is signed once, however
many partners receive it; and a stored version altered in the database no longer matches its
signature, which every receiver checks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading

from sqlalchemy import select

from vinculo.audit.events import AuditEvent
from vinculo.canonical import canonical_json
from vinculo.federation.signing import sign_many
from vinculo.node.context import Node
from vinculo.records import holding
from vinculo.records.model import document_bytes, version_document
from vinculo.records.repository import parse_markings
from vinculo.store.engine import locked
from vinculo.store.feed import lock_node_state
from vinculo.store.tables import node_state
from vinculo.store.uow import READ_ONLY

log = logging.getLogger("vinculo.signing")

BATCH = 1_000


def stored_canonical(stored, doc: dict | None = None) -> bytes:  # noqa: ANN001
    """The canonical bytes of a stored version (a row with `holding.SIGNING_COLUMNS`' names), assembled from its stored
    canonical texts when they hash to its stored content hash (so they are exactly its canonical form);
    else those of `doc`, or of the version as `Record.document()` gives it."""
    data = document_bytes(stored.id, stored.type, stored.origin, stored.version, stored.created, stored.modified,
                          stored.revoked, stored.markings, stored.body)
    if hashlib.sha256(data).hexdigest() == stored.content_hash:
        return data
    if doc is None:
        doc = version_document(stored.id, stored.type, stored.origin, stored.version, stored.created,
                               stored.modified, stored.revoked, parse_markings(stored.markings).to_json(),
                               json.loads(stored.body))
    return canonical_json(doc)


def sign_pending(node: Node, after: int = 0, batch: int = BATCH) -> tuple[int, int]:
    """Sign up to `batch` of this node's current, unsigned versions after sequence number `after`.

    Returns (how many were signed, where the next call may start): every current version of ours at or
    before that point is signed."""
    with node.engine.connect() as conn:
        conn.info[READ_ONLY] = True  # on SQLite a read takes no write lock (it waited behind imports)
        try:
            last = conn.execute(select(node_state.c.last_seq)).scalar() or 0  # read first: see below
            rows = holding.unsigned_own(conn, node.id, after, batch)
            conn.rollback()
        finally:
            conn.info.pop(READ_ONLY, None)
    if not rows:  # every version up to `last` was committed before it was read, so none is unsigned
        return 0, max(after, last)
    signatures = sign_many(node.key, [stored_canonical(r) for r in rows])
    with node.uow() as uow:
        lock_node_state(uow.conn)  # as every writer does first (an update may retire these rows meanwhile)
        holding.set_signatures(uow.conn, [(r.seq, sig) for r, sig in zip(rows, signatures, strict=True)])
        uow.audit(AuditEvent(f"node:{node.id}", "records.signed", None,
                             {"count": len(rows), "first_seq": rows[0].seq, "last_seq": rows[-1].seq}))
        uow.commit()
    return len(rows), rows[-1].seq if len(rows) == batch else max(rows[-1].seq, last)


def sign_all(node: Node) -> int:
    """Sign every current, unsigned version of ours; how many were signed."""
    total, after = 0, 0
    while True:
        signed, after = sign_pending(node, after)
        total += signed
        if not signed:
            return total


class SigningLoop(threading.Thread):
    """`vinculo serve`'s signer: signs what bulk imports left unsigned, then looks again every
    `interval` seconds (from where it stopped, so a quiet node reads next to nothing)."""

    def __init__(self, node: Node, interval: float = 10.0):
        super().__init__(name="vinculo-signing", daemon=True)
        self.node, self.interval = node, interval
        self.stopped = threading.Event()
        self.after = 0
        self.signed = 0

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                signed, self.after = sign_pending(self.node, self.after)
            except Exception as exc:  # noqa: BLE001 - the loop must outlive one failure; it is logged
                if locked(exc):  # another writer held the database longer than the wait: next round
                    log.warning("signing: the database is busy with another writer; trying again later")
                else:
                    log.exception("signing at rest failed")
                signed = 0
            self.signed += signed
            if not signed:
                self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()

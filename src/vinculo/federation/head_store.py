"""The partners' tree heads this node holds: accept a new one (or keep it as evidence), status, verify.

A partner's good heads form a chain, each stored with the consistency proof from the good head before
it, so `vinculo audit verify --partners` can re-check the whole chain offline. A head that fails its
checks never joins the chain: it is kept as evidence next to the good head it conflicts with, with a
`treehead.conflict` audit entry, and the partner's sync status shows the problem.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, func, insert, select

from vinculo.audit.events import AuditEvent
from vinculo.audit.merkle import verify_consistency
from vinculo.audit.treehead import TreeHead, verify_tree_head
from vinculo.federation.heads import check_head, describe, head_json
from vinculo.node import key_periods
from vinculo.node.context import Node
from vinculo.records.model import format_ts, parse_ts, utcnow
from vinculo.store.feed import lock_node_state
from vinculo.store.tables import partners
from vinculo.store.tables_federation import partner_tree_heads as heads

MAX_EVIDENCE = 100  # bad heads kept per partner: a hostile one cannot fill the disk (or the log) with them


class StaleProof(Exception):
    """The proof starts from a head that is no longer the last good one held (another exchange won)."""


@dataclass(frozen=True)
class Accepted:
    problem: str | None  # None: the head joined the chain (or was held already)
    held: int | None  # the size of the last good head held after this


def _head(row) -> TreeHead:
    return TreeHead(row.size, bytes.fromhex(row.root), parse_ts(row.ts), bytes.fromhex(row.signature))


def partner_keys(conn: Connection, partner: str, at: dt.datetime) -> list[Ed25519PublicKey]:
    """The keys a head `partner` signed at `at` may carry: the one pinned now, and those it retired that
    were in force then (`node.key_periods`: a head stored before the partner rotated its key still verifies)."""
    hexkey = conn.execute(select(partners.c.public_key).where(partners.c.node_id == partner)).scalar_one()
    return [Ed25519PublicKey.from_public_bytes(raw) for raw in key_periods.acceptable(conn, partner, hexkey, at)]


def held(conn: Connection, partner: str) -> tuple[int, TreeHead] | None:
    """(row id, head) of the last good head held for `partner`."""
    row = conn.execute(select(heads).where(heads.c.partner == partner, heads.c.problem.is_(None))
                       .order_by(heads.c.id.desc()).limit(1)).one_or_none()
    return None if row is None else (row.id, _head(row))


def accept(node: Node, partner: str, new: TreeHead, proof_from: int | None, proof: list[bytes] | None,
           via: str) -> Accepted:
    """Check `new` against the last good head held and keep it: in the chain, or as evidence.

    `proof_from` is the size the proof starts from; raises StaleProof when that is no longer the size held."""
    with node.uow() as uow:
        conn = uow.conn
        lock_node_state(conn)  # one exchange at a time per node: a pull and a push may meet
        last = held(conn, partner)
        before = last[1] if last else None
        if before is not None and new.size != before.size and proof_from != before.size:
            raise StaleProof(f"the proof starts from size {proof_from}, but the head held is at size {before.size}")
        check = check_head(partner, partner_keys(conn, partner, new.timestamp), before, new, proof)
        row = {"partner": partner, "size": new.size, "root": new.root.hex(), "ts": format_ts(new.timestamp),
               "signature": new.signature.hex(), "received": format_ts(utcnow()), "via": via,
               "proof_from": before.size if before is not None else None,
               "proof": json.dumps([h.hex() for h in proof or []]) if before is not None else None}
        if check.problem is None:
            if not check.same:
                conn.execute(insert(heads).values(**row))
            uow.commit()
            return Accepted(None, new.size)
        bad = (heads.c.partner == partner) & heads.c.problem.is_not(None)
        seen = conn.execute(select(heads.c.id).where(bad, heads.c.size == new.size, heads.c.root == new.root.hex(),
                                                     heads.c.signature == new.signature.hex())).first()
        kept = conn.execute(select(func.count()).where(bad)).scalar_one()
        if seen is None and kept < MAX_EVIDENCE:  # the same bad head again is evidence held already
            conn.execute(insert(heads).values(**row, problem=check.problem,
                                              conflicts_with=last[0] if last else None))
            uow.audit(AuditEvent(f"node:{node.id}", "treehead.conflict", f"partner:{partner}", {
                "problem": check.problem, "via": via, "new": head_json(partner, new),
                "held": head_json(partner, before) if before is not None else None}))
            uow.commit()
    return Accepted(check.problem, before.size if before is not None else None)


def status(conn: Connection, partner: str) -> dict:
    """What the sync status shows of `partner`'s audit log: the last good head held, and any conflict."""
    last = held(conn, partner)
    bad = conn.execute(select(heads.c.problem, heads.c.received, heads.c.size).where(
        heads.c.partner == partner, heads.c.problem.is_not(None)).order_by(heads.c.id.desc()).limit(1)).one_or_none()
    count = conn.execute(select(func.count()).where(heads.c.partner == partner, heads.c.problem.is_not(None))
                         ).scalar_one()
    return {"held": None if last is None else {"size": last[1].size, "root": last[1].root.hex(),
                                               "signed": format_ts(last[1].timestamp)},
            "problem": None if bad is None else f"{bad.problem} (size {bad.size}, received {bad.received})",
            "conflicts": count}


def verify_partner(conn: Connection, partner: str) -> tuple[bool, str]:
    """Re-check `partner`'s stored heads: each good one's signature with the pinned key and the
    consistency proof from the good head before it; any evidence kept is a problem. (ok, line)."""
    prev: TreeHead | None = None
    count = 0
    for row in conn.execute(select(heads).where(heads.c.partner == partner).order_by(heads.c.id)):
        head = _head(row)
        if row.problem is not None:
            return False, f"conflict kept as evidence ({describe(head)}, received {row.received}): {row.problem}"
        if not any(verify_tree_head(key, partner, head) for key in partner_keys(conn, partner, head.timestamp)):
            return False, f"stored head {describe(head)}: not signed with the pinned key"
        if prev is not None:
            proof = [bytes.fromhex(h) for h in json.loads(row.proof or "[]")]
            if row.proof_from != prev.size or not verify_consistency(prev.size, head.size, prev.root, head.root,
                                                                     proof):
                return False, (f"stored head {describe(head)} is not proven consistent with the one before it "
                               f"({describe(prev)})")
        prev, count = head, count + 1
    if prev is None:
        return True, "no tree head held yet"
    return True, f"ok: {count} heads, latest {describe(prev)}"


def verify_partners(node: Node) -> list[tuple[str, bool, str]]:
    """(partner, ok, line) for every partner, in order."""
    with node.engine.connect() as conn:
        ids = conn.execute(select(partners.c.node_id).order_by(partners.c.node_id)).scalars().all()
        return [(p, *verify_partner(conn, p)) for p in ids]

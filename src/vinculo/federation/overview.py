"""What administrators see of each partner: key fingerprint, URL, agreement, last sync and receipts."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from vinculo.accounts.model import Actor
from vinculo.federation import head_store
from vinculo.node.context import Node
from vinculo.node.keys import fingerprint
from vinculo.records.service import Forbidden, NotFound
from vinculo.sharing import service as sharing
from vinculo.store.tables import partners
from vinculo.store.tables_federation import receipts, sync_state


def _sync(row) -> dict | None:
    if row is None:
        return None
    return {
        "cursor": row.cursor,
        "last_run": row.last_run,
        "last_result": json.loads(row.last_result or "{}"),
    }


def _receipts(conn, partner: str) -> dict:
    counts = dict(
        conn.execute(
            select(receipts.c.status, func.count())
            .where(receipts.c.partner == partner)
            .group_by(receipts.c.status)
        ).all()
    )
    last = conn.execute(select(func.max(receipts.c.recorded)).where(receipts.c.partner == partner)).scalar()
    return {"stored": counts.get("stored", 0), "withdrawn": counts.get("withdrawn", 0), "last": last}


def _describe(conn, row) -> dict:
    agreement = sharing.current_agreement(conn, row.node_id)
    state = conn.execute(select(sync_state).where(sync_state.c.partner == row.node_id)).one_or_none()
    return {
        "node_id": row.node_id,
        "name": row.name,
        "country": row.country,
        "url": row.url,
        "disabled": row.disabled,
        "created": row.created,
        "public_key": row.public_key,
        "fingerprint": fingerprint(row.public_key),
        "agreement": agreement.model_dump(mode="json") if agreement else None,
        "sync": _sync(state),
        "receipts": _receipts(conn, row.node_id),
        "audit_heads": head_store.status(conn, row.node_id),  # its audit log, cross-checked (gossip.py)
    }


def partners_overview(node: Node, actor: Actor) -> list[dict]:
    """Every partner with its key fingerprint, agreement in force, last sync and receipt counts (liaison
    officers read it too: `partners.read`; no credential is ever part of it)."""
    require_read(actor)
    with node.engine.connect() as conn:
        return [_describe(conn, r) for r in conn.execute(select(partners).order_by(partners.c.node_id))]


def partner_detail(node: Node, actor: Actor, partner: str, receipt_limit: int = 50) -> dict:
    """One partner as in the overview, with its agreement versions and latest receipts (receipts name
    record ids: only for those who manage the node; others get the counts)."""
    require_read(actor)
    with node.engine.connect() as conn:
        row = conn.execute(select(partners).where(partners.c.node_id == partner)).one_or_none()
        if row is None:
            raise NotFound(f"no partner {partner}")
        out = _describe(conn, row)
        out["versions"] = sharing.agreement_history(conn, partner)
        out["latest_receipts"] = [] if not actor.may("node.manage") else [
            dict(r._mapping)
            for r in conn.execute(
                select(receipts)
                .where(receipts.c.partner == partner)
                .order_by(receipts.c.recorded.desc(), receipts.c.record_id)
                .limit(receipt_limit)
            )
        ]
    return out


def require_read(actor: Actor) -> None:
    """Partner status and agreements: read by liaison officers (analysts, supervisors) and administrators."""
    if not actor.may("partners.read"):
        message = f"role {actor.role} may not read partner status and agreements"
        raise Forbidden(message, (message,))

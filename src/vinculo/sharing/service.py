"""Partners and agreements as stored, turned into release audiences."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, func, insert, select

from vinculo.audit.events import AuditEvent
from vinculo.node.context import Node
from vinculo.node.keys import public_from_hex
from vinculo.records.model import format_ts, utcnow
from vinculo.sharing.agreements import Agreement
from vinculo.sharing.release import PartnerNode
from vinculo.store.tables import agreements, partners


class SharingError(ValueError):
    pass


def add_partner(node: Node, node_id: str, name: str, public_key_hex: str, url: str | None = None,
                country: str | None = None, by: str = "system") -> None:
    try:
        public_from_hex(public_key_hex)
    except ValueError as exc:
        raise SharingError(f"public key: {exc}") from None
    if node_id == node.id:
        raise SharingError(f"{node_id} is this node, not a partner")
    with node.uow() as uow:
        if uow.conn.execute(select(partners.c.node_id).where(partners.c.node_id == node_id)).first():
            raise SharingError(f"partner {node_id} already exists")
        uow.conn.execute(insert(partners).values(node_id=node_id, name=name, url=url, country=country,
                                                 public_key=public_key_hex, created=format_ts(utcnow()),
                                                 disabled=False))
        uow.audit(AuditEvent(by, "partner.add", f"partner:{node_id}", {"public_key": public_key_hex, "url": url}))
        uow.commit()


def set_agreement(node: Node, partner: str, terms: dict, by: str = "system",
                  then: Callable[[Any, Agreement], None] | None = None) -> Agreement:
    """Store a new version of the agreement with `partner` (versions are kept, never overwritten).

    `then(uow, agreement)` runs in the same transaction. (Changing an agreement together with withdrawing
    what the new terms no longer allow the partner to hold is `federation.agreements.update_agreement`.)"""
    with node.uow() as uow:
        agreement = next_agreement(uow.conn, partner, terms)
        store_agreement(uow, agreement, by)
        if then is not None:
            then(uow, agreement)
        uow.commit()
    return agreement


def next_agreement(conn: Connection, partner: str, terms: dict) -> Agreement:
    """The next version of the agreement with `partner` under `terms` (validated, not stored)."""
    if not conn.execute(select(partners.c.node_id).where(partners.c.node_id == partner)).first():
        raise SharingError(f"no partner {partner!r}")
    last = conn.execute(select(func.max(agreements.c.version)).where(agreements.c.partner == partner)).scalar()
    try:
        return Agreement.model_validate({**terms, "partner": partner, "version": (last or 0) + 1})
    except ValidationError as exc:
        raise SharingError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None


def store_agreement(uow: Any, agreement: Agreement, by: str, note: dict | None = None) -> None:
    """Insert `agreement` (a version from `next_agreement`) and its audit entry in `uow`'s transaction;
    `note` adds to the audit entry (e.g. what the change withdraws). The caller commits."""
    doc = agreement.model_dump(mode="json")
    uow.conn.execute(insert(agreements).values(partner=agreement.partner, version=agreement.version,
                                               document=json.dumps(doc), created=format_ts(utcnow()),
                                               created_by=by))
    uow.audit(AuditEvent(by, "agreement.set", f"partner:{agreement.partner}", doc | (note or {})))


def current_agreement(conn: Connection, partner: str) -> Agreement | None:
    row = conn.execute(select(agreements.c.document).where(agreements.c.partner == partner)
                       .order_by(agreements.c.version.desc()).limit(1)).first()
    return Agreement.model_validate(json.loads(row.document)) if row else None


def partner_audiences(conn: Connection, local_node: str, on: dt.date | None = None) -> list[PartnerNode]:
    on = on or utcnow().date()
    rows = conn.execute(select(partners.c.node_id).where(partners.c.disabled.is_(False)).order_by(partners.c.node_id))
    return [PartnerNode(r.node_id, local_node, current_agreement(conn, r.node_id), on) for r in rows]


def agreement_history(conn: Connection, partner: str) -> list[dict]:
    rows = conn.execute(select(agreements).where(agreements.c.partner == partner).order_by(agreements.c.version))
    return [json.loads(r.document) | {"created": r.created, "created_by": r.created_by} for r in rows]


def list_partners(conn: Connection) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(select(partners).order_by(partners.c.node_id))]

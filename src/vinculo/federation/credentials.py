"""The credentials this node issued to partners: list them, revoke one or all, and note when each was last
used. A revoked credential is refused on the very next request (`partners.authenticate_partner` reads the
row every time; nothing is cached).

Last use is written at most once every LAST_USED_EVERY per credential, not on each request: the check that
authenticates a request reads `last_used` anyway, and only when it is older than that does it run one
conditional UPDATE (`... WHERE last_used IS NULL OR last_used < now - LAST_USED_EVERY`), so several
processes serving the node write it once between them. `last used` is therefore exact to within a minute.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from vinculo.audit.events import AuditEvent
from vinculo.records.model import format_ts, parse_ts, utcnow
from vinculo.sharing import service as sharing
from vinculo.store.tables import partners
from vinculo.store.tables_federation import partner_credentials

LAST_USED_EVERY = dt.timedelta(minutes=1)
log = logging.getLogger("vinculo.credentials")


def touch(engine, credential_id: int, last_used: str | None, now: dt.datetime | None = None) -> bool:
    """Record a use of the credential if its last recorded use is older than LAST_USED_EVERY; True if written."""
    now = now or utcnow()
    if last_used is not None and now - parse_ts(last_used) < LAST_USED_EVERY:
        return False
    stale = format_ts(now - LAST_USED_EVERY)
    try:
        with engine.begin() as conn:
            written = conn.execute(update(partner_credentials).where(
                partner_credentials.c.id == credential_id,
                or_(partner_credentials.c.last_used.is_(None), partner_credentials.c.last_used < stale))
                .values(last_used=format_ts(now))).rowcount
    except SQLAlchemyError as exc:  # bookkeeping: a busy database must not refuse the partner's request
        log.warning("could not note the use of partner credential %s: %s", credential_id, exc)
        return False
    return bool(written)


def _partner_exists(conn, partner: str) -> None:
    if not conn.execute(select(partners.c.node_id).where(partners.c.node_id == partner)).first():
        raise sharing.SharingError(f"no partner {partner!r}")


def list_credentials(node, partner: str) -> list[dict]:
    """Every credential issued to `partner`, oldest first (never the secret: only its hash is kept)."""
    with node.engine.connect() as conn:
        _partner_exists(conn, partner)
        rows = conn.execute(select(partner_credentials.c.id, partner_credentials.c.created,
                                   partner_credentials.c.last_used, partner_credentials.c.revoked,
                                   partner_credentials.c.revoked_at)
                            .where(partner_credentials.c.partner == partner).order_by(partner_credentials.c.id))
        return [dict(r._mapping) for r in rows]


def revoke(node, partner: str, credential_id: int | None, by: str = "system") -> list[int]:
    """Revoke one credential of `partner` (or, without an id, every one still valid); returns the ids revoked."""
    now = format_ts(utcnow())
    with node.uow() as uow:
        _partner_exists(uow.conn, partner)
        query = select(partner_credentials.c.id, partner_credentials.c.revoked).where(
            partner_credentials.c.partner == partner)
        if credential_id is not None:
            row = uow.conn.execute(query.where(partner_credentials.c.id == credential_id)).one_or_none()
            if row is None:
                raise sharing.SharingError(f"partner {partner}: no credential {credential_id} "
                                           f"(see `vinculo partner credentials {partner}`)")
            if row.revoked:
                raise sharing.SharingError(f"partner {partner}: credential {credential_id} is already revoked")
            ids = [credential_id]
        else:
            ids = [r.id for r in uow.conn.execute(query.where(partner_credentials.c.revoked.is_(False)))]
        if ids:
            uow.conn.execute(update(partner_credentials).where(partner_credentials.c.id.in_(ids))
                             .values(revoked=True, revoked_at=now))
        uow.audit(AuditEvent(by, "partner.credential.revoke", f"partner:{partner}",
                             {"credential_ids": ids, "all": credential_id is None}))
        uow.commit()
    return ids

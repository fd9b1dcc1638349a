"""When an agreement narrows, what the partner already holds but may no longer hold is withdrawn:
each such record gets a withdrawal entry on the change feed, served as a tombstone."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from vinculo.records import repository as repo
from vinculo.records.model import format_ts, utcnow
from vinculo.sharing.agreements import Agreement
from vinculo.sharing.release import PartnerNode, release
from vinculo.store.feed import allocate_seq
from vinculo.store.tables_federation import holdings, withdrawals


def unreleasable_holdings(conn, local_node: str, agreement: Agreement,  # noqa: ANN001
                          on: dt.date | None = None) -> list[tuple[str, str]]:
    """(record id, first reason) of every record `agreement.partner` holds that `agreement` would deny."""
    audience = PartnerNode(agreement.partner, local_node, agreement, on or utcnow().date())
    held = conn.execute(select(holdings.c.record_id).where(holdings.c.partner == agreement.partner,
                                                           holdings.c.withdrawn.is_(False))).scalars().all()
    denied = []
    for record_id in held:
        record = repo.current(conn, record_id)
        if record is not None:
            decision = release(record, audience)
            if not decision.allowed:
                denied.append((record_id, decision.reasons[0]))
    return denied


def withdraw_unreleasable(uow, local_node: str, agreement: Agreement, on: dt.date | None = None) -> int:  # noqa: ANN001
    """Queue a tombstone for every record `agreement.partner` holds that the new terms deny."""
    denied = unreleasable_holdings(uow.conn, local_node, agreement, on)
    if denied:
        first = allocate_seq(uow.conn, len(denied))
        now = format_ts(utcnow())
        uow.conn.execute(insert(withdrawals), [
            {"seq": first + i, "partner": agreement.partner, "record_id": rid, "reason": reason, "created": now}
            for i, (rid, reason) in enumerate(denied)])
    return len(denied)

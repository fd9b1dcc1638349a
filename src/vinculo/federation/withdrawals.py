"""When an agreement narrows, what the partner already holds but may no longer hold is withdrawn:
each such record gets a withdrawal entry on the change feed, served as a tombstone."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Connection, and_, insert, select

from vinculo.records import repository as repo
from vinculo.records.model import Record, format_ts, utcnow
from vinculo.records.types import references
from vinculo.sharing import service as sharing
from vinculo.sharing.agreements import Agreement
from vinculo.sharing.release import PartnerNode, release
from vinculo.store.feed import allocate_seq
from vinculo.store.tables_federation import holdings, withdrawals


def unreleasable_holdings(conn, local_node: str, agreement: Agreement,  # noqa: ANN001
                          on: dt.date | None = None) -> list[tuple[str, str]]:
    """(record id, first reason) of every record `agreement.partner` holds that `agreement` would deny,
    `release()` deciding. A record whose withdrawal is already queued (since it was last sent) is not
    counted again: the partner will drop it at its next sync whatever the new terms say."""
    partner = agreement.partner
    audience = PartnerNode(partner, local_node, agreement, on or utcnow().date())
    held = conn.execute(select(holdings.c.record_id).where(holdings.c.partner == partner,
                                                           holdings.c.withdrawn.is_(False))
                        .order_by(holdings.c.record_id)).scalars().all()
    pending = set(conn.execute(
        select(withdrawals.c.record_id).join(holdings, and_(holdings.c.partner == withdrawals.c.partner,
                                                            holdings.c.record_id == withdrawals.c.record_id))
        .where(withdrawals.c.partner == partner, holdings.c.withdrawn.is_(False),
               withdrawals.c.created >= holdings.c.updated)).scalars())
    held = [rid for rid in held if rid not in pending]
    records = repo.current_many(conn, held)
    # The copy a partner holds may carry an onward permission (`Markings.onward_holder`) the new terms no
    # longer give: it cannot be taken back from a signed copy, so that copy is withdrawn too.
    before = sharing.current_agreement(conn, partner)
    was = PartnerNode(partner, local_node, before, audience.on) if before and before.onward_sharing else None
    denied = []
    for record_id in held:
        record = records.get(record_id)
        if record is not None:
            decision = release(record, audience)
            if not decision.allowed:
                denied.append((record_id, decision.reasons[0]))
            elif was is not None and decision.onward_holder is None and release(record, was).onward_holder:
                denied.append((record_id, "the new terms take back the onward permission its copy carries"))
    gone = {rid for rid, _ in denied}
    rest = {rid: r for rid, r in records.items() if rid not in gone}
    denied += [(r.id, f"names {named}, which is withdrawn") for r, named in naming(rest, gone)]
    return denied


def naming(records: dict[str, Record], gone: set[str]) -> list[tuple[Record, str]]:
    """Of `records`, those that name (a relationship's end, a note's or a case's subject) a record in
    `gone`, or one of those, and so on; each with an id it names. A record that names others goes to a
    partner only with them (`outbox._with_ends`), so it is withdrawn with them. `records` is emptied of them."""
    out: list[tuple[Record, str]] = []
    while gone:
        found = []
        for record in list(records.values()):
            named = next((ref for ref in references(record.type, record.body) if ref in gone), None)
            if named is not None:
                found.append(record)
                out.append((record, named))
                del records[record.id]
        gone = {r.id for r in found}
    return out


def withdraw_unreleasable(uow, local_node: str, agreement: Agreement, on: dt.date | None = None) -> int:  # noqa: ANN001
    """Queue a tombstone for every record `agreement.partner` holds that the new terms deny."""
    denied = unreleasable_holdings(uow.conn, local_node, agreement, on)
    queue_withdrawals(uow.conn, agreement.partner, denied)
    return len(denied)


def queue_withdrawals(conn: Connection, partner: str, denied: list[tuple[str, str]]) -> None:
    """A withdrawal entry on the change feed for each (record id, reason) in `denied`."""
    if denied:
        first = allocate_seq(conn, len(denied))
        now = format_ts(utcnow())
        conn.execute(insert(withdrawals), [
            {"seq": first + i, "partner": partner, "record_id": rid, "reason": reason, "created": now}
            for i, (rid, reason) in enumerate(denied)])


@dataclass(frozen=True)
class Withdrawals:
    """What a change of agreement would withdraw from its partner: (record id, first reason) each."""

    partner: str
    records: list[tuple[str, str]]

    @property
    def count(self) -> int:
        return len(self.records)

    def by_type(self) -> dict[str, int]:
        """Counts per record type, largest first."""
        counts = Counter(rid.partition("--")[0] for rid, _ in self.records)
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def summary(self) -> str:
        """"2,485 records from mx-fgr (2,480 seizure, 5 person)"."""
        kinds = ", ".join(f"{n:,} {t}" for t, n in self.by_type().items())
        noun = "record" if self.count == 1 else "records"
        return f"{self.count:,} {noun} from {self.partner}" + (f" ({kinds})" if kinds else "")

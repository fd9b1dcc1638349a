"""Our agreements that have ended (their `end` day has passed): treated as an agreement turned off.

`sharing.release` already refuses every record to a partner whose agreement is not in force; what the
partner already holds is withdrawn here as a narrowing change withdraws it (`federation.withdrawals`):
a withdrawal entry on the change feed per held record, served as a tombstone at its next pull. A record
whose withdrawal is already queued is not queued again, so running this again queues nothing new."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from vinculo.audit.events import AuditEvent
from vinculo.federation.withdrawals import Withdrawals, queue_withdrawals, unreleasable_holdings
from vinculo.node.context import Node
from vinculo.records.model import utcnow
from vinculo.retention.model import ended
from vinculo.sharing import service as sharing
from vinculo.store.feed import lock_node_state


@dataclass(frozen=True)
class Ended:
    partner: str
    version: int
    end: dt.date
    withdrawn: int

    def line(self) -> str:
        return (f"{self.partner}: agreement v{self.version} ended on {self.end.isoformat()}; "
                f"{self.withdrawn:,} records it holds will be withdrawn on its next sync")


def withdraw_ended(node: Node, today: dt.date | None = None) -> list[Ended]:
    """Queue the withdrawal of everything a partner holds whose agreement with us has ended."""
    today = today or utcnow().date()
    with node.engine.connect() as conn:
        partners = [p["node_id"] for p in sharing.list_partners(conn)]
    out = []
    for partner in partners:
        with node.uow() as uow:
            lock_node_state(uow.conn)  # the count and its withdrawals agree: no page is served meanwhile
            agreement = sharing.current_agreement(uow.conn, partner)
            if not ended(agreement, today):
                continue
            gone = Withdrawals(partner, unreleasable_holdings(uow.conn, node.id, agreement, today))
            if not gone.count:
                continue
            queue_withdrawals(uow.conn, partner, gone.records)
            uow.audit(AuditEvent(f"node:{node.id}", "agreement.ended", f"partner:{partner}",
                                 {"agreement_version": agreement.version, "end": agreement.end.isoformat(),
                                  "withdrawn": gone.count, "withdrawn_by_type": gone.by_type()}))
            uow.commit()
        out.append(Ended(partner, agreement.version, agreement.end, gone.count))
    return out

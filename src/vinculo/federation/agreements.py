"""Changing an agreement: the new version, and withdrawal of what the partner may no longer hold.

A change is planned first (`plan_change`: the version it would store and what it would withdraw, decided
by `sharing.release` for every record the partner holds), shown to the administrator, and then applied
with the count they acknowledged (`update_agreement(..., confirm_withdrawn=n)`): the version and its
withdrawals are one transaction, which refuses if the count is no longer the one acknowledged."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection

from vinculo.federation.preview import draft_agreement
from vinculo.federation.withdrawals import Withdrawals, queue_withdrawals, unreleasable_holdings
from vinculo.node.context import Node
from vinculo.records.model import utcnow
from vinculo.records.service import Conflict
from vinculo.sharing import service as sharing
from vinculo.sharing.agreements import Agreement, terms_of


@dataclass(frozen=True)
class AgreementChange:
    agreement: Agreement
    """The version the change would store."""
    current: Agreement | None
    withdrawals: Withdrawals

    def changed_terms(self) -> dict[str, tuple[object, object]]:
        """term -> (in force, new), for the terms that differ."""
        new = terms_of(self.agreement)
        old = terms_of(self.current) if self.current else {}
        return {k: (old.get(k), v) for k, v in new.items() if old.get(k) != v}


class WithdrawalsUnconfirmed(Conflict):
    """The change withdraws records and that count was not the one acknowledged."""

    def __init__(self, change: AgreementChange, acknowledged: int):
        self.change = change
        w = change.withdrawals
        told = f" (acknowledged: {acknowledged:,})" if acknowledged else ""
        super().__init__(f"this change withdraws {w.summary()}{told}; confirm that count to go on")


def _plan(conn: Connection, node_id: str, partner: str, terms: dict, merge: bool, on: dt.date) -> AgreementChange:
    agreement = draft_agreement(conn, partner, terms, merge)
    current = sharing.current_agreement(conn, partner)
    return AgreementChange(agreement, current, Withdrawals(partner, unreleasable_holdings(conn, node_id, agreement, on)))


def plan_change(node: Node, partner: str, terms: dict, merge: bool = False) -> AgreementChange:
    """What storing `terms` would do (nothing is stored): the new version and what it would withdraw."""
    with node.engine.connect() as conn:
        return _plan(conn, node.id, partner, terms, merge, utcnow().date())


def update_agreement(node: Node, partner: str, terms: dict, by: str = "system", merge: bool = False,
                     confirm_withdrawn: int | None = None) -> tuple[Agreement, int]:
    """Store the new terms and queue tombstones for the held records they deny, in one transaction.
    Returns (agreement, withdrawn).

    `merge`: `terms` change only the terms they name (see `draft_agreement`). `confirm_withdrawn`: the
    count the administrator acknowledged; a change that withdraws any other number of records is refused
    (WithdrawalsUnconfirmed) and nothing is stored. None (code that decides by itself) skips the check."""
    with node.uow() as uow:
        change = _plan(uow.conn, node.id, partner, terms, merge, utcnow().date())
        gone = change.withdrawals
        if confirm_withdrawn is not None and gone.count and gone.count != confirm_withdrawn:
            raise WithdrawalsUnconfirmed(change, confirm_withdrawn)
        sharing.store_agreement(uow, change.agreement, by,
                                {"withdrawn": gone.count, "withdrawn_by_type": gone.by_type()})
        queue_withdrawals(uow.conn, partner, gone.records)
        uow.commit()
    return change.agreement, gone.count

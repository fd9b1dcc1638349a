"""Changing an agreement: the new version, and withdrawal of what the partner may no longer hold."""

from __future__ import annotations

from vinculo.federation.withdrawals import withdraw_unreleasable
from vinculo.node.context import Node
from vinculo.sharing import service as sharing
from vinculo.sharing.agreements import Agreement


def update_agreement(node: Node, partner: str, terms: dict, by: str = "system") -> tuple[Agreement, int]:
    """Store the new terms; queue tombstones for held records they deny. Returns (agreement, withdrawn)."""
    counted: list[int] = []

    def _withdraw(uow, agreement: Agreement) -> None:  # noqa: ANN001
        counted.append(withdraw_unreleasable(uow, node.id, agreement))

    agreement = sharing.set_agreement(node, partner, terms, by, then=_withdraw)
    return agreement, counted[0] if counted else 0

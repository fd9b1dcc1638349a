"""Case kinds between states and the state machine of each kind.

A machine lists, for every state, the states that may follow it. Terminal
states have no successors. ``events`` are dated facts that can be recorded
without changing state (e.g. objections filed during the hearing); deadline
rules may start from or be satisfied by them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CaseKind(StrEnum):
    """Kinds of cases tracked between a requesting and a requested state."""

    TREATY_EXTRADITION = "treaty_extradition"
    PROVISIONAL_ARREST = "provisional_arrest_request"
    TEMPORARY_SURRENDER = "temporary_surrender"
    DEPORTATION = "deportation_expulsion"
    EXTRA_TREATY_TRANSFER = "extra_treaty_transfer"
    INFORMATION_REQUEST = "information_request"
    MLA_REQUEST = "mla_request"
    JOINT_OPERATION = "joint_operation_request"
    PRE_EXPORT_NOTIFICATION = "pre_export_notification"


@dataclass(frozen=True)
class Machine:
    """Allowed transitions of one case kind."""

    kind: CaseKind
    initial: str
    transitions: dict[str, tuple[str, ...]]
    events: frozenset[str] = frozenset()

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(self.transitions)

    @property
    def terminal(self) -> frozenset[str]:
        return frozenset(s for s, nxt in self.transitions.items() if not nxt)

    def is_terminal(self, state: str) -> bool:
        return not self.transitions[state]


def _machine(
    kind: CaseKind, initial: str, events: tuple[str, ...] = (), **transitions: tuple[str, ...]
) -> Machine:
    return Machine(kind, initial, dict(transitions), frozenset(events))


_END = ()

MACHINES: dict[CaseKind, Machine] = {
    # US-MX 1978 treaty flow, seen from the requested state. "arrested" is the
    # provisional arrest (treaty art. 11); "executive_decision" means extradition
    # granted (a refusal goes straight to "refused"); "surrender_ordered" means
    # the person is placed at the disposal of the requesting state.
    CaseKind.TREATY_EXTRADITION: _machine(
        CaseKind.TREATY_EXTRADITION,
        "requested",
        ("objections_filed", "evidence_closed"),
        requested=("provisional_arrest", "formal_request_received", "refused", "withdrawn"),
        provisional_arrest=("arrested", "formal_request_received", "refused", "withdrawn"),
        arrested=("formal_request_received", "released", "withdrawn"),
        formal_request_received=("hearing", "refused", "released", "withdrawn"),
        hearing=("judicial_opinion", "released", "withdrawn"),
        judicial_opinion=("executive_decision", "refused", "withdrawn"),
        executive_decision=("amparo", "habeas_corpus", "surrender_ordered", "withdrawn"),
        amparo=("surrender_ordered", "executive_decision", "refused", "released", "withdrawn"),
        habeas_corpus=("surrender_ordered", "released", "withdrawn"),
        surrender_ordered=("surrendered", "released", "withdrawn"),
        surrendered=_END,
        refused=_END,
        withdrawn=_END,
        released=_END,
    ),
    # A stand-alone provisional arrest request (e.g. via an Interpol Red Notice)
    # that ends when the formal extradition request is presented.
    CaseKind.PROVISIONAL_ARREST: _machine(
        CaseKind.PROVISIONAL_ARREST,
        "requested",
        requested=("granted", "refused", "withdrawn"),
        granted=("arrested", "lapsed", "withdrawn"),
        arrested=("formal_request_presented", "released", "withdrawn"),
        formal_request_presented=_END,
        refused=_END,
        lapsed=_END,
        released=_END,
        withdrawn=_END,
    ),
    # 1997 Protocol (treaty art. 15(2)-(3)): after extradition is granted, a person
    # serving a sentence in the requested state is lent for trial and returned.
    CaseKind.TEMPORARY_SURRENDER: _machine(
        CaseKind.TEMPORARY_SURRENDER,
        "requested",
        requested=("granted", "refused", "withdrawn"),
        granted=("surrendered_temporarily", "withdrawn"),
        surrendered_temporarily=("returned",),
        returned=_END,
        refused=_END,
        withdrawn=_END,
    ),
    CaseKind.DEPORTATION: _machine(
        CaseKind.DEPORTATION,
        "initiated",
        initiated=("detained", "order_issued", "cancelled"),
        detained=("order_issued", "released", "cancelled"),
        order_issued=("appealed", "removed", "released", "cancelled"),
        appealed=("order_issued", "cancelled"),
        removed=_END,
        released=_END,
        cancelled=_END,
    ),
    # Hand-over outside the extradition treaty, e.g. under a national-security law.
    CaseKind.EXTRA_TREATY_TRANSFER: _machine(
        CaseKind.EXTRA_TREATY_TRANSFER,
        "proposed",
        proposed=("authorized", "rejected", "withdrawn"),
        authorized=("transferred", "suspended", "withdrawn"),
        suspended=("authorized", "cancelled"),
        transferred=_END,
        rejected=_END,
        withdrawn=_END,
        cancelled=_END,
    ),
    CaseKind.INFORMATION_REQUEST: _machine(
        CaseKind.INFORMATION_REQUEST,
        "received",
        received=("acknowledged", "awaiting_clarification", "answered", "refused", "withdrawn"),
        acknowledged=("awaiting_clarification", "answered", "refused", "withdrawn"),
        awaiting_clarification=("acknowledged", "withdrawn"),
        answered=_END,
        refused=_END,
        withdrawn=_END,
    ),
    CaseKind.MLA_REQUEST: _machine(
        CaseKind.MLA_REQUEST,
        "received",
        received=("under_review", "returned_for_clarification", "refused", "withdrawn"),
        under_review=("accepted", "returned_for_clarification", "refused", "withdrawn"),
        returned_for_clarification=("under_review", "withdrawn"),
        accepted=("executing", "withdrawn"),
        executing=("executed", "partially_executed", "withdrawn"),
        executed=_END,
        partially_executed=_END,
        refused=_END,
        withdrawn=_END,
    ),
    # Joint operation, controlled delivery or cross-border observation request.
    CaseKind.JOINT_OPERATION: _machine(
        CaseKind.JOINT_OPERATION,
        "requested",
        ("report_delivered",),
        requested=("approved", "refused", "withdrawn"),
        approved=("active", "cancelled", "withdrawn"),
        active=("suspended", "concluded"),
        suspended=("active", "concluded", "cancelled"),
        concluded=_END,
        refused=_END,
        withdrawn=_END,
        cancelled=_END,
    ),
    # Pre-export notification of a controlled chemical (1988 Convention art. 12(10)), owned by the
    # exporting state's node. The importing authority's answers are its own signed notes, read as the
    # events below (see vinculo.cases.preexport); the exporter records the outcome as states.
    CaseKind.PRE_EXPORT_NOTIFICATION: _machine(
        CaseKind.PRE_EXPORT_NOTIFICATION,
        "notified",
        ("acknowledged", "cleared", "objected", "information_requested", "information_provided"),
        notified=("shipped", "suspended", "stopped", "withdrawn"),
        suspended=("shipped", "stopped", "withdrawn"),
        shipped=("delivered", "seized_on_arrival"),
        delivered=_END,
        seized_on_arrival=_END,
        stopped=_END,
        withdrawn=_END,
    ),
}


def machine_for(kind: CaseKind | str) -> Machine:
    """Return the machine of ``kind`` (a :class:`CaseKind` or its value)."""
    return MACHINES[CaseKind(kind)]

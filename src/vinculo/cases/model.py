"""Immutable case records: :class:`CaseState` and its dated history."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from .kinds import CaseKind, machine_for

_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Transition:
    """A dated change of state; ``from_state`` is ``None`` for the opening entry."""

    from_state: str | None
    to_state: str
    at: date
    reason: str


@dataclass(frozen=True)
class CaseEvent:
    """A dated fact recorded without a change of state (e.g. ``objections_filed``)."""

    name: str
    at: date
    note: str = ""


@dataclass(frozen=True)
class Assurance:
    """A diplomatic assurance, e.g. ``kind="death_penalty"`` (treaty art. 8)."""

    kind: str
    given_on: date
    given_by: str
    text: str = ""


@dataclass(frozen=True)
class CaseState:
    """Snapshot of a case. Change it only through ``machine.advance`` and friends.

    ``requesting_state``/``requested_state``/``nationality`` are ISO 3166-1
    alpha-2 codes. ``treaty`` names a rule table (``us-mx-1978``); when it is
    ``None`` the kind's generic table applies. ``params`` overrides
    configurable rule lengths (e.g. ``{"answer_days": 10}``); ``extensions``
    adds days to a rule (e.g. a judge extending the evidence period).
    """

    case_id: str
    kind: CaseKind
    state: str
    requesting_state: str
    requested_state: str
    opened_on: date
    treaty: str | None = None
    subject: str = ""
    nationality: tuple[str, ...] = ()
    charges: tuple[str, ...] = ()
    red_notice: str | None = None
    death_penalty_possible: bool = False
    assurances: tuple[Assurance, ...] = ()
    params: dict[str, int] = field(default_factory=dict)
    extensions: dict[str, int] = field(default_factory=dict)
    history: tuple[Transition, ...] = ()
    events: tuple[CaseEvent, ...] = ()

    @property
    def is_closed(self) -> bool:
        return machine_for(self.kind).is_terminal(self.state)

    @property
    def last_change(self) -> date:
        return self.history[-1].at if self.history else self.opened_on

    def entered(self, state: str) -> list[date]:
        """Dates on which the case entered ``state``, oldest first."""
        return [t.at for t in self.history if t.to_state == state]

    def occurred(self, event: str) -> list[date]:
        """Dates on which ``event`` was recorded, oldest first."""
        return sorted(e.at for e in self.events if e.name == event)

    def has_assurance(self, kind: str) -> bool:
        return any(a.kind == kind for a in self.assurances)


def open_case(
    case_id: str,
    kind: CaseKind | str,
    *,
    opened_on: date,
    requesting_state: str,
    requested_state: str,
    reason: str = "opened",
    **fields: object,
) -> CaseState:
    """Create a case in the initial state of its kind, with the opening transition."""
    kind = CaseKind(kind)
    for label, code in (("requesting_state", requesting_state), ("requested_state", requested_state)):
        if not _COUNTRY.match(code):
            raise ValueError(f"{label} must be an ISO 3166-1 alpha-2 code, got {code!r}")
    if requesting_state == requested_state:
        raise ValueError("requesting_state and requested_state must differ")
    for code in fields.get("nationality", ()):  # type: ignore[union-attr]
        if not _COUNTRY.match(str(code)):
            raise ValueError(f"nationality must hold ISO 3166-1 alpha-2 codes, got {code!r}")
    initial = machine_for(kind).initial
    return CaseState(
        case_id=case_id,
        kind=kind,
        state=initial,
        requesting_state=requesting_state,
        requested_state=requested_state,
        opened_on=opened_on,
        history=(Transition(None, initial, opened_on, reason),),
        **fields,  # type: ignore[arg-type]
    )

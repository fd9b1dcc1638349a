"""The body of a ``case`` record: a case between states with its dated history.

Each transition is a new version of the record. The body is self-consistent: the history replays through
the kind's state machine from the opening entry to ``state``, with dates that never go back.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from vinculo.cases.kinds import CaseKind, machine_for
from vinculo.cases.preexport import PreExport
from vinculo.cases.rules import RuleTableError, load_table
from vinculo.records.fields import Body, CountryCode, LongText, PastDate, RecordRef, ShortText

_NODE = r"^[a-z][a-z0-9-]{1,62}$"


class CaseTransition(Body):
    """One dated change of state; ``from_state`` is empty for the opening entry."""

    from_state: ShortText | None = None
    to_state: ShortText
    at: PastDate
    reason: ShortText


class CaseEventEntry(Body):
    """A dated fact without a change of state (e.g. ``objections_filed``)."""

    name: ShortText
    at: PastDate
    note: ShortText | None = None


class CaseAssurance(Body):
    """A diplomatic assurance on file (e.g. ``death_penalty``)."""

    kind: ShortText
    given_on: PastDate
    given_by: ShortText
    text: LongText | None = None


class Case(Body):
    """An extradition, assistance or other request between two states (see ``vinculo.cases``)."""

    kind: CaseKind
    reference: ShortText | None = None
    treaty: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]*$")
    date: PastDate = Field(description="The date the case was opened.")
    requesting_country: CountryCode
    requested_country: CountryCode
    requesting_node: str | None = Field(default=None, pattern=_NODE)
    requested_node: str | None = Field(default=None, pattern=_NODE)
    subject: ShortText | None = None
    subject_refs: list[RecordRef] = Field(default_factory=list, max_length=100)
    charges: list[ShortText] = Field(default_factory=list, max_length=100)
    nationality: list[CountryCode] = Field(default_factory=list, max_length=5)
    death_penalty_possible: bool = False
    assurances: list[CaseAssurance] = Field(default_factory=list, max_length=50)
    red_notice: ShortText | None = None
    params: dict[str, int] = Field(default_factory=dict)
    extensions: dict[str, int] = Field(default_factory=dict)
    state: ShortText
    history: list[CaseTransition] = Field(min_length=1, max_length=500)
    events: list[CaseEventEntry] = Field(default_factory=list, max_length=500)
    description: LongText | None = None
    precursor: PreExport | None = None  # a pre_export_notification's shipment (vinculo.cases.preexport)

    @model_validator(mode="after")
    def _check(self) -> Case:
        if self.requesting_country == self.requested_country:
            raise ValueError("requested_country: must differ from requesting_country")
        if self.requesting_node and self.requesting_node == self.requested_node:
            raise ValueError("requested_node: must differ from requesting_node")
        if self.treaty:
            try:
                load_table(self.treaty)
            except RuleTableError as exc:
                raise ValueError(f"treaty: {exc}") from None
        if (self.kind is CaseKind.PRE_EXPORT_NOTIFICATION) != (self.precursor is not None):
            raise ValueError("precursor: required for a pre_export_notification, and only for it")
        machine = machine_for(self.kind)
        first = self.history[0]
        if first.from_state is not None or first.to_state != machine.initial:
            raise ValueError(f"history: must open in state {machine.initial!r}")
        if first.at != self.date:
            raise ValueError("history: the opening entry must carry the case date")
        last: dt.date = first.at
        for i, step in enumerate(self.history[1:], start=1):
            allowed = machine.transitions.get(step.from_state or "", ())
            if step.from_state != self.history[i - 1].to_state or step.to_state not in allowed:
                raise ValueError(f"history.{i}: {step.from_state!r} -> {step.to_state!r} is not allowed "
                                 f"for {self.kind.value}")
            if step.at < last:
                raise ValueError(f"history.{i}: date {step.at} is before the previous step ({last})")
            last = step.at
        if self.state != self.history[-1].to_state:
            raise ValueError("state: must be the last state of the history")
        for i, event in enumerate(self.events):
            if event.name not in machine.events:
                known = ", ".join(sorted(machine.events)) or "none"
                raise ValueError(f"events.{i}: {self.kind.value} has no event {event.name!r}; events: {known}")
        return self

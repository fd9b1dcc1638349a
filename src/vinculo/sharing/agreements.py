"""Sharing agreements: what one partner may receive from this node (pure model)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vinculo.records.types import RECORD_TYPES
from vinculo.sharing.markings import TLP, Handling


class Agreement(BaseModel):
    """One version of the agreement with one partner. Nothing is shared without one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partner: str
    version: int = 1
    record_types: frozenset[str] = frozenset()
    max_tlp: TLP = TLP.GREEN
    handling_required: frozenset[Handling] = frozenset()
    handling_refused: frozenset[Handling] = frozenset()
    withheld_fields: dict[str, frozenset[str]] = Field(default_factory=dict)
    purpose: str = ""
    retention_days: int = Field(default=365, ge=1, le=36500)
    onward_sharing: bool = False
    relay_origins: frozenset[str] = frozenset()
    psi_max_set_size: int = Field(default=10_000, ge=1, le=1_000_000)
    """Largest selector set (per key family) the partner may declare in a private matching run."""
    psi_runs_per_day: int = Field(default=4, ge=0, le=1000)
    """Private matching runs the partner may take part in per UTC day (0: none)."""
    start: dt.date
    end: dt.date | None = None

    @model_validator(mode="after")
    def _check(self) -> "Agreement":
        unknown = (set(self.record_types) | set(self.withheld_fields)) - set(RECORD_TYPES)
        if unknown:
            raise ValueError(f"record_types: unknown record types {sorted(unknown)}")
        if self.end is not None and self.end < self.start:
            raise ValueError("end: agreement ends before it starts")
        if self.handling_required & self.handling_refused:
            raise ValueError("handling_refused: a handling code cannot be both required and refused")
        return self

    def in_force(self, on: dt.date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


TERMS: tuple[str, ...] = tuple(f for f in Agreement.model_fields if f not in ("partner", "version"))
"""The terms an administrator sets (everything but whom it is with and its version number)."""

REQUIRED_TERMS: tuple[str, ...] = ("record_types", "max_tlp", "start")
"""What a first agreement must state; a later change states only what it changes."""


class MissingTerms(ValueError):
    def __init__(self, partner: str, missing: list[str]):
        self.missing = missing
        super().__init__(f"no agreement with {partner} yet: a first agreement states {', '.join(REQUIRED_TERMS)} "
                         f"(missing: {', '.join(missing)})")


def terms_of(agreement: Agreement) -> dict:
    """The terms of a stored agreement, as JSON values (what `amend` starts from), sets as sorted lists
    (a frozenset's JSON order follows the hash seed), so that equal terms compare equal."""
    def plain(value: object) -> object:
        if isinstance(value, list):
            return sorted(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in sorted(value.items())}
        return value

    return {k: plain(v) for k, v in agreement.model_dump(mode="json").items() if k in TERMS}


def amend(partner: str, current: Agreement | None, changes: dict) -> dict:
    """The terms of the next version when an administrator changes only `changes`: the other terms are
    kept from the agreement in force. With none in force, `changes` must state every required term."""
    if current is None:
        missing = [t for t in REQUIRED_TERMS if t not in changes]
        if missing:
            raise MissingTerms(partner, missing)
        return dict(changes)
    return terms_of(current) | changes

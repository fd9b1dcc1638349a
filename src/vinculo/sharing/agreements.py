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

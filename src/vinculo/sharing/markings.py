"""Markings carried by every record: TLP 2.0, handling codes, source grading.

TLP 2.0 (FIRST): CLEAR < GREEN < AMBER < AMBER+STRICT < RED.
Handling codes (Vinculo's, modelled on law-enforcement 3x5x2 handling):
  H0  no handling restriction beyond TLP and the agreement;
  H1  intelligence only: the recipient may not use it as evidence without asking;
  H2  the recipient may share it onward with its own partners (relay);
  H3  special conditions given in `handling_text`; released only to partners named in `partners`.
Grading: source reliability A (reliable), B (mostly reliable), C (not reliable), X (untested);
information accuracy 1 (known directly), 2 (known indirectly, corroborated), 3 (not corroborated),
4 (cannot be judged).
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TLP(str, Enum):
    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @property
    def rank(self) -> int:
        return _TLP_RANK[self]

    def at_most(self, other: "TLP") -> bool:
        return self.rank <= other.rank


_TLP_RANK = {TLP.CLEAR: 0, TLP.GREEN: 1, TLP.AMBER: 2, TLP.AMBER_STRICT: 3, TLP.RED: 4}


class Handling(str, Enum):
    H0 = "H0"
    H1 = "H1"
    H2 = "H2"
    H3 = "H3"


class Reliability(str, Enum):
    A = "A"
    B = "B"
    C = "C"
    X = "X"


class Markings(BaseModel):
    """The sharing markings of one record version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tlp: TLP = TLP.AMBER
    handling: Handling = Handling.H0
    handling_text: str | None = Field(default=None, max_length=2000)
    reliability: Reliability = Reliability.X
    accuracy: int = Field(default=4, ge=1, le=4)
    partners: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> "Markings":
        if self.handling is Handling.H3 and not (self.handling_text or "").strip():
            raise ValueError("handling H3 needs handling_text stating the conditions")
        return self

    def to_json(self) -> dict:
        return _as_json(self) | {}  # a fresh dict each time; the dump itself is cached


@lru_cache(maxsize=4096)
def _as_json(markings: Markings) -> dict:
    return markings.model_dump(mode="json")

"""Markings carried by every record: TLP 2.0, handling codes, source grading.

TLP 2.0 (FIRST): CLEAR < GREEN < AMBER < AMBER+STRICT < RED.
Handling codes, with the meanings of Europol's SIENA handling codes that liaison officers use daily:
  H0  no restriction beyond TLP;
  H1  not to be used in judicial proceedings without the provider's permission;
  H2  not to be disseminated without the provider's permission (never relayed);
  H3  other restrictions, stated in `handling_text`; released only to partners named in `partners`,
      never relayed.
Onward sharing is a permission of its own, signed by the origin with the rest of the markings: `onward`
lets the partners it is sent to relay the record to their own partners, one hop (only TLP:CLEAR or GREEN,
H0 or H1, never to a node in `excluded` or outside `partners` when it names recipients): the copy the
origin sends carries `onward_holder`, the one node that may relay it. `excluded` names nodes that must
never receive the record, directly or through a relay.
TLP:RED is for named people only: `recipients` names the local users (accounts on the origin node) who
read it, the first being its author (the record service puts the author there and keeps them); no one
else on the node reads it, and it never goes to a partner.
Grading: source reliability A (reliable), B (mostly reliable), C (not reliable), X (untested);
information accuracy 1 (known directly), 2 (known indirectly, corroborated), 3 (not corroborated),
4 (cannot be judged).
"""

from __future__ import annotations

import re
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
_NODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_USER_NAME = re.compile(r"^[a-z][a-z0-9._-]{1,62}$")  # accounts.model.NAME_RE


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
    partners: tuple[str, ...] = Field(default=(), max_length=100)
    onward: bool = False
    """The origin permits recipients to share the record onward (relay it); see `release`."""
    excluded: tuple[str, ...] = Field(default=(), max_length=100)
    """Nodes that must never receive the record, directly or through a relay."""
    onward_holder: str | None = Field(default=None, max_length=64)
    """Set by the origin in the copy it sends a partner whose agreement lets it share onward: the one node
    this copy's onward permission was given to. A relayed copy keeps it, so only that node may relay it:
    relays are one hop, and a permission never passes to whoever receives a copy."""
    recipients: tuple[str, ...] = Field(default=(), max_length=100)
    """TLP:RED only: the local users who read the record, its author first (see the module docstring)."""

    @model_validator(mode="after")
    def _check(self) -> "Markings":
        if self.handling is Handling.H3 and not (self.handling_text or "").strip():
            raise ValueError("handling H3 needs handling_text stating the conditions")
        for name in ("partners", "excluded"):
            for node_id in getattr(self, name):
                if not isinstance(node_id, str) or not _NODE_ID.match(node_id):
                    raise ValueError(f"{name}: {node_id!r} is not a node id (letters, digits, '-', '_', '.')")
        if self.onward_holder is not None and (not self.onward or not _NODE_ID.match(self.onward_holder)):
            raise ValueError("onward_holder: only in a copy with onward sharing, naming a node")
        if self.recipients and self.tlp is not TLP.RED:
            raise ValueError("recipients: only a TLP:RED record names the people who read it")
        for name in self.recipients:
            if not isinstance(name, str) or not _USER_NAME.match(name):
                raise ValueError(f"recipients: {name!r} is not a user name (2-63 lowercase letters, digits, "
                                 "'.', '_' or '-')")
        if len(set(self.recipients)) != len(self.recipients):
            raise ValueError("recipients: a user is named twice")
        both = set(self.partners) & set(self.excluded)
        if both:
            raise ValueError(f"excluded: {', '.join(sorted(both))} cannot be both a named recipient and excluded")
        return self

    @property
    def relayable(self) -> bool:
        """Whether the origin's markings let a recipient relay the record at all (to whom is `release`'s)."""
        return (self.onward and self.tlp.rank <= _TLP_RANK[TLP.GREEN]
                and self.handling in (Handling.H0, Handling.H1))

    def to_json(self) -> dict:
        return _as_json(self) | {}  # a fresh dict each time; the dump itself is cached


@lru_cache(maxsize=4096)
def _as_json(markings: Markings) -> dict:
    out = markings.model_dump(mode="json")
    # Left out at their defaults, so that versions signed before these fields existed keep their bytes.
    if not out["onward"]:
        del out["onward"]
    if not out["excluded"]:
        del out["excluded"]
    if out["onward_holder"] is None:
        del out["onward_holder"]
    if not out["recipients"]:
        del out["recipients"]
    return out

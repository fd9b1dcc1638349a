"""Per-record "visible to this role" flags for graph searches, derived from ``release()`` itself.

A search over a million records cannot call ``release()`` on every record it reaches, so it prunes with
flags: each record gets a small *marking code* (TLP x handling x revoked), and :func:`rule_for` asks
``release()`` once per code, with probe records of every type and two origins (the read layer's probes),
whether a local user of a
role may read a record with those markings (a node) and its relationship fields (an edge). If the answer
depends on more than the markings, the rule is *undecidable* and the search falls back to calling
``release()`` record by record. Either way the records of a result are decided by ``release()`` again
before anything is shown (see :mod:`vinculo.graph.fast`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

import numpy as np

from vinculo.records.model import Record
from vinculo.records.reads import RuleUndecidable, probed_pairs
from vinculo.records.types import RECORD_TYPES
from vinculo.sharing.markings import TLP, Handling
from vinculo.sharing.release import Release

TLPS = tuple(TLP)
HANDLINGS = tuple(Handling)
N_CODES = len(TLPS) * len(HANDLINGS) * 2
MISSING = -1  # no current record with that id on this node: never visible
EDGE_FIELDS = frozenset({"body", "source_ref", "target_ref", "relationship_type"})

def code(tlp: TLP, handling: Handling, revoked: bool) -> int:
    return (TLPS.index(tlp) * len(HANDLINGS) + HANDLINGS.index(handling)) * 2 + int(bool(revoked))


def decode(value: int) -> tuple[TLP, Handling, bool]:
    th, revoked = divmod(value, 2)
    t, h = divmod(th, len(HANDLINGS))
    return TLPS[t], HANDLINGS[h], bool(revoked)


_CODES: tuple[dict[str, int], dict[str, int]] = ({}, {})  # markings text -> code, unrevoked / revoked


def code_of(markings: str, revoked: bool) -> int:
    """The marking code of a stored row (``markings`` as stored JSON text; parsed once per distinct text)."""
    known = _CODES[bool(revoked)]
    value = known.get(markings)
    if value is None:
        m = json.loads(markings)
        value = code(TLP(m.get("tlp", "amber")), Handling(m.get("handling", "H0")), bool(revoked))
        if len(known) < 100_000:
            known[markings] = value
    return value


def edge_readable(decision: Release | None) -> bool:
    """A relationship counts as an edge only if the user reads it and its relationship fields."""
    return decision is not None and decision.allowed and not (EDGE_FIELDS & set(decision.withheld))


@dataclass(frozen=True)
class Rule:
    """``node[code]``: a record with that code is visible; ``edge[code]``: a relationship is crossable."""

    role: str
    node: np.ndarray
    edge: np.ndarray


def _edge(_: Record, decision: Release) -> bool:
    return edge_readable(decision)


def _allowed(_: Record, decision: Release) -> bool:
    return decision.allowed


@cache
def rule_for(role: str) -> Rule | None:
    """The flags for ``role`` as ``release()`` decides them (the read layer's probes,
    ``records.reads.probed_pairs``), or ``None`` if markings do not decide."""
    node = np.zeros(N_CODES + 1, dtype=bool)  # last slot: MISSING (-1 indexes it), never visible
    edge = np.zeros(N_CODES + 1, dtype=bool)
    try:
        for revoked in (False, True):
            for flags, outcome, types in ((node, _allowed, RECORD_TYPES), (edge, _edge, ("relationship",))):
                for tlp, handling in probed_pairs(role, outcome, types, (revoked,)):
                    flags[code(TLP(tlp), Handling(handling), revoked)] = True
    except RuleUndecidable:
        return None
    return Rule(role, node, edge)

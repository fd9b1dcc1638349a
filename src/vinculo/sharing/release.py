"""The one release decision: may this audience see this record, and which view of it.

`release(record, audience)` is pure. Every path that shows or sends a record calls it
(API, web, exports, TAXII, alerts, PSI inputs); its reasons are shown to users.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass

from vinculo.records.model import Record
from vinculo.sharing.agreements import Agreement
from vinculo.sharing.markings import TLP, Handling, Markings

ROLES = ("analyst", "supervisor", "admin", "auditor")
ENVELOPE_ONLY = ("body",)


@dataclass(frozen=True)
class LocalUser:
    """A person with an account on this node."""

    name: str
    role: str
    node: str


@dataclass(frozen=True)
class PartnerNode:
    """A partner node, seen from `local_node`, under its current agreement (if any)."""

    node_id: str
    local_node: str
    agreement: Agreement | None
    on: dt.date


Audience = LocalUser | PartnerNode


@dataclass(frozen=True)
class Release:
    allowed: bool
    view: dict | None
    reasons: tuple[str, ...]
    withheld: tuple[str, ...] = ()


def _deny(*reasons: str) -> Release:
    return Release(False, None, tuple(reasons))


def _without(document: dict, paths: tuple[str, ...]) -> dict:
    view = copy.deepcopy(document)
    for path in paths:
        if path == "body":
            view["body"] = {}
            continue
        parts = path.split(".")
        node = view["body"]
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                break
        if isinstance(node, dict):
            node.pop(parts[-1], None)
    return view


def _view(record: Record, withheld: tuple[str, ...]) -> dict:
    doc = record.document()
    return _without(doc, withheld) if withheld else doc


def release(record: Record, audience: Audience) -> Release:
    if isinstance(audience, LocalUser):
        return _release_local(record, audience)
    if isinstance(audience, PartnerNode):
        return _release_partner(record, audience)
    return _deny(f"unknown audience {audience!r}")


def _release_local(record: Record, user: LocalUser) -> Release:
    m = record.markings
    if user.role not in ROLES:
        return _deny(f"role {user.role!r} is not a Vinculo role")
    if user.role == "admin":
        return _deny("administrators manage the node; they do not read records")
    if user.role == "auditor":
        return Release(True, _view(record, ENVELOPE_ONLY),
                       ("auditors see the envelope and markings, not the content",), ENVELOPE_ONLY)
    if m.tlp is TLP.RED and user.role != "supervisor":
        return _deny("TLP:RED is for named recipients: only supervisors read it on this node")
    if m.handling is Handling.H3 and user.role != "supervisor":
        return _deny("handling H3 (special conditions): only supervisors read it on this node")
    where = "this node's record" if record.origin == user.node else f"a record from partner {record.origin}"
    reasons = [f"{user.role} may read {where} at TLP:{m.tlp.value.upper()}"]
    if record.revoked:
        reasons.append("revoked by its origin: kept for the record, not for use")
    return Release(True, _view(record, ()), tuple(reasons))


def _release_partner(record: Record, p: PartnerNode) -> Release:
    return _with_view(record, _partner_decision(record.type, record.origin, record.revoked, record.markings, p))


def _with_view(record: Record, decision: Release) -> Release:
    if not decision.allowed:
        return decision
    return Release(True, _view(record, decision.withheld), decision.reasons, decision.withheld)


def _partner_decision(rtype: str, origin: str, revoked: bool, m: Markings, p: PartnerNode) -> Release:
    """Whether `p` may receive a record, and what is withheld (no view yet). It reads nothing of the
    record but these four parts, so `PartnerReleases` may take it once per distinct combination."""
    a = p.agreement
    if a is None:
        return _deny(f"no sharing agreement with {p.node_id}: nothing is shared")
    if a.partner != p.node_id:
        return _deny(f"the agreement given is for {a.partner}, not {p.node_id}")
    if not a.in_force(p.on):
        return _deny(f"agreement v{a.version} with {p.node_id} is not in force on {p.on.isoformat()}")
    if rtype not in a.record_types:
        return _deny(f"agreement v{a.version} does not cover {rtype} records")
    if origin != p.local_node:
        if origin == p.node_id:
            return _deny(f"{p.node_id} is the origin of this record")
        if m.handling is not Handling.H2:
            return _deny(f"origin {origin} did not allow onward sharing (H2)")
        if origin not in a.relay_origins:
            return _deny(f"agreement v{a.version} does not relay records from {origin}")
    if revoked:
        return _deny("revoked at its origin: partners get a tombstone, not the record")
    named = p.node_id in m.partners
    if m.partners and not named:
        return _deny(f"the markings name the recipients ({', '.join(m.partners)}); {p.node_id} is not one")
    if m.tlp is TLP.RED and not named:
        return _deny("TLP:RED goes only to partners named in the markings")
    if m.handling is Handling.H3 and not named:
        return _deny("handling H3 goes only to partners named in the markings")
    if not m.tlp.at_most(a.max_tlp):
        return _deny(f"TLP:{m.tlp.value.upper()} is above the agreement's limit TLP:{a.max_tlp.value.upper()}")
    if m.handling in a.handling_refused:
        return _deny(f"agreement v{a.version} refuses handling {m.handling.value}")
    if a.handling_required and m.handling not in a.handling_required:
        need = ", ".join(sorted(h.value for h in a.handling_required))
        return _deny(f"agreement v{a.version} requires handling {need}")
    withheld = tuple(sorted(a.withheld_fields.get(rtype, ())))
    reasons = [f"agreement v{a.version} with {p.node_id} covers {rtype} up to TLP:{a.max_tlp.value.upper()}"]
    if named:
        reasons.append(f"{p.node_id} is named in the markings")
    if withheld:
        reasons.append("withheld by the agreement: " + ", ".join(withheld))
    return Release(True, None, tuple(reasons), withheld)


class PartnerReleases:
    """`release(record, audience)` for the many records of a feed page, all to one partner: the same
    decisions, but each distinct (type, origin, revoked, markings) is decided once. Every allowed
    record still gets its own view."""

    def __init__(self, audience: PartnerNode):
        self.audience = audience
        self._decided: dict[tuple, Release] = {}

    def __call__(self, record: Record) -> Release:
        key = (record.type, record.origin, record.revoked, record.markings)
        decision = self._decided.get(key)
        if decision is None:
            decision = self._decided[key] = _partner_decision(*key, self.audience)
        return _with_view(record, decision)

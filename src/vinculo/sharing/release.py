"""The one release decision: may this audience see this record, and which view of it.

`release(record, audience)` is pure. Every path that shows or sends a record calls it
(API, web, exports, TAXII, alerts, PSI inputs); its reasons are shown to users.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass

from vinculo.records.model import Record
from vinculo.records.types import same_information
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
    onward_off: bool = False
    """The view goes without the origin's onward permission (the agreement does not let the partner
    share onward)."""
    onward_holder: str | None = None
    """The view carries the onward permission for this one partner (`Markings.onward_holder`)."""

    @property
    def changed(self) -> bool:
        """Whether the view differs from the stored version: it cannot go with the stored signature, and is
        signed by this node when it is sent."""
        return bool(self.withheld) or self.onward_off or self.onward_holder is not None


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
    if m.tlp is TLP.RED:
        return _release_red(record, user)
    if m.handling is Handling.H3 and user.role != "supervisor":
        return _deny("handling H3 (special conditions): only supervisors read it on this node")
    where = "this node's record" if record.origin == user.node else f"a record from partner {record.origin}"
    reasons = [f"{user.role} may read {where} at TLP:{m.tlp.value.upper()}"]
    if record.revoked:
        reasons.append("revoked by its origin: kept for the record, not for use")
    return Release(True, _view(record, ()), tuple(reasons))


def _release_red(record: Record, user: LocalUser) -> Release:
    """TLP:RED is for named people only: the users its markings name on its origin node (its author first);
    naming someone is the whole decision for them (their role's limits, such as H3's, do not apply)."""
    m = record.markings
    if record.origin != user.node:
        return _deny(f"TLP:RED from partner {record.origin} is for the people it names there, not read here")
    if user.name not in m.recipients:
        return _deny("TLP:RED is for the people it names: you are not one of them")
    who = "its author" if m.recipients[0] == user.name else "named in the markings"
    reasons = [f"TLP:RED: {user.name} is {who}"]
    if record.revoked:
        reasons.append("revoked by its origin: kept for the record, not for use")
    return Release(True, _view(record, ()), tuple(reasons))


def _release_partner(record: Record, p: PartnerNode) -> Release:
    return _with_view(record, _partner_decision(record.type, record.origin, record.revoked, record.markings, p))


def _with_view(record: Record, decision: Release) -> Release:
    if not decision.allowed:
        return decision
    view = _view(record, decision.withheld)
    if decision.onward_off:  # the document's markings are a fresh dict (Markings.to_json)
        view["markings"] = {k: v for k, v in view["markings"].items() if k not in ("onward", "onward_holder")}
    elif decision.onward_holder:
        view["markings"]["onward_holder"] = decision.onward_holder
    return Release(True, view, decision.reasons, decision.withheld, decision.onward_off, decision.onward_holder)


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
    if origin == p.node_id:
        return _deny(f"{p.node_id} is the origin of this record")
    if revoked:
        return _deny("revoked at its origin: partners get a tombstone, not the record")
    if p.node_id in m.excluded:
        return _deny(f"the origin's markings exclude {p.node_id}")
    named = p.node_id in m.partners
    if m.partners and not named:
        return _deny(f"the markings name the recipients ({', '.join(m.partners)}); {p.node_id} is not one")
    if m.tlp is TLP.AMBER_STRICT:
        return _deny("TLP:AMBER+STRICT is for this agency only: never sent to a partner")
    if m.tlp is TLP.RED:
        return _deny("TLP:RED is for the people it names on this node: never sent to a partner")
    if m.handling is Handling.H3 and not named:
        return _deny("handling H3 (other restrictions) goes only to partners named in the markings")
    if not m.tlp.at_most(a.max_tlp):
        return _deny(f"TLP:{m.tlp.value.upper()} is above the agreement's limit TLP:{a.max_tlp.value.upper()}")
    if m.handling in a.handling_refused:
        return _deny(f"agreement v{a.version} refuses handling {m.handling.value}")
    if a.handling_required and m.handling not in a.handling_required:
        need = ", ".join(sorted(h.value for h in a.handling_required))
        return _deny(f"agreement v{a.version} requires handling {need}")
    asked = frozenset(a.withheld_fields.get(rtype, ()))
    withheld = tuple(sorted(same_information(rtype, asked)))
    if origin != p.local_node:
        return _relay_decision(origin, m, p, withheld)
    reasons = [f"agreement v{a.version} with {p.node_id} covers {rtype} up to TLP:{a.max_tlp.value.upper()}"]
    if named:
        reasons.append(f"{p.node_id} is named in the markings")
    if m.handling is Handling.H1:
        reasons.append("H1: not to be used in judicial proceedings without our permission")
    if m.handling is Handling.H2:
        reasons.append("H2: not to be disseminated without our permission")
    if withheld:
        reasons.append("withheld by the agreement: " + ", ".join(sorted(asked)))
        if set(withheld) - asked:
            reasons.append("withheld with them, as they carry the same information: "
                           + ", ".join(sorted(set(withheld) - asked)))
    onward_off = m.onward and not (a.onward_sharing and m.relayable)
    if onward_off and a.onward_sharing:
        reasons.append(f"sent without onward sharing: TLP:{m.tlp.value.upper()} {m.handling.value} is never relayed")
    elif onward_off:
        reasons.append(f"sent without onward sharing: agreement v{a.version} does not let {p.node_id} share onward")
    elif m.onward:
        reasons.append(f"{p.node_id} may share it onward, one hop (the permission names {p.node_id})")
    holder = p.node_id if m.onward and not onward_off else None
    return Release(True, None, tuple(reasons), withheld, onward_off, holder)


def _relay_decision(origin: str, m: Markings, p: PartnerNode, withheld: tuple[str, ...]) -> Release:
    """A record from another origin, held here: it goes on only as its origin signed it and allowed."""
    a = p.agreement
    assert a is not None
    if not m.onward:
        return _deny(f"origin {origin} did not permit onward sharing")
    if m.onward_holder != p.local_node:
        return _deny(f"{origin}'s onward permission on this copy was given to "
                     f"{m.onward_holder or 'no node'}, not to {p.local_node}: relays are one hop")
    if not m.tlp.at_most(TLP.GREEN):
        return _deny(f"TLP:{m.tlp.value.upper()} is never relayed: only CLEAR and GREEN go onward")
    if m.handling not in (Handling.H0, Handling.H1):
        return _deny(f"handling {m.handling.value} is never relayed without the provider's permission")
    if origin not in a.relay_origins:
        return _deny(f"agreement v{a.version} does not relay records from {origin}")
    if withheld:
        return _deny(f"agreement v{a.version} withholds fields of this type, and a relay cannot withhold: "
                     f"it passes {origin}'s signed version unchanged")
    return Release(True, None, (f"relayed: {origin} permits onward sharing, and agreement v{a.version} "
                                f"relays {origin}'s records to {p.node_id}",))


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

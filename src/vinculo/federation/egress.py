"""The egress guard: an independent second check of every object before it leaves the node.

It does not call release(); it re-reads the agreement and the outgoing object itself (type, TLP,
handling, named recipients, withheld fields) and refuses anything that should not go.
"""

from __future__ import annotations

import datetime as dt

from vinculo.federation.stix_map import StixMappingError, from_stix, markings_of
from vinculo.sharing.agreements import Agreement

_TLP_ORDER = ["clear", "green", "amber", "amber+strict", "red"]


class EgressRefused(Exception):
    pass


def _has_path(body: dict, path: str) -> bool:
    node: object = body
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def check(obj: dict, partner: str, local_node: str, agreement: Agreement | None, today: dt.date) -> None:
    """Raise EgressRefused naming why `obj` may not go to `partner`."""
    try:
        doc, _sig, _signer = from_stix(obj)
    except StixMappingError as exc:
        raise EgressRefused(str(exc)) from None
    oid = obj.get("id")
    if agreement is None or agreement.partner != partner:
        raise EgressRefused(f"{oid}: no agreement with {partner}")
    if doc.get("revoked") and not doc.get("body"):
        return  # a tombstone carries no content; it only tells the holder to drop what it has
    if not (agreement.start <= today and (agreement.end is None or today <= agreement.end)):
        raise EgressRefused(f"{oid}: agreement with {partner} not in force")
    if doc.get("type") not in agreement.record_types:
        raise EgressRefused(f"{oid}: type {doc.get('type')} not covered")
    if doc.get("revoked"):
        raise EgressRefused(f"{oid}: revoked records travel only as tombstones")
    tlp, handling = markings_of(obj)
    marks = doc.get("markings", {})
    if tlp is None or tlp.value != marks.get("tlp") or handling is None or handling.value != marks.get("handling"):
        raise EgressRefused(f"{oid}: object markings do not match the document")
    if _TLP_ORDER.index(marks["tlp"]) > _TLP_ORDER.index(agreement.max_tlp.value):
        raise EgressRefused(f"{oid}: TLP:{marks['tlp'].upper()} above the agreement")
    named = partner in marks.get("partners", [])
    if marks.get("partners") and not named:
        raise EgressRefused(f"{oid}: {partner} is not a named recipient")
    if (marks["tlp"] == "red" or marks["handling"] == "H3") and not named:
        raise EgressRefused(f"{oid}: TLP:RED / H3 only to named recipients")
    if marks["handling"] in {h.value for h in agreement.handling_refused}:
        raise EgressRefused(f"{oid}: handling {marks['handling']} refused by the agreement")
    if agreement.handling_required and marks["handling"] not in {h.value for h in agreement.handling_required}:
        raise EgressRefused(f"{oid}: handling {marks['handling']} not among those the agreement requires")
    if doc.get("origin") != local_node and (marks["handling"] != "H2" or doc.get("origin") not in agreement.relay_origins):
        raise EgressRefused(f"{oid}: relaying a record from {doc.get('origin')} is not allowed")
    for path in agreement.withheld_fields.get(doc["type"], ()):
        if _has_path(doc.get("body", {}), path):
            raise EgressRefused(f"{oid}: withheld field {path} present")

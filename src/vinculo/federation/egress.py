"""The egress guard: an independent second check of every object before it leaves the node.

It does not call release(); it re-reads the agreement and the outgoing object itself (type, TLP,
handling, named recipients, withheld fields) and refuses anything that should not go.
"""

from __future__ import annotations

import datetime as dt

from vinculo.federation.stix_map import StixMappingError, from_stix, markings_of, to_stix
from vinculo.records.types import same_information
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
    Guard(partner, local_node, agreement, today).check(obj)


class Guard:
    """`check` for the objects of one page to one partner. What an object's type, origin, revoked flag,
    markings and marking references allow is worked out once per distinct combination of them (all read
    from the outgoing object); the withheld-field check runs on every object."""

    def __init__(self, partner: str, local_node: str, agreement: Agreement | None, today: dt.date):
        self.partner, self.local_node, self.agreement, self.today = partner, local_node, agreement, today
        self._refusals: dict[tuple, str | None] = {}

    def check(self, obj: dict) -> None:
        """Raise EgressRefused naming why `obj` may not go to the partner."""
        self._check(obj, rebuild=True)

    def emit(self, doc: dict, signature: str | None, signer: str) -> dict:
        """The STIX object of a released document, built here and checked like `check`'s: its standard
        properties are the document's reading by construction (`to_stix` is a pure function of the document,
        and nothing touches the object between here and the page), so rebuilding them to compare, as `check`
        does for an object made elsewhere, would compare the function with itself. Raises EgressRefused."""
        obj = to_stix(doc, signature, signer)
        self._check(obj, rebuild=False)
        return obj

    def _check(self, obj: dict, rebuild: bool) -> None:
        try:
            doc, sig, signer = from_stix(obj)
        except StixMappingError as exc:
            raise EgressRefused(str(exc)) from None
        oid = obj.get("id")
        a = self.agreement
        if a is None or a.partner != self.partner:
            raise EgressRefused(f"{oid}: no agreement with {self.partner}")
        if doc.get("revoked") and not doc.get("body"):
            if rebuild:
                self._reading(obj, doc, sig, signer)
            return  # a tombstone carries no content; it only tells the holder to drop what it has
        marks = doc.get("markings", {})
        try:
            key = (doc.get("type"), doc.get("origin"), bool(doc.get("revoked")), marks.get("tlp"),
                   marks.get("handling"), tuple(marks.get("partners", ())), bool(marks.get("onward")),
                   str(marks.get("onward_holder")),
                   tuple(marks.get("excluded", ())), tuple(obj.get("object_marking_refs", ())))
            if key not in self._refusals:
                self._refusals[key] = self._refusal(obj, doc, marks)
            refusal = self._refusals[key]
        except TypeError:  # something unhashable where a string belongs: judge it alone
            refusal = self._refusal(obj, doc, marks)
        if refusal:
            raise EgressRefused(f"{oid}: {refusal}")
        for path in _withheld(a, doc.get("type")):
            if _has_path(doc.get("body", {}), path):
                raise EgressRefused(f"{oid}: withheld field {path} present")
        if rebuild:
            self._reading(obj, doc, sig, signer)

    @staticmethod
    def _reading(obj: dict, doc: dict, sig: object, signer: object) -> None:
        """Every top-level property (the standard reading a plain STIX consumer uses, federation.stix_standard)
        must be what the released document says: nothing the document does not carry can leave beside it."""
        if not _is_its_reading(obj, doc, sig, signer):
            raise EgressRefused(f"{obj.get('id')}: standard STIX properties are not those of the released document")

    def _refusal(self, obj: dict, doc: dict, marks: dict) -> str | None:
        """Why the agreement refuses an object with these markings, type and origin (None: it does not)."""
        a, partner, today = self.agreement, self.partner, self.today
        if not (a.start <= today and (a.end is None or today <= a.end)):
            return f"agreement with {partner} not in force"
        if doc.get("type") not in a.record_types:
            return f"type {doc.get('type')} not covered"
        if doc.get("revoked"):
            return "revoked records travel only as tombstones"
        tlp, handling = markings_of(obj)
        if tlp is None or tlp.value != marks.get("tlp") or handling is None or handling.value != marks.get("handling"):
            return "object markings do not match the document"
        if marks["tlp"] == "amber+strict":
            return "TLP:AMBER+STRICT never leaves this agency"
        if _TLP_ORDER.index(marks["tlp"]) > _TLP_ORDER.index(a.max_tlp.value):
            return f"TLP:{marks['tlp'].upper()} above the agreement"
        if partner in marks.get("excluded", []):
            return f"{partner} is excluded by the origin"
        named = partner in marks.get("partners", [])
        if marks.get("partners") and not named:
            return f"{partner} is not a named recipient"
        if marks["tlp"] == "red":
            return "TLP:RED never leaves this node: it is for the people it names here"
        if marks["handling"] == "H3" and not named:
            return "TLP:RED / H3 only to named recipients"
        if marks["handling"] in {h.value for h in a.handling_refused}:
            return f"handling {marks['handling']} refused by the agreement"
        if a.handling_required and marks["handling"] not in {h.value for h in a.handling_required}:
            return f"handling {marks['handling']} not among those the agreement requires"
        origin = doc.get("origin")
        if origin == partner:
            return f"{partner} is the origin"
        if origin == self.local_node:
            if marks.get("onward") and not a.onward_sharing:
                return f"onward sharing marked, but the agreement does not let {partner} share onward"
            if marks.get("onward") and marks.get("onward_holder") != partner:
                return f"onward sharing marked for {marks.get('onward_holder')}, not for {partner}"
            return None
        if (not marks.get("onward") or marks.get("onward_holder") != self.local_node
                or marks["tlp"] not in ("clear", "green") or marks["handling"] not in ("H0", "H1")
                or origin not in a.relay_origins or _withheld(a, doc.get("type"))):
            return f"relaying a record from {origin} is not allowed"
        return None


def _is_its_reading(obj: dict, doc: dict, sig: object, signer: object) -> bool:
    try:
        return obj == to_stix(doc, sig, signer)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001  (a document the mapping cannot read has no reading to match)
        return False


def _withheld(a: Agreement, rtype: object) -> frozenset[str]:
    asked = a.withheld_fields.get(rtype, frozenset()) if isinstance(rtype, str) else frozenset()
    return same_information(rtype, asked) if asked else frozenset()

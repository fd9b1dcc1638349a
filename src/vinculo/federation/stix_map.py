"""Vinculo record documents as STIX 2.1 objects and back.

Top-level STIX properties are derived from the *released view* only (never the stored record),
so a withheld field cannot leak through them. The view itself, and the origin's signature over it,
travel in the `vinculo-document` property extension: a Vinculo receiver reconstructs the document
exactly, a plain STIX consumer still gets a useful standard object.
"""

from __future__ import annotations

import uuid

from vinculo.federation.stix_defs import (
    DOCUMENT_EXTENSION,
    HANDLING_BY_ID,
    HANDLING_IDS,
    NEW_SDO_TYPES,
    SDO_EXTENSIONS,
    TLP2_IDS,
    TLP_BY_ID,
    node_identity_id,
    stix_type,
)
from vinculo.federation.stix_standard import LOCATED, facts, located
from vinculo.sharing.markings import TLP, Handling

_REVERSE = {v: k for k, v in NEW_SDO_TYPES.items()}


class StixMappingError(ValueError):
    pass


def stix_id(record_id: str) -> str:
    rtype, _, uid = record_id.partition("--")
    return f"{stix_type(rtype)}--{uid}"


def _ts(value: str) -> str:
    return value  # Vinculo timestamps are already RFC 3339 UTC with microseconds and Z


def _name(doc: dict) -> str:
    b, t = doc["body"], doc["type"]
    if t == "seizure":
        what = b.get("substance") or b.get("substance_raw") or "unknown substance"
        q = b.get("quantity")
        amount = f"{q['amount']} {q['unit']} of " if q else ""
        return f"Seizure of {amount}{what} in {b.get('country', '?')} on {b.get('date', '?')}"
    if t == "shipment":
        return f"{b.get('status', '').capitalize()} shipment of {b.get('substance') or b.get('substance_raw') or 'chemicals'}"
    if t == "lab":
        return f"{b.get('kind', 'clandestine')} lab ({b.get('status', '?')}) in {b.get('country', '?')}"
    if t == "vehicle":
        return f"{b.get('kind', 'vehicle')} {b.get('plate') or b.get('vin') or b.get('imo') or ''}".strip()
    if t == "phone":
        return f"Phone {b.get('number', '')}"
    if t == "case":
        return f"Case: {b.get('kind', '')}"
    if t == "event":
        return f"Planned {b.get('kind', 'operation')}"
    if t == "alert":
        return f"Alert ({b.get('kind', 'other')}): {b.get('title', '')}".strip()
    return t


def to_stix(doc: dict, signature: str | None, signer: str) -> dict:
    """A STIX 2.1 object for a released Vinculo document (or a tombstone)."""
    rtype, body = doc["type"], doc["body"]
    markings = doc["markings"]
    obj: dict = {
        "type": stix_type(rtype), "spec_version": "2.1", "id": stix_id(doc["id"]),
        "created": _ts(doc["created"]), "modified": _ts(doc["modified"]),
        "created_by_ref": node_identity_id(doc["origin"]),
        "object_marking_refs": [TLP2_IDS[markings["tlp"]], HANDLING_IDS[markings["handling"]]],  # str enum keys
    }
    if doc.get("revoked"):
        obj["revoked"] = True
    ext = {"extension_type": "property-extension", "document": doc, "signer": signer}
    if signature:
        ext["signature"] = signature
    obj["extensions"] = {DOCUMENT_EXTENSION: ext}
    if doc.get("revoked") or not body:
        if rtype in NEW_SDO_TYPES:
            obj["extensions"][SDO_EXTENSIONS[rtype]] = {"extension_type": "new-sdo"}
            obj["name"] = "withdrawn"
        return _standard_minimum(obj, rtype)
    if rtype in NEW_SDO_TYPES:
        obj["extensions"][SDO_EXTENSIONS[rtype]] = {"extension_type": "new-sdo"}
        obj["name"] = _name(doc)
        if body.get("description"):
            obj["description"] = body["description"]
    elif rtype in LOCATED:
        obj.update(located(rtype, body, _name(doc)))
    elif rtype == "person":
        obj.update(name=body.get("full_name", "withheld"), identity_class="individual")
        _identity_facts(obj, rtype, body)
    elif rtype == "organization":
        obj.update(name=body.get("name", "withheld"), identity_class="organization")
        _identity_facts(obj, rtype, body)
    elif rtype == "location":
        obj["country"] = body.get("country", "ZZ")
        # OpenCTI reads a location's name as required (pycti Location.import_from_stix2): never leave it out
        obj["name"] = body.get("name") or ", ".join(
            str(body[k]) for k in ("place", "admin_area", "country") if body.get(k)) or "location"
        if body.get("admin_area"):
            obj["administrative_area"] = body["admin_area"]
        if body.get("place"):
            obj["city"] = body["place"]
        if body.get("address"):
            obj["street_address"] = body["address"]
        if body.get("coordinates"):
            obj.update(latitude=body["coordinates"]["lat"], longitude=body["coordinates"]["lon"])
    elif rtype == "relationship":
        obj.update(relationship_type=body.get("relationship_type", "related-to"),
                   source_ref=stix_id(body["source_ref"]) if "source_ref" in body else obj["created_by_ref"],
                   target_ref=stix_id(body["target_ref"]) if "target_ref" in body else obj["created_by_ref"])
        if body.get("description"):
            obj["description"] = body["description"]
    elif rtype == "note":
        obj.update(content=body.get("text", "withheld"),
                   object_refs=[stix_id(r) for r in body.get("about_refs", [])] or [obj["created_by_ref"]])
    return obj


def _identity_facts(obj: dict, rtype: str, body: dict) -> None:
    if text := facts(rtype, body):
        obj["description"] = text
    contact = [*body.get("phones", []), *body.get("emails", [])]
    if contact:
        obj["contact_information"] = "; ".join(contact)


def _standard_minimum(obj: dict, rtype: str) -> dict:
    """Tombstones keep the required properties of standard types with no content."""
    if rtype in ("person", "organization"):
        obj.update(name="withdrawn")
    elif rtype == "location" or rtype in LOCATED:
        obj.update(name="withdrawn", region="unknown")
    elif rtype == "note":
        obj.update(content="withdrawn", object_refs=[obj["created_by_ref"]])
    elif rtype == "relationship":
        obj.update(relationship_type="related-to", source_ref=obj["created_by_ref"], target_ref=obj["created_by_ref"])
    return obj


def from_stix(obj: dict) -> tuple[dict, str | None, str]:
    """(document, signature, signer) carried by a Vinculo STIX object."""
    try:
        ext = obj["extensions"][DOCUMENT_EXTENSION]
        doc = ext["document"]
    except (KeyError, TypeError):
        raise StixMappingError(f"{obj.get('id', '?')}: not a Vinculo object (no vinculo-document extension)") from None
    if not isinstance(doc, dict) or stix_id(str(doc.get("id", ""))) != obj.get("id"):
        raise StixMappingError(f"{obj.get('id', '?')}: the document does not match the object id")
    return doc, ext.get("signature"), ext.get("signer", "")


def markings_of(obj: dict) -> tuple[TLP | None, Handling | None]:
    refs = obj.get("object_marking_refs", [])
    tlp = next((TLP_BY_ID[r] for r in refs if r in TLP_BY_ID), None)
    handling = next((HANDLING_BY_ID[r] for r in refs if r in HANDLING_BY_ID), None)
    return tlp, handling


def record_type_of(stix_type_name: str) -> str | None:
    return _REVERSE.get(stix_type_name)


def uuid_of(stix_identifier: str) -> uuid.UUID:
    return uuid.UUID(stix_identifier.partition("--")[2])

"""Fixed STIX 2.1 objects Vinculo relies on: TLP 2.0 markings, its handling markings and extensions.

TLP 2.0 marking definitions are the ones FIRST/OASIS published (fixed ids, extension
`extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d`). Vinculo's own record types are new
SDOs defined by extension definitions; the signed Vinculo document travels in a property extension.
"""

from __future__ import annotations

import uuid
from functools import lru_cache

from vinculo.sharing.markings import TLP, Handling

STIX_NS = uuid.UUID("8b0f2f1c-3a4e-5b6c-9d7e-0f1a2b3c4d5e")
COLLECTION_NS = uuid.UUID("2f3e8a41-9c1d-4b7e-8f60-5a4c3b2d1e0f")


def collection_id(node_id: str, alias: str) -> str:
    """The id of a node's TAXII collection `alias` ("all", "definitions", a record type): derived, so a
    Vinculo partner can ask for it without discovery."""
    return str(uuid.uuid5(COLLECTION_NS, f"{node_id}:{alias}"))
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_IDS = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP_BY_ID = {v: k for k, v in TLP2_IDS.items()}
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
DEFS_CREATED = "2026-11-01T00:00:00.000Z"
VINCULO_IDENTITY = f"identity--{uuid.uuid5(STIX_NS, 'vinculo-project')}"

# Vinculo's document (and the origin's signature over it) on every object.
DOCUMENT_EXTENSION = f"extension-definition--{uuid.uuid5(STIX_NS, 'vinculo-document-v1')}"
HANDLING_EXTENSION = f"extension-definition--{uuid.uuid5(STIX_NS, 'vinculo-handling-v1')}"
NEW_SDO_TYPES = {
    "vehicle": "vinculo-vehicle",
    "phone": "vinculo-phone",
    "case": "vinculo-case",
    "event": "vinculo-event",
    "alert": "vinculo-alert",
    "lab-result": "vinculo-lab-result",  # forensic exhibits (docs/stix.md)
    "photo": "vinculo-photo",
    "pdf": "vinculo-pdf",
}
# Read as standard STIX types (federation/stix_standard.py, docs/stix.md): a seizure, a shipment and a lab are
# where something happened, stated as a `location` named by the fact, the facts in its description.
STANDARD_TYPES = {"person": "identity", "organization": "identity", "location": "location",
                  "seizure": "location", "shipment": "location", "lab": "location",
                  "relationship": "relationship", "note": "note"}
SDO_EXTENSIONS = {t: f"extension-definition--{uuid.uuid5(STIX_NS, 'vinculo-sdo-' + t)}" for t in NEW_SDO_TYPES}
HANDLING_IDS = {h: f"marking-definition--{uuid.uuid5(STIX_NS, 'vinculo-handling-' + h.value)}" for h in Handling}
HANDLING_BY_ID = {v: k for k, v in HANDLING_IDS.items()}
_HANDLING_TEXT = {
    Handling.H0: "H0 (SIENA): no restriction beyond TLP and the sharing agreement.",
    Handling.H1: "H1 (SIENA): not to be used in judicial proceedings without the provider's permission.",
    Handling.H2: "H2 (SIENA): not to be disseminated without the provider's permission.",
    Handling.H3: "H3 (SIENA): other restrictions apply; see the record's handling_text.",
}


def stix_type(record_type: str) -> str:
    if record_type in NEW_SDO_TYPES:
        return NEW_SDO_TYPES[record_type]
    if record_type in STANDARD_TYPES:
        return STANDARD_TYPES[record_type]
    return f"vinculo-{record_type}"


@lru_cache(maxsize=1024)
def node_identity_id(node_id: str) -> str:
    return f"identity--{uuid.uuid5(STIX_NS, 'node:' + node_id)}"


def _project_identity() -> dict:
    return {"type": "identity", "spec_version": "2.1", "id": VINCULO_IDENTITY, "created": DEFS_CREATED,
            "modified": DEFS_CREATED, "name": "Vinculo project", "identity_class": "organization"}


def node_identity(node_id: str, name: str, country: str) -> dict:
    return {"type": "identity", "spec_version": "2.1", "id": node_identity_id(node_id), "created": DEFS_CREATED,
            "modified": DEFS_CREATED, "name": name, "identity_class": "organization", "sectors": ["government"],
            "description": f"Vinculo node {node_id} ({country})"}


def tlp_markings() -> list[dict]:
    """The TLP 2.0 marking definitions exactly as OASIS publishes them (cti-stix-common-objects,
    extension-definition-specifications/tlp-2.0): no `created_by_ref`, no `modified` (marking definitions
    are not versioned), property by property in OASIS's order."""
    return [{"type": "marking-definition", "spec_version": "2.1", "id": mid, "created": TLP2_CREATED,
             "name": f"TLP:{tlp.value.upper()}",
             "extensions": {TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": tlp.value}}}
            for tlp, mid in TLP2_IDS.items()]


def handling_markings() -> list[dict]:
    return [{"type": "marking-definition", "spec_version": "2.1", "id": mid, "created": DEFS_CREATED,
             "created_by_ref": VINCULO_IDENTITY, "name": f"Vinculo handling {h.value}",
             "extensions": {HANDLING_EXTENSION: {"extension_type": "property-extension", "handling": h.value,
                                                 "statement": _HANDLING_TEXT[h]}}}
            for h, mid in HANDLING_IDS.items()]


def _extension_definition(ext_id: str, name: str, description: str, kind: str) -> dict:
    return {"type": "extension-definition", "spec_version": "2.1", "id": ext_id, "created": DEFS_CREATED,
            "modified": DEFS_CREATED, "created_by_ref": VINCULO_IDENTITY, "name": name, "description": description,
            "schema": "https://vinculo.example/stix/schemas/" + name + ".json", "version": "1.0.0",
            "extension_types": [kind]}


def extension_definitions() -> list[dict]:
    out = [
        _extension_definition(DOCUMENT_EXTENSION, "vinculo-document",
                              "The Vinculo record document (envelope and body as released) and the origin "
                              "node's Ed25519 signature over its RFC 8785 canonical JSON.", "property-extension"),
        _extension_definition(HANDLING_EXTENSION, "vinculo-handling",
                              "Vinculo handling codes H0-H3 for marking definitions.", "property-extension"),
    ]
    out += [_extension_definition(ext, stype, f"Vinculo {rtype} record.", "new-sdo")
            for rtype, ext in SDO_EXTENSIONS.items() for stype in [NEW_SDO_TYPES[rtype]]]
    return out


def definitions(node_id: str, name: str, country: str) -> list[dict]:
    """Everything a plain STIX consumer needs to resolve the references in Vinculo objects."""
    return [_project_identity(), node_identity(node_id, name, country), *tlp_markings(), *handling_markings(),
            *extension_definitions()]


def version_of(obj: dict) -> str:
    """A STIX object's version: its `modified`, or `created` for objects that are not versioned (markings)."""
    return obj.get("modified") or obj["created"]

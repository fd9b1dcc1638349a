"""Columns derived from a body so that lists can be filtered in the database, and a version's whole row.

(Kept free of database imports: the import worker process builds rows without them.)
"""

from __future__ import annotations

from dataclasses import dataclass

_DATE_FIELDS = ("date", "discovered", "start")
_TEXT_SKIP = {"source", "coordinates", "quantity"}


@dataclass(frozen=True)
class Facets:
    country: str | None
    substance: str | None
    event_date: str | None
    search: str


def _strings(value: dict | list, out: list[str]) -> None:
    for key, item in value.items() if type(value) is dict else enumerate(value):
        t = type(item)
        if t is str:
            out.append(item)
        elif (t is dict or t is list) and key not in _TEXT_SKIP:
            _strings(item, out)


def facets(record_type: str, body: dict) -> Facets:
    country = body.get("country")
    if country is None and record_type == "person" and body.get("nationality"):
        country = body["nationality"][0]
    if country is None and record_type == "shipment":
        country = body.get("importer_country") or body.get("exporter_country")
    substance = body.get("substance")
    if substance is None and record_type == "lab" and body.get("chemicals"):
        substance = body["chemicals"][0].get("substance")
    event_date = None
    for name in _DATE_FIELDS:
        if body.get(name):
            event_date = body[name]
            break
    parts: list[str] = []
    _strings(body, parts)
    return Facets(country, substance, event_date, " ".join(parts).casefold()[:4000])


def document_values(doc: dict, markings_json: str, body_json: str, content_hash: str, signature: str | None,
                    current: bool, added: str) -> tuple:
    """A version's row in `_COLUMNS` order without `seq`, given its stored texts: the one place that derives
    the filter columns (tlp, handling, facets). Bulk paths insert these with `repository.insert_tuples`."""
    f = facets(doc["type"], doc["body"])
    markings = doc["markings"]
    return (doc["id"], doc["version"], doc["type"], doc["origin"], doc["created"], doc["modified"], doc["revoked"],
            current, markings_json, body_json, content_hash, signature, markings["tlp"], markings["handling"],
            f.country, f.substance, f.event_date, f.search, added)

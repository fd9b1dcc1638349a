"""Columns derived from a body so that lists can be filtered in the database."""

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

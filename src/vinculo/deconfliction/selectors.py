"""Selectors: canonical keys extracted from record bodies for deconfliction.

``selectors_for(record_type, body, country)`` reads the body fields the record model uses and
returns one ``Selector`` per distinct key.  Each selector kind is compared only with the same
kind (one PSI run per kind).  Invalid identifiers come back with ``valid=False`` and a reason so
that the user can fix them; they must never be matched.  Missing fields are simply skipped, and
values of the wrong type give an invalid selector instead of an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from vinculo.deconfliction import normalise_exhibits as exhibits
from vinculo.deconfliction.base import Selector, invalid
from vinculo.deconfliction.normalise_company import company
from vinculo.deconfliction.normalise_ids import (
    cas,
    clabe,
    container,
    curp,
    ein,
    email,
    imei,
    imo,
    passport,
    rfc,
    ssn,
    vin,
)
from vinculo.deconfliction.normalise_names import NAME_KINDS, person_selectors
from vinculo.deconfliction.normalise_phone import phone
from vinculo.deconfliction.normalise_places import address, plate

__all__ = ["KINDS", "Selector", "selectors_for"]

KINDS: tuple[str, ...] = (
    "phone", "plate", "plate-national", "vin", "container", "clabe", *NAME_KINDS, "company",
    "address", "cas", "curp", "rfc", "passport", "imo", "email", "ssn", "ein", "imei",
    *exhibits.KINDS,
)
"""Every selector kind this module produces."""

_MAX_LIST = 200


def _texts(kind: str, value: Any) -> tuple[list[str], list[Selector]]:
    """The strings of a str-or-list field, plus invalid selectors for anything else in it."""
    if value is None:
        return [], []
    items = value if isinstance(value, (list, tuple)) else [value]
    texts: list[str] = []
    bad: list[Selector] = []
    for item in items[:_MAX_LIST]:
        if isinstance(item, str):
            if item.strip():
                texts.append(item)
        elif item is not None:
            bad.append(invalid(kind, item, "not text"))
    return texts, bad


def _country(*candidates: Any) -> str | None:
    for candidate in candidates:
        if isinstance(candidate, (list, tuple)):
            candidate = candidate[0] if candidate else None
        if isinstance(candidate, str) and len(candidate.strip()) == 2 and candidate.strip().isalpha():
            return candidate.strip().upper()
    return None


class _Collector:
    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = body
        self.out: list[Selector] = []
        self._seen: set[tuple[str, str, bool]] = set()

    def add(self, selectors: Iterable[Selector]) -> None:
        for sel in selectors:
            key = (sel.kind, sel.value, sel.valid)
            if key not in self._seen:
                self._seen.add(key)
                self.out.append(sel)

    def each(self, field: str, kind: str, normalise: Callable[[str], Selector | list[Selector]]) -> None:
        texts, bad = _texts(kind, self.body.get(field))
        self.add(bad)
        for text in texts:
            result = normalise(text)
            self.add(result if isinstance(result, list) else [result])


def _person(c: _Collector, body: Mapping[str, Any], country: str | None) -> None:
    full = body.get("full_name")
    given = body.get("given_names")
    surnames = body.get("surnames")
    full, given, surnames = (x if isinstance(x, str) and x.strip() else None for x in (full, given, surnames))
    spellings: list[tuple[str | None, str | None, str | None]] = []
    if full or given or surnames:
        spellings.append((full, given, surnames))
    aliases, bad = _texts("person-name-dob", body.get("aliases"))
    c.add(bad)
    spellings += [(alias, None, None) for alias in aliases]
    c.add(person_selectors(spellings, body.get("date_of_birth")))
    c.each("curp", "curp", curp)
    c.each("rfc", "rfc", rfc)
    passports = body.get("passports") or []
    for item in passports[:_MAX_LIST] if isinstance(passports, list) else [passports]:
        if isinstance(item, Mapping) and isinstance(item.get("number"), str):
            c.add([passport(item.get("country") if isinstance(item.get("country"), str) else None,
                            item["number"])])
        else:
            c.add([invalid("passport", item, "a passport is {country, number}")])
    region = _country(country, body.get("nationality"))
    c.each("phones", "phone", lambda raw: phone(raw, region))
    c.each("emails", "email", email)


def _organization(c: _Collector, body: Mapping[str, Any], country: str | None) -> None:
    c.each("name", "company", company)
    c.each("aliases", "company", company)
    c.each("rfc", "rfc", rfc)
    here = _country(body.get("country"), country)
    c.each("address", "address", lambda raw: address(raw, here))


def _vehicle(c: _Collector, body: Mapping[str, Any], country: str | None) -> None:
    plate_country = _country(body.get("plate_country"), country)
    state = body.get("plate_state") if isinstance(body.get("plate_state"), str) else None
    c.each("plate", "plate", lambda raw: plate(raw, plate_country, state))
    c.each("vin", "vin", vin)
    c.each("imo", "imo", imo)


def _phone(c: _Collector, body: Mapping[str, Any], country: str | None) -> None:
    region = _country(body.get("country"), country)
    c.each("number", "phone", lambda raw: phone(raw, region))
    c.each("imei", "imei", imei)


def _shipment(c: _Collector, body: Mapping[str, Any], country: str | None) -> None:
    c.each("container_numbers", "container", container)
    c.each("vessel_imo", "imo", imo)
    for field in ("exporter", "importer", "consignee"):
        c.each(field, "company", company)
    c.each("cas_numbers", "cas", cas)


def _case(c: _Collector, body: Mapping[str, Any], country: str | None) -> None:
    """A pre-export notification: the companies, addresses and phones of its exporter, importer and consignee
    (the exporter's in the exporting country, the others in the importing country)."""
    pen = body.get("precursor")
    if not isinstance(pen, Mapping):
        return
    sub = _Collector(pen)
    for party in ("exporter", "importer", "consignee"):
        here = _country(body.get("requesting_country") if party == "exporter" else body.get("requested_country"),
                        country)
        sub.each(party, "company", company)
        sub.each(f"{party}_address", "address", lambda raw, here=here: address(raw, here))
        sub.each(f"{party}_phone", "phone", lambda raw, here=here: phone(raw, here))
    c.add(sub.out)


def _seizure(c: _Collector, body: Mapping[str, Any], country: str | None) -> None:
    c.each("cas", "cas", cas)
    c.each("cas_numbers", "cas", cas)
    c.add(exhibits.tablet_mark(body.get("tablet")))  # physical profiles (deconfliction.normalise_exhibits)
    c.add(exhibits.package_marks(body.get("package")))
    c.add(exhibits.press_marks(body.get("press")))


def _location(c: _Collector, body: Mapping[str, Any], country: str | None) -> None:
    here = _country(body.get("country"), country)
    c.each("address", "address", lambda raw: address(raw, here))


_BY_TYPE: dict[str, Callable[[_Collector, Mapping[str, Any], str | None], None]] = {
    "person": _person, "organization": _organization, "vehicle": _vehicle, "phone": _phone,
    "shipment": _shipment, "seizure": _seizure, "location": _location, "case": _case,
    "lab-result": lambda c, body, _country: c.add(exhibits.analyte_profile(body)),
    "photo": lambda c, body, _country: c.add(exhibits.attachment_hash(body)),
    "pdf": lambda c, body, _country: c.add(exhibits.attachment_hash(body)),
}
_ANY_TYPE: tuple[tuple[str, str, Callable[[str], Selector]], ...] = (
    ("clabe", "clabe", clabe), ("ssn", "ssn", ssn), ("ein", "ein", ein),
)


def selectors_for(record_type: str, body: Mapping[str, Any], country: str | None = None) -> list[Selector]:
    """Selectors of one record body; ``country`` (ISO alpha-2) reads local phone numbers etc."""
    if not isinstance(body, Mapping):
        return []
    c = _Collector(body)
    extract = _BY_TYPE.get(record_type)
    if extract is not None:
        extract(c, body, _country(country))
    for field, kind, normalise in _ANY_TYPE:
        c.each(field, kind, normalise)
    return c.out

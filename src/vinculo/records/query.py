"""Turn user-given filter values (names, codes, dates) into checked `Filters`."""

from __future__ import annotations

import datetime as dt

from vinculo.records import vocabulary
from vinculo.records.model import FieldError, RecordInvalid
from vinculo.records.repository import Filters
from vinculo.records.types import RECORD_TYPES
from vinculo.sharing.markings import TLP


def build_filters(type_: str | None = None, country: str | None = None, substance: str | None = None,
                  date_from: str | None = None, date_to: str | None = None, text: str | None = None,
                  origin: str | None = None, tlp: str | None = None) -> Filters:
    errors: list[FieldError] = []
    if type_ and type_ not in RECORD_TYPES:
        errors.append(FieldError("type", f"unknown record type {type_!r}; one of {', '.join(RECORD_TYPES)}"))
    if country:
        found = vocabulary.country(country)
        if found is None:
            errors.append(FieldError("country", f"unknown country {country!r}"))
        else:
            country = found.alpha2
    if substance:
        found_s = vocabulary.substance(substance)
        if found_s is None:
            errors.append(FieldError("substance", f"unknown substance {substance!r}"))
        else:
            substance = found_s.code
    if tlp:
        try:
            tlp = TLP(tlp.lower()).value
        except ValueError:
            errors.append(FieldError("tlp", f"unknown TLP {tlp!r}"))
    for name, value in (("from", date_from), ("to", date_to)):
        if value:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                errors.append(FieldError(name, f"not a date (YYYY-MM-DD): {value!r}"))
    if text is not None and len(text) > 200:
        errors.append(FieldError("text", "at most 200 characters"))
    if errors:
        raise RecordInvalid(errors)
    return Filters(type_, country, substance, origin, tlp, date_from, date_to, text)

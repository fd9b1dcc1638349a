"""UNODC Individual Drug Seizures (IDS) files: the .zip or the `;`-separated CSV inside it.

Columns: REGION;SUBREGION;COUNTRY;ADMINISTRATIVE_DIVISION;PLACE;SEIZURE_DATE;DRUG_NAME;AMOUNT;
DRUG_UNIT;HIDING_PLACE;INSTALLATION;TRANSPORT;PRODUCING_COUNTRY;DEPARTURE_COUNTRY;DESTINATION_COUNTRY;ROUTING
Each row becomes one `seizure` body. The seizing country, the date and a positive amount with a known
unit are required; other names that do not map to a vocabulary are kept raw and counted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from vinculo.canonical import jcs_number
from vinculo.records import vocabulary
from vinculo.records.fields import latest_date
from vinculo.records.importers.limits import Limits
from vinculo.records.importers.rows import ParsedRow, Unknowns
from vinculo.records.importers.text import Lines, csv_rows, open_bytes
from vinculo.records.model import FieldError
from vinculo.sharing.markings import Markings

DATASET = "unodc-ids"
COLUMNS = ("REGION", "SUBREGION", "COUNTRY", "ADMINISTRATIVE_DIVISION", "PLACE", "SEIZURE_DATE", "DRUG_NAME",
           "AMOUNT", "DRUG_UNIT", "HIDING_PLACE", "INSTALLATION", "TRANSPORT", "PRODUCING_COUNTRY",
           "DEPARTURE_COUNTRY", "DESTINATION_COUNTRY", "ROUTING")
# Public data published by UNODC from member states' reports: TLP:CLEAR, mostly reliable, corroborated.
MARKINGS = Markings(tlp="clear", handling="H0", reliability="B", accuracy=2).to_json()
_BLANK = frozenset({"", "unknown", "n/a", "na", "-", "not known", "various", "unspecified"})


class FormatError(ValueError):
    """The file itself is not a UNODC IDS file (see also ImportRejected: unreadable or over a limit)."""


def _blank(value: str) -> bool:
    return value.strip().casefold() in _BLANK


def _date(value: str) -> dt.date:
    d = dt.date.fromisoformat(value.strip()[:10])
    if d > latest_date() or d.year < 1900:  # as a record's date is judged (not a date frozen at import)
        raise ValueError(f"date {value!r} is out of range")
    return d


def parse(path: Path, unknowns: Unknowns, limits: Limits | None = None) -> Iterator[ParsedRow]:
    """Yield one ParsedRow per data row (row numbers are line numbers: the header is line 1).

    Blank lines are skipped. Identical rows get distinct keys (their count so far): only the 8-byte
    prefixes of the rows' hashes are kept for that, so memory grows by tens of bytes a row at most."""
    limits = limits or Limits.from_env()
    firsts: set[int] = set()
    repeats: dict[int, int] = {}
    with open_bytes(path, limits) as raw:
        rows = csv_rows(Lines(raw, str(path), limits), delimiter=";")
        start, header = next(rows, (0, None))
        if header is None:
            raise FormatError(f"{path}: empty file")
        header = [h.strip().upper() for h in header]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise FormatError(f"{path}:{start}: header: missing columns {', '.join(missing)}")
        pos = [header.index(c) for c in COLUMNS]
        width = len(header)
        build = _RowBuilder(unknowns)
        for rownum, cells in rows:
            raw_text = ";".join(cells)
            digest = hashlib.sha1(raw_text.encode()).digest()
            short = int.from_bytes(digest[:8], "big")
            if short in firsts:
                n = repeats.get(short, 1)
                repeats[short] = n + 1
            else:
                firsts.add(short)
                n = 0
            key = f"{DATASET}|{digest.hex()}|{n}"
            if len(cells) != width:
                yield ParsedRow(rownum, "seizure", key, errors=[FieldError(
                    "row", f"has {len(cells)} fields, the header has {width}")], raw=raw_text)
                continue
            yield build(rownum, key, [cells[i] for i in pos], raw_text)


def _country_or_raw(value: str, what: str, unknowns: Unknowns, unmapped: list[str]) -> str | None:
    if _blank(value) or vocabulary.is_unknown_country(value):
        return None
    found = vocabulary.country(value)
    if found is None:
        unknowns.add(what, value)
        unmapped.append(f"{what}={value}")
        return None
    return found.alpha2


class _Noted(Unknowns):
    """Records the unknown names one part of a row adds, so that a memoised part can add them again."""

    def __init__(self) -> None:
        super().__init__()
        self.added: list[tuple[str, str]] = []

    def add(self, what: str, value: str) -> None:
        self.added.append((what, value))


class _Part(NamedTuple):
    """What a group of columns contributes to a row: the same for every row with the same values."""

    errors: tuple[FieldError, ...]
    fields: dict
    unknown: tuple[tuple[str, str], ...]
    unmapped: tuple[str, ...]
    prepared: bool = True


def _date_part(date: str) -> _Part:
    try:
        return _Part((), {"date": _date(date).isoformat()}, (), ())
    except ValueError:
        return _Part((FieldError("SEIZURE_DATE", f"not a date: {date!r}"),), {}, (), ())


def _names_part(country: str, drug: str, hiding: str, installation: str, transport: str, producing: str,
                departure: str, destination: str) -> _Part:
    """The columns that name things (countries, substance, hiding place, installation, transport)."""
    errors: list[FieldError] = []
    body: dict = {}
    unmapped: list[str] = []
    noted = _Noted()
    seizing = vocabulary.country(country) if country.strip() else None
    if seizing is None:
        errors.append(FieldError("COUNTRY", f"unknown seizing country {country!r}"))
    else:
        body["country"] = seizing.alpha2
    substance = vocabulary.substance(drug) if drug.strip() else None
    if substance is None:
        if not drug.strip():
            errors.append(FieldError("DRUG_NAME", "empty"))
        else:
            noted.add("substance", drug.strip())
            body["substance_raw"] = drug.strip()[:500]
    else:
        body["substance"] = substance.code
        body["substance_raw"] = drug.strip()[:500]
        body["category"] = substance.kind
    for field, value, lookup in (("concealment", hiding, vocabulary.concealment),
                                 ("location_type", installation, vocabulary.location_type),
                                 ("transport", transport, vocabulary.transport_mode)):
        if _blank(value):
            continue
        code = lookup(value)
        if code is None:
            noted.add(field, value.strip())
        else:
            body[field] = code
        body[f"{field}_raw"] = value.strip()[:500]
    for field, value in (("producing_country", producing), ("departure_country", departure),
                         ("destination_country", destination)):
        code = _country_or_raw(value, field, noted, unmapped)
        if code:
            body[field] = code
    return _Part(tuple(errors), body, tuple(noted.added), tuple(unmapped))


def _amount_part(amount: str, unit: str) -> _Part:
    if not amount.strip():
        return _Part((), {}, (), ())
    try:
        value = float(amount.replace(",", "."))
    except ValueError:
        return _Part((FieldError("AMOUNT", f"not a number: {amount!r}"),), {}, (), ())
    found_unit = vocabulary.unit(unit) if unit.strip() else None
    if not math.isfinite(value) or value < 0 or value >= 1e12:
        return _Part((FieldError("AMOUNT", f"out of range: {amount!r}"),), {}, (), ())
    if not unit.strip():
        return _Part((), {}, (("amount without unit", amount.strip()),), (f"AMOUNT={amount.strip()} (no unit)",))
    if found_unit is None:
        return _Part((FieldError("DRUG_UNIT", f"unknown unit {unit!r}"),), {}, (), ())
    if value == 0:
        return _Part((), {}, (("zero amount", unit.strip()),), ())
    q = vocabulary.normalise_quantity(value, found_unit)
    quantity = {"amount": jcs_number(value), "unit": found_unit.code}
    for name, number in zip(("kg", "count", "litres"), q):
        if number is not None:
            quantity[name] = jcs_number(number)
    prepared = None not in quantity.values()
    if not prepared:  # rare: leave the numbers as they are for the reference encoder
        quantity = {"amount": value, "unit": found_unit.code} | {
            k: v for k, v in zip(("kg", "count", "litres"), q) if v is not None}
    return _Part((), {"quantity": quantity}, (), (), prepared)


class _RowBuilder:
    """Builds rows; the parts that depend on a few columns only are worked out once per distinct value.

    Bodies built here share their nested values (a quantity): treat them as read-only."""

    def __init__(self, unknowns: Unknowns):
        self.unknowns = unknowns
        self.dates: dict[str, _Part] = {}
        self.names: dict[tuple, _Part] = {}
        self.amounts: dict[tuple[str, str], _Part] = {}

    def __call__(self, rownum: int, key: str, c: list[str], raw: str) -> ParsedRow:
        (_region, _subregion, country, admin, place, date, drug, amount, unit, hiding, installation, transport,
         producing, departure, destination, routing) = c
        names_key = (country, drug, hiding, installation, transport, producing, departure, destination)
        parts = (self.dates.get(date) or self.dates.setdefault(date, _date_part(date)),
                 self.names.get(names_key) or self.names.setdefault(names_key, _names_part(*names_key)),
                 self.amounts.get((amount, unit)) or self.amounts.setdefault((amount, unit),
                                                                               _amount_part(amount, unit)))
        body: dict = {}
        errors: list[FieldError] = []
        unmapped: list[str] = []
        prepared = True
        for part in parts:
            if part.errors:
                errors.extend(part.errors)
            body.update(part.fields)
            for what, value in part.unknown:
                self.unknowns.add(what, value)
            unmapped.extend(part.unmapped)
            prepared = prepared and part.prepared
        if admin.strip():
            body["admin_area"] = admin.strip()[:500]
        if place.strip():
            body["place"] = place.strip()[:500]
        if routing.strip():
            body["routing"] = routing.strip()[:500]
        if unmapped:
            body["description"] = "unmapped source values: " + "; ".join(unmapped)
        body["source"] = {"dataset": DATASET, "row": rownum, "key": key[len(DATASET) + 1 :][:500]}
        return ParsedRow(rownum, "seizure", key, body=None if errors else body, markings=MARKINGS,
                         errors=errors, raw=raw, prepared=prepared)

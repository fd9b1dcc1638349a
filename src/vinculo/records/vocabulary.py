"""Controlled vocabularies: substances, units, countries, transport modes, location types, concealment.

The vocabularies are CSV files shipped in :mod:`vinculo.records.vocab` (see the ``README.md`` there
for where each one came from). Each file is read once, on first use, through
:mod:`importlib.resources` and indexed in memory; every lookup after that is a dictionary lookup on a
normalised key, and results are memoised, so resolving the ~300k values of a bulk import is cheap.

Matching rules (the same for every vocabulary):

* A value is normalised by Unicode compatibility decomposition, removal of accents (combining marks),
  case folding, mapping typographic quotes/dashes to their ASCII forms, and collapsing runs of
  whitespace: ``"  MÉXICO "``, ``"mexico"`` and ``"México"`` are the same key.
* The normalised value is looked up among each entry's code, name, aliases (and, for substances, CAS
  number; for countries, alpha-2, alpha-3 and numeric codes).
* Failing that, a *loose* key with all punctuation and spaces removed is tried (``"EE UU"``,
  ``"ee.uu."``, ``"2CB"``, ``"21409267"``), but only where it designates one entry unambiguously and
  has at least four characters (so ``"n/a"`` can never become ``NA``, Namibia).
* Blank values (and ``None``) give ``None``. Values that only say "unknown" give ``None`` too unless
  the vocabulary has an explicit entry for them: substances do (``unknown``, ``other``,
  ``precursor-unspecified`` ... so that no seizure is dropped), countries, transport modes, location
  types and concealment methods do not. :func:`is_unknown` tells such values apart from values that
  are simply not recognised.

Loading checks the data: duplicate keys that would designate two entries, invalid CAS check digits,
malformed HS or ISO codes and unknown kinds raise :class:`VocabularyError`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import NamedTuple

from vinculo.records.vocab_keys import (
    _CODE_RE,
    _COUNTRY_UNKNOWN_KEYS,
    _HS_RE,
    _UNKNOWN_KEYS,
    T,
    VocabularyError,
    _Index,
    _read_rows,
    _split_aliases,
    cas_is_valid,
    is_unknown,
    is_unknown_country,
    normalise_key,
)

__all__ = ["BASE_UNITS", "SUBSTANCE_KINDS", "UNIT_KINDS", "Country", "Quantity", "Substance", "Term",
    "Unit", "VocabularyError", "base_amount", "cas_is_valid", "concealment", "concealments", "countries",
    "country", "is_unknown", "is_unknown_country", "location_type", "location_types", "normalise_key",
    "normalise_quantity", "substance", "substances", "transport_mode", "transport_modes", "unit", "units"]


SUBSTANCE_KINDS: tuple[str, ...] = ("drug", "precursor", "equipment", "other")
"""Allowed values of :attr:`Substance.kind`."""

UNIT_KINDS: tuple[str, ...] = ("mass", "volume", "count", "area", "other")
"""Allowed values of :attr:`Unit.kind`. ``area`` is for cultivation (acres, hectares); ``other`` is
the explicit "other/unspecified unit", whose amounts cannot be converted."""

BASE_UNITS: dict[str, str] = {"mass": "kg", "volume": "l", "count": "unit", "area": "ha"}
"""The unit that :attr:`Unit.factor` converts to, for each kind (``other`` has none)."""

_CACHE_SIZE = 65536


@dataclass(frozen=True, slots=True)
class Substance:
    """A drug, precursor chemical, piece of equipment or other seized item."""

    code: str
    name: str
    kind: str  # one of SUBSTANCE_KINDS
    cas: str | None  # CAS Registry Number, check digit verified at load
    hs: str | None  # Harmonized System subheading, "NNNN.NN" (HS 2022)
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit of measure. ``factor`` converts one of it to the base unit of its kind:
    kilograms (mass), litres (volume), items (count), hectares (area)."""

    code: str
    name: str
    kind: str  # one of UNIT_KINDS
    factor: float


@dataclass(frozen=True, slots=True)
class Country:
    """An ISO 3166-1 country (plus the user-assigned ``XK`` Kosovo and withdrawn ``AN``)."""

    alpha2: str
    alpha3: str
    numeric: str  # three digits, or "" where ISO assigns none (XK)
    name: str


@dataclass(frozen=True, slots=True)
class Term:
    """An entry of a simple code list (transport modes, location types, concealment methods)."""

    code: str
    name: str
    aliases: tuple[str, ...] = ()


class Quantity(NamedTuple):
    """A seized amount normalised by :func:`normalise_quantity`.

    Exactly one field is set for a convertible unit: ``kg`` for mass units, ``count`` for count units
    (tablets, plants, doses ...; multiplied out for "thousand of tablets"), ``litres`` for volume
    units. All three are ``None`` for area units, the ``other`` unit, or a missing amount/unit.
    """

    kg: float | None
    count: float | None
    litres: float | None


# --------------------------------------------------------------------------------------------------
# key normalisation

class _Vocabulary(NamedTuple):
    entries: tuple
    index: _Index


@cache
def _substances() -> _Vocabulary:
    filename = "substances.csv"
    entries: list[Substance] = []
    index: _Index[Substance] = _Index("substances")
    codes: set[str] = set()
    for line, row in _read_rows(filename, ("code", "name", "kind", "cas", "hs", "aliases")):
        where = f"{filename}:{line}"
        code, cas, hs = row["code"], row["cas"], row["hs"]
        if not _CODE_RE.match(code) or code in codes:
            raise VocabularyError(f"{where}: bad or duplicate code {code!r}")
        if not row["name"]:
            raise VocabularyError(f"{where}: empty name")
        if row["kind"] not in SUBSTANCE_KINDS:
            raise VocabularyError(f"{where}: kind {row['kind']!r} not in {SUBSTANCE_KINDS}")
        if cas and not cas_is_valid(cas):
            raise VocabularyError(f"{where}: invalid CAS number {cas!r}")
        if hs and not _HS_RE.match(hs):
            raise VocabularyError(f"{where}: HS code {hs!r} is not NNNN.NN")
        codes.add(code)
        entry = Substance(
            code, row["name"], row["kind"], cas or None, hs or None, _split_aliases(row["aliases"])
        )
        entries.append(entry)
        for text in (code, entry.name, *entry.aliases):
            index.add(text, entry, code)
        if cas:
            index.add(cas, entry, code)
    return _Vocabulary(tuple(entries), index.freeze())


@cache
def _units() -> _Vocabulary:
    filename = "units.csv"
    entries: list[Unit] = []
    index: _Index[Unit] = _Index("units")
    for line, row in _read_rows(filename, ("code", "name", "kind", "factor", "aliases")):
        where = f"{filename}:{line}"
        if not _CODE_RE.match(row["code"]):
            raise VocabularyError(f"{where}: bad code {row['code']!r}")
        if row["kind"] not in UNIT_KINDS:
            raise VocabularyError(f"{where}: kind {row['kind']!r} not in {UNIT_KINDS}")
        try:
            factor = float(row["factor"])
        except ValueError:
            raise VocabularyError(f"{where}: factor {row['factor']!r} is not a number") from None
        if not math.isfinite(factor) or factor <= 0:
            raise VocabularyError(f"{where}: factor must be a positive number")
        entry = Unit(row["code"], row["name"], row["kind"], factor)
        entries.append(entry)
        for text in (entry.code, entry.name, *_split_aliases(row["aliases"])):
            index.add(text, entry, entry.code)
    return _Vocabulary(tuple(entries), index.freeze())


@cache
def _countries() -> _Vocabulary:
    filename = "countries.csv"
    entries: list[Country] = []
    index: _Index[Country] = _Index("countries")
    for line, row in _read_rows(filename, ("alpha2", "alpha3", "numeric", "name", "aliases")):
        where = f"{filename}:{line}"
        a2, a3, num = row["alpha2"], row["alpha3"], row["numeric"]
        if not (re.fullmatch(r"[A-Z]{2}", a2) and re.fullmatch(r"[A-Z]{3}", a3)):
            raise VocabularyError(f"{where}: bad alpha codes {a2!r}/{a3!r}")
        if num and not re.fullmatch(r"\d{3}", num):
            raise VocabularyError(f"{where}: bad numeric code {num!r}")
        entry = Country(a2, a3, num, row["name"])
        entries.append(entry)
        index.add(a2, entry, a2, loose=False)
        index.add(a3, entry, a2, loose=False)
        if num:
            index.add(num, entry, a2, loose=False)
        for text in (entry.name, *_split_aliases(row["aliases"])):
            index.add(text, entry, a2)
    return _Vocabulary(tuple(entries), index.freeze())


@cache
def _terms(filename: str) -> _Vocabulary:
    entries: list[Term] = []
    index: _Index[str] = _Index(filename)
    for line, row in _read_rows(filename, ("code", "name", "aliases")):
        if not _CODE_RE.match(row["code"]) or index.exact.get(normalise_key(row["code"])) is not None:
            raise VocabularyError(f"{filename}:{line}: bad or duplicate code {row['code']!r}")
        entry = Term(row["code"], row["name"], _split_aliases(row["aliases"]))
        entries.append(entry)
        for text in (entry.code, entry.name, *entry.aliases):
            index.add(text, entry.code, entry.code)
    return _Vocabulary(tuple(entries), index.freeze())


# --------------------------------------------------------------------------------------------------
# lookups (memoised: the same few hundred distinct strings recur across a bulk import)


def _memoised(lookup: Callable[[str], T | None]) -> Callable[[str | None], T | None]:
    cached = lru_cache(maxsize=_CACHE_SIZE)(lookup)

    def resolve(value: str | None) -> T | None:
        if value is None:
            return None
        if not isinstance(value, str):
            value = str(value)
        return cached(value)

    resolve.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    return resolve


@_memoised
def _substance(value: str) -> Substance | None:
    return _substances().index.find(value)


@_memoised
def _unit(value: str) -> Unit | None:
    return _units().index.find(value, _UNKNOWN_KEYS)


@_memoised
def _country(value: str) -> Country | None:
    return _countries().index.find(value, _COUNTRY_UNKNOWN_KEYS)


def _term_lookup(filename: str) -> Callable[[str | None], str | None]:
    @_memoised
    def lookup(value: str) -> str | None:
        return _terms(filename).index.find(value, _UNKNOWN_KEYS)

    return lookup


_transport_mode = _term_lookup("transport_modes.csv")
_location_type = _term_lookup("location_types.csv")
_concealment = _term_lookup("concealment.csv")


def substance(value: str | None) -> Substance | None:
    """The substance designated by *value*: its code, name, an alias (case-, space- and
    accent-insensitive) or its CAS number. ``None`` for blank or unrecognised values.

    Unknown or unspecified substances have explicit entries (``unknown``, ``other``,
    ``precursor-unspecified``, ``nps-unspecified`` ...), so ``substance("Unknown")`` is not ``None``.
    """
    return _substance(value)


def unit(value: str | None) -> Unit | None:
    """The unit designated by *value* (code, name or alias); ``None`` for blank/unknown/unrecognised."""
    return _unit(value)


def country(value: str | None) -> Country | None:
    """The country designated by *value*: ISO alpha-2, alpha-3 or numeric code, name or alias
    (English, UN/UNODC spellings, common Spanish/Portuguese/French names; sub-national entries such
    as "United Kingdom (England and Wales)" resolve to their country). ``None`` for blank values,
    "Unknown", "Various", "Other", "Multiple countries" ... and for unrecognised values."""
    return _country(value)


def transport_mode(value: str | None) -> str | None:
    """The code of the transport mode designated by *value*, or ``None`` (blank/unknown/unrecognised)."""
    return _transport_mode(value)


def location_type(value: str | None) -> str | None:
    """The code of the location type (UNODC "installation") designated by *value*, or ``None``."""
    return _location_type(value)


def concealment(value: str | None) -> str | None:
    """The code of the concealment method (UNODC "hiding place") designated by *value*, or ``None``."""
    return _concealment(value)


def substances() -> list[Substance]:
    """All substances, in file order."""
    return list(_substances().entries)


def units() -> list[Unit]:
    """All units, in file order."""
    return list(_units().entries)


def countries() -> list[Country]:
    """All countries, ordered by alpha-2 code (``XK`` and ``AN`` last)."""
    return list(_countries().entries)


def transport_modes() -> list[Term]:
    """All transport modes."""
    return list(_terms("transport_modes.csv").entries)


def location_types() -> list[Term]:
    """All location types."""
    return list(_terms("location_types.csv").entries)


def concealments() -> list[Term]:
    """All concealment methods."""
    return list(_terms("concealment.csv").entries)


# --------------------------------------------------------------------------------------------------
# quantities


def _resolve_unit(unit_or_value: Unit | str | None) -> Unit | None:
    if unit_or_value is None or isinstance(unit_or_value, Unit):
        return unit_or_value
    return unit(unit_or_value)


def base_amount(amount: float | None, unit_or_value: Unit | str | None) -> float | None:
    """*amount* expressed in the base unit of its unit's kind (see :data:`BASE_UNITS`): kilograms,
    litres, items or hectares. ``None`` for a missing/non-finite amount, an unknown unit, or the
    ``other`` unit."""
    resolved = _resolve_unit(unit_or_value)
    if resolved is None or resolved.kind not in BASE_UNITS or amount is None:
        return None
    value = float(amount)
    if not math.isfinite(value):
        return None
    return value * resolved.factor


def normalise_quantity(amount: float | None, unit: Unit | str | None) -> Quantity:
    """Normalise a seized amount: ``Quantity(kg, count, litres)``.

    Mass units give ``kg``, count units give ``count`` (already multiplied out for units such as
    "thousand of tablets"), volume units give ``litres``; the two other fields are ``None``. Area
    units (acres, hectares — cultivation), the ``other`` unit, an unknown unit or a missing amount give
    ``Quantity(None, None, None)``; use :func:`base_amount` for hectares. *unit* may be a
    :class:`Unit` or any string :func:`unit` accepts. The result is a tuple, so ``kg, count, litres =
    normalise_quantity(...)`` works.
    """
    resolved = _resolve_unit(unit)
    value = base_amount(amount, resolved)
    if value is None or resolved is None:
        return Quantity(None, None, None)
    if resolved.kind == "mass":
        return Quantity(value, None, None)
    if resolved.kind == "count":
        return Quantity(None, value, None)
    if resolved.kind == "volume":
        return Quantity(None, None, value)
    return Quantity(None, None, None)

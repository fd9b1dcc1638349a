"""Matching keys for the vocabularies: normalisation, "unknown" values, the in-memory index, CSV rows.

Split out of :mod:`vinculo.records.vocabulary` (which re-exports the public names) so that each file
has one job: this one turns strings into keys and keys into entries.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Hashable, Iterable
from functools import lru_cache
from importlib import resources
from typing import Generic, TypeVar

_PACKAGE = "vinculo.records.vocab"
_LOOSE_MIN = 4
_CACHE_SIZE = 65536


class VocabularyError(ValueError):
    """A shipped vocabulary file is malformed or inconsistent."""


_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
    }
)


@lru_cache(maxsize=_CACHE_SIZE)
def normalise_key(value: str) -> str:
    """Return the matching key of *value*: accents removed, case folded, whitespace collapsed."""
    text = unicodedata.normalize("NFKD", value)
    if not text.isascii():
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.casefold().translate(_TRANSLATE).split())


def _loosen(key: str) -> str:
    return "".join(ch for ch in key if ch.isalnum())


_UNKNOWN_KEYS = frozenset(
    normalise_key(v)
    for v in (
        "",
        "-",
        "--",
        "---",
        "?",
        "??",
        ".",
        "unknown",
        "unk",
        "unkn",
        "not known",
        "n/a",
        "n.a.",
        "n/k",
        "not available",
        "not applicable",
        "not specified",
        "non-specified",
        "unspecified",
        "undetermined",
        "various",
        "varied",
        "multiple",
        "multiple countries",
        "several",
        "several countries",
        "null",
        "nil",
        "none specified",
        "desconocido",
        "desconocida",
        "no especificado",
        "no especificada",
        "sin información",
        "sin dato",
        "sin datos",
        "no determinado",
        "varios",
        "inconnu",
        "inconnue",
        "non spécifié",
        "divers",
        "desconhecido",
    )
)
# "Other" names no country: for countries it is as good as unknown.
_COUNTRY_UNKNOWN_KEYS = _UNKNOWN_KEYS | frozenset(
    normalise_key(v)
    for v in (
        "other",
        "others",
        "other countries",
        "otro",
        "otros",
        "otra",
        "otras",
        "autre",
        "autres",
        "international waters",
        "high seas",
        "stateless",
    )
)


def is_unknown(value: str | None) -> bool:
    """True when *value* is blank or only says "unknown"/"various"/"n/a"/... (in a few languages).

    Lookups return ``None`` for such values (except where a vocabulary has an explicit entry, e.g.
    the substance ``unknown``); a lookup that returns ``None`` for a value that is *not* unknown means
    the value was not recognised.
    """
    if value is None:
        return True
    return normalise_key(str(value)) in _UNKNOWN_KEYS


def is_unknown_country(value: str | None) -> bool:
    """Like :func:`is_unknown`, plus the values that name no country: "Other", "Multiple countries",
    "International waters" ... (for which :func:`country` returns ``None``)."""
    if value is None:
        return True
    return normalise_key(str(value)) in _COUNTRY_UNKNOWN_KEYS


# --------------------------------------------------------------------------------------------------
# indexes

T = TypeVar("T", bound=Hashable)


class _Index(Generic[T]):
    """Exact-key and loose-key dictionaries over the entries of one vocabulary."""

    __slots__ = ("_loose_candidates", "_owner", "exact", "label", "loose")

    def __init__(self, label: str) -> None:
        self.label = label
        self.exact: dict[str, T] = {}
        self.loose: dict[str, T] = {}
        self._owner: dict[str, str] = {}
        self._loose_candidates: dict[str, set[T]] = {}

    def add(self, text: str, entry: T, owner: str, *, loose: bool = True) -> None:
        key = normalise_key(text)
        if not key:
            return
        previous = self.exact.get(key)
        if previous is not None and previous != entry:
            raise VocabularyError(
                f"{self.label}: {text!r} designates both {self._owner[key]!r} and {owner!r}"
            )
        self.exact[key] = entry
        self._owner[key] = owner
        if loose:
            loose_key = _loosen(key)
            if len(loose_key) >= _LOOSE_MIN:
                self._loose_candidates.setdefault(loose_key, set()).add(entry)

    def freeze(self) -> _Index[T]:
        self.loose = {
            key: next(iter(entries)) for key, entries in self._loose_candidates.items() if len(entries) == 1
        }
        self._loose_candidates = {}
        return self

    def find(self, value: str, unknown_keys: frozenset[str] = frozenset()) -> T | None:
        """Exact key first; then, unless the value only says "unknown", the unambiguous loose key."""
        key = normalise_key(value)
        found = self.exact.get(key)
        if found is None and key and key not in unknown_keys:
            loose_key = _loosen(key)
            if len(loose_key) >= _LOOSE_MIN:
                found = self.loose.get(loose_key)
        return found


def _read_rows(filename: str, columns: tuple[str, ...]) -> Iterable[tuple[int, dict[str, str]]]:
    text = resources.files(_PACKAGE).joinpath(filename).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != columns:
        raise VocabularyError(f"{filename}: expected columns {columns}, found {reader.fieldnames}")
    for row in reader:
        if None in row or any(v is None for v in row.values()):
            raise VocabularyError(f"{filename}:{reader.line_num}: wrong number of fields")
        yield reader.line_num, {k: v.strip() for k, v in row.items()}


def _split_aliases(raw: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in raw.split("|") if a.strip())


_CAS_RE = re.compile(r"^(\d{2,7})-(\d{2})-(\d)$")
_HS_RE = re.compile(r"^\d{4}\.\d{2}$")
_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


def cas_is_valid(cas: str) -> bool:
    """True when *cas* is a well-formed CAS Registry Number whose check digit is correct."""
    match = _CAS_RE.match(cas.strip()) if isinstance(cas, str) else None
    if match is None:
        return False
    digits = match.group(1) + match.group(2)
    total = sum(int(d) * weight for weight, d in enumerate(reversed(digits), start=1))
    return total % 10 == int(match.group(3))



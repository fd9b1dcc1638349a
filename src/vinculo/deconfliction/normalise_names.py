"""Person names plus date of birth to exact-match keys.

Spanish naming puts given names first and two surnames last (paternal, maternal); registers
often write "SURNAMES, Given names".  Every name is folded (accents, case, width, look-alike
letters), particles ("de", "del", "de la", "de los", "y", ...) are dropped and a few dotted
abbreviations expanded ("Ma." -> maria, "Fco." -> francisco), so that

    "GUZMAN LOERA, Joaquin Archivaldo" == "Joaquín Archivaldo Guzmán Loera".

Three key families, each its own selector kind, all prefixed with the ISO date of birth (a name
alone is far too common to deconflict on):

* ``person-name-dob``: all name words sorted ("1957-04-04|archivaldo guzman joaquin loera"),
  insensitive to word order and to the comma form.
* ``person-short-dob``: first given name + first surname ("1957-04-04|joaquin guzman").  When a
  name comes as one unstructured string of three or more words it is unknown whether it ends
  in one surname or two, so both readings are emitted.
* ``person-phonetic-dob``: the short keys in Spanish phonetic code ("1957-04-04|JOAKIN GUSMAN").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from vinculo.deconfliction.base import MAX_RAW, Selector, invalid, ok
from vinculo.deconfliction.phonetic import spanish_phonetic
from vinculo.deconfliction.text import fold, words

NAME_KINDS = ("person-name-dob", "person-short-dob", "person-phonetic-dob")

PARTICLES = frozenset({"de", "del", "la", "las", "los", "y", "e", "da", "das", "do", "dos",
                       "di", "du", "van", "von", "der", "den"})
ABBREVIATIONS = {"ma.": "maria", "fco.": "francisco", "fco": "francisco",
                 "gpe.": "guadalupe", "gpe": "guadalupe", "jno.": "juan", "ant.": "antonio",
                 "guill.": "guillermo", "fdez.": "fernandez", "glez.": "gonzalez", "hdez.": "hernandez",
                 "mtz.": "martinez", "rdz.": "rodriguez"}
EARLIEST_BIRTH = dt.date(1900, 1, 1)


def _expand(text: str) -> str:
    out = []
    for word in fold(text).replace(".", ". ").split():
        expanded = ABBREVIATIONS.get(word)
        out.append(expanded if expanded else word)
    return " ".join(out)


def name_words(text: str) -> list[str]:
    """Folded name words without particles, abbreviations expanded."""
    return [w for w in words(_expand(text)) if w not in PARTICLES]


def parse_name(full_name: str | None, given_names: str | None = None,
               surnames: str | None = None) -> list[tuple[list[str], list[str]]]:
    """Candidate (given words, surname words) readings of a name, most reliable first."""
    if given_names or surnames:
        return [(name_words(given_names or ""), name_words(surnames or ""))]
    if not full_name:
        return []
    if "," in full_name:
        last, _, first = full_name.partition(",")
        return [(name_words(first), name_words(last))]
    tokens = name_words(full_name)
    if len(tokens) < 2:
        return [([], tokens)] if tokens else []
    if len(tokens) == 2:
        return [(tokens[:1], tokens[1:])]
    return [(tokens[:-2], tokens[-2:]), (tokens[:-1], tokens[-1:])]


def parse_dob(value: object, today: dt.date | None = None) -> dt.date | str:
    """The date of birth, or a reason why it is unusable."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        if len(value) > 32:
            return "date of birth is not an ISO date"
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            return "date of birth is not an ISO date"
    if not isinstance(value, dt.date):
        return "date of birth is not a date"
    if value < EARLIEST_BIRTH or value > (today or dt.date.today()):
        return "date of birth out of range"
    return value


def _short_keys(readings: Iterable[tuple[list[str], list[str]]]) -> list[str]:
    keys: list[str] = []
    for given, surnames in readings:
        if given and surnames:
            key = f"{given[0]} {surnames[0]}"
            if key not in keys:
                keys.append(key)
    return keys


def person_selectors(names: Iterable[tuple[str | None, str | None, str | None]],
                     date_of_birth: object) -> list[Selector]:
    """Keys for each (full_name, given_names, surnames) spelling of one person.

    Without a date of birth there are no keys; an unusable one gives a single invalid selector.
    """
    if date_of_birth in (None, ""):
        return []
    dob = parse_dob(date_of_birth)
    if isinstance(dob, str):
        return [invalid("person-name-dob", str(date_of_birth), dob)]
    prefix = dob.isoformat() + "|"
    out: list[Selector] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: str, value: str) -> None:
        if (kind, value) not in seen:
            seen.add((kind, value))
            out.append(ok(kind, prefix + value))

    for full, given, surnames in names:
        raw = " ".join(x for x in (full, given, surnames) if x)
        if len(raw) > MAX_RAW:
            out.append(invalid("person-name-dob", raw, f"name longer than {MAX_RAW} characters"))
            continue
        readings = parse_name(full, given, surnames)
        if full and (given or surnames):
            readings += parse_name(full)
        for given_words, surname_words in readings:
            every = sorted(given_words + surname_words)
            if every:
                add("person-name-dob", " ".join(every))
        for key in _short_keys(readings):
            add("person-short-dob", key)
            add("person-phonetic-dob", " ".join(spanish_phonetic(w) for w in key.split()))
    return out

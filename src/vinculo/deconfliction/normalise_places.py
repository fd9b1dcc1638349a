"""Vehicle plates and postal addresses.

Plates: ``plate`` is ``CC-STATE:PLATE`` (``MX-BCN:ABC1234``; ISO 3166-2 state codes, "BC",
"B.C." or "Baja California" all give BCN) when the state is known, else ``CC:PLATE``; a second
kind, ``plate-national`` (``MX:ABC1234``), is emitted for every plate so that a record without a
state can still meet one with a state (a weaker hit: the same plate may exist in two states).

Addresses: folded, common Spanish and English abbreviations expanded (Av./Avda./Ave. ->
avenida, C./Cll. -> calle, St./Str. -> street, Col. -> colonia, Blvd. -> boulevard, ...),
compass points reduced to n/s/e/w in either language (Norte, North, Nte. -> n), the
number markers "No.", "Núm.", "#" and the postal-code marker "C.P." dropped (the numbers they
introduce are kept), punctuation removed; prefixed with the country code when it is known:
"Av. Revolución No. 1234, Col. Centro, C.P. 22000" -> ``MX:avenida revolucion 1234 colonia
centro 22000``.
"""

from __future__ import annotations

from vinculo.deconfliction.base import Selector, invalid, ok, too_long
from vinculo.deconfliction.normalise_ids import compact
from vinculo.deconfliction.regions import state_code
from vinculo.deconfliction.text import fold

ABBREVIATIONS: dict[str, str] = {
    "av": "avenida", "ave": "avenida", "avda": "avenida", "avenue": "avenida",
    "cll": "calle", "st": "street", "str": "street", "col": "colonia", "fracc": "fraccionamiento",
    "blvd": "boulevard", "bulevar": "boulevard", "blv": "boulevard", "calz": "calzada",
    "carr": "carretera", "prol": "prolongacion", "priv": "privada", "cda": "cerrada",
    "int": "interior", "ext": "exterior", "edo": "estado", "mpio": "municipio", "mun": "municipio",
    "rd": "road", "hwy": "highway", "dr": "drive", "ln": "lane", "ct": "court", "pl": "place",
    "apt": "apartment", "apto": "apartment", "depto": "apartment", "dpto": "apartment",
    "departamento": "apartment", "ste": "suite", "bldg": "building", "edif": "edificio",
    # compass points in either language become one letter
    "north": "n", "norte": "n", "nte": "n", "south": "s", "sur": "s", "east": "e", "este": "e",
    "oriente": "e", "ote": "e", "west": "w", "oeste": "w", "poniente": "w", "pte": "w",
    "northeast": "ne", "noreste": "ne", "northwest": "nw", "noroeste": "nw", "southeast": "se",
    "sureste": "se", "southwest": "sw", "suroeste": "sw",
    "sn": "sin numero", "s/n": "sin numero", "km": "kilometro",
}
DOTTED_ONLY = {"c": "calle"}
"""Single letters that are abbreviations only when written with a dot ("C. 5 de Mayo")."""
MARKERS = frozenset({"no", "num", "numero", "number", "nro", "#", "cp", "zip", "codigo postal"})


def _address_words(raw: str) -> list[str]:
    text = fold(raw).replace("#", " # ").replace("c.p.", " cp ").replace("s/n", " sn ")
    text = text.replace("codigo postal", " cp ")
    out: list[str] = []
    for token in text.split():
        dotted = token.endswith(".")
        bare = token.strip(".,;:()[]{}\"'")
        if dotted and bare in DOTTED_ONLY:
            out.append(DOTTED_ONLY[bare])
            continue
        if "." in bare and all(len(part) <= 1 for part in bare.split(".")):
            bare = bare.replace(".", "")  # initials: "N.W." -> "nw"
        cleaned = "".join(ch if ch.isalnum() or ch == "#" else " " for ch in bare)
        for word in cleaned.split():
            if word in MARKERS:
                continue
            out.extend(ABBREVIATIONS.get(word, word).split())
    return out


def address(raw: str, country: str | None = None) -> Selector:
    """``address`` selector, prefixed ``CC:`` with the country when known."""
    if (refused := too_long("address", raw, 1024)) is not None:
        return refused
    tokens = _address_words(raw)
    if not tokens:
        return invalid("address", raw, "no letters or digits in the address")
    code = (country or "").strip().upper()
    prefix = f"{code}:" if len(code) == 2 and code.isascii() and code.isalpha() else ""
    return ok("address", prefix + " ".join(tokens))


def plate(raw: str, country: str | None, state: str | None = None) -> list[Selector]:
    """``plate`` and ``plate-national`` selectors for one registration plate."""
    if (refused := too_long("plate", raw, 32)) is not None:
        return [refused]
    code = (country or "").strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        return [invalid("plate", raw, "plate country unknown (ISO 3166-1 alpha-2 needed)")]
    value = compact(raw)
    if not value:
        return [invalid("plate", raw, "empty, or characters other than letters, digits and separators")]
    if not 2 <= len(value) <= 10 or not (value.isascii() and value.isalnum()):
        return [invalid("plate", raw, "a plate has 2 to 10 letters and digits")]
    national = ok("plate-national", f"{code}:{value}")
    if not state or not state.strip():
        return [ok("plate", f"{code}:{value}"), national]
    st = state_code(code, state)
    if st is None:
        return [invalid("plate", f"{state}:{raw}", f"unknown state {state[:40]!r} for {code}"), national]
    return [ok("plate", f"{code}-{st}:{value}"), national]

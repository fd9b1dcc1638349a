"""Choropleth maps of US and Mexican states, drawn on the server as SVG from bundled shapes."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from vinculo.records.vocabulary import normalise_key

MAPS = Path(__file__).parent / "static" / "vendor" / "maps"
FILES = {"US": "us-states.json", "MX": "mx-states.json"}
# Other spellings of Mexican state names found in records (official long names, common short ones).
ALIASES = {
    "MX": {"ciudad de mexico": "Mexico City", "cdmx": "Mexico City", "distrito federal": "Mexico City",
           "df": "Mexico City", "estado de mexico": "México", "edomex": "México", "mexico": "México",
           "coahuila de zaragoza": "Coahuila", "michoacan de ocampo": "Michoacán",
           "veracruz de ignacio de la llave": "Veracruz", "queretaro de arteaga": "Querétaro"},
    "US": {"washington dc": "District of Columbia", "washington d.c.": "District of Columbia"},
}
US_POSTAL = dict(zip(
    ["AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR"],
    ["Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware",
     "District of Columbia", "Florida", "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas",
     "Kentucky", "Louisiana", "Maine", "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi",
     "Missouri", "Montana", "Nebraska", "Nevada", "New Hampshire", "New Jersey", "New Mexico", "New York",
     "North Carolina", "North Dakota", "Ohio", "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island",
     "South Carolina", "South Dakota", "Tennessee", "Texas", "Utah", "Vermont", "Virginia", "Washington",
     "West Virginia", "Wisconsin", "Wyoming", "Puerto Rico"]))


@dataclass(frozen=True)
class Area:
    id: str
    name: str
    path: str
    seizures: int
    labs: int
    shade: int  # 0 (none) .. 5 (most)


@dataclass(frozen=True)
class StateMap:
    country: str
    view_box: str
    areas: list[Area]
    unplaced: int  # records whose state name matched no shape
    source: str = ""


@cache
def shapes(country: str) -> dict:
    return json.loads((MAPS / FILES[country]).read_text(encoding="utf-8"))


@cache
def _index(country: str) -> dict[str, str]:
    index = {normalise_key(s["name"]): s["name"] for s in shapes(country)["shapes"]}
    index.update({normalise_key(k): v for k, v in ALIASES.get(country, {}).items()})
    if country == "US":
        index.update({normalise_key(k): v for k, v in US_POSTAL.items()})
    return index


def match(country: str, written: str | None) -> str | None:
    """The shape name for a state as written in a record, or None."""
    if not written:
        return None
    return _index(country).get(normalise_key(written))


def _tally(country: str, counts: Counter) -> tuple[Counter, int]:
    out: Counter = Counter()
    unplaced = 0
    for (c, written), n in counts.items():
        if c != country:
            continue
        name = match(country, written)
        if name is None:
            unplaced += n
        else:
            out[name] += n
    return out, unplaced


def state_map(country: str, seizures: Counter, labs: Counter) -> StateMap:
    """Shapes of `country` with seizure and lab counts per state, shaded by seizures + labs."""
    s, unplaced_s = _tally(country, seizures)
    lab, unplaced_l = _tally(country, labs)
    top = max((s[n] + lab[n] for n in set(s) | set(lab)), default=0)
    areas = []
    for shape in shapes(country)["shapes"]:
        total = s[shape["name"]] + lab[shape["name"]]
        shade = 0 if not total else 1 + min(4, int(4 * total / top)) if top else 0
        areas.append(Area(shape["id"], shape["name"], shape["path"], s[shape["name"]], lab[shape["name"]], shade))
    return StateMap(country, shapes(country)["viewBox"], areas, unplaced_s + unplaced_l, shapes(country)["source"])

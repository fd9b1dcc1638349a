"""States of Mexico, the United States and Canada, for vehicle plates.

Codes are the ISO 3166-2 subdivision codes without the country prefix (Baja California is
``BCN``, Mexico City ``CMX``; US and Canadian codes are the postal ones).  Each state is also
known by its folded name and its usual abbreviations ("BC", "B.C.", "CDMX", "DF", "NL", ...).
"""

from __future__ import annotations

from vinculo.deconfliction.text import words

_MX = {
    "AGU": ("Aguascalientes", "AGS"), "BCN": ("Baja California", "BC"),
    "BCS": ("Baja California Sur", "BCSUR"), "CAM": ("Campeche", "CAMP"),
    "CHP": ("Chiapas", "CHIS"), "CHH": ("Chihuahua", "CHIH"),
    "CMX": ("Ciudad de Mexico", "CDMX", "DF", "Distrito Federal", "Mexico City", "Mexico DF"),
    "COA": ("Coahuila", "COAH", "Coahuila de Zaragoza"), "COL": ("Colima",),
    "DUR": ("Durango", "DGO"), "GUA": ("Guanajuato", "GTO"), "GRO": ("Guerrero",),
    "HID": ("Hidalgo", "HGO"), "JAL": ("Jalisco",),
    "MEX": ("Estado de Mexico", "Mexico", "EDOMEX", "Edo Mex", "Edo de Mexico"),
    "MIC": ("Michoacan", "MICH", "Michoacan de Ocampo"), "MOR": ("Morelos",),
    "NAY": ("Nayarit",), "NLE": ("Nuevo Leon", "NL"), "OAX": ("Oaxaca",), "PUE": ("Puebla",),
    "QUE": ("Queretaro", "QRO", "Queretaro de Arteaga"), "ROO": ("Quintana Roo", "QROO", "Q Roo"),
    "SLP": ("San Luis Potosi",), "SIN": ("Sinaloa",), "SON": ("Sonora",), "TAB": ("Tabasco",),
    "TAM": ("Tamaulipas", "TAMPS"), "TLA": ("Tlaxcala", "TLAX"),
    "VER": ("Veracruz", "Veracruz de Ignacio de la Llave"), "YUC": ("Yucatan",),
    "ZAC": ("Zacatecas",),
}
_US = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "US Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}
_CA = {
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories",
    "NU": "Nunavut", "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec",
    "SK": "Saskatchewan", "YT": "Yukon",
}


def _key(text: str) -> str:
    return "".join(words(text)).upper()


def _index() -> dict[str, dict[str, str]]:
    index: dict[str, dict[str, str]] = {"MX": {}, "US": {}, "CA": {}}
    for code, names in _MX.items():
        for name in (code, *names):
            index["MX"][_key(name)] = code
    for country, table in (("US", _US), ("CA", _CA)):
        for code, name in table.items():
            index[country][code] = code
            index[country][_key(name)] = code
    return index


STATE_INDEX = _index()


def state_code(country: str, state: str) -> str | None:
    """Canonical state code, or None when ``country`` has a table and ``state`` is not in it.

    For countries without a table the folded, upper-case letters and digits of ``state`` are
    the code (None when that is empty or longer than 6).
    """
    key = _key(state)
    table = STATE_INDEX.get(country)
    if table is not None:
        return table.get(key)
    return key if 0 < len(key) <= 6 else None

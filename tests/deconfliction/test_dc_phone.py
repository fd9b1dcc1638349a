"""Phone numbers to E.164."""

import pytest

from vinculo.deconfliction.normalise_phone import phone

CDMX = "+525512345678"


@pytest.mark.parametrize("raw, country, expected", [
    ("(55) 1234 5678", "MX", CDMX),
    ("55 1234 5678", "MX", CDMX),
    ("55-1234-5678", "mx", CDMX),
    ("044 55 1234 5678", "MX", CDMX),
    ("045 55 1234 5678", "MX", CDMX),
    ("01 55 1234 5678", "MX", CDMX),
    ("+52 1 55 1234 5678", None, CDMX),
    ("+52 1 55 1234 5678", "US", CDMX),
    ("+52 55 1234 5678", None, CDMX),
    ("0052 1 55 1234 5678", "MX", CDMX),
    ("011 52 1 55 1234 5678", "US", CDMX),
    ("５５ １２３４ ５６７８", "MX", CDMX),
    ("55\u200b1234\u200d5678", "MX", CDMX),
    ("55 1234 5678\ud800", "MX", CDMX),
    ("+52 55 1234 5678 ext. 12", None, CDMX),
    ("01 800 123 4567", "MX", "+528001234567"),
    ("800 123 4567", "MX", "+528001234567"),
    ("(619) 555-0134", "US", "+16195550134"),
    ("1-619-555-0134", "US", "+16195550134"),
    ("619.555.0134", "US", "+16195550134"),
    ("+1 619 555 0134", "MX", "+16195550134"),
    ("001 619 555 0134", "MX", "+16195550134"),
    ("664 123 4567", "MX", "+526641234567"),
])
def test_phone_forms(raw, country, expected):
    sel = phone(raw, country)
    assert sel.valid, sel.reason
    assert sel.kind == "phone" and sel.value == expected


@pytest.mark.parametrize("raw, country", [
    ("123", "MX"), ("", "MX"), ("abc", "MX"), ("55 1234 5678", None), ("(619) 555-0134", "XX"),
    ("'; DROP TABLE phones; --", "MX"), ("+52 55 1234", None), ("5" * 65, "MX"), ("+999 1234 5678", None),
    ("\x00\x00", "MX"), ("\ud800", "MX"),
])
def test_phone_invalid(raw, country):
    sel = phone(raw, country)
    assert not sel.valid and sel.reason

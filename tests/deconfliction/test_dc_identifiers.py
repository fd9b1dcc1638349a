"""Identifier normalisers: check digits, canonical forms, hostile input."""

import pytest

from vinculo.deconfliction.normalise_ids import (
    cas,
    clabe,
    clabe_check_digit,
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
    vin_check_digit,
)

VALID = [
    (vin, "1M8GDM9AXKP042788", "1M8GDM9AXKP042788"),
    (vin, "1m8gdm9a-xkp04 2788", "1M8GDM9AXKP042788"),
    (vin, "1М8GDM9AXKP042788", "1M8GDM9AXKP042788"),          # Cyrillic М
    (vin, "11111111111111111", "11111111111111111"),
    (vin, "JH4KA7561PC008269", "JH4KA7561PC008269"),
    (container, "CSQU 305438 3", "CSQU3054383"),
    (container, "ｃｓｑｕ３０５４３８３", "CSQU3054383"),
    (clabe, "032180000118359719", "032180000118359719"),
    (clabe, "002 010 07777777777 1", "002010077777777771"),
    (cas, "7732-18-5", "7732-18-5"),
    (cas, "7732185", "7732-18-5"),
    (cas, "50-00-0", "50-00-0"),
    (imo, "IMO 9074729", "9074729"),
    (curp, "boxw310820hnerxn09", "BOXW310820HNERXN09"),
    (rfc, "GODE-561231-GR8", "GODE561231GR8"),
    (rfc, "MAB9307148T4", "MAB9307148T4"),
    (ssn, "536-90-4399", "536904399"),
    (ein, "04-2103594", "042103594"),
    (imei, "35-209900-176148-1", "35209900176148"),
    (imei, "3520990017614823", "35209900176148"),
]

INVALID = [
    (vin, "1M8GDM9AXKP042789", "check digit"),
    (vin, "1M8GDM9AXKP04278", "17 characters"),
    (vin, "1M8GDM9AXKP04278O", "I, O and Q"),
    (vin, "WVWZZZ1JZXW000001", "check digit"),
    (container, "CSQU3054384", "check digit"),
    (clabe, "032180000118359718", "check digit"),
    (clabe, "03218000011835971", "18 digits"),
    (clabe, "03218000011835971A", "18 digits"),
    (cas, "7732-18-4", "check digit"),
    (imo, "IMO 9074728", "check digit"),
    (curp, "BOXW310820HNERXN08", "check digit"),
    (rfc, "GODE561331GR8", "RFC"),
    (ssn, "000-12-3456", "social security"),
    (ein, "00-0000000", "employer"),
    (imei, "352099001761482", "check digit"),
]


@pytest.mark.parametrize("normalise, raw, value", VALID)
def test_valid(normalise, raw, value):
    sel = normalise(raw)
    assert sel.valid, sel.reason
    assert sel.value == value and sel.reason is None


@pytest.mark.parametrize("normalise, raw, reason", INVALID)
def test_invalid(normalise, raw, reason):
    sel = normalise(raw)
    assert not sel.valid
    assert reason in sel.reason


HOSTILE = ["", " ", "\x00", "'; DROP TABLE x; --", "<img src=x onerror=alert(1)>", "A" * 10_000,
           "\u202e\u200b", "🙂", "1" * 65, "null", "%00%27", "\ud800", "1M8GDM9AXKP042788'; --"]


@pytest.mark.parametrize("normalise", [vin, container, clabe, cas, imo, curp, rfc, ssn, ein, imei, email])
@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_input_is_flagged_not_raised(normalise, raw):
    sel = normalise(raw)
    assert not sel.valid and sel.reason
    assert len(sel.value) <= 64 and all(ch.isprintable() for ch in sel.value)


def test_vin_check_digit_rule():
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"
    assert vin_check_digit("11111111111111111") == "1"


def test_clabe_weights():
    assert clabe_check_digit("03218000011835971") == "9"


@pytest.mark.parametrize("country, number, expected", [
    ("MX", "G 1234-5678", "MX:G12345678"),
    ("us", "p123456789", "US:P123456789"),
])
def test_passport(country, number, expected):
    assert passport(country, number).value == expected


@pytest.mark.parametrize("country, number", [
    (None, "G12345678"), ("MEX", "G12345678"), ("M1", "G12345678"), ("MX", "12"), ("MX", "#" * 30),
    ("MX", "Ж12345678"),
])
def test_passport_invalid(country, number):
    assert not passport(country, number).valid


@pytest.mark.parametrize("raw, expected", [
    ("Juan.Perez@Correo.MX", "juan.perez@correo.mx"),
    ("  <j.perez+ops@gmail.com> ", "j.perez+ops@gmail.com"),
    ("mailto:a@b.co", "a@b.co"),
    ("a@Bücher.de", "a@xn--bcher-kva.de"),
])
def test_email(raw, expected):
    assert email(raw).value == expected


def test_email_keeps_dots_and_plus_tags():
    assert email("j.perez@gmail.com").value != email("jperez@gmail.com").value
    assert email("jperez+x@gmail.com").value != email("jperez@gmail.com").value


@pytest.mark.parametrize("raw", ["a@@b.c", "ab.c", "a b@c.d", "a@localhost", "a@-b.c", "a@b..c", "@b.c",
                                 "a@b.c\nd", "a@" + "b" * 64 + ".com"])
def test_email_invalid(raw):
    assert not email(raw).valid

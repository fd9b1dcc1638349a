"""Companies, addresses and plates."""

import pytest

from vinculo.deconfliction.normalise_company import company, company_key
from vinculo.deconfliction.normalise_places import address, plate
from vinculo.deconfliction.regions import state_code


@pytest.mark.parametrize("raw, expected", [
    ("Química Delta, S.A. de C.V.", "quimica delta"),
    ("QUIMICA DELTA SA DE CV", "quimica delta"),
    ("Quimica Delta", "quimica delta"),
    ("Química Delta Sociedad Anónima de Capital Variable", "quimica delta"),
    ("Transportes Norte S. de R.L. de C.V.", "transportes norte"),
    ("Inversiones Sur S.A.P.I. de C.V.", "inversiones sur"),
    ("Acme, LLC", "acme"), ("Acme Inc.", "acme"), ("ACME Corp.", "acme"), ("Acme Ltd", "acme"),
    ("Shenzhen Foo Trading Co., Ltd.", "shenzhen foo trading"),
    ("Siemens GmbH", "siemens"), ("Foo Limited", "foo"), ("The Boeing Company", "boeing"),
    ("Smith & Sons", "smith and sons"), ("Ｆｏｏ　Ｌｔｄ．", "foo"),
    ("深圳市某某化工有限公司", "深圳市某某化工"), ("武汉某某生物科技股份有限公司", "武汉某某生物科技"),
    ("Limited", "limited"),
])
def test_company(raw, expected):
    sel = company(raw)
    assert sel.valid and sel.value == expected


def test_company_cjk_suffix_optional():
    assert company_key("深圳市某某化工有限公司", strip_cjk_suffix=False) == "深圳市某某化工有限公司"


@pytest.mark.parametrize("raw", ["", "   ", "...", ".,;-", "x" * 600])
def test_company_invalid(raw):
    assert not company(raw).valid


@pytest.mark.parametrize("a, b", [
    ("Av. Revolución No. 1234, Col. Centro, C.P. 22000", "Avenida Revolucion #1234 Colonia Centro CP 22000"),
    ("AV REVOLUCION 1234, COL. CENTRO, 22000", "Avda. Revolución Núm. 1234 Col Centro Código Postal 22000"),
    ("C. 5 de Mayo s/n", "Calle 5 de Mayo S/N"),
    ("Calle 5 Nte. #12 Int. 3", "Calle 5 Norte No. 12 Interior 3"),
    ("1600 Pennsylvania Ave. N.W.", "1600 Pennsylvania Avenue Northwest"),
    ("123 Main St., Apt 4", "123 MAIN STREET APARTMENT 4"),
])
def test_address_equivalent(a, b):
    assert address(a, "MX").value == address(b, "MX").value


def test_address_value_and_country():
    assert address("Av. Revolución No. 1234, Col. Centro, C.P. 22000", "mx").value == \
        "MX:avenida revolucion 1234 colonia centro 22000"
    assert address("Calle 1", None).value == "calle 1"
    assert address("Calle 1", "MX").value != address("Calle 1", "US").value


def test_address_keeps_different_numbers_apart():
    assert address("Av. Revolución 1234", "MX").value != address("Av. Revolución 1243", "MX").value


@pytest.mark.parametrize("raw", ["", "#", ",,,", "x" * 2000])
def test_address_invalid(raw):
    assert not address(raw, "MX").valid


@pytest.mark.parametrize("raw, country, state, expected", [
    ("abc-1234", "MX", "BC", "MX-BCN:ABC1234"),
    ("ABC 1234", "MX", "Baja California", "MX-BCN:ABC1234"),
    ("ABC.1234", "mx", "B.C.", "MX-BCN:ABC1234"),
    ("ABC1234", "MX", "CDMX", "MX-CMX:ABC1234"),
    ("ABC1234", "MX", "Distrito Federal", "MX-CMX:ABC1234"),
    ("ABC1234", "MX", "Nuevo León", "MX-NLE:ABC1234"),
    ("7ABC123", "US", "California", "US-CA:7ABC123"),
    ("7abc123", "US", "ca", "US-CA:7ABC123"),
    ("ABC123", "CA", "British Columbia", "CA-BC:ABC123"),
    ("P 123 456", "GT", "Guatemala", "GT-GUATEMA:P123456"),
    ("abc1234", "MX", None, "MX:ABC1234"),
])
def test_plate(raw, country, state, expected):
    sels = plate(raw, country, state)
    assert [s.kind for s in sels] == ["plate", "plate-national"]
    assert sels[0].value == expected or (not sels[0].valid and expected.startswith("GT"))
    assert sels[1].value == f"{country.upper()}:{expected.split(':')[1]}"


def test_plate_unknown_state_keeps_national():
    sels = plate("ABC1234", "MX", "Narnia")
    assert not sels[0].valid and "Narnia" in sels[0].reason
    assert sels[1].valid and sels[1].value == "MX:ABC1234"


@pytest.mark.parametrize("raw, country", [("x", "MX"), ("ABC1234", None), ("ABC1234", "MEX"), ("A" * 40, "MX"),
                                          ("'; DROP TABLE--", "MX"), ("ЖЖЖ123", "MX")])
def test_plate_invalid(raw, country):
    sels = plate(raw, country, "BC")
    assert len(sels) == 1 and not sels[0].valid


def test_state_codes():
    assert state_code("MX", "Edo. Méx.") == "MEX"
    assert state_code("MX", "Quintana Roo") == "ROO"
    assert state_code("US", "new york") == "NY"
    assert state_code("FR", "Île-de-France") is None        # longer than 6 without a table
    assert state_code("FR", "IDF") == "IDF"

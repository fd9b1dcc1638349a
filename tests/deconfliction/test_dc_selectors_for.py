"""selectors_for: field extraction from record bodies."""

import pytest

from vinculo.deconfliction.selectors import KINDS, Selector, selectors_for


def pairs(sels):
    return {(s.kind, s.value) for s in sels if s.valid}


def test_selector_is_frozen():
    sel = Selector("phone", "+525512345678", True, None)
    with pytest.raises(AttributeError):
        sel.value = "x"  # type: ignore[misc]


def test_person():
    body = {
        "full_name": "GUZMAN LOERA, Joaquin Archivaldo", "date_of_birth": "1957-04-04",
        "aliases": ["El Chapo"], "nationality": ["MX"], "curp": "BOXW310820HNERXN09",
        "rfc": "GODE561231GR8", "passports": [{"country": "MX", "number": "G1234 5678"}],
        "phones": ["044 55 1234 5678"], "emails": ["El.Chapo@Example.COM"],
    }
    got = pairs(selectors_for("person", body, None))
    assert {
        ("person-name-dob", "1957-04-04|archivaldo guzman joaquin loera"),
        ("person-short-dob", "1957-04-04|joaquin guzman"),
        ("person-phonetic-dob", "1957-04-04|JOAKIN GUSMAN"),
        ("person-name-dob", "1957-04-04|chapo el"),
        ("curp", "BOXW310820HNERXN09"), ("rfc", "GODE561231GR8"), ("passport", "MX:G12345678"),
        ("phone", "+525512345678"), ("email", "el.chapo@example.com"),
    } <= got


def test_person_structured_and_record_country_for_phones():
    body = {"full_name": "Joaquín Guzmán", "given_names": "Joaquín", "surnames": "Guzmán",
            "date_of_birth": "1957-04-04", "phones": ["(619) 555-0134"]}
    got = pairs(selectors_for("person", body, "US"))
    assert ("phone", "+16195550134") in got
    assert ("person-short-dob", "1957-04-04|joaquin guzman") in got


def test_organization_vehicle_phone_shipment_seizure_location():
    assert pairs(selectors_for("organization", {
        "name": "Química Delta, S.A. de C.V.", "aliases": ["Delta Chem LLC"], "rfc": "MAB9307148T4",
        "country": "MX", "address": "Av. Revolución No. 1234, Col. Centro, C.P. 22000"}, None)) == {
        ("company", "quimica delta"), ("company", "delta chem"), ("rfc", "MAB9307148T4"),
        ("address", "MX:avenida revolucion 1234 colonia centro 22000")}
    assert pairs(selectors_for("vehicle", {
        "plate": "ABC-1234", "plate_state": "BC", "vin": "1M8GDM9AXKP042788", "imo": "IMO 9074729"}, "MX")) == {
        ("plate", "MX-BCN:ABC1234"), ("plate-national", "MX:ABC1234"), ("vin", "1M8GDM9AXKP042788"),
        ("imo", "9074729")}
    assert pairs(selectors_for("phone", {"number": "(55) 1234 5678", "country": "MX",
                                         "imei": "35-209900-176148-1"}, "US")) == {
        ("phone", "+525512345678"), ("imei", "35209900176148")}
    assert pairs(selectors_for("shipment", {
        "container_numbers": ["CSQU 305438 3"], "vessel_imo": "9074729", "exporter": "Foo Co., Ltd.",
        "importer": "Bar S.A. de C.V.", "consignee": "Baz Inc.", "cas_numbers": ["7732-18-5"]}, None)) == {
        ("container", "CSQU3054383"), ("imo", "9074729"), ("company", "foo"), ("company", "bar"),
        ("company", "baz"), ("cas", "7732-18-5")}
    assert pairs(selectors_for("seizure", {"cas": "50-00-0", "date": "2024-01-01"}, "MX")) == {("cas", "50-00-0")}
    assert pairs(selectors_for("location", {"address": "Calle 1", "country": "US"}, "MX")) == {
        ("address", "US:calle 1")}


def test_account_like_clabe_on_any_type():
    assert ("clabe", "032180000118359719") in pairs(
        selectors_for("organization", {"name": "X", "clabe": "032180000118359719"}, "MX"))


def test_invalid_identifiers_are_flagged():
    sels = selectors_for("shipment", {"container_numbers": ["CSQU3054384", "CSQU3054383"]}, None)
    assert [(s.value, s.valid) for s in sels] == [("CSQU3054384", False), ("CSQU3054383", True)]
    assert sels[0].reason


def test_missing_fields_and_unknown_types():
    assert selectors_for("person", {}, None) == []
    assert selectors_for("note", {"text": "hello"}, "MX") == []
    assert selectors_for("no-such-type", {"clabe": "032180000118359719"}, None)[0].kind == "clabe"
    assert selectors_for("person", None, None) == []  # type: ignore[arg-type]


@pytest.mark.parametrize("body", [
    {"phones": "55 1234 5678"}, {"phones": [None, 5, {"x": 1}]}, {"passports": [{"number": 5}, "G1"]},
    {"passports": {"country": "MX"}}, {"full_name": 42, "date_of_birth": "1957-04-04"},
    {"full_name": "x" * 100_000, "date_of_birth": "1957-04-04"}, {"emails": ["a" * 10_000]},
    {"aliases": [None, 3], "date_of_birth": "1957-04-04"}, {"curp": ["A", "B"]},
])
def test_wrongly_typed_bodies_do_not_raise(body):
    for sel in selectors_for("person", body, "MX"):
        assert sel.kind in KINDS
        assert sel.valid or sel.reason


def test_deduplicated():
    sels = selectors_for("person", {"phones": ["55 1234 5678", "(55) 1234-5678", "+52 55 1234 5678"]}, "MX")
    assert sels == [Selector("phone", "+525512345678")]


def test_every_kind_is_a_valid_psi_kind():
    from vinculo.deconfliction.psi_messages import check_kind
    for kind in KINDS:
        assert check_kind(kind) == kind

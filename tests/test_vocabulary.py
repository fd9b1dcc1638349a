"""Tests for the shipped vocabularies (vinculo.records.vocab/*.csv) and their loader."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from vinculo.records import vocabulary as v

UNODC_ZIP = Path(__file__).resolve().parents[1] / "examples" / "data" / "drug-trafficking-unodc.zip"
UNODC_COLUMNS = (
    "DRUG_NAME",
    "DRUG_UNIT",
    "TRANSPORT",
    "INSTALLATION",
    "HIDING_PLACE",
    "COUNTRY",
    "PRODUCING_COUNTRY",
    "DEPARTURE_COUNTRY",
    "DESTINATION_COUNTRY",
)
COUNTRY_COLUMNS = ("COUNTRY", "PRODUCING_COUNTRY", "DEPARTURE_COUNTRY", "DESTINATION_COUNTRY")


def _cas_check_digit_ok(cas: str) -> bool:
    """Independent re-implementation of the CAS check: weighted digit sum, right to left, mod 10."""
    body, check = cas.rsplit("-", 1)
    digits = body.replace("-", "")
    return sum(i * int(d) for i, d in enumerate(reversed(digits), start=1)) % 10 == int(check)


@pytest.fixture(scope="module")
def unodc() -> dict[str, Counter]:
    """Distinct values (with counts) of the vocabulary columns of the real UNODC extract."""
    if not UNODC_ZIP.exists():
        pytest.skip(f"{UNODC_ZIP} not present")
    counts = {column: Counter() for column in UNODC_COLUMNS}
    rows = 0
    with zipfile.ZipFile(UNODC_ZIP) as archive, archive.open("drug-trafficking-unodc.csv") as raw:
        reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline=""), delimiter=";")
        for row in reader:
            rows += 1
            for column in UNODC_COLUMNS:
                counts[column][row[column]] += 1
    assert rows == 311_038
    return counts


# ---------------------------------------------------------------------------------------------
# substances


def test_every_cas_number_has_a_valid_check_digit():
    with_cas = [s for s in v.substances() if s.cas]
    assert len(with_cas) > 150
    for s in with_cas:
        assert re.fullmatch(r"\d{2,7}-\d{2}-\d", s.cas), s
        assert _cas_check_digit_ok(s.cas), f"{s.code}: bad CAS check digit {s.cas}"
        assert v.cas_is_valid(s.cas)


def test_cas_validator_rejects_bad_numbers():
    assert v.cas_is_valid("437-38-7")
    assert v.cas_is_valid("7732-18-5")  # water
    assert not v.cas_is_valid("437-38-8")
    assert not v.cas_is_valid("43738-7")
    assert not v.cas_is_valid("")


def test_cas_numbers_are_unique():
    cas = [s.cas for s in v.substances() if s.cas]
    assert len(cas) == len(set(cas))


@pytest.mark.parametrize(
    ("cas", "code"),
    [
        ("21409-26-7", "anpp"),
        ("39742-60-4", "npp"),
        ("23056-29-3", "4-ap"),
        ("125541-22-2", "1-boc-4-ap"),
        ("1609-66-1", "norfentanyl"),
        ("41661-47-6", "4-piperidone"),
        ("79099-07-3", "1-boc-4-piperidone"),
    ],
)
def test_fentanyl_precursors_resolve_by_cas(cas, code):
    found = v.substance(cas)
    assert found is not None and found.code == code
    assert found.kind == "precursor"
    assert found.cas == cas
    assert found.hs and found.hs.startswith("2933.")
    assert v.substance(cas.replace("-", "")) is found  # loose key: digits only


def test_hs_codes_are_well_formed():
    for s in v.substances():
        assert s.hs is None or re.fullmatch(r"\d{4}\.\d{2}", s.hs), s
    assert v.substance("ANPP").hs == "2933.36"
    assert v.substance("NPP").hs == "2933.37"
    assert v.substance("ephedrine").hs == "2939.41"
    assert v.substance("P-2-P").hs == "2914.31"


@pytest.mark.parametrize(
    "code",
    [
        "fentanyl",
        "carfentanil",
        "acetylfentanyl",
        "furanylfentanyl",
        "3-methylfentanyl",
        "heroin",
        "morphine",
        "opium",
        "cocaine",
        "cocaine-base",
        "crack",
        "coca-leaf",
        "coca-paste",
        "methamphetamine",
        "amphetamine",
        "mdma",
        "cannabis-herb",
        "cannabis-resin",
        "cannabis-plant",
        "ketamine",
        "lsd",
        "khat",
        "tramadol",
        "buprenorphine",
        "benzodiazepine-unspecified",
        "xylazine",
        "isotonitazene",
        "nitazene-unspecified",
        "ephedrine",
        "pseudoephedrine",
        "p2p",
        "apaan",
        "apaa",
        "mapa",
        "methylamine",
        "acetic-anhydride",
        "potassium-permanganate",
        "pill-press",
        "encapsulating-machine",
        "precursor-unspecified",
        "other",
        "unknown",
    ],
)
def test_required_substances_exist(code):
    assert v.substance(code).code == code


def test_substance_kinds_and_codes():
    codes = [s.code for s in v.substances()]
    assert len(codes) == len(set(codes))
    assert {s.kind for s in v.substances()} == set(v.SUBSTANCE_KINDS)
    assert v.substance("pill press").kind == "equipment"
    assert v.substance("tableting machine").code == "pill-press"
    assert v.substance("ANPP").kind == "precursor"
    assert v.substance("Caffeine").kind == "other"


def test_substance_lookup_is_case_space_and_accent_insensitive():
    assert v.substance("  COCAÍNA ").code == "cocaine"
    assert v.substance("cocaina").code == "cocaine"
    assert v.substance("Cocaine   HCL").code == "cocaine-hcl"
    assert v.substance("heroína").code == "heroin"
    assert v.substance("Phenylacetone").code == "p2p"
    assert v.substance("P2P").code == "p2p"
    assert v.substance("2CB").code == "2c-b"
    assert v.substance("alpha-PVP") is v.substance("α-PVP")
    assert v.substance("437-38-7").code == "fentanyl"
    assert v.substance("Ecstasy").code == "mdma"
    assert v.substance("hashish").code == "cannabis-resin"
    assert v.substance("marihuana").code == "cannabis-herb"


def test_unspecified_substances_have_explicit_codes():
    assert v.substance("Non-specified precursors").code == "precursor-unspecified"
    assert v.substance("Other precursors").code == "precursor-unspecified"
    assert v.substance("Other").code == "other"
    assert v.substance("Unknown").code == "unknown"
    assert v.substance("Non-specified NPS").code == "nps-unspecified"


def test_unknown_substances_return_none():
    assert v.substance("definitely not a drug") is None
    assert v.substance("") is None
    assert v.substance("   ") is None
    assert v.substance(None) is None
    assert v.substance("437-38-8") is None  # CAS with a wrong check digit is not a key


def test_substances_are_frozen():
    fentanyl = v.substance("fentanyl")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fentanyl.name = "x"  # type: ignore[misc]
    assert isinstance(fentanyl.aliases, tuple)
    assert "Phentanyl" in fentanyl.aliases


# ---------------------------------------------------------------------------------------------
# the real UNODC extract


def test_every_unodc_drug_name_maps(unodc):
    names = unodc["DRUG_NAME"]
    assert len(names) == 343
    unmapped = sorted(name for name in names if v.substance(name) is None)
    assert unmapped == []
    assert v.substance("Coca paste").code == "coca-paste"
    assert v.substance("Cocaine Base").code == "cocaine-base"
    assert v.substance("Ecstasy").code == "mdma"
    assert v.substance("5F-APINACA, 5F-AKB-48") is v.substance("5F-AKB48")
    assert v.substance("Phentanyl").code == "fentanyl"


def test_every_unodc_unit_maps(unodc):
    values = unodc["DRUG_UNIT"]
    assert len(values) == 44
    assert sorted(x for x in values if v.unit(x) is None) == [""]
    assert v.unit("Kilogram").code == "kg"
    assert v.unit("Gallons (US, liquid)").code == "gal-us"
    assert v.unit("Thousand of tablets").factor == 1000
    assert v.unit("Acres").kind == "area"


@pytest.mark.parametrize(
    ("column", "lookup", "distinct"),
    [
        ("TRANSPORT", v.transport_mode, 16),
        ("INSTALLATION", v.location_type, 80),
        ("HIDING_PLACE", v.concealment, 38),
    ],
)
def test_every_unodc_term_maps(unodc, column, lookup, distinct):
    values = unodc[column]
    assert len(values) == distinct
    assert sorted(x for x in values if lookup(x) is None) == ["", "Unknown"]


def test_every_unodc_country_maps(unodc):
    values = set()
    for column in COUNTRY_COLUMNS:
        values |= set(unodc[column])
    assert len(values) == 194
    unresolved = sorted(x for x in values if v.country(x) is None)
    assert unresolved == ["", "Multiple Countries", "Other", "Unknown"]


def test_unodc_spot_checks(unodc):
    assert v.country("Bolivia, Plurinational State of").alpha2 == "BO"
    assert v.country("Kosovo under UNSCR 1244").alpha2 == "XK"
    assert v.country("Iraq (Kurdistan Region)").alpha2 == "IQ"
    assert v.country("Macau, SAR of China").alpha2 == "MO"
    assert v.country("Libyan Arab Jamahiriya").alpha2 == "LY"
    assert v.country("Lao Peoples Democratic Republic").alpha2 == "LA"
    assert v.country("Swaziland").alpha2 == "SZ"
    assert v.country("Netherlands Antilles").alpha2 == "AN"
    assert v.transport_mode("Commercial air") == "air-commercial"
    assert v.transport_mode("Mail") == "postal"
    assert v.location_type("Frontier") == "land-border"
    assert v.location_type("Port Facilities") == "seaport"
    assert v.concealment("Swallowed") == "swallowed"


# ---------------------------------------------------------------------------------------------
# countries


def test_countries_cover_iso_3166_1():
    all_countries = v.countries()
    assert len(all_countries) == 251  # 249 ISO 3166-1 + XK (user-assigned) + AN (withdrawn)
    iso = [c for c in all_countries if c.alpha2 not in ("XK", "AN")]
    assert len(iso) == 249
    assert len({c.alpha2 for c in all_countries}) == 251
    assert len({c.alpha3 for c in all_countries}) == 251
    numerics = [c.numeric for c in all_countries if c.numeric]
    assert len(numerics) == len(set(numerics)) == 250
    assert all(re.fullmatch(r"\d{3}", n) for n in numerics)


@pytest.mark.parametrize(
    ("value", "alpha2"),
    [
        ("CO", "CO"),
        ("col", "CO"),
        ("170", "CO"),
        ("Bolivia (Plurinational State of)", "BO"),
        ("Venezuela (Bolivarian Republic of)", "VE"),
        ("United Kingdom (England and Wales)", "GB"),
        ("United Kingdom (Scotland)", "GB"),
        ("UK", "GB"),
        ("Kosovo", "XK"),
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("turkiye", "TR"),
        ("México", "MX"),
        ("MEXICO", "MX"),
        ("Estados Unidos", "US"),
        ("EE. UU.", "US"),
        ("EE.UU.", "US"),
        ("EEUU", "US"),
        ("ee uu", "US"),
        ("United States of America", "US"),
        ("Perú", "PE"),
        ("Brasil", "BR"),
        ("España", "ES"),
        ("Países Bajos", "NL"),
        ("Holanda", "NL"),
        ("República Dominicana", "DO"),
        ("Côte d’Ivoire", "CI"),
        ("Cote d'Ivoire", "CI"),
        ("Ivory Coast", "CI"),
        ("Curaçao", "CW"),
        ("Congo, the Democratic Republic of the", "CD"),
        ("Czech Republic", "CZ"),
        ("Russia", "RU"),
        ("Viet Nam", "VN"),
        ("Hong Kong SAR", "HK"),
    ],
)
def test_country_lookup(value, alpha2):
    found = v.country(value)
    assert found is not None, value
    assert found.alpha2 == alpha2


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        None,
        "Unknown",
        "unknown",
        "Various",
        "Other",
        "Multiple Countries",
        "n/a",
        "N/A",
        "Desconocido",
        "Atlantis",
        "Korea",
    ],
)
def test_country_unknown_or_ambiguous_is_none(value):
    assert v.country(value) is None


def test_n_a_never_becomes_namibia():
    assert v.country("NA").alpha2 == "NA"
    assert v.country("n/a") is None
    assert v.country("N.A.") is None


def test_is_unknown():
    assert v.is_unknown(None)
    assert v.is_unknown("")
    assert v.is_unknown(" Unknown ")
    assert v.is_unknown("Various")
    assert not v.is_unknown("Other")
    assert not v.is_unknown("Colombia")
    assert v.is_unknown_country("Other")
    assert v.is_unknown_country("Multiple Countries")
    assert not v.is_unknown_country("Colombia")


# ---------------------------------------------------------------------------------------------
# units and quantities


def test_unit_conversions():
    gram = v.unit("g")
    assert gram.kind == "mass" and gram.factor == 0.001
    assert v.normalise_quantity(1000, gram).kg == pytest.approx(1.0)
    assert v.normalise_quantity(1000, "Gram") == pytest.approx((1.0, None, None))
    assert v.normalise_quantity(1, v.unit("lb")).kg == pytest.approx(0.45359237)
    assert v.normalise_quantity(1, "pound").kg == 0.45359237
    assert v.normalise_quantity(16, "oz").kg == pytest.approx(0.45359237)
    assert v.normalise_quantity(2.5, "t").kg == pytest.approx(2500)
    assert v.normalise_quantity(500, "mg").kg == pytest.approx(0.0005)
    assert v.normalise_quantity(3, "Kilogram") == (3.0, None, None)


def test_count_and_volume_quantities():
    assert v.normalise_quantity(490, "Tablet") == (None, 490.0, None)
    assert v.normalise_quantity(2, "Thousand of tablets") == (None, 2000.0, None)
    assert v.normalise_quantity(35, "Plants").count == 35
    q = v.normalise_quantity(250, "ml")
    assert q.kg is None and q.count is None and q.litres == pytest.approx(0.25)
    assert v.normalise_quantity(1, "Gallons (US, liquid)").litres == pytest.approx(3.785411784)
    assert v.normalise_quantity(1, "Gallons (UK)").litres == pytest.approx(4.54609)
    kg, count, litres = v.normalise_quantity(7, "Cc")
    assert (kg, count) == (None, None) and litres == pytest.approx(0.007)


def test_quantities_that_cannot_be_normalised():
    empty = v.Quantity(None, None, None)
    assert v.normalise_quantity(10, "Acres") == empty
    assert v.base_amount(10, "Acres") == pytest.approx(4.0468564224)
    assert v.normalise_quantity(10, "other") == empty
    assert v.normalise_quantity(10, "furlong") == empty
    assert v.normalise_quantity(10, None) == empty
    assert v.normalise_quantity(None, "kg") == empty
    assert v.normalise_quantity(float("nan"), "kg") == empty


def test_units_are_consistent():
    all_units = v.units()
    assert len({u.code for u in all_units}) == len(all_units)
    assert {u.kind for u in all_units} == set(v.UNIT_KINDS)
    for u in all_units:
        assert u.factor > 0
        if u.kind == "count":
            assert u.factor == int(u.factor)


def test_unknown_units_return_none():
    assert v.unit("furlong") is None
    assert v.unit("") is None
    assert v.unit("unknown") is None
    assert v.unit(None) is None


# ---------------------------------------------------------------------------------------------
# code lists


@pytest.mark.parametrize(
    ("listing", "lookup"),
    [
        (v.transport_modes, v.transport_mode),
        (v.location_types, v.location_type),
        (v.concealments, v.concealment),
    ],
)
def test_code_lists(listing, lookup):
    terms = listing()
    codes = [t.code for t in terms]
    assert len(codes) == len(set(codes))
    for term in terms:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", term.code)
        assert lookup(term.code) == term.code
        assert lookup(term.name) == term.code
        for alias in term.aliases:
            assert lookup(alias) == term.code
    assert lookup("no such thing at all") is None
    assert lookup("Unknown") is None
    assert lookup("") is None


def test_specific_terms():
    assert v.transport_mode("container ship") == "maritime-container"
    assert v.transport_mode("Private road") == "road-private"
    assert v.transport_mode("None") == "none"
    assert v.location_type("Home/Residence") == "residence"
    assert v.location_type("aeropuerto") == "airport"
    assert v.concealment("Inserted") == "body-inserted"


# ---------------------------------------------------------------------------------------------
# normalisation and speed


def test_normalise_key():
    assert v.normalise_key("  Côte   d’Ivoire ") == "cote d'ivoire"
    assert v.normalise_key("MÉXICO") == "mexico"
    assert v.normalise_key("µg") == v.normalise_key("μg")


def test_every_alias_resolves_to_its_own_entry():
    for s in v.substances():
        for text in (s.code, s.name, *s.aliases):
            assert v.substance(text) is s, (text, s.code)
    for c in v.countries():
        assert v.country(c.alpha2) is c and v.country(c.alpha3) is c and v.country(c.name) is c


def test_repeated_lookups_return_the_same_entries():
    # Speed is measured in bench/, not asserted here; this checks the memoised path stays correct.
    first = [(v.substance(x), v.unit(x), v.country(x)) for x in ("Cocaine", "Kilogram", "Colombia", "Unknown")]
    for _ in range(3):
        again = [(v.substance(x), v.unit(x), v.country(x)) for x in ("Cocaine", "Kilogram", "Colombia", "Unknown")]
        assert again == first

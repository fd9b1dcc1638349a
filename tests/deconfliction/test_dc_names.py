"""Person names + date of birth to keys."""

import datetime as dt

import pytest

from vinculo.deconfliction.normalise_names import parse_dob, parse_name, person_selectors

DOB = "1957-04-04"


def keys(full=None, given=None, surnames=None, dob=DOB, kind=None):
    sels = person_selectors([(full, given, surnames)], dob)
    assert all(s.valid for s in sels)
    return {s.value for s in sels if kind is None or s.kind == kind}


def shares(kind, a, b):
    return bool(keys(*a, kind=kind) & keys(*b, kind=kind))


@pytest.mark.parametrize("a, b", [
    (("GUZMAN LOERA, Joaquin Archivaldo",), ("Joaquín Archivaldo Guzmán Loera",)),
    (("Guzmán Loera, Joaquín Archivaldo",), (None, "Joaquin Archivaldo", "Guzman Loera")),
    (("joaquin archivaldo guzman loera",), ("JOAQUÍN  ARCHIVALDO\tGUZMÁN LOERA",)),
    (("María de la Luz Pérez y Gómez",), ("Maria Luz Perez Gomez",)),
    (("Juan de los Santos del Río",), ("Juan Santos Rio",)),
    (("Pérez-Gómez, Ana",), ("Ana Pérez Gómez",)),
    (("Ma. Guadalupe Hdez. Mtz.",), ("María Guadalupe Hernández Martínez",)),
    (("Ｊｏａｑｕｉｎ Guzmán",), ("Joaquin Guzman",)),
    (("Joaqu\u200bin Guzmаn",), ("Joaquin Guzman",)),     # zero width + Cyrillic а
])
def test_same_person_same_sorted_key(a, b):
    assert shares("person-name-dob", a, b)


@pytest.mark.parametrize("a, b", [
    (("Joaquín Archivaldo Guzmán Loera",), ("Joaquin Guzman",)),
    (("GUZMAN LOERA, Joaquin Archivaldo",), ("Joaquín Guzmán Loera",)),
    ((None, "Joaquín Archivaldo", "Guzmán Loera"), ("Joaquin Guzman",)),
    ((None, "John", "Kennedy"), ("John Fitzgerald Kennedy",)),
])
def test_partial_names_meet_on_short_key(a, b):
    assert shares("person-short-dob", a, b)
    assert not shares("person-name-dob", a, b)


@pytest.mark.parametrize("a, b", [
    (("Joaquín Guzmán",), ("Joakin Gusman",)),
    (("Javier Vázquez",), ("Xavier Basquez",)),
    (("GUZMAN LOERA, Joaquin Archivaldo",), ("Joakin Gusman Loera",)),
])
def test_spelling_variants_meet_on_phonetic_key(a, b):
    assert shares("person-phonetic-dob", a, b)
    assert not shares("person-short-dob", a, b)


def test_different_people_or_dates_do_not_meet():
    assert not keys("Joaquín Guzmán") & keys("Joaquín Guzmán", dob="1957-04-05")
    assert not keys("Joaquín Guzmán") & keys("Ismael Zambada")


def test_key_values():
    sels = person_selectors([("GUZMAN LOERA, Joaquin Archivaldo", None, None)], DOB)
    assert [(s.kind, s.value) for s in sels] == [
        ("person-name-dob", "1957-04-04|archivaldo guzman joaquin loera"),
        ("person-short-dob", "1957-04-04|joaquin guzman"),
        ("person-phonetic-dob", "1957-04-04|JOAKIN GUSMAN"),
    ]


def test_unstructured_three_words_give_both_readings():
    assert keys("Juan Carlos Pérez", kind="person-short-dob") == {
        "1957-04-04|juan carlos", "1957-04-04|juan perez"}


def test_parse_name_forms():
    assert parse_name("Guzmán Loera, Joaquín") == [(["joaquin"], ["guzman", "loera"])]
    assert parse_name(None, "Joaquín", "Guzmán") == [(["joaquin"], ["guzman"])]
    assert parse_name("Cher") == [([], ["cher"])]
    assert parse_name("") == []
    assert parse_name(",") == [([], [])]


def test_no_dob_no_keys_and_bad_dob_flagged():
    assert person_selectors([("Joaquin Guzman", None, None)], None) == []
    for bad in ("04/04/1957", "1957-13-01", "2999-01-01", "1800-01-01", "x" * 1000, 1957):
        sels = person_selectors([("Joaquin Guzman", None, None)], bad)
        assert len(sels) == 1 and not sels[0].valid and sels[0].reason


def test_dob_accepts_dates():
    assert person_selectors([("Ana Ruiz", None, None)], dt.date(1990, 1, 2))[0].value.startswith("1990-01-02|")
    assert parse_dob("1990-01-02") == dt.date(1990, 1, 2)


@pytest.mark.parametrize("hostile", [
    "", "   ", ",,,", "'; DROP TABLE persons; --", "<script>alert(1)</script>", "\x00\x01\x02",
    "\u202e\u200b\u200d", "🙂🙂🙂", "de la y del", "名前 山田", "\ud800 Juan", "Ｊｕａｎ" * 50,
])
def test_hostile_names_do_not_crash(hostile):
    for sel in person_selectors([(hostile, None, None)], DOB):
        assert sel.valid and sel.value.startswith(DOB + "|") and len(sel.value) > len(DOB) + 1


def test_very_long_name_is_refused():
    sels = person_selectors([("Juan " * 500, None, None)], DOB)
    assert len(sels) == 1 and not sels[0].valid and "longer" in sels[0].reason


def test_aliases_add_keys():
    sels = person_selectors([("Joaquín Archivaldo Guzmán Loera", None, None), ("El Chapo", None, None)], DOB)
    assert "1957-04-04|chapo el" in {s.value for s in sels}

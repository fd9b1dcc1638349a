"""Folding and the Spanish phonetic code."""

import pytest

from vinculo.deconfliction.phonetic import spanish_phonetic
from vinculo.deconfliction.text import fold, words


@pytest.mark.parametrize("raw, expected", [
    ("Joaquín  Guzmán", "joaquin guzman"),
    ("ＧＵＺＭＡＮ", "guzman"),                       # full width
    ("Gu\u200bzm\u200dán", "guzman"),                 # zero-width space and joiner
    ("Guz\u00adman", "guzman"),                       # soft hyphen
    ("\u202eGuzman\u202c", "guzman"),                 # bidi override
    ("Guzmаn", "guzman"),                             # Cyrillic а inside a Latin word
    ("Joaquin Гуzman", "joaquin гyzman"),             # only look-alikes are mapped
    ("Иван Иванов", "иван иванов"),                   # a wholly Cyrillic name is kept
    ("Straße", "strasse"),
    ("PEÑA\tNIETO\n", "pena nieto"),
    ("", ""),
    ("   ", ""),
])
def test_fold(raw, expected):
    assert fold(raw) == expected


def test_words_split_and_apostrophes():
    assert words("O'Brien-Pérez, Ana") == ["obrien", "perez", "ana"]
    assert words("D\u2019Amico") == ["damico"]
    assert words("'; DROP TABLE persons; --") == ["drop", "table", "persons"]


@pytest.mark.parametrize("a, b", [
    ("guzman", "gusman"), ("joaquin", "joakin"), ("vazquez", "basques"), ("velazquez", "belasques"),
    ("jimenez", "ximenez"), ("gimenez", "jimenez"), ("javier", "xavier"), ("ceballos", "zeballos"),
    ("cevallos", "seballos"), ("rodriguez", "rodrigues"), ("hernandez", "ernandes"),
    ("ibarra", "ybarra"), ("yanez", "yanes"), ("gonzalez", "gonsales"), ("carrillo", "cariyo"),
    ("philip", "filip"), ("quintero", "kintero"), ("garay", "garai"),
])
def test_phonetic_equivalences(a, b):
    assert spanish_phonetic(a) == spanish_phonetic(b)


@pytest.mark.parametrize("a, b", [
    ("garcia", "garza"), ("lopez", "loera"), ("mario", "maria"), ("chapo", "sapo"),
])
def test_phonetic_keeps_different_names_apart(a, b):
    assert spanish_phonetic(a) != spanish_phonetic(b)


def test_phonetic_values():
    assert spanish_phonetic("guzman") == "GUSMAN"
    assert spanish_phonetic("joaquin") == "JOAKIN"
    assert spanish_phonetic("guillermo") == "GIYERMO"
    assert spanish_phonetic("chavez") == "XABES"


def test_phonetic_other_scripts_unchanged():
    assert spanish_phonetic("иван") == "иван"
    assert spanish_phonetic("王") == "王"
    assert spanish_phonetic("") == ""

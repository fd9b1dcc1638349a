"""UNODC IDS adapter: aggregation against an independent read of the zipped CSV, bad input."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter, defaultdict

import pytest
from stats_data import UNODC_ZIP

from vinculo.stats import StatsFormatError
from vinculo.stats.unodc import parse_unodc

HEADER = (
    "REGION;SUBREGION;COUNTRY;ADMINISTRATIVE_DIVISION;PLACE;SEIZURE_DATE;DRUG_NAME;AMOUNT;DRUG_UNIT;"
    "HIDING_PLACE;INSTALLATION;TRANSPORT;PRODUCING_COUNTRY;DEPARTURE_COUNTRY;DESTINATION_COUNTRY;ROUTING\n"
)
GOOD = "Americas;North America;Mexico;;Tonala/Chiapas;2011-07-17;Cocaine;931.4485;Kilogram;;;;;;;\n"


@pytest.fixture(scope="module")
def rows():
    with zipfile.ZipFile(UNODC_ZIP) as archive, archive.open("drug-trafficking-unodc.csv") as raw:
        return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline=""), delimiter=";"))


@pytest.fixture(scope="module")
def points():
    return list(parse_unodc(UNODC_ZIP))


def test_seizure_counts(points, rows):
    assert len(rows) == 311_038
    seizures = [p for p in points if p.series == "seizures"]
    assert sum(p.value for p in seizures) == 311_038
    expected = Counter((r["COUNTRY"], r["DRUG_NAME"], r["SEIZURE_DATE"][:7]) for r in rows)
    got = {(p.dims["country"], p.dims["drug"], p.period): p.value for p in seizures}
    assert got == expected
    assert len(got) == 10_494


def test_amounts_per_unit(points, rows):
    expected: dict[tuple, float] = defaultdict(float)
    counts: Counter[tuple] = Counter()
    for r in rows:
        if r["AMOUNT"]:
            key = (r["COUNTRY"], r["DRUG_NAME"], r["SEIZURE_DATE"][:7], r["DRUG_UNIT"] or "unspecified")
            expected[key] += float(r["AMOUNT"])
            counts[key] += 1
    amounts = [p for p in points if p.series == "amount"]
    got = {(p.dims["country"], p.dims["drug"], p.period, p.unit): p.value for p in amounts}
    assert got == expected  # summed in file order on both sides: bit-for-bit equal
    assert {
        (p.dims["country"], p.dims["drug"], p.period, p.unit): p.attrs["seizures"] for p in amounts
    } == counts
    assert all(p.dims["unit"] == p.unit for p in amounts)
    assert len({p.unit for p in amounts}) == 44  # incl. 'unspecified' for the 21 rows with no unit


def test_mexico(points):
    mx = [p for p in points if p.dims["country"] == "Mexico"]
    assert sum(p.value for p in mx if p.series == "seizures") == 112
    assert {p.period[:4] for p in mx} == {"2011", "2012", "2013", "2014"}
    kilos: dict[str, float] = defaultdict(float)
    for p in mx:
        if p.series == "amount" and p.unit == "Kilogram":
            kilos[p.dims["drug"]] += p.value
    assert round(kilos["Methamphetamine"], 2) == 44_807.77
    assert round(kilos["Cocaine"], 2) == 7_176.18
    assert round(kilos["Heroin"], 2) == 429.69


def test_missing_amount_is_counted_not_summed(points):
    swiss = [
        p
        for p in points
        if p.dims["country"] == "Switzerland" and p.dims["drug"] == "Hallucinogens" and p.period == "2016-04"
    ]
    assert [p.series for p in swiss] == ["seizures"]
    assert swiss[0].attrs == {"missing_amount": 1}


def test_plain_csv_and_embedded_newline(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text(
        HEADER + GOOD + 'Europe;Southeast Europe;Bulgaria;;"Kapitan Andreevo\nBCP";2012-01-21;'
        "Heroin;3.05;Kilogram;;;;;;;\n" + GOOD.replace("931.4485", "1e-05"),
        encoding="utf-8",
    )
    points = list(parse_unodc(path))
    assert [(p.series, p.dims["country"], p.value) for p in points] == [
        ("seizures", "Mexico", 2.0),
        ("amount", "Mexico", 931.4485 + 1e-05),
        ("seizures", "Bulgaria", 1.0),
        ("amount", "Bulgaria", 3.05),
    ]


def _write(tmp_path, body: str, name: str = "ids.csv"):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_truncated_row_line_counts_embedded_newlines(tmp_path):
    multi = 'Europe;Southeast Europe;Bulgaria;;"A\nB";2012-01-21;Heroin;3.05;Kilogram;;;;;;;\n'
    path = _write(tmp_path, HEADER + multi + "Americas;North America;Mexico;;X;2011-07-17;Cocaine\n")
    with pytest.raises(StatsFormatError) as info:
        list(parse_unodc(path))
    assert str(info.value) == f"{path}:4: AMOUNT: truncated row: 7 of 16 fields"


def test_non_numeric_amount(tmp_path):
    path = _write(tmp_path, HEADER + GOOD + GOOD.replace("931.4485", "931,4485"))
    with pytest.raises(StatsFormatError, match=r"ids.csv:3: AMOUNT: not a number: '931,4485'$"):
        list(parse_unodc(path))


def test_bad_date(tmp_path):
    path = _write(tmp_path, HEADER + GOOD.replace("2011-07-17", "2011-02-30"))
    with pytest.raises(
        StatsFormatError, match=r":2: SEIZURE_DATE: expected a YYYY-MM-DD date, got '2011-02-30'"
    ):
        list(parse_unodc(path))


def test_missing_column_inside_zip(tmp_path):
    path = tmp_path / "ids.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("inner.csv", HEADER.replace(";DRUG_UNIT;", ";UNIT;") + GOOD)
    with pytest.raises(StatsFormatError) as info:
        list(parse_unodc(path))
    assert str(info.value) == f"{path}!inner.csv:1: DRUG_UNIT: missing column"


def test_comma_separated_file_is_rejected(tmp_path):
    path = _write(tmp_path, HEADER.replace(";", ",") + GOOD.replace(";", ","))
    with pytest.raises(StatsFormatError, match=r":1: REGION: missing column"):
        list(parse_unodc(path))


def test_zip_without_single_csv(tmp_path):
    path = tmp_path / "empty.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "nothing")
    with pytest.raises(
        StatsFormatError, match=r"empty.zip:0: \(zip\): expected exactly one .csv member, found 0"
    ):
        list(parse_unodc(path))

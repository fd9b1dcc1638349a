"""CDC VSRR adapter: known values, totals, footnotes/predicted kept, bad input."""

from __future__ import annotations

import math

import pytest
from stats_data import CDC_FILE, read_dicts, write_head

from vinculo.stats import StatsFormatError
from vinculo.stats.cdc_vsrr import parse_cdc_vsrr

DRUG_DEATHS = "Number of Drug Overdose Deaths"
FENTANYL = "Synthetic opioids, excl. methadone (T40.4)"


@pytest.fixture(scope="module")
def points():
    return list(parse_cdc_vsrr(CDC_FILE))


@pytest.fixture(scope="module")
def index(points):
    return {(p.dims["state"], p.period, p.dims["indicator"]): p for p in points}


def test_counts_and_totals(points):
    rows = read_dicts(CDC_FILE)
    assert len(points) == len(rows) == 13_912
    assert math.fsum(p.value for p in points) == math.fsum(float(r["Data Value"]) for r in rows)
    predicted = [r for r in rows if r["Predicted Value"]]
    assert len(predicted) == 10_528
    assert sum(1 for p in points if "predicted" in p.attrs) == 10_528
    assert math.fsum(p.attrs["predicted"] for p in points if "predicted" in p.attrs) == math.fsum(
        float(r["Predicted Value"]) for r in predicted
    )


@pytest.mark.parametrize(
    "state, period, indicator, value, predicted",
    [
        ("US", "2018-11", DRUG_DEATHS, 66_986, 69_096),  # last 12-month period in this vintage
        ("US", "2017-12", DRUG_DEATHS, 70_699, 72_224),
        ("US", "2015-01", DRUG_DEATHS, 47_523, 48_549),
        ("US", "2017-12", FENTANYL, 28_659, 29_461),
        ("US", "2018-11", FENTANYL, 30_947, 32_159),
        ("WV", "2017-12", DRUG_DEATHS, 997, 1_048),
        ("YC", "2017-12", DRUG_DEATHS, 1_493, 1_505),  # New York City, reported apart from NY
        ("AK", "2015-01", "Number of Deaths", 4_034, None),  # all causes, no prediction
    ],
)
def test_known_values(index, state, period, indicator, value, predicted):
    point = index[(state, period, indicator)]
    assert point.value == value
    assert point.unit == "deaths"
    assert point.attrs.get("predicted") == predicted


def test_percent_indicator_and_footnotes(index):
    pct = index[("US", "2017-12", "Percent with drugs specified")]
    assert pct.unit == "percent" and pct.value == 87.6023706134457
    old = index[("US", "2017-12", DRUG_DEATHS)]
    assert old.attrs["footnote_symbol"] == "**"
    assert old.attrs["footnote"].startswith("Numbers may differ from published reports")
    recent = index[("US", "2018-09", DRUG_DEATHS)]
    assert recent.attrs["footnote"] == "Underreported due to incomplete data."
    assert recent.attrs["footnote_symbol"] == "*"
    assert recent.attrs["percent_complete"] == "99.5+"


def test_periods_and_jurisdictions(points):
    periods = sorted({p.period for p in points})
    assert (periods[0], periods[-1], len(periods)) == ("2015-01", "2018-11", 47)
    assert len({p.dims["state"] for p in points}) == 53
    assert len({p.dims["indicator"] for p in points}) == 12


# --- bad input and tolerated variants --------------------------------------------------------------


def _replace(index: int, old: str, new: str):
    def edit(lines: list[str]) -> list[str]:
        assert old in lines[index]
        lines[index] = lines[index].replace(old, new, 1)
        return lines

    return edit


def test_truncated_row(tmp_path):
    path = write_head(
        tmp_path, CDC_FILE, edit=lambda ls: ls[:2] + ["AK,2015,February,12 month-ending,Number of Deaths\n"]
    )
    with pytest.raises(StatsFormatError) as info:
        list(parse_cdc_vsrr(path))
    assert str(info.value) == f"{path}:3: Data Value: truncated row: 5 of 12 fields"


def test_non_numeric_value(tmp_path):
    path = write_head(tmp_path, CDC_FILE, edit=_replace(3, ",4101,", ",4,1O1,"))
    with pytest.raises(StatsFormatError):
        list(parse_cdc_vsrr(path))  # extra comma: too many fields
    path = write_head(tmp_path, CDC_FILE, edit=_replace(3, ",4101,", ",41O1,"))
    with pytest.raises(StatsFormatError) as info:
        list(parse_cdc_vsrr(path))
    assert str(info.value) == f"{path}:4: Data Value: not a number: '41O1'"


def test_missing_column(tmp_path):
    path = write_head(tmp_path, CDC_FILE, edit=_replace(0, ",Indicator,", ",Indic,"))
    with pytest.raises(StatsFormatError, match=r":1: Indicator: missing column$"):
        list(parse_cdc_vsrr(path))


def test_bad_month_and_period(tmp_path):
    path = write_head(tmp_path, CDC_FILE, edit=_replace(2, "February", "Febuary"))
    with pytest.raises(StatsFormatError, match=r":3: Month: unknown month 'Febuary'"):
        list(parse_cdc_vsrr(path))
    path = write_head(tmp_path, CDC_FILE, edit=_replace(1, "12 month-ending", "monthly"))
    with pytest.raises(StatsFormatError, match=r":2: Period: expected '12 month-ending'"):
        list(parse_cdc_vsrr(path))


def test_suppressed_value_skipped_and_thousands_separator_accepted(tmp_path):
    path = write_head(
        tmp_path,
        CDC_FILE,
        edit=lambda ls: _replace(2, ",4084,", ",,")(_replace(1, ",4034,", ',"4,034",')(ls)),
    )
    points = list(parse_cdc_vsrr(path))
    assert [(p.period, p.value) for p in points] == [("2015-01", 4034.0), ("2015-03", 4101.0)]

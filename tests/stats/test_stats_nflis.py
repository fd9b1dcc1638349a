"""NFLIS adapter: report totals against an independent csv read, periods, bad input."""

from __future__ import annotations

from collections import Counter

import pytest
from stats_data import NFLIS_FILE, read_dicts, write_head

from vinculo.stats import StatsFormatError
from vinculo.stats.nflis import parse_nflis


@pytest.fixture(scope="module")
def points():
    return list(parse_nflis(NFLIS_FILE))


@pytest.fixture(scope="module")
def rows():
    return read_dicts(NFLIS_FILE)


def test_total_drug_reports(points, rows):
    expected = sum(int(r["DRUG_REPORTS"]) for r in rows)
    assert expected == 1_445_952
    assert len(points) == len(rows) == 8923
    assert sum(p.value for p in points) == expected
    assert {(p.series, p.unit) for p in points} == {("drug_reports", "reports")}


def test_totals_per_half_year(points, rows):
    expected: Counter[str] = Counter()
    for r in rows:
        expected[f"{r['YYYY']}-H{r['PERIOD'][2]}"] += int(r["DRUG_REPORTS"])
    got: Counter[str] = Counter()
    for p in points:
        got[p.period] += int(p.value)
    assert got == expected
    assert len(got) == 18  # 2017-H1 .. 2025-H2
    assert got["2017-H1"] == 40_356
    assert got["2023-H1"] == 119_341  # peak half-year
    assert got["2025-H2"] == 57_180  # incomplete: lab lag, queried 2026-03-03


def test_known_cells(points):
    by_key = {(p.period, p.dims["substance_id"], p.dims["state"]): p.value for p in points}
    assert by_key[("2019-H2", "1504", "PA")] == 4514  # first sample row in the shared README
    assert by_key[("2021-H1", "3965", "FL")] == 178
    assert by_key[("2025-H1", "1504", "NH")] == 589
    fentanyl_2019_h2 = sum(
        p.value for p in points if p.period == "2019-H2" and p.dims["substance_id"] == "1504"
    )
    assert fentanyl_2019_h2 == 48_713
    pa_2019_h2 = sum(p.value for p in points if p.period == "2019-H2" and p.dims["state"] == "PA")
    assert pa_2019_h2 == 5_475


def test_dimensions(points):
    assert len({p.dims["substance_id"] for p in points}) == 182
    assert len({p.dims["state"] for p in points}) == 55
    unknown = {p.dims["state_fips"] for p in points if p.dims["state"] == "XX"}
    assert unknown == {""}
    assert {p.dims["base"] for p in points if p.dims["base"].startswith("1-Boc-4-(4-fl")} == {
        "1-Boc-4-(4-fluoroanilino)piperidine"  # trailing space in the source is stripped
    }
    assert {p.attrs["query_run_date"] for p in points} == {"2026-03-03 13:26:55"}
    keys = Counter((p.period, p.dims["substance_id"], p.dims["state"]) for p in points)
    assert max(keys.values()) == 1


# --- bad input -------------------------------------------------------------------------------------


def _replace(index: int, old: str, new: str):
    def edit(lines: list[str]) -> list[str]:
        assert old in lines[index]
        lines[index] = lines[index].replace(old, new, 1)
        return lines

    return edit


def test_truncated_row(tmp_path):
    path = write_head(
        tmp_path, NFLIS_FILE, edit=lambda ls: ls[:2] + [ls[2].split(',"FL"')[0] + "\n"] + ls[3:]
    )
    with pytest.raises(StatsFormatError) as info:
        list(parse_nflis(path))
    assert str(info.value) == f"{path}:3: STATE: truncated row: 12 of 15 fields"


def test_unterminated_quote_at_end_of_file(tmp_path):
    path = write_head(tmp_path, NFLIS_FILE, edit=lambda ls: ls[:3] + [ls[3][:60]])
    with pytest.raises(StatsFormatError, match=r":4: \(csv\): unexpected end of data"):
        list(parse_nflis(path))


def test_non_numeric_reports(tmp_path):
    path = write_head(tmp_path, NFLIS_FILE, edit=_replace(2, '"178"', '"1 78"'))
    with pytest.raises(StatsFormatError, match=r":3: DRUG_REPORTS: not a non-negative integer: '1 78'$"):
        list(parse_nflis(path))


def test_missing_column(tmp_path):
    path = write_head(tmp_path, NFLIS_FILE, edit=_replace(0, "DRUG_REPORTS,", "REPORTS,"))
    with pytest.raises(StatsFormatError) as info:
        list(parse_nflis(path))
    assert str(info.value) == f"{path}:1: DRUG_REPORTS: missing column"


def test_bad_period_and_aggregation(tmp_path):
    path = write_head(tmp_path, NFLIS_FILE, edit=_replace(1, "SA2 (JUL - DEC)", "Q3"))
    with pytest.raises(
        StatsFormatError, match=r":2: PERIOD: expected 'SA1 \(...\)' or 'SA2 \(...\)', got 'Q3'"
    ):
        list(parse_nflis(path))
    path = write_head(tmp_path, NFLIS_FILE, edit=_replace(3, '"DrugReport  "', '"Case"'))
    with pytest.raises(StatsFormatError, match=r":4: RPTAGGR: unsupported aggregation 'Case'"):
        list(parse_nflis(path))

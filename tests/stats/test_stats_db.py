"""Public statistics in the database: totals equal totals computed independently from the raw files."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
import zipfile
from collections import Counter, defaultdict
from decimal import Decimal

import httpx
import pytest
from servers import serving
from stats_data import CBP_FILE, CDC_FILE, NFLIS_FILE, UNODC_ZIP, read_dicts, write_head

from vinculo.accounts import service as accounts
from vinculo.stats import service as stats
from vinculo.stats.series import StatsFormatError


def points(node, **query):
    return stats.query_points(node, stats.SeriesQuery(**query))


def test_cbp_every_row_and_totals_match_the_file(node, analyst):
    result = stats.import_file(node, analyst, "cbp", CBP_FILE)
    raw = read_dicts(CBP_FILE)
    assert result.points == 3 * len(raw) and result.inserted == result.points
    events_by_fy: Counter[str] = Counter()
    for row in raw:
        events_by_fy[row["FY"].split()[0]] += int(row["Count of Event"])
    stored: Counter[str] = Counter()
    for p in points(node, source="cbp", series="events"):
        stored[p["dims"]["fiscal_year"]] += int(p["value"])
    assert stored == events_by_fy
    # pounds: every stored value is the published number, so the exact decimal sums agree
    raw_lb = sum(Decimal(r["Sum Qty (lbs)"]) for r in raw if r["Drug Type"] == "Fentanyl")
    db_lb = math.fsum(p["value"] for p in points(node, source="cbp", series="weight_lb", dims={"drug": "Fentanyl"}))
    assert db_lb == pytest.approx(float(raw_lb), rel=1e-12)
    by_period = points(node, source="cbp", series="events", dims={"drug": "Fentanyl"}, group_by=(),
                       period_from="2024-01", period_to="2024-12")
    expected = Counter()
    months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    for r in raw:
        fy, month = int(r["FY"].split()[0]), months.index(r["Month (abbv)"].upper()) + 1
        year = fy - 1 if month >= 10 else fy
        if r["Drug Type"] == "Fentanyl" and year == 2024:
            expected[f"{year}-{month:02d}"] += int(r["Count of Event"])
    assert {p["period"]: int(p["value"]) for p in by_period} == dict(expected)


def test_nflis_cdc_unodc_totals(node, analyst):
    for source, path in (("nflis", NFLIS_FILE), ("cdc", CDC_FILE), ("unodc", UNODC_ZIP)):
        stats.import_file(node, analyst, source, path)
    nflis = read_dicts(NFLIS_FILE)
    assert sum(int(p["value"]) for p in points(node, source="nflis")) == sum(int(r["DRUG_REPORTS"]) for r in nflis)
    cdc = [r for r in read_dicts(CDC_FILE) if r["Data Value"].strip()]
    want = defaultdict(float)
    for r in cdc:
        if r["Indicator"] == "Number of Drug Overdose Deaths":
            want[r["State"]] += float(r["Data Value"].replace(",", ""))
    got = defaultdict(float)
    for p in points(node, source="cdc", dims={"indicator": "Number of Drug Overdose Deaths"}):
        got[p["dims"]["state"]] += p["value"]
    assert dict(got) == pytest.approx(dict(want), rel=1e-12) and len(got) == len(want)
    with zipfile.ZipFile(UNODC_ZIP) as z:
        name = [m for m in z.namelist() if m.endswith(".csv")][0]
        rows = list(csv.DictReader(io.TextIOWrapper(z.open(name), encoding="utf-8-sig"), delimiter=";"))
    assert sum(int(p["value"]) for p in points(node, source="unodc", series="seizures")) == len(rows)
    mx = sum(1 for r in rows if r["COUNTRY"].strip() == "Mexico")
    assert sum(int(p["value"]) for p in points(node, source="unodc", series="seizures", dims={"country": "Mexico"})) == mx
    catalogue = {(c["source"], c["series"], c["unit"]): c["points"] for c in stats.catalogue(node)}
    assert catalogue[("nflis", "drug_reports", "reports")] == len(nflis)


def test_reimport_does_not_duplicate_and_bad_file_writes_nothing(node, analyst, tmp_path):
    first = stats.import_file(node, analyst, "cbp", CBP_FILE)
    again = stats.import_file(node, analyst, "cbp", CBP_FILE)
    assert again.inserted == 0 and again.updated == first.points
    assert sum(c["points"] for c in stats.catalogue(node)) == first.points

    bad = write_head(tmp_path, NFLIS_FILE, n=50, edit=lambda ls: ls[:-1] + [ls[-1].replace("DrugReport", "Other")])
    with pytest.raises(StatsFormatError, match=r":51: RPTAGGR"):
        stats.import_file(node, analyst, "nflis", bad)
    assert not points(node, source="nflis")
    assert len(stats.imports(node)) == 2
    with pytest.raises(stats.StatsQueryError, match="unknown statistics source"):
        stats.import_file(node, analyst, "dea-labs", CBP_FILE)


def test_cli_import_and_series_csv_and_api(node, analyst, home, db_url, tmp_path):
    env = os.environ | {"VINCULO_HOME": str(home.path), "VINCULO_DATABASE_URL": db_url}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "vinculo.cli.main", *args], capture_output=True, text=True,
                              env=env, timeout=300)

    sample = write_head(tmp_path, CBP_FILE, n=40)
    out = run("stats", "import", "cbp", str(sample))
    assert out.returncode == 0 and "120 points (120 new, 0 updated)" in out.stdout
    series = run("stats", "series", "cbp", "events", "--format", "csv")
    table = list(csv.DictReader(io.StringIO(series.stdout)))
    raw = read_dicts(sample)
    assert len(table) == 40 and sum(float(r["value"]) for r in table) == sum(int(r["Count of Event"]) for r in raw)
    missing = run("stats", "import", "cbp", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    broken = run("stats", "import", "nflis", str(CBP_FILE))
    assert broken.returncode == 2 and "missing column" in broken.stderr

    accounts.add_user(node, "ana", "analyst", "analyst-password-1")
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as api:
        token = api.post("/api/v1/auth/login", json={"username": "ana", "password": "analyst-password-1"}).json()
        h = {"Authorization": f"Bearer {token['token']}"}
        got = api.get("/api/v1/stats/series", params={"source": "cbp", "series": "events", "by": ""}, headers=h)
        assert got.status_code == 200
        assert sum(p["value"] for p in got.json()["points"]) == sum(int(r["Count of Event"]) for r in raw)
        bad = api.get("/api/v1/stats/series", params={"source": "nope"}, headers=h)
        assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
        up = api.post("/api/v1/stats/import/nflis", files={"file": ("n.csv", write_head(tmp_path, NFLIS_FILE, 5)
                                                                     .read_bytes())}, headers=h)
        assert up.status_code == 201 and up.json()["inserted"] == 5
        assert json.loads(api.get("/api/v1/stats", headers=h).text)["series"]

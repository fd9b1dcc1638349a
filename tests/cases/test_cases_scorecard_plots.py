"""Scorecard trends (month by month) and their PNG/SVG plots: the plotted numbers are the scorecard's."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import httpx
from servers import serving
from test_cases_scorecard import ANSWER, C1, C2, C3, C4, C5, P2025, PSI, SHARED, TODAY

from vinculo.accounts import service as accounts
from vinculo.cases import plots
from vinculo.cases import service as cases
from vinculo.cases.scorecard import compute

PNG = b"\x89PNG\r\n\x1a\n"
CARD = compute("us-dea", "mx-fgr", P2025, SHARED, [C1, C2, C3, C4, C5], [ANSWER], PSI, TODAY)


def test_trends_by_hand_and_adding_up_to_the_figures():
    t = CARD["trends"]
    assert t["months"] == [f"2025-{m:02d}" for m in range(1, 13)]
    assert t["out"]["shared"] == [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0]  # seizure in March, person in May
    assert t["in"]["shared"] == [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    assert t["out"]["requests"]["answered"] == [1, 0, 1] + [0] * 9  # C1 in January, C2 in March
    # C1 arrested on 10 Jan: the 60-day clock for the formal request runs out in March
    assert t["out"]["requests"]["overdue"] == [0, 0] + [1] * 10
    assert t["in"]["requests"]["overdue"] == [0] * 10 + [1, 1]  # C4, opened 1 Nov, never answered
    assert t["out"]["extradition"]["open_by_stage"] == {"arrested": [1] * 12,
                                                        "surrender_ordered": [1] + [0] * 11}
    for side in ("out", "in"):
        fig = CARD[side]
        assert sum(t[side]["shared"]) == fig["shared"]["records"]
        assert sum(t[side]["requests"]["answered"]) == fig["requests"]["answered"]
        assert t[side]["requests"]["overdue"][-1] == fig["requests"]["overdue"]
        last = {s: v[-1] for s, v in t[side]["extradition"]["open_by_stage"].items() if v[-1]}
        assert last == fig["extradition"]["open_by_stage"]
        assert t[side]["extradition"]["open_total"][-1] == fig["extradition"]["open_total"]


def test_months_after_as_of_are_not_known_yet():
    card = compute("us-dea", "mx-fgr", P2025, SHARED, [C1, C2, C3, C4, C5], [ANSWER], PSI,
                   TODAY.replace(year=2025, month=6, day=15))
    t = card["trends"]["out"]
    assert t["requests"]["overdue"][5] == card["out"]["requests"]["overdue"] and t["requests"]["overdue"][6:] == [
        None] * 6
    assert t["extradition"]["open_total"][6:] == [None] * 6
    ax = plots.figure(card, "requests").axes[0]
    assert list(ax.lines[0].get_xdata()) == list(range(6))  # the line stops at as_of


def _bars(ax, gid: str) -> list[float]:
    """Heights of the bars named ``<gid>:<month>``, in month order."""
    return [p.get_height() for p in ax.patches if (p.get_gid() or "").startswith(gid + ":")]


def test_plotted_numbers_are_the_scorecards():
    t = CARD["trends"]
    shared = plots.figure(CARD, "shared").axes
    assert _bars(shared[0], "out-shared") == t["out"]["shared"]
    assert _bars(shared[1], "in-shared") == t["in"]["shared"]
    assert sum(_bars(shared[0], "out-shared")) == CARD["out"]["shared"]["records"]
    requests = plots.figure(CARD, "requests").axes
    for ax, side in zip(requests, ("out", "in")):
        assert _bars(ax, f"{side}-answered") == t[side]["requests"]["answered"]
        line = next(x for x in ax.lines if x.get_gid() == f"{side}-overdue")
        assert list(line.get_ydata()) == t[side]["requests"]["overdue"]
        assert line.get_ydata()[-1] == CARD[side]["requests"]["overdue"]
    pipeline = plots.figure(CARD, "extradition").axes[0]
    assert _bars(pipeline, "out-arrested") == t["out"]["extradition"]["open_by_stage"]["arrested"]
    assert _bars(pipeline, "out-surrender_ordered") == [1] + [0] * 11
    stacked = [sum(h) for h in zip(_bars(pipeline, "out-arrested"), _bars(pipeline, "out-surrender_ordered"))]
    assert stacked == t["out"]["extradition"]["open_total"] and stacked[-1] == CARD["out"]["extradition"]["open_total"]


def test_png_and_svg_are_valid(tmp_path):
    for chart in plots.CHARTS:
        assert plots.render(CARD, chart, "png").startswith(PNG)
        root = ET.fromstring(plots.render(CARD, chart, "svg"))
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    ids = [e.get("id") for e in ET.fromstring(plots.render(CARD, "requests", "svg")).iter() if e.get("id")]
    assert {"out-answered:2025-01", "out-overdue", "in-answered:2025-12", "in-overdue"} <= set(ids)
    assert len(ids) == len(set(ids))
    written = plots.write_all(CARD, tmp_path / "p")
    assert sorted(p.name for p in written) == sorted(f"scorecard-{c}.{f}" for c in plots.CHARTS for f in ("png", "svg"))
    for bad in (("nope", "png"), ("shared", "gif")):
        try:
            plots.render(CARD, *bad)
        except ValueError as exc:
            assert bad[0] in str(exc) or bad[1] in str(exc)
        else:
            raise AssertionError(bad)


def test_cli_plots_and_api(node, analyst, home, db_url, tmp_path):
    cases.open_case(node, analyst, {"kind": "information_request", "date": "2025-05-01", "requesting_country": "MX",
                                    "requested_country": "US", "requesting_node": "mx-fgr"})
    env = os.environ | {"VINCULO_HOME": str(home.path), "VINCULO_DATABASE_URL": db_url}
    cmd = [sys.executable, "-m", "vinculo.cli.main", "scorecard", "--partner", "mx-fgr", "--period", "2025",
           "--today", "2026-01-15", "--plots"]
    out = subprocess.run([*cmd, str(tmp_path / "plots")], check=False, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "plots" / "scorecard-requests.png").read_bytes().startswith(PNG)
    ET.parse(tmp_path / "plots" / "scorecard-extradition.svg")
    assert len(list((tmp_path / "plots").iterdir())) == 6
    (tmp_path / "file").write_text("x")
    bad = subprocess.run([*cmd, str(tmp_path / "file")], check=False, capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "--plots" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1

    accounts.add_user(node, "ana", "analyst", "analyst-password-1")
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as api:
        token = api.post("/api/v1/auth/login", json={"username": "ana", "password": "analyst-password-1"}).json()
        h = {"Authorization": f"Bearer {token['token']}"}
        q = {"partner": "mx-fgr", "period": "2025", "today": "2026-01-15", "chart": "requests"}
        svg = api.get("/api/v1/scorecard/plot.svg", params=q, headers=h)
        assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
        line = next(e for e in ET.fromstring(svg.content).iter() if e.get("id") == "in-overdue")
        assert line is not None
        png = api.get("/api/v1/scorecard/plot.png", params=q, headers=h)
        assert png.status_code == 200 and png.content.startswith(PNG)
        card = api.get("/api/v1/scorecard", params=q, headers=h).json()
        assert card["trends"]["in"]["requests"]["overdue"][-1] == card["in"]["requests"]["overdue"] == 1
        wrong = api.get("/api/v1/scorecard/plot.svg", params=q | {"chart": "pie"}, headers=h)
        assert wrong.status_code == 400 and wrong.headers["content-type"] == "application/problem+json"
        assert api.get("/api/v1/scorecard/plot.gif", params=q, headers=h).status_code in (404, 422)
        assert api.get("/api/v1/scorecard/plot.svg", params=q).status_code == 401

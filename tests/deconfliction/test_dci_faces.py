"""The faces of deconfliction: /api/v1/alerts, /api/v1/psi/runs, notices and selectors over HTTP, and
`vinculo alerts|selectors|psi` as a user runs them (real servers, real subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from conftest import actor
from fed_helpers import pair

from vinculo.accounts import service as accounts
from vinculo.records import service

TERMS = {"record_types": ["phone", "vehicle"], "max_tlp": "amber", "start": "2020-01-01"}
PROBLEM = "application/problem+json"


@pytest.fixture
def nodes(make_node):
    us, mx = make_node("us-dea", "US"), make_node("mx-fgr", "MX")
    for n in (us, mx):
        accounts.add_user(n, "ana", "analyst", "analyst-password-1")
        accounts.add_user(n, "sam", "supervisor", "supervisor-password-1")
    return us, mx


def _login(client: httpx.Client, user: str, password: str) -> dict:
    r = client.post("/api/v1/auth/login", json={"username": user, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_api_alerts_runs_notices_selectors(nodes):
    us, mx = nodes
    service.create_record(mx, actor(mx, "analyst"), "phone", {"number": "656 123 4567"})
    with pair(us, mx, us_terms=TERMS, mx_terms=TERMS) as (us_url, _mx_url, _a, _b), \
            httpx.Client(base_url=us_url, timeout=60) as api:
        ana, sam = _login(api, "ana", "analyst-password-1"), _login(api, "sam", "supervisor-password-1")
        ids = []
        for number in ("+52 656 123 4567", "+52 (656) 1234567", "+1 555"):
            r = api.post("/api/v1/records", headers=ana, json={"type": "phone", "body": {"number": number}})
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        r = api.get("/api/v1/alerts", headers=ana)
        assert r.status_code == 200 and [a["value"] for a in r.json()["alerts"]] == ["+526561234567"]
        assert api.get("/api/v1/alerts").status_code == 401
        r = api.get(f"/api/v1/deconfliction/selectors/{ids[2]}", headers=ana)
        assert r.status_code == 200 and r.json()["selectors"][0]["valid"] is False
        assert ids[2] in api.get("/api/v1/deconfliction/invalid", headers=ana).json()["records"]

        r = api.post("/api/v1/psi/runs", headers=ana, json={"partner": "mx-fgr", "kinds": ["phone", "shoe"]})
        assert r.status_code == 400 and r.headers["content-type"].startswith(PROBLEM) and "shoe" in r.json()["detail"]
        r = api.post("/api/v1/psi/runs", headers=ana, json={"partner": "mx-fgr", "kinds": ["phone"]})
        assert r.status_code == 201, r.text
        run = r.json()
        assert run["result"]["kinds"]["phone"]["overlap"] == 1 and run["status"] == "counted"
        assert api.post(f"/api/v1/psi/runs/{run['id']}/approve", headers=ana).status_code == 403
        r = api.post(f"/api/v1/psi/runs/{run['id']}/approve", headers=sam)
        assert r.status_code == 200 and r.json()["result"]["notices"] == 2
        notices = api.get("/api/v1/deconfliction/notices", headers=ana).json()["notices"]
        assert {n["record"]["id"] for n in notices} == set(ids[:2]) and notices[0]["contact"] == "Mexico"
        assert [r_["role"] for r_ in api.get("/api/v1/psi/runs", headers=ana).json()["runs"]] == ["initiator"]


def _cli(node, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"VINCULO_HOME": str(node.home.path), "VINCULO_DATABASE_URL": node.home.db_url}
    return subprocess.run([sys.executable, "-m", "vinculo.cli.main", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_cli_alerts_selectors_psi(nodes):
    us, mx = nodes
    a = service.create_record(us, actor(us, "analyst"), "vehicle", {"kind": "car", "plate": "ABC-123-D",
                                                                    "plate_country": "MX"})
    service.create_record(us, actor(us, "analyst"), "vehicle", {"kind": "car", "plate": "abc123d",
                                                                "plate_country": "MX"})
    service.create_record(mx, actor(mx, "analyst"), "vehicle", {"kind": "van", "plate": "ABC 123 D"})
    out = _cli(us, "alerts", "list")
    assert out.returncode == 0 and "MX:ABC123D" in out.stdout and a.id in out.stdout
    out = _cli(us, "selectors", "show", a.id)
    assert out.returncode == 0 and "plate-national" in out.stdout
    bad = _cli(us, "psi", "run", "mx-fgr", "--kind", "plate")
    assert bad.returncode != 0 and bad.stderr.startswith("error:") and len(bad.stderr.strip().splitlines()) == 1
    with pair(us, mx, us_terms=TERMS, mx_terms=TERMS):
        out = _cli(us, "psi", "run", "mx-fgr", "--kind", "plate")
        assert out.returncode == 0, out.stderr
        assert "overlap 1" in out.stdout and "vinculo psi approve" in out.stdout
        run_id = out.stdout.split()[1]
        out = _cli(us, "psi", "approve", run_id)
        assert out.returncode == 0 and "4 notices" in out.stdout, out.stdout + out.stderr
    out = _cli(mx, "psi", "notices")
    assert out.returncode == 0 and "contact United States (us-dea)" in out.stdout

"""Cases through the HTTP API (real server) and the `vinculo case` command (real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
from servers import serving

from vinculo.accounts import service as accounts

PROBLEM = "application/problem+json"
CASE = {"kind": "treaty_extradition", "date": "2025-01-06", "requesting_country": "US", "requested_country": "MX",
        "requested_node": "mx-fgr", "treaty": "us-mx-1978", "reference": "EXT-9"}


def test_api_case_lifecycle(node):
    accounts.add_user(node, "ana", "analyst", "analyst-password-1")
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as api:
        token = api.post("/api/v1/auth/login", json={"username": "ana", "password": "analyst-password-1"}).json()
        h = {"Authorization": f"Bearer {token['token']}"}
        r = api.post("/api/v1/cases", json={"case": CASE, "markings": {"tlp": "amber"}}, headers=h)
        assert r.status_code == 201, r.text
        cid = r.json()["id"]
        for to, at in (("provisional_arrest", "2025-01-08"), ("arrested", "2025-01-10")):
            r = api.post(f"/api/v1/cases/{cid}/advance", json={"to": to, "date": at, "reason": "step"}, headers=h)
            assert r.status_code == 200 and r.json()["body"]["state"] == to
        bad = api.post(f"/api/v1/cases/{cid}/advance", json={"to": "hearing", "date": "2025-01-12", "reason": "x"},
                       headers=h)
        assert bad.status_code == 409 and bad.headers["content-type"] == PROBLEM
        assert bad.json()["allowed_next"] == ["formal_request_received", "released", "withdrawn"]
        assert "allowed next" in bad.json()["detail"]
        listed = api.get("/api/v1/cases", params={"overdue": "true", "today": "2025-06-01"}, headers=h).json()
        assert [c["id"] for c in listed["items"]] == [cid]
        assert api.get("/api/v1/cases", params={"stage": "hearing"}, headers=h).json()["items"] == []
        alerts = api.get("/api/v1/cases/alerts", params={"today": "2025-06-01"}, headers=h).json()["alerts"]
        assert alerts[0]["rule_id"] == "T11-FORMAL-REQUEST-60D"
        assert api.post(f"/api/v1/cases/{cid}/answers", json={"text": "noted", "kind": "status"},
                        headers=h).status_code == 201
        shown = api.get(f"/api/v1/cases/{cid}", params={"today": "2025-06-01"}, headers=h).json()
        assert shown["answers"][0]["body"]["kind"] == "status" and shown["summary"]["state"] == "arrested"
        dl = api.get(f"/api/v1/cases/{cid}/deadlines", params={"today": "2025-06-01"}, headers=h).json()
        assert dl["deadlines"][0]["status"] == "overdue"
        missing = api.post("/api/v1/cases", json={"case": {"kind": "mla_request"}}, headers=h)
        assert missing.status_code == 422 and {e["field"] for e in missing.json()["errors"]} == {
            "date", "requesting_country", "requested_country"}


def test_cli_case_commands(node, home, db_url):
    env = os.environ | {"VINCULO_HOME": str(home.path), "VINCULO_DATABASE_URL": db_url}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "vinculo.cli.main", "case", *args], capture_output=True,
                              text=True, env=env, timeout=120)

    opened = run("open", "--kind", "treaty_extradition", "--requesting", "US", "--requested", "MX", "--date",
                 "2025-01-06", "--partner", "mx-fgr", "--treaty", "us-mx-1978", "--charge", "21 USC 959", "--json")
    assert opened.returncode == 0, opened.stderr
    cid = json.loads(opened.stdout)["id"]
    assert run("advance", cid, "provisional_arrest", "--date", "2025-01-08", "--reason", "urgent").returncode == 0
    refused = run("advance", cid, "surrendered", "--date", "2025-01-09", "--reason", "x")
    assert refused.returncode == 2
    assert "allowed next: arrested, formal_request_received, refused, withdrawn" in refused.stderr
    listed = json.loads(run("list", "--partner", "mx-fgr", "--json").stdout)
    assert [c["state"] for c in listed] == ["provisional_arrest"]
    assert "provisional_arrest" in run("list").stdout
    bad = run("open", "--kind", "nope", "--requesting", "US", "--requested", "MX", "--date", "2025-01-06")
    assert bad.returncode == 2 and "kind" in bad.stderr

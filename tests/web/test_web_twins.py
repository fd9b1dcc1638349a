"""The JSON twins of the new pages: dashboard, import check/confirm, record links."""

from __future__ import annotations

import httpx
import pytest
from conftest import SEIZURE
from servers import serving
from web_helpers import PASSWORDS, add_users


@pytest.fixture
def api(node):
    add_users(node)
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


def token(api, name):
    r = api.post("/api/v1/auth/login", json={"username": name, "password": PASSWORDS[name]})
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_dashboard_links_and_import_twins(api):
    ana = token(api, "ana")
    rid = api.post("/api/v1/records", json={"type": "seizure", "body": SEIZURE}, headers=ana).json()["id"]
    note = {"type": "note", "body": {"about_refs": [rid], "text": "confirmed by CBP"}}
    nid = api.post("/api/v1/records", json=note, headers=ana).json()["id"]
    board = api.get("/api/v1/dashboard", headers=ana).json()
    assert board["readable"] and board["total_seizures"] == 1 and board["trends"][0]["substance"] == "fentanyl"
    assert board["areas"]["seizure"] == [{"country": "US", "admin_area": "California", "count": 1}]
    assert [i["id"] for i in api.get(f"/api/v1/records/{rid}/links", headers=ana).json()["items"]] == [nid]
    bad = b'{"type": "seizure", "body": {"date": "2025-01-02", "country": "Narnia", "substance": "cocaine"}}\n'
    checked = api.post("/api/v1/imports/check", data={"format": "ndjson"}, files={"file": ("a.ndjson", bad)},
                       headers=ana).json()
    assert checked["token"] is None and checked["errors"][0]["row"] == 1 and checked["errors"][0]["field"] == "country"
    good = bad.replace(b"Narnia", b"MX")
    checked = api.post("/api/v1/imports/check", data={"format": "ndjson"}, files={"file": ("a.ndjson", good)},
                       headers=ana).json()
    assert checked["valid"] == 1
    done = api.post(f"/api/v1/imports/{checked['token']}", headers=ana)
    assert done.status_code == 201 and done.json()["imported"] == 1
    assert api.post(f"/api/v1/imports/{checked['token']}", headers=ana).status_code == 404
    aud = token(api, "aud")
    assert api.post("/api/v1/imports/check", data={"format": "ndjson"}, files={"file": ("a.ndjson", good)},
                    headers=aud).status_code == 403
    assert api.get("/api/v1/dashboard", headers=aud).json()["readable"] is False

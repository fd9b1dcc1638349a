"""The HTTP API against a real server on loopback."""

import httpx
import pytest
from conftest import SEIZURE
from servers import serving

from vinculo.accounts import service as accounts

PROBLEM = "application/problem+json"


@pytest.fixture
def api(node):
    accounts.add_user(node, "ana", "analyst", "analyst-password-1")
    accounts.add_user(node, "sam", "supervisor", "supervisor-password-1")
    accounts.add_user(node, "aud", "auditor", "auditor-password-1")
    accounts.add_user(node, "adm", "admin", "admin-password-1")
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


def login(api, user, password):
    r = api.post("/api/v1/auth/login", json={"username": user, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_full_record_cycle(api, node):
    ana = login(api, "ana", "analyst-password-1")
    r = api.post("/api/v1/records", json={"type": "seizure", "body": SEIZURE, "markings": {"tlp": "amber"}},
                 headers=ana)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    got = api.get(f"/api/v1/records/{rid}", headers=ana).json()
    assert got["body"]["substance"] == "fentanyl" and got["release"]["reasons"]
    v2 = api.put(f"/api/v1/records/{rid}", json={"body": SEIZURE | {"place": "Otay Mesa"}, "expected_version": 1},
                 headers=ana)
    assert v2.status_code == 200 and v2.json()["version"] == 2
    stale = api.put(f"/api/v1/records/{rid}", json={"body": SEIZURE, "expected_version": 1}, headers=ana)
    assert stale.status_code == 409 and stale.headers["content-type"] == PROBLEM
    assert api.post(f"/api/v1/records/{rid}/revoke", json={"reason": "dup"}, headers=ana).status_code == 403
    sam = login(api, "sam", "supervisor-password-1")
    assert api.post(f"/api/v1/records/{rid}/revoke", json={"reason": "dup"}, headers=sam).json()["revoked"]
    versions = api.get(f"/api/v1/records/{rid}/versions", headers=ana).json()["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    preview = api.get(f"/api/v1/records/{rid}/release-preview", headers=ana).json()
    assert {x["role"] for x in preview["local"]} == {"analyst", "supervisor", "admin", "auditor"}


def test_list_with_cursor_and_filters(api):
    ana = login(api, "ana", "analyst-password-1")
    for i in range(5):
        api.post("/api/v1/records", json={"type": "seizure", "body": SEIZURE | {"date": f"2025-0{i+1}-01"}},
                 headers=ana)
    first = api.get("/api/v1/records", params={"limit": 2, "substance": "Fentanyl"}, headers=ana).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = api.get("/api/v1/records", params={"limit": 2, "cursor": first["next_cursor"]}, headers=ana).json()
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    assert api.get("/api/v1/records/count", params={"from": "2025-04-01"}, headers=ana).json() == {"count": 2}
    bad = api.get("/api/v1/records", params={"from": "April"}, headers=ana)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "from"


def test_errors_are_problem_json(api):
    r = api.get("/api/v1/records")
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
    assert r.json()["status"] == 401 and "bearer" in r.json()["detail"]
    assert api.get("/api/v1/records", headers={"Authorization": "Bearer vn_nope"}).status_code == 401
    assert api.post("/api/v1/auth/login", json={"username": "ana", "password": "wrong"}).status_code == 401
    ana = login(api, "ana", "analyst-password-1")
    bad = api.post("/api/v1/records", json={"type": "seizure", "body": SEIZURE | {"quantity": {"amount": -1,
                                                                                                  "unit": "kg"}}},
                   headers=ana)
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    assert bad.json()["errors"][0]["field"].startswith("quantity")
    missing = api.get("/api/v1/records/seizure--00000000-0000-4000-8000-000000000000", headers=ana)
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    assert api.get("/api/v1/records/not-an-id", headers=ana).status_code == 400


def test_roles_on_routes(api):
    adm = login(api, "adm", "admin-password-1")
    aud = login(api, "aud", "auditor-password-1")
    ana = login(api, "ana", "analyst-password-1")
    assert api.post("/api/v1/records", json={"type": "seizure", "body": SEIZURE}, headers=adm).status_code == 403
    assert api.get("/api/v1/records", headers=adm).status_code == 403
    assert api.get("/api/v1/audit", headers=ana).status_code == 403
    log = api.get("/api/v1/audit", params={"action": "login"}, headers=aud)
    assert log.status_code == 200 and {e["actor"] for e in log.json()["entries"]} >= {"user:adm", "user:ana"}
    verify = api.get("/api/v1/audit/verify", headers=aud).json()
    assert verify["ok"] is True
    assert api.get("/api/v1/me", headers=aud).json()["role"] == "auditor"


def test_openapi_served(api):
    spec = api.get("/openapi.json").json()
    assert "/api/v1/records" in spec["paths"] and "/api/v1/records/{record_id}/release-preview" in spec["paths"]


def test_docs_page_is_served_offline(api):
    page = api.get("/docs")
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower() and "http" not in page.text.split("<body")[1]
    for asset in ("/static/vendor/swagger/swagger-ui-bundle.js", "/static/vendor/swagger/swagger-ui.css",
                  "/static/vendor/swagger/vinculo-init.js"):
        assert api.get(asset).status_code == 200

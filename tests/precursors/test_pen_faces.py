"""The API and CLI faces of pre-export notifications, with their hostile inputs."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
from servers import serving
from test_cli import run
from test_pen_federation import SHIPMENT

from vinculo.accounts import service as accounts
from vinculo.federation import partners
from vinculo.federation.agreements import update_agreement

PROBLEM = "application/problem+json"


@pytest.fixture
def api(node, make_node):
    mx = make_node("mx-cofepris", "MX")
    partners.add_partner(node, mx.id, "COFEPRIS", mx.public_key_hex, None, "MX")
    update_agreement(node, mx.id, {"record_types": ["shipment", "case"], "max_tlp": "amber", "start": "2020-01-01",
                                   "withheld_fields": {"shipment": ["consignee"]}})
    accounts.add_user(node, "ana", "analyst", "analyst-password-1")
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as client:
        r = client.post("/api/v1/auth/login", json={"username": "ana", "password": "analyst-password-1"})
        client.headers["Authorization"] = f"Bearer {r.json()['token']}"
        yield client


def test_api_notify_list_flag_and_refusals(api):
    ship = api.post("/api/v1/records", json={"type": "shipment", "body": SHIPMENT}).json()
    listed = api.get("/api/v1/records", params={"type": "shipment"}).json()["items"]
    assert listed[0]["control"] == {"controlled": True, "watch": False, "label": "1988-I (2024) · US-I"}
    assert api.get(f"/api/v1/records/{ship['id']}").json()["control"]["controlled"]
    assert api.get("/api/v1/precursors/control", params={"substance": "NPP"}).json()["items"][0]["un1988"][
        "added"] == 2017

    made = api.post("/api/v1/precursors/notifications", json={"shipment": ship["id"], "importer_node": "mx-cofepris",
                                                               "reply_days": 10, "fields": {"consignee_phone": "+52 667 000 0000"}})
    assert made.status_code == 201, made.text
    case_id = made.json()["id"]
    items = api.get("/api/v1/precursors/notifications", params={"direction": "sent"}).json()["items"]
    assert [(i["id"], i["reply_days"], i["decision"]) for i in items] == [(case_id, 10, None)]
    assert items[0]["consignee"] is None  # the agreement withholds it from the shipment: not copied either
    given = api.post("/api/v1/precursors/notifications", json={"shipment": ship["id"], "importer_node": "mx-cofepris",
                                                                "fields": {"consignee": "Laboratorios Sinaloa SA"}})
    assert given.json()["body"]["precursor"]["consignee"] == "Laboratorios Sinaloa SA"  # the officer's choice
    assert api.get("/api/v1/precursors/notifications", params={"company": "nobody"}).json()["items"] == []
    by = api.get("/api/v1/precursors/watch", params={"by": "substance"}).json()["items"]
    assert by == [{"key": "4-piperidone", "notifications": 2, "answered": 0, "objections": 0, "stopped": 0,
                   "objection_rate": None}]

    for bad in ({"shipment": ship["id"], "importer_node": "mx-cofepris", "reply_days": 400},
                {"shipment": ship["id"], "importer_node": "mx-cofepris", "fields": {"route": ["x"] * 51}},
                {"shipment": ship["id"], "importer_node": "nobody"}):
        r = api.post("/api/v1/precursors/notifications", json=bad)
        assert r.status_code in (400, 422) and r.headers["content-type"] == PROBLEM, r.text
    refused = api.post(f"/api/v1/precursors/notifications/{case_id}/answers", json={"answer": "no-objection"})
    assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM  # we are the exporter
    wrong = api.post(f"/api/v1/precursors/notifications/{case_id}/outcome",
                     json={"outcome": "delivered", "date": "2026-11-21", "reason": "x"})
    assert wrong.status_code == 409 and "shipped" in wrong.json()["allowed_next"]
    ok = api.post(f"/api/v1/precursors/notifications/{case_id}/outcome",
                  json={"outcome": "stopped", "date": dt.datetime.now(dt.UTC).date().isoformat(),
                        "reason": "consignee unknown"})
    assert ok.status_code == 200, ok.text
    assert api.get("/api/v1/precursors/scorecard", params={"partner": "mx-cofepris", "start": "2026-01-01",
                                                           "end": "2026-01-02"}).status_code == 200
    assert api.get("/api/v1/precursors/scorecard", params={"partner": "mx-cofepris", "start": "2026-02-01",
                                                           "end": "2026-01-02"}).status_code in (400, 422)


def test_cli_control_and_bad_input(tmp_path, db_url):
    home = tmp_path / "home"
    run(home, db_url, "init", "--node-id", "us-dea", "--name", "DEA test", "--country", "US")
    out = run(home, db_url, "precursors", "control", "4-piperidone").stdout
    assert "1988-I (2024)" in out
    assert run(home, db_url, "precursors", "control", "caffeine", check=False).returncode == 2
    bad = run(home, db_url, "precursors", "notify", "shipment--00000000-0000-0000-0000-000000000000", "--to", "mx",
              "--fields", "[1, 2]", check=False)
    assert bad.returncode == 2 and "JSON object" in bad.stderr
    missing = run(home, db_url, "precursors", "notify", "shipment--00000000-0000-0000-0000-000000000000", "--to",
                  "mx", check=False)
    assert missing.returncode == 4, missing.stderr
    assert json.loads(run(home, db_url, "precursors", "list", "--json").stdout) == []


def test_a_consignee_seen_elsewhere_raises_an_alert(api, node):
    from conftest import actor

    from vinculo.deconfliction import alerts
    from vinculo.precursors import service as pen
    from vinculo.records import service as records

    ana = actor(node, "analyst")
    ship = records.create_record(node, ana, "shipment", SHIPMENT | {"consignee": None})
    case = pen.notify(node, ana, ship.id, "mx-cofepris", fields={"consignee": "Laboratorios Sinaloa, S.A."})
    org = records.create_record(node, ana, "organization", {"name": "LABORATORIOS SINALOA SA", "kind": "company",
                                                            "country": "MX"})
    found, _ = alerts.list_alerts(node, ana)
    pairs = [{r["id"] for r in a["records"]} for a in found if a["kind"] == "company"]
    assert {case.id, org.id} in pairs


def test_an_auditor_sees_no_notification_content(node):
    from conftest import actor

    from vinculo.precursors import service as pen

    assert pen.list_notifications(node, actor(node, "auditor")) == []
    assert pen.alerts(node, actor(node, "auditor")) == []
    from vinculo.precursors import incidents

    assert incidents.list_incidents(node, actor(node, "auditor")) == []

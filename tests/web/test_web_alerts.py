"""The alerts page over real HTTP (SQLite and PostgreSQL): local alerts naming both records, the role rule of
the services (administrators read no records: 403), Spanish, the dashboard's "Open alerts", and a supervisor
approving a private matching run with a real partner node (the same service as `vinculo psi approve`)."""

from __future__ import annotations

import httpx
import pytest
from fed_helpers import pair
from servers import serving
from web_helpers import add_users, csrf, login, post_form

from vinculo.accounts.model import Actor
from vinculo.deconfliction import psi_service
from vinculo.records import service

TERMS = {"record_types": ["phone"], "max_tlp": "amber", "start": "2020-01-01"}


@pytest.fixture
def site(node):
    add_users(node)
    with serving(node) as base, httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
        yield client


def _two_phones(node):
    ana = Actor("ana", "analyst", node.id)
    a = service.create_record(node, ana, "phone", {"number": "+52 656 123 4567"}, {"tlp": "green"})
    b = service.create_record(node, ana, "phone", {"number": "+52 (656) 1234567"}, {"tlp": "green"})
    return a, b


def test_no_alerts_means_no_dashboard_section(site, node):
    login(site, "ana")
    assert "Open alerts" not in site.get("/").text
    page = site.get("/alerts")
    assert page.status_code == 200 and "No alerts." in page.text and 'href="/alerts"' in page.text


def test_alert_names_both_records_for_analysts_only(site, node):
    a, b = _two_phones(node)
    login(site, "ana")
    page = site.get("/alerts")
    assert page.status_code == 200
    assert f"/records/{a.id}" in page.text and f"/records/{b.id}" in page.text
    assert "+526561234567" in page.text and "Phone number" in page.text
    home = site.get("/")
    assert "Open alerts" in home.text and "1 alerts" in home.text and 'href="/alerts"' in home.text
    es = site.get("/alerts", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert '<html lang="es"' in es.text and "Alertas locales" in es.text and "Número de teléfono" in es.text
    assert f"/records/{a.id}" in es.text and "Avisos de desconflicción" in es.text
    assert "Alertas abiertas" in site.get("/", headers={"Accept-Language": "es"}).text

    site.cookies.clear()
    login(site, "adm")
    denied = site.get("/alerts")
    assert denied.status_code == 403 and a.id not in denied.text and "+526561234567" not in denied.text
    assert 'href="/alerts"' not in site.get("/").text and "Open alerts" not in site.get("/").text

    site.cookies.clear()
    login(site, "aud")  # auditors see envelopes, not bodies: the service shows them no alert
    seen = site.get("/alerts")
    assert seen.status_code == 200 and a.id not in seen.text and "No alerts." in seen.text


def test_approve_needs_csrf_and_a_supervisor(site, node):
    login(site, "ana")
    page = site.get("/alerts")
    assert site.post("/alerts/runs/nope/approve", data={}).status_code == 403  # no CSRF token
    refused = site.post("/alerts/runs/nope/approve", data={"csrf_token": csrf(page.text)})
    assert refused.status_code == 403 and "supervisors only" in refused.text
    site.cookies.clear()
    login(site, "sam")
    missing = post_form(site, "/alerts", "/alerts/runs/nope/approve", {})
    assert missing.status_code == 404


def test_supervisor_approves_a_counted_run_and_sees_the_notices(make_node):
    us, mx = make_node("us-dea", "US"), make_node("mx-fgr", "MX")
    add_users(us)
    mine = service.create_record(us, Actor("ana", "analyst", us.id), "phone", {"number": "+52 656 123 4567"})
    service.create_record(mx, Actor("ana", "analyst", mx.id), "phone", {"number": "656 123 4567"})
    with pair(us, mx, us_terms=TERMS, mx_terms=TERMS) as (us_url, _mx, _a, _b), \
            httpx.Client(base_url=us_url, timeout=60, follow_redirects=True) as web:
        run = psi_service.start_run(us, Actor("ana", "analyst", us.id), mx.id, ["phone"])
        login(web, "ana")
        page = web.get("/alerts")
        assert run["id"][:12] in page.text and "Counted" in page.text
        assert f"/alerts/runs/{run['id']}/approve" not in page.text  # analysts may not approve
        assert "Awaiting a supervisor" in page.text
        web.cookies.clear()
        login(web, "sam")
        page = web.get("/alerts")
        assert f'action="/alerts/runs/{run["id"]}/approve"' in page.text
        done = post_form(web, "/alerts", f"/alerts/runs/{run['id']}/approve", {})
        assert done.status_code == 200 and "approved: the hits are below" in done.text
        assert f"/records/{mine.id}" in done.text and "Mexico" in done.text and "approved by user:sam" in done.text
        assert f'action="/alerts/runs/{run["id"]}/approve"' not in done.text
        again = post_form(web, "/alerts", f"/alerts/runs/{run['id']}/approve", {})
        assert again.status_code == 409 and "could not be approved" in again.text
    assert psi_service.list_runs_for(us, Actor("sam", "supervisor", us.id))[0]["status"] == "done"

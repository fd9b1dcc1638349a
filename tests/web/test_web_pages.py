"""Web pages over real HTTP (SQLite and PostgreSQL): sessions, CSRF, languages, roles as in the API."""

from __future__ import annotations

import re

import httpx
import pytest
from conftest import SEIZURE
from servers import serving
from web_helpers import add_mx_partner, add_users, csrf, login, post_form

from vinculo.accounts.model import Actor
from vinculo.records import service
from vinculo.records.repository import Filters


@pytest.fixture
def web(node):
    add_users(node)
    add_mx_partner(node)
    with serving(node) as base, httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
        yield client


def test_pages_need_a_session_and_forms_need_the_csrf_token(web):
    r = web.get("/records", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2Frecords")
    page = web.get("/login")
    assert "vinculo_csrf" in web.cookies
    no_token = web.post("/login", data={"username": "ana", "password": "analyst-password-1"})
    assert no_token.status_code == 403 and "vinculo_session" not in web.cookies
    forged = web.post("/login", data={"csrf_token": "0" * 64, "username": "ana", "password": "analyst-password-1"})
    assert forged.status_code == 403
    wrong = web.post("/login", data={"csrf_token": csrf(page.text), "username": "ana", "password": "nope-nope-nope"})
    assert wrong.status_code == 401 and "Wrong user name or password." in wrong.text
    r = web.post("/login", data={"csrf_token": csrf(page.text), "username": "ana", "password": "analyst-password-1",
                                 "next": "/records"}, follow_redirects=False)
    cookie = r.headers["set-cookie"]
    assert r.status_code == 303 and r.headers["location"] == "/records"
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert web.get("/records").status_code == 200
    offsite = web.post("/login", data={"csrf_token": csrf(web.get("/login").text), "username": "ana",
                                       "password": "analyst-password-1", "next": "//evil.example/"},
                       follow_redirects=False)
    assert offsite.headers["location"] == "/"


def test_secure_cookie_over_tls(node):
    from fastapi.testclient import TestClient

    from vinculo.api.app import create_app

    add_users(node)
    client = TestClient(create_app(node), base_url="https://vinculo.test")
    page = client.get("/login")
    r = client.post("/login", data={"csrf_token": csrf(page.text), "username": "ana",
                                    "password": "analyst-password-1"}, follow_redirects=False)
    assert "Secure" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]


def test_language_switch_translates_and_formats(web, node):
    sam = Actor("sam", "supervisor", node.id)
    for _ in range(3):
        service.create_record(node, sam, "seizure", SEIZURE | {"quantity": {"amount": 1234.5, "unit": "kg"}})
    login(web, "ana")
    english = web.get("/records")
    assert "1,234.5" in english.text and "Jun 1, 2025" in english.text
    r = post_form(web, "/records", "/lang", {"lang": "es", "next": "/records"})
    assert r.url.path == "/records" and '<html lang="es"' in r.text
    assert "Registros" in r.text and "1.234,5" in r.text and "1 jun 2025" in r.text
    assert "Estados Unidos" in r.text  # country names per locale
    assert 'lang="en">English</button>' in r.text
    assert "Panel" in web.get("/").text


def test_accept_language_picks_spanish_before_any_choice(web):
    assert '<html lang="es"' in web.get("/login", headers={"Accept-Language": "es-MX,es;q=0.9"}).text
    assert '<html lang="en"' in web.get("/login", headers={"Accept-Language": "fr"}).text


def test_roles_are_enforced_as_in_the_api(web, node):
    sam = Actor("sam", "supervisor", node.id)
    red = service.create_record(node, sam, "seizure", SEIZURE, {"tlp": "red"})
    login(web, "ana")
    assert web.get(f"/records/{red.id}").status_code == 403  # analysts do not read TLP:RED (release())
    assert red.id not in web.get("/records").text
    assert web.get("/audit").status_code == 403
    web.cookies.clear()
    login(web, "sam")
    assert web.get(f"/records/{red.id}").status_code == 200
    web.cookies.clear()
    login(web, "adm")
    assert web.get("/").status_code == 200 and web.get("/records").status_code == 403
    assert web.get("/import").status_code == 403
    web.cookies.clear()
    login(web, "aud")
    page = web.get(f"/records/{red.id}")
    assert page.status_code == 200 and "Withheld from you." in page.text and "San Ysidro" not in page.text
    audit = web.get("/audit", params={"user": "ana"})
    assert audit.status_code == 200 and "denied" in audit.text
    assert "Verified" in web.get("/audit/verify").text


def test_create_edit_and_preview_through_forms(web, node):
    login(web, "ana")
    data = {"type": "seizure", "date": "2025-06-01", "country": "US", "substance": "fentanyl", "place": "Otay Mesa",
            "quantity.amount": "2", "quantity.unit": "kg", "markings.tlp": "amber", "markings.handling": "H0",
            "markings.reliability": "B", "markings.accuracy": "2", "markings.partners": "mx-fgr"}
    preview = post_form(web, "/records/new", "/records/preview", data, headers={"HX-Request": "true"})
    row = re.search(r'<tr class="partner-mx-fgr">.*?</tr>', preview.text, re.DOTALL).group(0)
    assert "yes" in row and "Substance" in row and "withheld: Place" in row
    bad = post_form(web, "/records/new", "/records/new", data | {"country": "Atlantis"})
    assert bad.status_code == 422 and 'id="f-country-err">unknown country' in bad.text
    created = post_form(web, "/records/new", "/records/new", data)
    rid = created.url.path.rsplit("/", 1)[1]
    assert created.status_code == 200 and "Otay Mesa" in created.text
    edited = post_form(web, f"/records/{rid}/edit", f"/records/{rid}/edit",
                       data | {"place": "Calexico", "expected_version": "1"})
    assert edited.status_code == 200 and "Calexico" in edited.text
    record, _ = service.get_record(node, Actor("ana", "analyst", node.id), rid)
    assert record.version == 2 and record.markings.partners == ("mx-fgr",)
    stale = post_form(web, f"/records/{rid}/edit", f"/records/{rid}/edit", data | {"expected_version": "1"})
    assert stale.status_code == 409


def test_every_record_type_has_a_form(web):
    from vinculo.records.types import RECORD_TYPES

    login(web, "ana")
    for record_type in RECORD_TYPES:
        r = web.get("/records/new", params={"type": record_type})
        assert r.status_code == 200, record_type
    assert web.get("/records/new", params={"type": "spaceship"}).status_code == 422


def test_search_filters_and_cursor_paging(web, node):
    ana = Actor("ana", "analyst", node.id)
    for i in range(30):
        service.create_record(node, ana, "seizure", SEIZURE | {"date": f"2024-01-{i + 1:02d}"})
    login(web, "ana")
    first = web.get("/records", params={"substance": "fentanyl", "from": "2024-01-01"})
    assert first.text.count('href="/records/seizure--') == 25
    cursor = re.search(r'cursor=(\d+)" rel="next"', first.text).group(1)
    second = web.get("/records", params={"substance": "fentanyl", "from": "2024-01-01", "cursor": cursor})
    assert second.text.count('href="/records/seizure--') == 5 and 'rel="next"' not in second.text
    bad = web.get("/records", params={"from": "yesterday"})
    assert bad.status_code == 200 and 'id="e-from"' in bad.text
    partial = web.get("/records", params={"text": "ysidro"}, headers={"HX-Request": "true", "HX-Target": "results"})
    assert "<html" not in partial.text and "records" in partial.text


def test_import_check_then_confirm(web, node, tmp_path):
    login(web, "ana")
    ana = Actor("ana", "analyst", node.id)
    lines = '{"type": "seizure", "body": {"date": "2025-01-02", "country": "MX", "substance": "cocaine"}}\n' \
            '{"type": "seizure", "body": {"date": "2025-01-02", "country": "Narnia", "substance": "cocaine"}}\n'
    token = csrf(web.get("/import").text)
    r = web.post("/import/check", data={"csrf_token": token, "format": "ndjson"},
                 files={"file": ("batch.ndjson", lines.encode(), "application/x-ndjson")})
    assert r.status_code == 422 and "unknown country" in r.text and "<td>2</td>" in r.text
    assert service.count_records(node, ana, Filters()) == 0
    r = web.post("/import/check", data={"csrf_token": token, "format": "ndjson"},
                 files={"file": ("batch.ndjson", lines.splitlines()[0].encode(), "application/x-ndjson")})
    assert r.status_code == 200 and "Import 1 records" in r.text
    confirm = web.post("/import/confirm", data={"csrf_token": token, "token": re.search(
        r'name="token" value="([^"]+)"', r.text).group(1)})
    assert "Imported 1 records" in confirm.text
    assert service.count_records(node, ana, Filters()) == 1


def test_static_files_are_served_by_the_node(web):
    for path in ("/static/vendor/htmx.min.js", "/static/vendor/pico.min.css", "/static/css/app.css",
                 "/static/vendor/maps/us-states.json", "/static/vendor/maps/mx-states.json"):
        assert web.get(path).status_code == 200, path
    login(web, "ana")
    page = web.get("/")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert (page.headers["x-content-type-options"], page.headers["referrer-policy"],
            page.headers["cache-control"]) == ("nosniff", "same-origin", "no-store")
    assert len(page.headers.get_list("content-security-policy")) == 1
    assert "content-security-policy" not in web.get("/api/v1/node").headers  # HTML pages only
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', page.text)  # nothing from another host


def test_a_record_page_says_whether_this_node_has_signed_it(web, node, tmp_path):
    from vinculo.federation.at_rest import sign_all
    from vinculo.records.importers.native import parse_ndjson
    from vinculo.records.importers.service import import_rows

    login(web, "ana")
    ana = Actor("ana", "analyst", node.id)
    single = service.create_record(node, ana, "seizure", SEIZURE, {"tlp": "green"})
    path = tmp_path / "bulk.ndjson"
    path.write_text('{"type": "seizure", "key": "b1", "markings": {"tlp": "green"}, "body": '
                    '{"date": "2025-01-02", "country": "MX", "substance": "cocaine"}}\n')
    import_rows(node, ana, str(path), parse_ndjson(path))
    bulk = next(r["id"] for r in service.list_records(node, ana, Filters()).items if r["id"] != single.id)
    assert "recorded on this node and signed by it" in web.get(f"/records/{single.id}").text
    assert "recorded on this node (signed when released)" in web.get(f"/records/{bulk}").text
    sign_all(node)
    assert "recorded on this node and signed by it" in web.get(f"/records/{bulk}").text
    post_form(web, "/records", "/lang", {"lang": "es", "next": "/records"})
    assert "registrado en este nodo y firmado por él" in web.get(f"/records/{bulk}").text

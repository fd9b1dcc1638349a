"""No 500 from input: integers beyond signed 64 bits (and other out-of-range numbers) in a cursor, `after`,
`before`, a TAXII `next`, a JSON body or a page's query answer 4xx (problem+json on the API, a TAXII error on
TAXII routes, an HTML page on the web UI), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from conftest import SEIZURE
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from servers import serving

from vinculo.accounts import service as accounts
from vinculo.federation import partners
from vinculo.node.keys import public_hex
from vinculo.records import service as records
from vinculo.sharing import service as sharing

HUGE = [str(2**63), str(2**64), "9" * 30, "-" + "9" * 30]
PASSWORDS = {"ana": ("analyst", "analyst-password-1"), "aud": ("auditor", "auditor-password-1"),
             "adm": ("admin", "admin-password-1")}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

# (who, method, path, query parameter or JSON body field)
API_QUERIES = [
    ("ana", "/api/v1/records", "cursor"),
    ("aud", "/api/v1/audit", "after"),
    ("ana", "/api/v1/alerts", "before"),
    ("ana", "/api/v1/graph/groups", "limit"),
    ("ana", "/api/v1/graph/groups", "min_size"),
]
WEB_QUERIES = [("ana", "/records", "cursor"), ("aud", "/audit", "after"), ("adm", "/partners/mx-fgr", "saved"),
               ("adm", "/partners/mx-fgr", "withdrawn"), ("ana", "/graph", "depth")]


@pytest.fixture
def site(node, supervisor):
    for name, (role, password) in PASSWORDS.items():
        accounts.add_user(node, name, role, password)
    rid = records.create_record(node, supervisor, "seizure", SEIZURE, {"tlp": "green"}).id
    _, credential = partners.add_partner(node, "mx-fgr", "FGR", public_hex(Ed25519PrivateKey.generate()), None, "MX")
    sharing.set_agreement(node, "mx-fgr", {"record_types": ["seizure"], "max_tlp": "amber", "start": "2020-01-01"})
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as client:
        tokens = {name: client.post("/api/v1/auth/login", json={"username": name, "password": pw}).json()["token"]
                  for name, (_, pw) in PASSWORDS.items()}
        yield {"client": client, "base": base, "tokens": tokens, "credential": credential, "record": rid}


def api(site, who):
    return {"Authorization": f"Bearer {site['tokens'][who]}"}


def assert_problem(r: httpx.Response, name: str) -> None:
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert r.headers["content-type"] == "application/problem+json"
    assert name in r.json()["detail"], r.json()


@pytest.mark.parametrize("who,path,name", API_QUERIES)
def test_api_query_integers_out_of_range_are_4xx(site, who, path, name):
    for value in HUGE:
        assert_problem(site["client"].get(path, params={name: value}, headers=api(site, who)), name)


def test_api_body_integer_out_of_range_is_4xx(site):
    for value in (2**63, 2**64, 10**30):
        r = site["client"].put(f"/api/v1/records/{site['record']}", headers=api(site, "ana"),
                               json={"body": SEIZURE, "expected_version": value})
        assert_problem(r, "expected_version")


def test_taxii_next_out_of_range_or_not_digits_is_400_naming_next(site):
    h = {"Authorization": f"Bearer {site['credential']}", "Accept": "application/taxii+json;version=2.1"}
    colls = site["client"].get("/taxii2/api/collections/", headers=h).json()["collections"]
    cid = next(c["id"] for c in colls if c.get("alias") != "definitions")
    for route in ("objects", "manifest"):
        for value in [*HUGE, "12a", "²", "١٢"]:
            r = site["client"].get(f"/taxii2/api/collections/{cid}/{route}/", params={"next": value}, headers=h)
            assert r.status_code == 400, (route, value, r.status_code, r.text[:200])
            assert "next" in r.json()["description"]
        good = site["client"].get(f"/taxii2/api/collections/{cid}/{route}/", params={"next": "0"}, headers=h)
        assert good.status_code == 200


@contextmanager
def web_login(site, who) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site["base"], timeout=30) as client:
        page = client.get("/login")
        r = client.post("/login", data={"csrf_token": CSRF_RE.search(page.text).group(1), "username": who,
                                        "password": PASSWORDS[who][1], "next": "/"})
        assert r.status_code in (303, 204), r.status_code
        yield client


@pytest.mark.parametrize("who,path,name", WEB_QUERIES)
def test_web_page_integers_out_of_range_are_a_4xx_page(site, who, path, name):
    with web_login(site, who) as browser:
        for value in HUGE:
            r = browser.get(path, params={name: value})
            assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
            assert r.headers["content-type"].startswith("text/html")
            assert name in r.text


def test_web_edit_form_version_out_of_range_is_a_4xx_page(site):
    with web_login(site, "ana") as browser:
        page = browser.get(f"/records/{site['record']}/edit")
        assert page.status_code == 200
        form = {"csrf_token": CSRF_RE.search(page.text).group(1), "expected_version": str(2**64)}
        r = browser.post(f"/records/{site['record']}/edit", data=form)
        assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
        assert "expected_version" in r.text

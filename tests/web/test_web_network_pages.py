"""Pages for partners and agreements, partner records, cases and the network, over real HTTP (SQLite and
PostgreSQL): roles as in the API, the agreement preview, case forms, graph exports, and their JSON twins."""

from __future__ import annotations

import re

import httpx
import pytest
from conftest import SEIZURE
from servers import serving
from web_helpers import PASSWORDS, add_mx_partner, add_users, login, post_form

from vinculo.accounts.model import Actor
from vinculo.cases import service as cases
from vinculo.records import service
from vinculo.sharing import service as sharing

PERSON = {"full_name": "Joaquín Ramírez Soto", "nationality": ["MX"]}


@pytest.fixture
def site(node):
    add_users(node)
    add_mx_partner(node)
    with serving(node) as base, httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
        yield client, base


def _graph(node):
    ana = Actor("ana", "analyst", node.id)
    seizure = service.create_record(node, ana, "seizure", SEIZURE, {"tlp": "green"})
    person = service.create_record(node, ana, "person", PERSON, {"tlp": "green"})
    org = service.create_record(
        node, ana, "organization", {"name": "Cártel del Pacífico", "kind": "cartel"}, {"tlp": "green"}
    )
    for src, dst, kind in ((person.id, seizure.id, "seized-from"), (person.id, org.id, "member-of")):
        service.create_record(
            node,
            ana,
            "relationship",
            {"relationship_type": kind, "source_ref": src, "target_ref": dst},
            {"tlp": "green"},
        )
    return seizure, person, org


def _terms(**over):
    base = {
        "record_types": ["seizure", "lab"],
        "max_tlp": "amber",
        "handling_refused": [],
        "retention_days": "365",
        "start": "2020-01-01",
        "end": "",
        "purpose": "counternarcotics",
        "withheld.seizure": ["place"],
    }
    return base | over


def test_partner_pages_are_read_by_liaison_officers_and_managed_by_administrators(site, node):
    """Analysts and supervisors read partner status and agreements (issue 25 item 5); only administrators
    edit an agreement or see receipts by record id; auditors see neither."""
    web, _ = site
    for name in ("ana", "sam"):
        login(web, name)
        page = web.get("/partners")
        assert page.status_code == 200 and "mx-fgr" in page.text and 'href="/partners"' in web.get("/").text
        detail = web.get("/partners/mx-fgr")
        assert detail.status_code == 200 and "Place" in detail.text  # the agreement's terms
        assert "Edit the agreement" not in detail.text
        assert web.get("/partners/mx-fgr/agreement").status_code == 403
        web.cookies.clear()
    login(web, "aud")
    assert web.get("/partners").status_code == 403 and 'href="/partners"' not in web.get("/").text
    web.cookies.clear()
    login(web, "adm")
    home = web.get("/")
    assert "No records from partners yet" not in home.text and "counts only" in home.text
    assert 'href="/partners/mx-fgr"' in home.text and "never pulled" in home.text
    page = web.get("/partners")
    assert page.status_code == 200 and "mx-fgr" in page.text and "SHA256:" in page.text
    assert "never pulled" in page.text and 'href="/partners"' in page.text
    detail = web.get("/partners/mx-fgr")
    assert detail.status_code == 200 and "FGR Mexico" in detail.text and "Place" in detail.text
    assert web.get("/partners/nobody").status_code == 404


def test_agreement_editor_previews_then_saves_a_version(site, node):
    web, _ = site
    sam = Actor("sam", "supervisor", node.id)
    green = service.create_record(node, sam, "seizure", SEIZURE, {"tlp": "green"})
    amber = service.create_record(node, sam, "seizure", SEIZURE, {"tlp": "amber"})
    login(web, "adm")
    editor = web.get("/partners/mx-fgr/agreement")
    assert editor.status_code == 200 and 'value="seizure" checked' in editor.text
    preview = post_form(
        web,
        "/partners/mx-fgr/agreement",
        "/partners/mx-fgr/agreement/preview",
        _terms(max_tlp="green"),
        headers={"HX-Request": "true"},
    )
    assert "<html" not in preview.text
    assert "1 of the 2 most recent records would go to mx-fgr." in preview.text
    assert "above the agreement&#39;s limit" in preview.text
    bad = post_form(
        web,
        "/partners/mx-fgr/agreement",
        "/partners/mx-fgr/agreement",
        _terms(start="2025-01-01", end="2024-01-01", max_tlp="purple"),
    )
    assert bad.status_code == 422
    assert (
        re.search(r'id="e-max_tlp">[^<]*(green|clear)', bad.text)
        and 'id="e-end">agreement ends before' not in bad.text
    )
    bad = post_form(
        web,
        "/partners/mx-fgr/agreement",
        "/partners/mx-fgr/agreement",
        _terms(start="2025-01-01", end="2024-01-01"),
    )
    assert bad.status_code == 422 and 'id="e-end">agreement ends before it starts' in bad.text
    with node.engine.connect() as conn:
        assert sharing.current_agreement(conn, "mx-fgr").version == 1
    saved = post_form(
        web,
        "/partners/mx-fgr/agreement",
        "/partners/mx-fgr/agreement",
        _terms(max_tlp="green", **{"withheld.seizure": ["place", "admin_area"]}),
    )
    assert saved.status_code == 200 and "Agreement version 2 saved." in saved.text
    with node.engine.connect() as conn:
        now = sharing.current_agreement(conn, "mx-fgr")
    assert (
        now.version == 2
        and now.max_tlp.value == "green"
        and now.withheld_fields["seizure"] == {"place", "admin_area"}
    )
    assert green.id and amber.id


def test_agreement_preview_twin_and_withdrawals(site, node):
    from sqlalchemy import insert

    from vinculo.records.model import format_ts, utcnow
    from vinculo.store.tables_federation import holdings

    _, base = site
    sam = Actor("sam", "supervisor", node.id)
    amber = service.create_record(node, sam, "seizure", SEIZURE, {"tlp": "amber"})
    with node.engine.begin() as conn:  # the partner holds it (as after a sync)
        conn.execute(
            insert(holdings).values(
                partner="mx-fgr", record_id=amber.id, version=1, withdrawn=False, updated=format_ts(utcnow())
            )
        )
    with httpx.Client(base_url=base, timeout=30) as api:
        token = api.post("/api/v1/auth/login", json={"username": "adm", "password": PASSWORDS["adm"]}).json()[
            "token"
        ]
        auth = {"Authorization": f"Bearer {token}"}
        out = api.post(
            "/api/v1/partners/mx-fgr/agreement/preview",
            headers=auth,
            json={"record_types": ["seizure"], "max_tlp": "green", "start": "2020-01-01"},
        ).json()
        assert out["withdrawn"] == 1 and out["withdrawn_records"][0]["id"] == amber.id
        row = out["records"][0]
        assert row["allowed"] is False and row["now"]["allowed"] is True and out["changed"] == 1
        bad = api.post("/api/v1/partners/mx-fgr/agreement/preview", headers=auth, json={"max_tlp": "green"})
        assert bad.status_code == 422 and "start" in bad.text
        partners = api.get("/api/v1/partners", headers=auth).json()["partners"]
        assert partners[0]["fingerprint"].startswith("SHA256:") and partners[0]["agreement"]["version"] == 1
        assert api.get("/api/v1/partners/mx-fgr", headers=auth).json()["versions"][0]["version"] == 1
        ana = api.post("/api/v1/auth/login", json={"username": "ana", "password": PASSWORDS["ana"]}).json()[
            "token"
        ]
        assert (
            api.post(
                "/api/v1/partners/mx-fgr/agreement/preview",
                headers={"Authorization": f"Bearer {ana}"},
                json={"start": "2020-01-01"},
            ).status_code
            == 403
        )


def test_case_board_open_advance_and_answer(site, node):
    web, base = site
    login(web, "ana")
    assert web.get("/cases").status_code == 200
    bad = post_form(
        web,
        "/cases/new",
        "/cases/new",
        {
            "kind": "information_request",
            "date": "2025-02-01",
            "requesting_country": "US",
            "requested_country": "US",
            "markings.tlp": "amber",
        },
    )
    assert bad.status_code == 422 and "must differ" in bad.text
    made = post_form(
        web,
        "/cases/new",
        "/cases/new",
        {
            "kind": "information_request",
            "date": "2025-02-01",
            "requesting_country": "US",
            "requested_country": "MX",
            "reference": "INFO-7",
            "markings.tlp": "amber",
        },
    )
    assert made.status_code == 200 and "INFO-7" in made.text
    case_id = made.url.path.rsplit("/", 1)[1]
    board = web.get("/cases")
    assert "INFO-7" in board.text and "Received" in board.text and "overdue-flag" in board.text
    assert "INFO-7" in web.get("/").text  # the dashboard lists overdue cases
    moved = post_form(
        web,
        f"/cases/{case_id}",
        f"/cases/{case_id}/advance",
        {"to": "acknowledged", "date": "2025-02-03", "reason": "logged by the liaison desk"},
    )
    assert moved.status_code == 200 and "logged by the liaison desk" in moved.text
    stale = post_form(
        web,
        f"/cases/{case_id}",
        f"/cases/{case_id}/advance",
        {"to": "received", "date": "2025-02-04", "reason": "again"},
    )
    assert stale.status_code == 422
    error = re.search(r'id="e-to">(.*?)</small>', stale.text, re.DOTALL).group(1)
    assert "Allowed next steps:" in error and "Answered" in error and "Awaiting clarification" in error
    early = post_form(
        web,
        f"/cases/{case_id}",
        f"/cases/{case_id}/advance",
        {"to": "answered", "date": "2025-01-01", "reason": "too early"},
    )
    assert early.status_code == 422 and "before the last change" in early.text
    answered = post_form(
        web,
        f"/cases/{case_id}",
        f"/cases/{case_id}/answer",
        {"kind": "status", "text": "documents are being gathered"},
    )
    assert "documents are being gathered" in answered.text and "Status update" in answered.text
    got = cases.get_case(node, Actor("ana", "analyst", node.id), case_id)
    assert got["summary"]["state"] == "acknowledged" and len(got["answers"]) == 1
    login_api = httpx.post(
        base + "/api/v1/auth/login", json={"username": "ana", "password": PASSWORDS["ana"]}
    )
    auth = {"Authorization": f"Bearer {login_api.json()['token']}"}
    assert httpx.get(base + "/api/v1/cases", headers=auth).json()["items"][0]["reference"] == "INFO-7"
    web.cookies.clear()
    login(web, "aud")
    assert web.get("/cases/new").status_code == 403


def test_graph_page_expand_filter_path_and_exports(site, node):
    web, base = site
    seizure, person, org = _graph(node)
    login(web, "ana")
    page = web.get("/graph", params={"id": seizure.id, "depth": 1})
    assert page.status_code == 200 and '<svg class="graph"' in page.text
    assert "Joaquín Ramírez Soto" in page.text and "Cártel del Pacífico" not in page.text
    expand = re.search(r'href="(/graph\?[^"]*expand=person[^"]*)"', page.text).group(1).replace("&amp;", "&")
    opened = web.get(expand)
    assert "Cártel del Pacífico" in opened.text
    only = web.get("/graph", params={"id": seizure.id, "depth": 2, "types": ["organization"]})
    assert "Cártel del Pacífico" in only.text and "Joaquín Ramírez Soto" not in only.text
    path = web.get("/graph", params={"from": seizure.id, "to": org.id})
    assert "Shortest path: 2 hops" in path.text
    graphml = web.get("/graph/export", params={"id": seizure.id, "depth": 2, "format": "graphml"})
    assert graphml.headers["content-type"].startswith("application/graphml+xml") and org.id in graphml.text
    nodes_csv = web.get("/graph/export", params={"from": seizure.id, "to": org.id, "format": "csv-nodes"})
    assert nodes_csv.text.startswith("id,type,label") and person.id in nodes_csv.text
    bad = web.get("/graph", params={"id": "not-an-id"})
    assert bad.status_code == 200 and 'id="e-gid"' in bad.text
    token = httpx.post(
        base + "/api/v1/auth/login", json={"username": "ana", "password": PASSWORDS["ana"]}
    ).json()
    twin = httpx.get(
        f"{base}/api/v1/graph/neighbours/{seizure.id}",
        params={"depth": 1, "expand": person.id},
        headers={"Authorization": f"Bearer {token['token']}"},
    ).json()
    assert org.id in {n["id"] for n in twin["nodes"]}


def test_own_records_are_editable_and_notes_prefill_the_reference(site, node):
    web, _ = site
    ana = Actor("ana", "analyst", node.id)
    mine = service.create_record(node, ana, "seizure", SEIZURE, {"tlp": "green"})
    login(web, "ana")
    page = web.get(f"/records/{mine.id}")
    assert f"/records/{mine.id}/edit" in page.text and "recorded on this node" in page.text
    note = web.get("/records/new", params={"type": "note", "about": mine.id})
    assert re.search(r'name="about_refs"[^>]*>' + re.escape(mine.id), note.text)

"""The federation, case and network pages in Debian's Chromium, with two real nodes (US and Mexico) that
synced over TAXII: a partner record with its verified signature and a note back, a case advanced with the
other side's answer on its timeline, the graph expanded by clicking, and an agreement edited with its preview.

Same rules as test_web_browser: SQLite only, no request off loopback, no console error.
Set VINCULO_SCREENSHOTS=<dir> to save screenshots of these pages there.
"""

from __future__ import annotations

import pytest
from conftest import SEIZURE
from fed_helpers import pair
from test_web_browser import browser, labelled, page, shot  # noqa: F401  (the shared browser fixtures)
from web_helpers import PASSWORDS, add_users

from vinculo.accounts.model import Actor
from vinculo.cases import service as cases
from vinculo.federation import sync
from vinculo.node.home import resolve
from vinculo.node.service import init_node
from vinculo.records import service
from vinculo.records.repository import Filters
from vinculo.store.engine import sqlite_url

US_TERMS = {
    "record_types": ["seizure", "person", "organization", "relationship", "case", "note"],
    "max_tlp": "amber",
    "start": "2020-01-01",
    "withheld_fields": {"seizure": ["place"]},
}
MX_TERMS = {"record_types": ["note", "seizure"], "max_tlp": "amber", "start": "2020-01-01"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """us-dea and mx-fgr served on loopback, linked, and synced once each way."""
    tmp = tmp_path_factory.mktemp("twonodes")
    us = init_node(resolve(tmp / "us", sqlite_url(tmp / "us.db")), "us-dea", "US test agency", "US")
    mx = init_node(resolve(tmp / "mx", sqlite_url(tmp / "mx.db")), "mx-fgr", "FGR test", "MX")
    add_users(us)
    add_users(mx)
    sam = Actor("sam", "supervisor", us.id)
    seizure = service.create_record(
        us, sam, "seizure", SEIZURE | {"admin_area": "California"}, {"tlp": "amber"}
    )
    person = service.create_record(
        us, sam, "person", {"full_name": "Joaquín Ramírez Soto", "nationality": ["MX"]}, {"tlp": "green"}
    )
    org = service.create_record(
        us, sam, "organization", {"name": "Cártel del Pacífico", "kind": "cartel"}, {"tlp": "green"}
    )
    for src, dst, kind in ((person.id, seizure.id, "seized-from"), (person.id, org.id, "member-of")):
        service.create_record(
            us,
            sam,
            "relationship",
            {"relationship_type": kind, "source_ref": src, "target_ref": dst},
            {"tlp": "green"},
        )
    case = cases.open_case(
        us,
        sam,
        {
            "kind": "information_request",
            "date": "2025-02-03",
            "requesting_country": "US",
            "requested_country": "MX",
            "reference": "INFO-2025-14",
            "subject": "Joaquín Ramírez Soto",
            "requested_node": "mx-fgr",
        },
        {"tlp": "amber"},
    )
    with pair(us, mx, us_terms=US_TERMS, mx_terms=MX_TERMS) as (us_url, mx_url, _, _):
        sync.pull(mx, us.id)
        cases.answer_case(
            mx,
            Actor("mia", "analyst", mx.id),
            case.id,
            "The subject's records were requested from the civil registry.",
            kind="status",
        )
        sync.pull(us, mx.id)
        yield {
            "us": us,
            "mx": mx,
            "base": us_url,
            "mx_url": mx_url,
            "seizure": seizure.id,
            "person": person.id,
            "org": org.id,
            "case": case.id,
        }
    us.engine.dispose()
    mx.engine.dispose()


def log_in_at(page, base: str, name: str) -> None:  # noqa: F811  (a page, not the fixture)
    page.goto(base + "/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORDS[name])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def test_partner_record_after_a_real_sync_and_a_note_back(page, site):  # noqa: F811  (the shared fixture)
    mx_url, rid = site["mx_url"], site["seizure"]
    log_in_at(page, mx_url, "ana")
    page.goto(mx_url + "/records?origin=us-dea&type=seizure")
    row = page.locator("table.records tbody tr").first
    assert row.locator(".origin-partner").inner_text() == "us-dea"
    row.get_by_role("link").first.click()
    page.wait_for_url(f"**/records/{rid}")
    banner = page.locator("article.partner-origin")
    assert "A record from partner us-dea." in banner.inner_text()
    assert "Signed by us-dea, verified on receipt" in banner.inner_text()
    assert page.get_by_role("button", name="New version").count() == 0  # only the origin changes it
    assert "San Ysidro" not in page.locator("main").inner_text()  # withheld by the US agreement
    shot(page, "partner-record")
    page.get_by_role("button", name="Add a note or confirmation about this record").click()
    page.wait_for_url("**/records/new?type=note*")
    assert page.get_by_label("About records").input_value() == rid
    page.get_by_label("Text", exact=True).fill("Confirmed: the same load was flagged at Tijuana customs.")
    row = page.locator("#release-preview tr.partner-us-dea")
    assert page.get_by_label("Kind").input_value() == "confirmation"
    page.get_by_role("button", name="Update preview").click()
    row.get_by_text("yes").wait_for()  # the note goes back to the record's origin
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/records/note--*")
    note_id = page.url.rsplit("/", 1)[1]
    us, sam = site["us"], Actor("sam", "supervisor", site["us"].id)
    sync.pull(us, "mx-fgr")
    _, decision = service.get_record(us, sam, note_id)
    assert decision.view["origin"] == "mx-fgr" and decision.view["body"]["about_refs"] == [rid]


def test_advance_a_case_with_both_sides_on_the_timeline(page, site):  # noqa: F811  (the shared fixture)
    page.goto("/")
    log_in_at(page, site["base"], "ana")
    page.goto("/cases")
    card = page.locator(".board article.card", has_text="INFO-2025-14")
    assert "Overdue" in card.inner_text()
    shot(page, "cases-board")
    card.get_by_role("link").click()
    page.wait_for_url(f"**/cases/{site['case']}")
    timeline = page.locator("ol.timeline")
    assert "mx-fgr" in timeline.inner_text() and "civil registry" in timeline.inner_text()
    page.get_by_label("Next stage").select_option("acknowledged")
    page.get_by_label("On", exact=True).fill("2025-02-05")
    page.get_by_label("Reason").fill("Received by the liaison office")
    page.get_by_role("button", name="Advance").click()
    page.locator("ol.timeline", has_text="Received by the liaison office").wait_for()
    assert "Acknowledged" in page.locator("h1").inner_text()
    assert not labelled(page)
    shot(page, "case")
    state = cases.get_case(site["us"], Actor("ana", "analyst", "us-dea"), site["case"])["summary"]["state"]
    assert state == "acknowledged"


def test_open_the_graph_and_expand_a_node_by_clicking(page, site):  # noqa: F811  (the shared fixture)
    log_in_at(page, site["base"], "ana")
    page.goto(f"/records/{site['seizure']}")
    page.get_by_role("link", name="Network around this record").click()
    page.wait_for_url("**/graph?id=*")
    page.get_by_label("Hops").select_option("1")
    page.get_by_role("button", name="Show the network").click()
    page.wait_for_url("**/graph?id=*depth=1*")
    svg = page.locator("svg.graph")
    assert svg.locator("a.gnode").count() == 2 and "Cártel" not in svg.inner_html()
    svg.locator(f'a.gnode[data-id="{site["person"]}"]').click()
    page.wait_for_url("**expand=person*")
    page.locator("svg.graph a.gnode", has_text="Cártel del Pacífico").wait_for()
    assert page.locator("table.graph-list tbody tr").count() == 3
    assert page.get_by_role("link", name="GraphML").get_attribute("href").startswith("/graph/export?")
    assert not labelled(page)
    shot(page, "graph")


def test_edit_an_agreement_and_see_its_preview(page, site):  # noqa: F811  (the shared fixture)
    log_in_at(page, site["base"], "adm")
    page.get_by_role("link", name="Partners").click()
    page.wait_for_url("**/partners")
    row = page.locator("tr.partner-mx-fgr")
    assert "SHA256:" in row.inner_text() and "new" in row.inner_text()
    shot(page, "partners")
    row.get_by_role("link", name="mx-fgr").click()
    page.get_by_role("button", name="Edit the agreement").click()
    page.wait_for_url("**/partners/mx-fgr/agreement")
    preview = page.locator("#agreement-preview")
    preview.get_by_text("No record the partner holds would be withdrawn.").wait_for()
    # the amber seizure and case it holds must go, and the green relationship that names the seizure
    page.get_by_label("Highest TLP").select_option("green")
    preview.get_by_text("3 records the partner holds would be withdrawn.").wait_for()
    assert preview.locator("tr.changed").count() >= 2
    page.locator("#agreement-form details.withheld", has_text="Person").locator("summary").click()
    page.locator("#ag-w-person-nationality").check()
    page.locator(".preview-box").scroll_into_view_if_needed()
    shot(page, "agreement-editor")
    assert not labelled(page)
    page.get_by_label("Withdraw these 3 records from mx-fgr when saving").check()  # or nothing is saved
    page.get_by_role("button", name="Save a new version").click()
    page.get_by_text("Agreement version 2 saved.").wait_for()
    assert "3 records the partner holds will be withdrawn" in page.locator("main").inner_text()
    mx = site["mx"]
    sync.pull(mx, "us-dea")
    held = service.list_records(
        mx, Actor("sam", "supervisor", mx.id), Filters(origin="us-dea"), None, 100
    ).items
    assert site["seizure"] not in {i["id"] for i in held}

"""The web UI in Debian's Chromium (Playwright): log in, switch language, create with a release preview,
search, import with a bad row; every page renders with no console error and no request off loopback.

SQLite only (the pages are the same on PostgreSQL; the services are tested on both). Skips when
/usr/bin/chromium is missing, except in CI (CI=true), where that fails.
Set VINCULO_SCREENSHOTS=<dir> to save screenshots of the main pages there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import SEIZURE
from servers import serving
from web_helpers import PASSWORDS, add_mx_partner, add_users

from vinculo.accounts.model import Actor
from vinculo.node.home import resolve
from vinculo.node.service import init_node
from vinculo.records import service
from vinculo.records.repository import Filters
from vinculo.store.engine import sqlite_url

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
SHOTS = os.environ.get("VINCULO_SCREENSHOTS")


def _need_browser():
    problem = None
    if not Path(CHROMIUM).exists():
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            problem = "playwright is not installed (pip install -e '.[dev]')"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {problem}")
        pytest.skip(problem)
    return sync_playwright


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A SQLite node with users, a Mexican partner and one record, served on loopback."""
    tmp = tmp_path_factory.mktemp("webnode")
    node = init_node(resolve(tmp / "home", sqlite_url(tmp / "node.db")), "us-dea", "US test agency", "US")
    add_users(node)
    add_mx_partner(node)
    sam = Actor("sam", "supervisor", node.id)
    seed = service.create_record(node, sam, "seizure", SEIZURE | {"admin_area": "Texas"}, {"tlp": "green"})
    service.create_record(node, sam, "lab", {"kind": "fentanyl-pressing", "status": "dismantled", "country": "MX",
                                             "admin_area": "Sinaloa", "discovered": "2025-03-02"}, {"tlp": "amber"})
    for number in ("+52 656 123 4567", "+52 (656) 1234567"):  # two records sharing a phone: an alert
        service.create_record(node, sam, "phone", {"number": number}, {"tlp": "green"})
    with serving(node) as base:
        yield {"node": node, "base": base, "seed": seed.id}
    node.engine.dispose()


@pytest.fixture(scope="module")
def browser(site):
    sync_playwright = _need_browser()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Watch:
    """Console errors, page errors and blocked off-loopback requests of one browser context."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.blocked: list[str] = []
        self.expected_status = False  # a test that posts bad input expects a 4xx answer (logged by Chromium)

    def route(self, route) -> None:
        host = urlparse(route.request.url).hostname or ""
        if host in LOOPBACK or route.request.url.startswith(("data:", "about:")):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def clean(self) -> None:
        assert not self.blocked, f"requests to other hosts: {self.blocked}"
        errors = [e for e in self.errors if not (self.expected_status and e.startswith(
            "Failed to load resource: the server responded with a status of 422"))]
        assert not errors, f"console errors: {errors}"


@pytest.fixture
def page(browser, site):
    context = browser.new_context(base_url=site["base"], viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15000)
    watch = Watch()
    context.route("**/*", watch.route)
    pg = context.new_page()
    pg.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: watch.errors.append(str(e)))
    pg.watch = watch
    yield pg
    context.close()
    watch.clean()


def log_in(page, name: str = "ana") -> None:
    page.goto("/")
    assert "/login" in page.url
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORDS[name])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=False)


def labelled(page) -> list[str]:
    """Visible form controls that have no label (each must have one)."""
    return page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
        .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
        .map(e => e.name || e.id)""")


def test_log_in_switch_language_and_log_out(page):
    page.goto("/")
    shot(page, "login")
    log_in(page)
    assert page.locator("h1").inner_text() == "Dashboard"
    page.get_by_role("button", name="Español").click()
    page.wait_for_selector("h1:text('Panel')")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("link", name="Registros").is_visible()
    page.get_by_role("link", name="Registros").click()
    page.wait_for_selector("h1:text('Registros')")
    page.get_by_role("button", name="English").click()
    page.wait_for_selector("h1:text('Records')")
    page.get_by_role("button", name="Log out ana").click()
    page.wait_for_url("**/login")
    page.goto("/records")
    assert "/login" in page.url  # the session is gone


def test_create_seizure_with_marking_and_release_preview(page, site):
    log_in(page)
    page.goto("/records/new?type=seizure")
    page.get_by_label("Date", exact=True).fill("2025-07-04")
    page.get_by_label("Country", exact=True).select_option("US")
    page.get_by_label("State / province").fill("Arizona")
    page.get_by_label("Place", exact=True).fill("Nogales DeConcini crossing")
    page.get_by_label("Substance", exact=True).fill("fentanyl")
    page.get_by_label("Amount").fill("4.2")
    page.get_by_label("Unit").select_option("kg")
    page.get_by_label("TLP").select_option("amber")
    page.get_by_role("group", name="Named recipients (partners)").get_by_label("mx-fgr").check()
    row = page.locator("#release-preview tr.partner-mx-fgr")
    row.get_by_text("yes").wait_for()
    assert "Substance" in row.inner_text() and "withheld: Place" in row.inner_text()
    page.locator(".preview-box").scroll_into_view_if_needed()
    shot(page, "record-new-preview")
    page.get_by_label("TLP").select_option("red")  # for the people it names here: the preview changes
    row.get_by_text("no", exact=True).wait_for()
    assert "never sent to a partner" in row.inner_text()
    page.get_by_label("TLP").select_option("amber")
    row.get_by_text("yes").wait_for()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/records/seizure--*")
    assert "Nogales DeConcini crossing" in page.locator("main").inner_text()
    page.locator("#release-preview tr.partner-mx-fgr").wait_for()
    shot(page, "record-detail")


def test_validation_messages_sit_next_to_the_field(page):
    page.watch.expected_status = True
    log_in(page)
    page.goto("/records/new?type=seizure")
    page.get_by_label("Date", exact=True).fill("2025-07-04")
    page.get_by_label("Country", exact=True).select_option("MX")
    page.get_by_label("Substance", exact=True).fill("not-a-drug-at-all")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#f-substance-err")
    error.wait_for()
    assert "unknown substance" in error.inner_text()
    assert page.get_by_label("Substance", exact=True).get_attribute("aria-invalid") == "true"


def test_find_a_record_by_search(page, site):
    node = site["node"]
    service.create_record(node, Actor("ana", "analyst", node.id), "seizure",
                          SEIZURE | {"place": "Calexico East searchable"}, {"tlp": "amber"})
    log_in(page)
    page.goto("/records")
    page.get_by_label("Text").fill("calexico east")
    page.get_by_label("Substance").fill("fentanyl")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/records?*text=calexico*")
    rows = page.locator("#results table.records tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1
    shot(page, "records")
    rows.first.get_by_role("link").click()
    page.wait_for_url("**/records/seizure--*")
    assert "Calexico East searchable" in page.locator("main").inner_text()


def test_import_with_a_bad_row_shows_the_error_and_writes_nothing(page, site, tmp_path):
    node, ana = site["node"], Actor("ana", "analyst", site["node"].id)
    before = service.count_records(node, ana, Filters())
    good = {"type": "seizure", "body": SEIZURE | {"place": "import row"}, "markings": {"tlp": "green"}}
    bad = {"type": "seizure", "body": SEIZURE | {"quantity": {"amount": -5, "unit": "kg"}}}
    path = tmp_path / "batch.ndjson"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    page.watch.expected_status = True
    log_in(page)
    page.goto("/import")
    page.get_by_label("File").set_input_files(str(path))
    page.get_by_label("Format").select_option("ndjson")
    page.get_by_role("button", name="Check the file").click()
    table = page.locator("table.row-errors")
    table.wait_for()
    assert "quantity.amount" in table.inner_text() and "2" in table.locator("td").first.inner_text()
    shot(page, "import-errors")
    assert service.count_records(node, ana, Filters()) == before
    path.write_text(json.dumps(good) + "\n")
    page.get_by_label("File").set_input_files(str(path))
    page.get_by_label("Format").select_option("ndjson")
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("button", name="Import 1 records").click()
    page.get_by_text("Imported 1 records").wait_for()
    assert service.count_records(node, ana, Filters()) == before + 1


@pytest.mark.parametrize("user", ["ana", "aud"])
def test_every_page_renders_offline_with_labels(page, site, user):
    log_in(page, user)
    pages = ["/", "/records", f"/records/{site['seed']}", "/alerts"]
    pages += ["/records/new?type=" + t for t in ("seizure", "shipment", "lab", "person", "note")] + ["/import"] \
        if user == "ana" else ["/audit", "/audit?user=ana"]
    for path in pages:
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        assert not labelled(page), f"{path}: controls without a label: {labelled(page)}"
    if user == "aud":
        page.get_by_role("button", name="Verify now").click()
        page.get_by_text("Verified").wait_for()
        shot(page, "audit")
    else:
        page.goto("/alerts")
        assert page.locator("table.alerts tbody tr").count() >= 1
        shot(page, "alerts")
        page.goto("/")
        page.wait_for_load_state("networkidle")
        shot(page, "dashboard")


def test_keyboard_and_tablet_width(page, site):
    log_in(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")
    page.set_viewport_size({"width": 768, "height": 1024})
    for path in ("/", "/records", "/records/new?type=seizure", f"/records/{site['seed']}", "/alerts"):
        page.goto(path)
        wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wide <= 1, f"{path} scrolls sideways by {wide}px at tablet width"
    shot(page, "record-tablet")

"""The notification pages in English and Spanish, and their forms, over real HTTP."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from conftest import actor
from servers import serving
from web_helpers import add_mx_partner, add_users, login, post_form

from vinculo.precursors import service as pen
from vinculo.records import service as records
from vinculo.sharing import service as sharing

SHIPMENT = {"date": "2026-11-20", "status": "released", "substance": "4-piperidone",
            "quantity": {"amount": 250, "unit": "kg"}, "exporter": "Gulf Fine Chemicals LLC",
            "exporter_country": "US", "importer": "Quimica Industrial del Pacifico SA de CV",
            "importer_country": "MX", "consignee": "Laboratorios Sinaloa SA"}


@pytest.fixture
def web(node):
    add_users(node)
    add_mx_partner(node)
    sharing.set_agreement(node, "mx-fgr", {"record_types": ["shipment", "case"], "max_tlp": "amber",
                                           "start": "2020-01-01"})
    with serving(node) as base, httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
        login(client, "ana")
        yield client


def test_list_detail_and_forms_in_both_languages(web, node):
    ana = actor(node, "analyst")
    ship = records.create_record(node, ana, "shipment", SHIPMENT)
    case = pen.notify(node, ana, ship.id, "mx-fgr", reference="PEN-US-0007")
    listed = web.get("/records", params={"type": "shipment"})
    assert "1988-I (2024) · US-I" in listed.text and "Controlled or watched chemical" in listed.text
    assert "1988-I (2024)" in web.get(f"/records/{ship.id}").text
    page = web.get("/precursors")
    assert page.status_code == 200 and "PEN-US-0007" in page.text and "Controlled: 1988-I (2024)" in page.text
    assert "Gulf Fine Chemicals LLC" in page.text and 'href="/precursors"' in page.text  # in the menu
    detail = web.get(f"/precursors/{case.id}")
    assert "Information provided" in detail.text and "no-objection" not in detail.text  # the exporter's answers
    refused = post_form(web, f"/precursors/{case.id}", f"/precursors/{case.id}/answer", {"answer": "no-objection"})
    assert refused.status_code == 422 and "only the importer" in refused.text
    bad = post_form(web, f"/precursors/{case.id}", f"/precursors/{case.id}/outcome",
                    {"outcome": "delivered", "date": dt.date.today().isoformat(), "reason": "x"})
    assert bad.status_code == 422 and "allowed next" in bad.text
    ok = post_form(web, f"/precursors/{case.id}", f"/precursors/{case.id}/outcome",
                   {"outcome": "stopped", "date": dt.datetime.now(dt.UTC).date().isoformat(),
                    "reason": "consignee unknown"})
    assert ok.status_code == 200 and ok.url.path == f"/precursors/{case.id}"
    post_form(web, "/precursors", "/lang", {"lang": "es", "next": "/precursors"})
    es = web.get("/precursors", params={"by": "substance"})
    assert "Notificaciones previas a la exportación" in es.text and "Fiscalizada: 1988-I (2024)" in es.text
    assert "Detenida" in es.text and "Tasa de objeción" in es.text
    assert web.get("/precursors", params={"company": "x" * 5000}).status_code == 200  # clipped, not an error

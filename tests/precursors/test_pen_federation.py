"""Three real nodes (exporter US, importer MX, a hub) over real HTTP: a pre-export notification answered
within its reply period, another left overdue, and what each node sees and may answer, per agreement."""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack, contextmanager

import pytest
from conftest import actor
from servers import serving

from vinculo.federation import partners, sync
from vinculo.federation.agreements import update_agreement
from vinculo.precursors import incidents
from vinculo.precursors import service as pen
from vinculo.records import service as records
from vinculo.records.model import RecordInvalid

SHIPMENT = {"date": "2026-11-20", "status": "released", "substance": "4-piperidone",
            "quantity": {"amount": 250, "unit": "kg"}, "exporter": "Gulf Fine Chemicals LLC",
            "exporter_country": "US", "importer": "Quimica Industrial del Pacifico SA de CV",
            "importer_country": "MX", "consignee": "Laboratorios Sinaloa SA", "route": ["Houston", "Manzanillo"],
            "transport": "maritime-container"}
US_TO = {"mx-cofepris": {"record_types": ["shipment", "case", "relationship", "seizure"], "max_tlp": "amber",
                         "start": "2020-01-01"},
         "hub-incb": {"record_types": ["shipment", "case", "note"], "max_tlp": "green", "start": "2020-01-01"}}
MX_TO = {"us-dea": {"record_types": ["note", "seizure"], "max_tlp": "amber", "start": "2020-01-01"},
         "hub-incb": {"record_types": ["note"], "max_tlp": "amber", "start": "2020-01-01"}}


@contextmanager
def trio(nodes, terms):
    """Serve every node, register each with each, exchange credentials, set the given agreements."""
    with ExitStack() as stack:
        urls = {n.id: stack.enter_context(serving(n)) for n in nodes}
        for a in nodes:
            for b in nodes:
                if a is not b:
                    _, cred = partners.add_partner(a, b.id, b.id, b.public_key_hex, urls[b.id], b.country)
                    partners.store_pull_credential(b, a.id, cred)
        for origin, by_partner in terms:
            for partner, t in by_partner.items():
                update_agreement(origin, partner, t)
        yield urls


@pytest.fixture
def nodes(make_node):
    return make_node("us-dea", "US"), make_node("mx-cofepris", "MX"), make_node("hub-incb", "AT")


def ids(node, rtype):
    page = records.list_records(node, actor(node, "supervisor"), records.repo.Filters(type=rtype), None, 500)
    return {i["id"] for i in page.items}


def test_answered_and_overdue_seen_the_same_on_both_nodes(nodes):
    us, mx, hub = nodes
    today = dt.datetime.now(dt.UTC).date()
    ana_us, ana_mx, ana_hub = actor(us, "analyst"), actor(mx, "analyst"), actor(hub, "analyst")
    with trio(nodes, [(us, US_TO), (mx, MX_TO)]):
        shipment = records.create_record(us, ana_us, "shipment", SHIPMENT, {"tlp": "green"})
        answered = pen.notify(us, ana_us, shipment.id, "mx-cofepris", markings={"tlp": "green"},
                              reference="PEN-US-2026-0001")
        late = pen.notify(us, ana_us, shipment.id, "mx-cofepris", reply_days=5, markings={"tlp": "amber"},
                          on=(today - dt.timedelta(days=30)).isoformat(), reference="PEN-US-2026-0002")
        sync.pull(mx, "us-dea")
        assert {answered.id, late.id} <= ids(mx, "case")
        got = {s["id"]: s for s in pen.list_notifications(mx, ana_mx, today=today)}
        assert got[answered.id]["direction"] == "received" and got[answered.id]["control"].startswith("1988-I (2024)")

        # the importer acknowledges and clears the first; the exporter may not answer for it, nor the hub
        pen.answer(mx, ana_mx, answered.id, "acknowledged", "received, checking the consignee")
        pen.answer(mx, ana_mx, answered.id, "legitimate-consignee", "licence COFEPRIS 123/2026 valid")
        with pytest.raises(records.Forbidden):
            pen.answer(us, ana_us, answered.id, "no-objection")
        with pytest.raises(RecordInvalid):
            pen.answer(mx, ana_mx, answered.id, "maybe")
        sync.pull(us, "mx-cofepris")
        sync.pull(hub, "us-dea")
        sync.pull(hub, "mx-cofepris")

        for node, who in ((us, ana_us), (mx, ana_mx)):
            s = {x["id"]: x for x in pen.list_notifications(node, who, today=today)}
            assert s[answered.id]["decision"] == "cleared" and s[answered.id]["answered_in_period"]
            assert s[answered.id]["overdue"] == []
            assert s[late.id]["decision"] is None and set(s[late.id]["overdue"]) == {"PEN-ACK", "PEN-REPLY"}
            assert {a["notification"] for a in pen.alerts(node, who, today)} == {late.id}

        # the hub's agreement covers GREEN cases: it holds the first notification, not the AMBER one, and
        # none of the importer's notes (they name a US record Mexico may not pass on)
        assert ids(hub, "case") == {answered.id}
        assert ids(hub, "note") == set()
        hub_view = {s["id"]: s for s in pen.list_notifications(hub, ana_hub, today=today)}
        assert hub_view[answered.id]["direction"] == "copy" and hub_view[answered.id]["decision"] is None
        with pytest.raises(records.Forbidden):
            pen.answer(hub, ana_hub, answered.id, "objection", "hub cannot object")

        # the exporter records the outcome; only it can
        pen.record_outcome(us, ana_us, answered.id, "shipped", today, "left Houston")
        with pytest.raises(records.Forbidden):
            pen.record_outcome(mx, ana_mx, late.id, "stopped", today, "not ours to change")
        pen.record_outcome(us, ana_us, late.id, "suspended", today, "no reply from the importing authority")
        sync.pull(mx, "us-dea")
        states = {s["id"]: s["state"] for s in pen.list_notifications(mx, ana_mx, today=today)}
        assert states == {answered.id: "shipped", late.id: "suspended"}
        fig = pen.figures(us, ana_us, "mx-cofepris", today - dt.timedelta(days=60), today, today)
        assert fig["sent"] == {"notifications": 2, "answered_in_period": 1, "objections": 0, "stopped": 1,
                               "overdue": 1}
        from vinculo.cases.scorecard_service import scorecard

        card = scorecard(us, actor(us, "supervisor"), "mx-cofepris", f"{today - dt.timedelta(days=60)}..{today}", today)
        assert card["out"]["pre_export"] == fig["sent"] and card["out"]["requests"]["sent"] == 0
        assert pen.figures(mx, ana_mx, "us-dea", today - dt.timedelta(days=60), today, today)["received"][
            "notifications"] == 2


def test_notify_refuses_what_is_not_a_controlled_chemical(nodes):
    us, mx, _ = nodes
    ana = actor(us, "analyst")
    partners.add_partner(us, mx.id, "Mexico", mx.public_key_hex, None, "MX")
    secret = records.create_record(us, ana, "shipment", SHIPMENT)  # no agreement yet: Mexico may not get it
    with pytest.raises(RecordInvalid, match="may not receive"):
        pen.notify(us, ana, secret.id, "mx-cofepris")
    update_agreement(us, mx.id, US_TO["mx-cofepris"])
    plain = records.create_record(us, ana, "shipment", SHIPMENT | {"substance": "caffeine"})
    with pytest.raises(RecordInvalid, match="not a controlled or watched chemical"):
        pen.notify(us, ana, plain.id, "mx-cofepris")
    ship = records.create_record(us, ana, "shipment", SHIPMENT)
    with pytest.raises(RecordInvalid, match="no partner"):
        pen.notify(us, ana, ship.id, "nobody-here")
    with pytest.raises(RecordInvalid):
        pen.notify(us, ana, ship.id, "mx-cofepris", reply_days=400)
    with pytest.raises(RecordInvalid):
        pen.notify(us, ana, ship.id, "mx-cofepris", fields={"ship_date": "2090-01-01"})
    assert ids(us, "case") == set()  # nothing half-written


def test_an_incident_goes_to_the_partner_and_the_hub_in_one_step(nodes):
    us, mx, hub = nodes
    ana = actor(us, "analyst")
    with trio(nodes, [(us, US_TO)]):
        stopped = records.create_record(us, ana, "shipment", SHIPMENT | {"status": "stopped"}, {"tlp": "green"})
        delivered = records.create_record(us, ana, "shipment", SHIPMENT | {"status": "delivered"})
        with pytest.raises(RecordInvalid, match="shipment incident"):
            incidents.report_incident(us, ana, delivered.id)
        with pytest.raises(RecordInvalid, match="not a PICS field"):
            incidents.report_incident(us, ana, stopped.id, {"password": "x"})
        done = incidents.report_incident(us, ana, stopped.id, {"modus_operandi": "mis-declared as a solvent",
                                                               "concealment": "drums labelled piperidine"},
                                         "consignee unknown at the declared address", {"tlp": "green"})
        assert done["fields"]["companies"] == [SHIPMENT["exporter"], SHIPMENT["importer"], SHIPMENT["consignee"]]
        assert {p["partner"]: p["receives"] for p in done["partners"]} == {"mx-cofepris": False, "hub-incb": True}
        sync.pull(hub, "us-dea")
        sync.pull(mx, "us-dea")
        got = incidents.list_incidents(hub, actor(hub, "analyst"))
        assert [(i["id"], i["fields"]["modus_operandi"]) for i in got] == [(done["incident"],
                                                                             "mis-declared as a solvent")]
        assert incidents.list_incidents(mx, actor(mx, "analyst")) == []  # its agreement with us has no notes

"""Private matching between two real nodes over HTTP: counts first, approved hits on both sides as
notices, nothing in plaintext on the wire, caps, per-day limits, releasability, audit on both sides;
and local alerts on records received from a partner."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from conftest import actor
from fed_helpers import pair

from vinculo.audit.checks import verify_node
from vinculo.audit.service import entries
from vinculo.cases.scorecard_service import scorecard
from vinculo.deconfliction import alerts, psi_service
from vinculo.deconfliction.psi_channel import PsiChannel, PsiRateLimited
from vinculo.deconfliction.psi_messages import PsiRefused
from vinculo.federation import sync
from vinculo.federation.agreements import update_agreement
from vinculo.records import service
from vinculo.records.service import Forbidden

TERMS = {"record_types": ["person", "phone", "vehicle", "event"], "max_tlp": "amber", "start": "2020-01-01",
         "withheld_fields": {"person": ["phones"]}}
PLAINTEXT = [b"525512345678", b"5512345678", b"523399990000", b"ABC123D", b"juan lopez perez", b"JUAN PERES",
             b"juan perez", b"12025550199", b"1980-02-03", b"5544443333"]


@pytest.fixture
def nodes(make_node):
    return make_node("us-dea", "US", "DEA test node"), make_node("mx-fgr", "MX", "FGR test node")


def _populate(us, mx):
    ua, ma = actor(us, "analyst"), actor(mx, "analyst")
    us_recs = {
        "phone": service.create_record(us, ua, "phone", {"number": "+52 55 1234 5678"}, {"tlp": "amber"}),
        "us-only": service.create_record(us, ua, "phone", {"number": "(202) 555-0199"}, {"tlp": "green"}),
        "red": service.create_record(us, ua, "phone", {"number": "+52 33 9999 0000"}, {"tlp": "red"}),
        "car": service.create_record(us, ua, "vehicle", {"kind": "car", "plate": "ABC-123-D", "plate_country": "MX",
                                                         "plate_state": "Jalisco"}, {"tlp": "green"}),
        "person": service.create_record(us, ua, "person", {"full_name": "Juan Pérez López",
                                                           "date_of_birth": "1980-02-03",
                                                           "phones": ["+52 55 4444 3333"]}),
    }
    mx_recs = {
        "phone": service.create_record(mx, ma, "phone", {"number": "55 1234 5678"}),
        "red": service.create_record(mx, ma, "phone", {"number": "33 9999 0000"}),
        "withheld": service.create_record(mx, ma, "phone", {"number": "55 4444 3333"}),
        "car": service.create_record(mx, ma, "vehicle", {"kind": "truck", "plate": "abc 123d", "plate_country": "MX",
                                                         "plate_state": "JAL"}),
        "person": service.create_record(mx, ma, "person", {"full_name": "JUAN PEREZ LOPEZ",
                                                           "date_of_birth": "1980-02-03"}),
        "other": service.create_record(mx, ma, "person", {"full_name": "María Guadalupe Torres",
                                                          "date_of_birth": "1975-11-30"}),
    }
    return us_recs, mx_recs


class Tap:
    """Every byte the initiator sends and receives."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def request(self, request: httpx.Request) -> None:
        self.bodies.append(request.read())

    def response(self, response: httpx.Response) -> None:
        self.bodies.append(response.read())


def test_psi_counts_then_approved_hits_on_both_nodes(nodes):
    us, mx = nodes
    us_recs, mx_recs = _populate(us, mx)
    sup = actor(us, "supervisor")
    tap = Tap()
    with pair(us, mx, us_terms=TERMS, mx_terms=TERMS):
        http = httpx.Client(timeout=60, event_hooks={"request": [tap.request], "response": [tap.response]})
        with PsiChannel(us, "mx-fgr", http=http) as ch:
            run = psi_service.start_run(us, actor(us, "analyst"), "mx-fgr", "phone,plate,person", channel=ch)
            kinds = run["result"]["kinds"]
            assert run["status"] == "counted" and run["stage"] == "cardinality"
            # the red US phone and the withheld person phone take no part
            assert kinds["phone"] == {"mine": 2, "theirs": 3, "overlap": 1, "transcript": kinds["phone"]["transcript"]}
            assert kinds["plate"]["overlap"] == 1 and kinds["plate-national"]["overlap"] == 1
            assert kinds["person-name-dob"]["overlap"] == 1 and kinds["person-name-dob"]["theirs"] == 2
            assert alerts.list_notices(us, sup) == [] and alerts.list_notices(mx, actor(mx, "supervisor")) == []
            with pytest.raises(Forbidden):
                psi_service.approve_run(us, actor(us, "analyst"), run["id"], channel=ch)
            done = psi_service.approve_run(us, sup, run["id"], channel=ch)
            with pytest.raises(PsiRefused):
                psi_service.approve_run(us, sup, run["id"], channel=ch)
        assert done["status"] == "done" and all(e.get("confirmed", True) for e in done["result"]["kinds"].values())
        us_notes = alerts.list_notices(us, sup)
        mx_notes = alerts.list_notices(mx, actor(mx, "supervisor"))
        assert {n["record"]["id"] for n in us_notes} == {us_recs[k].id for k in ("phone", "car", "person")}
        assert {n["record"]["id"] for n in mx_notes} == {mx_recs[k].id for k in ("phone", "car", "person")}
        assert {n["contact"] for n in us_notes} == {"Mexico"} and {n["contact"] for n in mx_notes} == {"United States"}
        assert not any(r.id in str(mx_notes) for r in us_recs.values())  # never the partner's records
        # nothing on the wire is a selector in plaintext (sizes and kinds only)
        wire = b"".join(tap.bodies)
        assert len(wire) > 32 * 20
        for secret in PLAINTEXT:
            assert secret not in wire, secret
        # audited on both sides with the same transcript hash per family
        with us.engine.connect() as c:
            us_runs = [e for e in entries(c, action="psi.run", limit=1000) if e["detail"]["stage"] == "intersection"]
        with mx.engine.connect() as c:
            mx_runs = entries(c, action="psi.run", limit=1000)
        ours = {k: e["transcript"] for k, e in us_runs[0]["detail"]["kinds"].items() if e.get("transcript")}
        theirs = {e["detail"]["kind"]: e["detail"]["transcript"] for e in mx_runs}
        assert ours == theirs and len(ours) == 6
        with us.engine.connect() as c:  # the scorecard's PSI hit with mx-fgr
            hits = entries(c, action="psi.hit", limit=10)
        assert [(e["detail"]["partner"], e["detail"]["run"], e["detail"]["records"]) for e in hits] == [
            ("mx-fgr", run["id"], 3)]
        assert scorecard(us, sup, "mx-fgr", str(dt.datetime.now(dt.UTC).year))["psi"]["hits"] == 1
    for n in (us, mx):
        result = verify_node(n)
        assert result.ok, result.problem


def test_caps_limits_and_stage_order(nodes):
    us, mx = nodes
    _populate(us, mx)
    sup = actor(us, "supervisor")
    with pair(us, mx, us_terms=TERMS, mx_terms=TERMS | {"psi_max_set_size": 1}) as (_, mx_url, _c, cred_for_us):
        with pytest.raises(PsiRefused, match="psi_max_set_size"):
            psi_service.start_run(us, sup, "mx-fgr", "phone")  # we declare 2 phones, MX allows 1
        update_agreement(mx, "us-dea", TERMS | {"psi_runs_per_day": 2})
        psi_service.start_run(us, sup, "mx-fgr", "plate")
        psi_service.start_run(us, sup, "mx-fgr", "plate")  # refused runs cost MX no work: not counted there
        with pytest.raises(PsiRateLimited):
            psi_service.start_run(us, sup, "mx-fgr", "plate")
        runs = psi_service.list_runs_for(us, sup)
        assert [r["status"] for r in runs].count("refused") == 2
        with mx.engine.connect() as c:
            assert len(entries(c, action="psi.refused", limit=100)) == 2
        # an intersection is only answered after a cardinality stage of the same run; and to a partner only
        headers = {"Authorization": f"Bearer {cred_for_us}"}
        r = httpx.post(f"{mx_url}/api/v1/psi/sessions", headers=headers,
                       json={"run": "0" * 32, "stage": "intersection", "sizes": {"plate": 1}})
        assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
        r = httpx.post(f"{mx_url}/api/v1/psi/sessions", json={"run": "1" * 32, "stage": "cardinality",
                                                              "sizes": {"plate": 1}})
        assert r.status_code == 401
        r = httpx.post(f"{mx_url}/api/v1/psi/sessions", headers=headers,
                       json={"run": "2" * 32, "stage": "cardinality", "sizes": {"password": 1}})
        assert r.status_code == 400
    with pytest.raises(ValueError, match="kind"):
        psi_service.start_run(us, sup, "mx-fgr", "phone,shoe-size")


def test_alerts_cover_records_received_from_a_partner(nodes):
    us, mx = nodes
    us_recs, mx_recs = _populate(us, mx)
    with pair(us, mx, us_terms=TERMS, mx_terms=TERMS):
        sync.pull(mx, "us-dea")
    found, _ = alerts.list_alerts(mx, actor(mx, "analyst"))
    pairs = {(a["kind"], frozenset(r["id"] for r in a["records"])) for a in found}
    assert ("phone", frozenset({us_recs["phone"].id, mx_recs["phone"].id})) in pairs
    assert ("plate", frozenset({us_recs["car"].id, mx_recs["car"].id})) in pairs
    assert not any(us_recs["red"].id in p for _, p in pairs)  # never released to MX, so never held there


EVENT = {"kind": "controlled-delivery", "begins": "2026-07-01T06:00:00-07:00", "ends": "2026-07-01T18:00:00-07:00",
         "coordinates": {"lat": 32.5421, "lon": -117.0297}, "radius_m": 1500}


def test_planned_operations_deconflict_privately(nodes):
    us, mx = nodes
    ours = service.create_record(us, actor(us, "analyst"), "event", EVENT)
    service.create_record(us, actor(us, "analyst"), "event", EVENT | {"coordinates": {"lat": 19.43, "lon": -99.13}})
    theirs = service.create_record(mx, actor(mx, "analyst"), "event",
                                   EVENT | {"begins": "2026-07-01T20:00:00-05:00", "ends": "2026-07-02T04:00:00-05:00",
                                            "coordinates": {"lat": 32.55, "lon": -117.04}, "radius_m": 800})
    with pair(us, mx, us_terms=TERMS, mx_terms=TERMS):
        run = psi_service.start_run(us, actor(us, "supervisor"), "mx-fgr", "event")
        cells = run["result"]["kinds"]["event-cell"]
        assert cells["overlap"] >= 1 and cells["mine"] > cells["theirs"] >= 1
        psi_service.approve_run(us, actor(us, "supervisor"), run["id"])
    assert {n["record"]["id"] for n in alerts.list_notices(us, actor(us, "analyst"))} == {ours.id}
    assert {n["record"]["id"] for n in alerts.list_notices(mx, actor(mx, "analyst"))} == {theirs.id}

"""Selector index and local correlation on a real node: alerts, over-common capping, releasability,
invalid identifiers, records received from partners, events."""

from __future__ import annotations

import pytest
from conftest import actor

from vinculo.deconfliction import alerts
from vinculo.records import service

PERSON = {"full_name": "José de la Cruz Martínez López", "date_of_birth": "1981-04-05",
          "phones": ["+52 1 55 1234 5678"], "nationality": ["MX"]}


def test_match_alert_names_both_records_once(node, analyst):
    a = service.create_record(node, analyst, "phone", {"number": "+52 55 1234 5678"})
    b = service.create_record(node, analyst, "person", PERSON)
    found, _ = alerts.list_alerts(node, analyst)
    pairs = [a_ for a_ in found if a_["kind"] == "phone"]
    assert len(pairs) == 1 and pairs[0]["value"] == "+525512345678"
    assert {r["id"] for r in pairs[0]["records"]} == {a.id, b.id}
    # a new version does not raise the same pair again; a third holder pairs with both
    service.update_record(node, analyst, a.id, {"number": "+52 (55) 1234-5678", "carrier": "Telcel"})
    c = service.create_record(node, analyst, "phone", {"number": "5512345678", "country": "MX"})
    found, _ = alerts.list_alerts(node, analyst)
    pairs = {frozenset(r["id"] for r in x["records"]) for x in found if x["kind"] == "phone"}
    assert pairs == {frozenset({a.id, b.id}), frozenset({a.id, c.id}), frozenset({b.id, c.id})}
    only_c, _ = alerts.list_alerts(node, analyst, record_id=c.id)
    assert len(only_c) == 2


def test_no_match_across_kinds_or_for_different_values(node, analyst):
    service.create_record(node, analyst, "phone", {"number": "+52 55 1234 5678"})
    service.create_record(node, analyst, "phone", {"number": "+52 55 1234 5679"})
    service.create_record(node, analyst, "vehicle", {"kind": "car", "plate": "5512345678", "plate_country": "MX"})
    assert alerts.list_alerts(node, analyst)[0] == []


def test_over_common_is_reported_once(node, analyst, monkeypatch):
    monkeypatch.setenv("VINCULO_DC_COMMON_CAP", "3")
    made = [service.create_record(node, analyst, "phone", {"number": "+1 202 555 0100"}) for _ in range(3)]
    found, _ = alerts.list_alerts(node, analyst)
    assert len(found) == 3 and all(x["status"] == "match" for x in found)
    made += [service.create_record(node, analyst, "phone", {"number": "(202) 555-0100", "country": "US"})
             for _ in range(5)]
    found, _ = alerts.list_alerts(node, analyst)
    over = [x for x in found if x["status"] == "over-common"]
    assert len(over) == 1 and over[0]["holders"] == 8 and over[0]["records"] == []
    assert len(found) == 4  # the 3 early pairs stay, no pair with the 5 later holders


def test_alerts_respect_release(node, analyst, supervisor, auditor):
    open_ = service.create_record(node, analyst, "vehicle", {"kind": "car", "plate": "ABC-123-D",
                                                             "plate_country": "MX", "plate_state": "Jalisco"})
    red = service.create_record(node, supervisor, "vehicle", {"kind": "truck", "plate": "abc 123 d",
                                                              "plate_country": "MX", "plate_state": "JAL"},
                                {"tlp": "red"})
    assert alerts.list_alerts(node, analyst)[0] == []
    assert alerts.list_alerts(node, auditor)[0] == []
    seen, _ = alerts.list_alerts(node, supervisor)
    assert {r["id"] for r in seen[0]["records"]} == {open_.id, red.id}
    with pytest.raises(service.Forbidden):
        alerts.list_alerts(node, actor(node, "admin"))


def test_invalid_identifiers_are_flagged_never_matched(node, analyst):
    bad = {"kind": "car", "vin": "1HGCM82633A004353"}  # wrong check digit (…004352 is valid)
    a = service.create_record(node, analyst, "vehicle", bad)
    service.create_record(node, analyst, "vehicle", bad)
    assert alerts.list_alerts(node, analyst)[0] == []
    sels = alerts.record_selectors(node, analyst, a.id)
    assert [s["valid"] for s in sels if s["kind"] == "vin"] == [False] and sels[0]["reason"]
    assert a.id in alerts.invalid_selectors(node, analyst)


def test_revoked_records_stop_matching(node, analyst, supervisor):
    a = service.create_record(node, analyst, "phone", {"number": "+52 33 1111 2222"})
    service.revoke_record(node, supervisor, a.id, "entered twice")
    service.create_record(node, analyst, "phone", {"number": "+52 33 1111 2222"})
    assert alerts.list_alerts(node, analyst)[0] == []


EVENT = {"kind": "controlled-delivery", "begins": "2026-07-01T06:00:00-07:00", "ends": "2026-07-01T18:00:00-07:00",
         "coordinates": {"lat": 32.5421, "lon": -117.0297}, "radius_m": 1500, "place": "San Ysidro"}


def test_events_conflict_in_time_and_space(node, analyst):
    a = service.create_record(node, analyst, "event", EVENT)
    near = service.create_record(node, analyst, "event", EVENT | {"begins": "2026-07-01T17:00:00-07:00",
                                                                   "ends": "2026-07-02T02:00:00-07:00",
                                                                   "coordinates": {"lat": 32.55, "lon": -117.03}})
    service.create_record(node, analyst, "event", EVENT | {"begins": "2026-07-02T03:00:00-07:00",
                                                            "ends": "2026-07-02T05:00:00-07:00"})  # same cells, later
    service.create_record(node, analyst, "event", EVENT | {"coordinates": {"lat": 32.60, "lon": -117.0297}})  # 6 km
    found, _ = alerts.list_alerts(node, analyst)
    assert len(found) == 1 and found[0]["kind"] == "event"
    assert {r["id"] for r in found[0]["records"]} == {a.id, near.id}
    assert "m apart" in found[0]["value"]

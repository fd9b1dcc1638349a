"""Subscriptions on one node: what a notification holds is what release() lets its user see; filters on
content match only what the user reads whole; positions never backfill; bad subscriptions are refused."""

import json

import pytest
from conftest import SEIZURE, actor

from vinculo.accounts.service import add_user
from vinculo.notify import engine, model, service
from vinculo.records import service as records
from vinculo.records.model import RecordInvalid
from vinculo.records.service import Forbidden


@pytest.fixture
def people(node):
    for name, role in (("ana", "analyst"), ("sam", "supervisor"), ("aud", "auditor"), ("adm", "admin")):
        add_user(node, name, role, None)
    return {n: actor(node, r, n) for n, r in (("ana", "analyst"), ("sam", "supervisor"), ("aud", "auditor"),
                                                ("adm", "admin"))}


def test_records_notify_only_what_each_user_may_see(node, people):
    engine.run(node)  # first pass: positions at the feed's end
    for who in ("ana", "sam", "aud"):
        service.subscribe(node, people[who], {"kind": "records", "filter": {"type": ["seizure"]}})
    service.subscribe(node, people["ana"], {"kind": "records", "filter": {"substance": ["Fentanyl"]}})
    by_content = service.subscribe(node, people["aud"], {"kind": "records", "filter": {"substance": ["fentanyl"]}})
    green = records.create_record(node, people["ana"], "seizure", SEIZURE, {"tlp": "green"})
    red = records.create_record(node, people["sam"], "seizure", SEIZURE, {"tlp": "red"})
    done = engine.run(node)
    got = {(i["user"], json.loads(i["record_ids"])[0]) for i in done.items}
    # analysts do not read TLP:RED: no notification names it; the supervisor gets both
    assert ("ana", red.id) not in got and ("sam", red.id) in got and ("sam", green.id) in got
    ana = service.list_items(node, people["ana"])
    assert len(ana) == 2 and all(i["payload"]["id"] == green.id for i in ana)  # type filter + substance filter
    assert ana[0]["payload"]["fields"]["place"] == SEIZURE["place"]
    aud = service.list_items(node, people["aud"])
    # auditors see envelopes: the type subscription tells them a record came, with no content; the
    # substance filter (content) matches nothing they cannot read whole
    assert {i["payload"]["id"] for i in aud} == {green.id, red.id}
    assert all(i["payload"]["fields"] == {} and i["subscription"] != by_content["id"] for i in aud)
    assert "San Ysidro" not in json.dumps(aud)
    assert service.unread(node, people["ana"]) == 2
    assert service.mark_read(node, people["ana"], [ana[0]["id"]]) == 1
    assert service.unread(node, people["ana"]) == 1
    assert engine.run(node).items == []  # nothing twice


def test_only_new_and_no_backfill(node, people):
    before = records.create_record(node, people["ana"], "seizure", SEIZURE, {"tlp": "green"})
    engine.run(node)
    service.subscribe(node, people["ana"], {"kind": "records", "only_new": True})
    records.update_record(node, people["ana"], before.id, SEIZURE | {"admin_area": "Sonora"})
    assert engine.run(node).items == []  # a new version of an old record, and only_new
    service.subscribe(node, people["ana"], {"kind": "records", "only_new": False})
    records.update_record(node, people["ana"], before.id, SEIZURE | {"admin_area": "Baja California"})
    assert len(engine.run(node).items) == 1


def test_bad_subscriptions_are_refused_naming_the_field(node, people):
    with pytest.raises(RecordInvalid, match="filter"):
        service.subscribe(node, people["ana"], {"kind": "records", "filter": {"colour": ["red"]}})
    with pytest.raises(RecordInvalid, match="email"):
        service.subscribe(node, people["ana"], {"channels": ["email"]})
    with pytest.raises(RecordInvalid, match="quiet_start"):
        service.subscribe(node, people["ana"], {"quiet_start": 22})
    with pytest.raises(RecordInvalid, match="channels"):
        service.subscribe(node, people["ana"], {"channels": ["pager"]})
    with pytest.raises(RecordInvalid):
        service.subscribe(node, people["ana"], {"filter": {"type": ["x" * 101]}})
    with pytest.raises(Forbidden):
        service.subscribe(node, people["ana"], {"kind": "sync"})
    with pytest.raises(Forbidden):
        service.subscribe(node, people["adm"], {"kind": "records"})
    service.subscribe(node, people["adm"], {"kind": "sync"})
    for _ in range(model.MAX_SUBSCRIPTIONS):
        service.subscribe(node, people["sam"], {"kind": "records"})
    with pytest.raises(RecordInvalid, match="at most"):
        service.subscribe(node, people["sam"], {"kind": "records"})


def test_quiet_hours_and_digests_set_when_external_channels_send():
    import datetime as dt

    sub = model.Subscription(1, "ana", "records", {}, ("inapp", "email"), "immediate", 22, 6, True, "a@b.c",
                             None, 0, 0, None, "2026-01-01T00:00:00.000000Z")
    late = dt.datetime(2026, 1, 2, 23, 30, tzinfo=dt.UTC)
    assert model.send_after(sub, late) == dt.datetime(2026, 1, 3, 6, 0, tzinfo=dt.UTC)
    noon = dt.datetime(2026, 1, 2, 12, 0, tzinfo=dt.UTC)
    assert model.send_after(sub, noon) == noon
    daily = model.Subscription(**{**sub.__dict__, "mode": "daily", "quiet_start": None, "quiet_end": None,
                                  "last_digest": "2026-01-02T08:00:00.000000Z"})
    assert model.send_after(daily, noon) == dt.datetime(2026, 1, 3, 8, 0, tzinfo=dt.UTC)

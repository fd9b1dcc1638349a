"""Record use cases on a real database (SQLite and PostgreSQL)."""

import json

import pytest
import sqlalchemy as sa
from conftest import SEIZURE, actor

from vinculo.audit import service as audit
from vinculo.records import service
from vinculo.records.model import RecordInvalid
from vinculo.records.query import build_filters
from vinculo.records.service import Conflict, Forbidden, NotFound
from vinculo.sharing import service as sharing
from vinculo.store.tables import record_versions


def test_create_read_version_revoke(node, analyst, supervisor):
    r = service.create_record(node, analyst, "seizure", SEIZURE, {"tlp": "amber"})
    assert r.id.startswith("seizure--") and r.version == 1 and r.origin == "us-dea"
    assert r.body["quantity"]["kg"] == 12.5 and r.body["category"] == "drug"
    got, decision = service.get_record(node, analyst, r.id)
    assert got.body == r.body and decision.allowed
    v2 = service.update_record(node, analyst, r.id, SEIZURE | {"place": "Otay Mesa"}, expected_version=1)
    assert v2.version == 2 and v2.seq > r.seq
    with pytest.raises(Conflict):
        service.update_record(node, analyst, r.id, SEIZURE, expected_version=1)
    with pytest.raises(Forbidden):
        service.revoke_record(node, analyst, r.id, "duplicate")
    v3 = service.revoke_record(node, supervisor, r.id, "duplicate of another report")
    assert v3.revoked and v3.version == 3
    hist = service.history(node, analyst, r.id)
    assert [h["version"] for h in hist] == [1, 2, 3]
    assert hist[0]["body"]["place"] == "San Ysidro port of entry"  # versions are never overwritten
    with node.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(record_versions)
                            .where(record_versions.c.current.is_(True))).scalar_one() == 1


def test_validation_names_fields(node, analyst):
    bad = SEIZURE | {"date": "2025-13-01", "substance": "unobtainium", "quantity": {"amount": 3, "unit": "parsec"}}
    with pytest.raises(RecordInvalid) as err:
        service.create_record(node, analyst, "seizure", bad)
    fields = {e.field for e in err.value.errors}
    assert {"date", "substance", "quantity"} <= fields
    with pytest.raises(RecordInvalid) as err:
        service.create_record(node, analyst, "seizure", SEIZURE | {"colour": "blue"})
    assert err.value.errors[0].field == "colour"
    with pytest.raises(RecordInvalid):
        service.create_record(node, analyst, "spaceship", {})
    with pytest.raises(RecordInvalid) as err:
        service.create_record(node, analyst, "seizure", SEIZURE, {"tlp": "purple"})
    assert err.value.errors[0].field.startswith("markings.")


def test_roles(node, analyst, admin, auditor):
    r = service.create_record(node, analyst, "seizure", SEIZURE)
    with pytest.raises(Forbidden):
        service.create_record(node, admin, "seizure", SEIZURE)
    with pytest.raises(Forbidden):
        service.create_record(node, auditor, "seizure", SEIZURE)
    with pytest.raises(Forbidden) as err:
        service.get_record(node, admin, r.id)
    assert "role admin may not records read" in err.value.reasons[0]
    _, view = service.get_record(node, auditor, r.id)
    assert view.view["body"] == {}
    red = service.create_record(node, analyst, "seizure", SEIZURE, {"tlp": "red"})
    assert service.get_record(node, analyst, red.id)[1].allowed  # its author reads it (TLP:RED: named people)
    with pytest.raises(Forbidden):
        service.get_record(node, actor(node, "analyst", "bea"), red.id)
    with pytest.raises(NotFound):
        service.get_record(node, analyst, "seizure--00000000-0000-4000-8000-000000000000")


def test_list_filters_and_cursor(node, analyst):
    ids = []
    for i in range(7):
        body = SEIZURE | {"date": f"2025-0{i + 1}-01", "country": "MX" if i % 2 else "US"}
        ids.append(service.create_record(node, analyst, "seizure", body).id)
    service.create_record(node, actor(node, "analyst", "bea"), "seizure", SEIZURE, {"tlp": "red"})  # not ours
    seen, cursor = [], None
    while True:
        page = service.list_records(node, analyst, build_filters(), cursor, 3)
        seen += [i["id"] for i in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(reversed(ids))
    mx = service.list_records(node, analyst, build_filters(country="Mexico"), None, 50)
    assert len(mx.items) == 3
    dated = service.list_records(node, analyst, build_filters(date_from="2025-03-01", date_to="2025-05-01"), None, 50)
    assert len(dated.items) == 3
    assert len(service.list_records(node, analyst, build_filters(text="ysidro"), None, 50).items) == 7
    with pytest.raises(RecordInvalid):
        build_filters(date_from="yesterday")


def test_partner_records_cannot_be_edited(node, analyst):
    r = service.create_record(node, analyst, "seizure", SEIZURE)
    with node.engine.begin() as conn:
        conn.execute(record_versions.update().where(record_versions.c.id == r.id).values(origin="mx-fgr"))
    with pytest.raises(Forbidden) as err:
        service.update_record(node, analyst, r.id, SEIZURE)
    assert "only its origin" in str(err.value)


def test_release_preview_names_partners_and_fields(node, analyst):
    pub = "11" * 32
    sharing.add_partner(node, "mx-fgr", "FGR Mexico", pub)
    sharing.add_partner(node, "co-dijin", "DIJIN Colombia", "22" * 32)
    sharing.set_agreement(node, "mx-fgr", {"record_types": ["seizure"], "max_tlp": "amber", "start": "2020-01-01",
                                           "withheld_fields": {"seizure": ["place"]}})
    r = service.create_record(node, analyst, "seizure", SEIZURE, {"tlp": "amber"})
    preview = service.preview_stored(node, analyst, r.id)
    by_partner = {p["partner"]: p for p in preview["partners"]}
    assert by_partner["mx-fgr"]["allowed"] and "place" not in by_partner["mx-fgr"]["fields"]
    assert by_partner["mx-fgr"]["withheld"] == ["place"]
    assert not by_partner["co-dijin"]["allowed"] and "no sharing agreement" in by_partner["co-dijin"]["reasons"][0]
    roles = {x["role"]: x["allowed"] for x in preview["local"]}
    assert roles == {"analyst": True, "supervisor": True, "admin": False, "auditor": True}


def test_every_read_and_write_is_audited(node, analyst):
    r = service.create_record(node, analyst, "seizure", SEIZURE)
    service.get_record(node, analyst, r.id)
    service.list_records(node, analyst, build_filters(), None, 10)
    with node.engine.connect() as conn:
        log = audit.entries(conn, limit=100)
    actions = [(e["action"], e["actor"]) for e in log]
    assert ("record.create", "user:analyst") in actions
    assert ("record.read", "user:analyst") in actions
    listed = [e for e in log if e["action"] == "record.list"]
    assert listed and r.id in listed[0]["detail"]["ids"]
    assert json.loads(json.dumps(log[0]["detail"])) == log[0]["detail"]


def test_seq_is_monotonic(node, analyst):
    seqs = [service.create_record(node, analyst, "seizure", SEIZURE).seq for _ in range(5)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5


def test_other_actor_helper(node):
    assert actor(node, "supervisor").may("records.revoke")

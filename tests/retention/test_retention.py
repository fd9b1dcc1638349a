"""Retention is enforced: a received record whose retention (or agreement) ended is purged and its origin
gets a `purged` receipt (only for what it released); our agreement that ends withdraws what the partner
holds; our own rules only list records for review, and only a supervisor's approval purges them (and
withdraws them from partners). The audit names what was purged by id and content hash, never its content.
Real nodes on loopback over real HTTP, real subprocesses for the CLI; SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from conftest import SEIZURE, actor
from fed_helpers import pair
from servers import serving
from sqlalchemy import select, text

from vinculo.accounts import service as accounts
from vinculo.audit.checks import verify_node
from vinculo.cases import service as cases
from vinculo.deconfliction import alerts
from vinculo.federation import receipts, sync
from vinculo.records import service
from vinculo.records.model import utcnow
from vinculo.records.service import Forbidden, NotFound
from vinculo.retention import ended, job, received, rules
from vinculo.sharing import service as sharing
from vinculo.sharing.release import PartnerNode, release
from vinculo.store.tables_federation import holdings

TODAY = utcnow().date()
TERMS = {"record_types": ["seizure", "person"], "max_tlp": "amber", "start": "2020-01-01"}
PERSON = {"full_name": "Juan Pérez López", "date_of_birth": "1980-02-03", "nationality": ["MX"]}


@pytest.fixture
def nodes(make_node):
    return make_node("us-dea", "US"), make_node("mx-fgr", "MX")


def marked(node, marker: str) -> int:
    with node.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM record_versions WHERE body LIKE :m"),
                            {"m": f"%{marker}%"}).scalar()


def stored_hash(node, record_id: str) -> str:
    with node.engine.connect() as conn:
        return conn.execute(text("SELECT content_hash FROM record_versions WHERE id = :i AND current"),
                            {"i": record_id}).scalar()


def selectors(node, record_id: str) -> int:
    with node.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM dc_selectors WHERE record_id = :i"), {"i": record_id}).scalar()


def audit_rows(node, action: str) -> list[str]:
    with node.engine.connect() as conn:
        return list(conn.execute(text("SELECT detail FROM audit_log WHERE action = :a ORDER BY idx"),
                                 {"a": action}).scalars())


def audit_text(node) -> str:
    with node.engine.connect() as conn:
        return "\n".join(conn.execute(text("SELECT detail FROM audit_log")).scalars())


def on_disk(node) -> bytes:
    db = Path(node.engine.url.database)
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_received_record_past_retention_is_purged_and_its_origin_told(nodes):
    us, mx = nodes
    ana = actor(us, "analyst")
    marker = f"RETAIN-{uuid.uuid4().hex}"
    one = service.create_record(us, ana, "seizure", SEIZURE | {"description": marker}, {"tlp": "amber"})
    two = service.create_record(us, ana, "person", PERSON, {"tlp": "green"})
    never = service.create_record(us, ana, "seizure", SEIZURE, {"tlp": "red"})  # not released to mx
    mine = service.create_record(mx, actor(mx, "analyst"), "seizure", SEIZURE | {"description": marker})
    with pair(us, mx, us_terms=TERMS, mx_terms=TERMS | {"retention_days": 30}) as (us_url, _, cred_for_mx, _):
        assert sync.pull(mx, "us-dea").new == 2
        hashes = {one.id: stored_hash(mx, one.id), two.id: stored_hash(mx, two.id)}
        alerts.refresh(mx)
        assert selectors(mx, two.id) > 0
        now = utcnow()
        assert received.purge_received(mx, now + dt.timedelta(days=29)) == []  # still within retention
        assert marked(mx, marker) == 2
        purged = received.purge_received(mx, now + dt.timedelta(days=31))
        assert [(p.partner, p.count) for p in purged] == [("us-dea", 2)]
        assert "retention of 30 days" in purged[0].reason
        assert marked(mx, marker) == 1  # only mx's own record with the same text is left
        with mx.engine.connect() as conn:  # what is left of each is a tombstone: no content
            left = conn.execute(text("SELECT id, version, revoked, body FROM record_versions WHERE id IN (:a, :b)"),
                                {"a": one.id, "b": two.id}).all()
        assert sorted(left) == sorted([(one.id, 1, True, "{}"), (two.id, 1, True, "{}")])
        assert marked(mx, "Juan") == 0
        alerts.refresh(mx)  # the selector index reads the tombstones from the change feed
        assert selectors(mx, two.id) == 0
        if mx.engine.dialect.name == "sqlite":  # the purge scrubbed the files too (store.purge)
            assert on_disk(mx).count(marker.encode()) == 1
        assert service.get_record(mx, actor(mx, "analyst"), mine.id)[0].body["description"] == marker

        assert received.send_purged_receipts(mx, "us-dea") == 2
        got = {r["record_id"]: r["status"] for r in receipts.list_receipts(us, "mx-fgr")}
        assert got[one.id] == got[two.id] == "purged"
        with us.engine.connect() as conn:  # the origin knows mx holds them no more: no tombstone owed
            held = dict(conn.execute(select(holdings.c.record_id, holdings.c.withdrawn)
                                     .where(holdings.c.partner == "mx-fgr")).all())
        assert held == {one.id: True, two.id: True}
        assert received.send_purged_receipts(mx, "us-dea") == 0  # each told once
        assert received.unsent_partners(mx) == []

        # The origin keeps a purged receipt only for a version it released to the sender.
        auth = {"Authorization": f"Bearer {cred_for_mx}"}
        forged = {"id": never.id, "version": 1, "status": "purged", "received_at": "2026-01-01T00:00:00Z"}
        r = httpx.post(f"{us_url}/api/v1/federation/receipts", json={"receipts": [forged]}, headers=auth)
        assert r.status_code == 200 and r.json() == {"recorded": 0}
        bad = httpx.post(f"{us_url}/api/v1/federation/receipts", headers=auth,
                         json={"receipts": [forged | {"id": one.id, "status": "deleted"}]})
        assert bad.status_code == 400 and "stored, withdrawn or purged" in bad.text
        assert never.id not in {r["record_id"] for r in receipts.list_receipts(us, "mx-fgr")}

        # A newer version the origin releases is a new release: taken, and counted from now.
        service.update_record(us, ana, one.id, SEIZURE | {"description": "v2"})
        assert sync.pull(mx, "us-dea").updated == 1
        assert service.get_record(mx, actor(mx, "analyst"), one.id)[0].body["description"] == "v2"
        assert received.purge_received(mx, utcnow() + dt.timedelta(days=29)) == []

    (entry,) = audit_rows(mx, "retention.received")
    assert one.id in entry and hashes[one.id] in entry and hashes[two.id] in entry
    assert marker not in audit_text(mx) and "Juan" not in audit_text(mx)
    for n in (us, mx):
        assert verify_node(n).ok


def test_agreement_that_ends_withdraws_and_ends_retention(nodes):
    us, mx = nodes
    ana = actor(us, "analyst")
    records = [service.create_record(us, ana, "seizure", SEIZURE, {"tlp": "green"}) for _ in range(2)]
    until = TERMS | {"end": TODAY.isoformat()}  # in force today, ended tomorrow
    with pair(us, mx, us_terms=until, mx_terms=until | {"retention_days": 3650}):
        assert sync.pull(mx, "us-dea").new == 2
        assert ended.withdraw_ended(us, TODAY) == []  # its last day: still in force
        tomorrow = TODAY + dt.timedelta(days=1)
        with us.engine.connect() as conn:
            agreement = sharing.current_agreement(conn, "mx-fgr")
        later = release(records[0], PartnerNode("mx-fgr", us.id, agreement, tomorrow))
        assert not later.allowed and "not in force" in later.reasons[0]  # nothing more is released

        (gone,) = ended.withdraw_ended(us, tomorrow)
        assert (gone.partner, gone.withdrawn, gone.end) == ("mx-fgr", 2, TODAY)
        assert ended.withdraw_ended(us, tomorrow) == []  # queued once
        pulled = sync.pull(mx, "us-dea")
        assert pulled.retracted == 2 and pulled.receipts_sent >= 2
        got = {r["record_id"]: r["status"] for r in receipts.list_receipts(us, "mx-fgr")}
        assert got == {records[0].id: "withdrawn", records[1].id: "withdrawn"}
    (entry,) = audit_rows(us, "agreement.ended")
    assert '"withdrawn":2' in entry.replace(" ", "")


def test_received_records_go_when_the_agreement_we_received_them_under_ends(nodes):
    us, mx = nodes
    ana = actor(us, "analyst")
    record = service.create_record(us, ana, "seizure", SEIZURE, {"tlp": "green"})
    with pair(us, mx, us_terms=TERMS, mx_terms=TERMS | {"end": TODAY.isoformat(), "retention_days": 3650}):
        assert sync.pull(mx, "us-dea").new == 1
        assert received.purge_received(mx, utcnow()) == []
        (purged,) = received.purge_received(mx, utcnow() + dt.timedelta(days=1))
        assert purged.count == 1 and f"ended on {TODAY.isoformat()}" in purged.reason
        assert received.send_purged_receipts(mx, "us-dea") == 1
    assert service.get_record(mx, actor(mx, "supervisor"), record.id)[0].body == {}
    assert [r["status"] for r in receipts.list_receipts(us, "mx-fgr")] == ["purged"]


def test_own_records_are_purged_only_when_a_supervisor_approves(nodes):
    us, mx = nodes
    ana, sup = actor(us, "analyst"), actor(us, "supervisor")
    marker = f"OLD-{uuid.uuid4().hex}"
    seizure = service.create_record(us, ana, "seizure", SEIZURE | {"description": marker}, {"tlp": "green"})
    loose = service.create_record(us, ana, "person", PERSON, {"tlp": "green"})
    linked = service.create_record(us, ana, "person", PERSON | {"full_name": "Pedro Ruiz"}, {"tlp": "green"})
    cases.open_case(us, ana, {"kind": "mla_request", "date": "2025-05-29", "requesting_country": "US",
                              "requested_country": "MX", "requested_node": "mx-fgr", "subject_refs": [linked.id]})
    rules.set_rule(us, "seizure", 5)
    rules.set_rule(us, "person", 10, unless_linked_to_case=True)
    with pytest.raises(ValueError, match="years"):
        rules.set_rule(us, "seizure", 0)
    with pytest.raises(ValueError, match="record type"):
        rules.set_rule(us, "spaceship", 3)
    with pair(us, mx, us_terms=TERMS):
        assert sync.pull(mx, "us-dea").new == 3
        assert rules.refresh_review(us, "cli") == []  # nothing is old enough yet
        later = utcnow() + dt.timedelta(days=366 * 11)
        listed = rules.refresh_review(us, "cli", later)
        assert {r.record_id for r in listed} == {seizure.id, loose.id}  # the person a case names stays
        assert rules.refresh_review(us, "cli", later) == listed  # listed once
        assert marked(us, marker) == 1  # a review purges nothing

        ids = [r.id for r in listed]
        with pytest.raises(Forbidden, match="supervisors only"):
            rules.approve(us, ana, ids, later)
        with pytest.raises(NotFound):
            rules.approve(us, sup, [*ids, 999_999], later)
        assert marked(us, marker) == 1 and len(rules.pending_reviews(us)) == 2  # refused: nothing done

        done = rules.approve(us, sup, ids, later)
        assert {p[1] for p in done.purged} == {seizure.id, loose.id} and done.stale == []
        assert marked(us, marker) == 0
        tomb, _ = service.get_record(us, sup, seizure.id)
        assert tomb.revoked and tomb.body == {} and tomb.version == 2
        assert service.get_record(us, sup, linked.id)[0].body["full_name"] == "Pedro Ruiz"
        with pytest.raises(ValueError, match="not pending"):
            rules.approve(us, sup, ids[:1], later)

        pulled = sync.pull(mx, "us-dea")  # withdrawn from the partner that holds them
        assert pulled.retracted == 2
        assert marked(mx, marker) == 0
    entry = audit_rows(us, "retention.approve")[0]
    assert seizure.id in entry and loose.id in entry and marker not in audit_text(us)
    assert verify_node(us).ok


def test_an_entry_that_changed_since_it_was_listed_is_not_purged(node):
    ana, sup = actor(node, "analyst"), actor(node, "supervisor")
    record = service.create_record(node, ana, "seizure", SEIZURE)
    rules.set_rule(node, "seizure", 1)
    later = utcnow() + dt.timedelta(days=800)
    (entry,) = rules.refresh_review(node, "cli", later)
    service.update_record(node, ana, record.id, SEIZURE | {"description": "new facts"})
    done = rules.approve(node, sup, [entry.id], later)
    assert done.purged == [] and done.stale[0][1] == record.id
    assert service.get_record(node, sup, record.id)[0].body["description"] == "new facts"


def cli(node, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"VINCULO_HOME": str(node.home.path), "VINCULO_DATABASE_URL": node.home.db_url}
    return subprocess.run([sys.executable, "-m", "vinculo.cli.main", *args], check=False, capture_output=True,
                          text=True, env=env, stdin=subprocess.DEVNULL, timeout=300)


def test_cli(node):
    bad = cli(node, "retention", "rules", "set", "seizure", "--years", "0")
    assert bad.returncode == 2 and "--years" in bad.stderr
    unknown = cli(node, "retention", "rules", "set", "spaceship", "--years", "3")
    assert unknown.returncode == 2 and "record type 'spaceship'" in unknown.stderr
    ok = cli(node, "retention", "rules", "set", "person", "--years", "7", "--unless-linked-to-case")
    assert ok.returncode == 0 and "person after 7 years, unless a case names it" in ok.stdout
    assert "person after 7 years" in cli(node, "retention", "rules", "list").stdout
    assert "nothing is due" in cli(node, "retention", "review").stdout
    missing = cli(node, "retention", "approve", "42")
    assert missing.returncode == 4 and "review 42" in missing.stderr
    run = cli(node, "retention", "run")
    assert run.returncode == 0 and "0 own records await" in run.stdout
    assert rules.list_rules(node) == [rules.Rule("person", 7, True)]


def test_the_loop_runs(node):
    loop = job.RetentionLoop(node, interval=3600)
    loop.start()
    try:
        for _ in range(600):
            if loop.runs:
                break
            loop.stopped.wait(0.05)
    finally:
        loop.stop()
        loop.join(10)
    assert loop.runs == 1


def test_api_approval_is_for_supervisors(node):
    accounts.add_user(node, "ana", "analyst", "analyst-password-1")
    accounts.add_user(node, "sam", "supervisor", "supervisor-password-1")
    record = service.create_record(node, actor(node, "analyst"), "seizure", SEIZURE)
    rules.set_rule(node, "seizure", 1)
    (entry,) = rules.refresh_review(node, "cli", utcnow() + dt.timedelta(days=800))
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as api:
        def login(user, password):
            r = api.post("/api/v1/auth/login", json={"username": user, "password": password})
            return {"Authorization": f"Bearer {r.json()['token']}"}

        ana, sam = login("ana", "analyst-password-1"), login("sam", "supervisor-password-1")
        assert api.get("/api/v1/retention/review", headers=ana).status_code == 403
        refused = api.post("/api/v1/retention/approve", json={"ids": [entry.id]}, headers=ana)
        assert refused.status_code == 403 and "supervisors only" in refused.text
        assert api.post("/api/v1/retention/approve", json={"ids": ["1"]}, headers=sam).status_code == 422
        assert api.post("/api/v1/retention/approve", json={"ids": []}, headers=sam).status_code == 422
        (item,) = api.get("/api/v1/retention/review", headers=sam).json()["items"]
        assert item["record_id"] == record.id and "body" not in item
        # Approved today, it is not due yet (the list was made for a date two years ahead): checked again, kept.
        done = api.post("/api/v1/retention/approve", json={"ids": [entry.id]}, headers=sam).json()
        assert done["purged"] == [] and done["stale"][0]["record_id"] == record.id
    assert stored_hash(node, record.id) is not None

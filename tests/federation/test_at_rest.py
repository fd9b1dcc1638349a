"""Signatures at rest: versions of ours carry our signature in the database, and the outbox sends it.

Single writes are signed as they are stored; a bulk import stores versions unsigned and `sign_pending`
(the `serve` loop, `vinculo records sign`) signs them later. A partner verifies whatever it receives, so
a stored row altered behind the node's back is rejected there."""

import json
import time

import pytest
from conftest import SEIZURE, actor
from fed_helpers import pair
from sqlalchemy import select, update

from vinculo.audit.checks import verify_node
from vinculo.canonical import canonical_json
from vinculo.federation import at_rest, outbox, sync
from vinculo.federation.signing import raw_public
from vinculo.records import repository as repo
from vinculo.records import service
from vinculo.records.importers.native import parse_ndjson
from vinculo.records.importers.service import import_rows
from vinculo.records.model import validate_body
from vinculo.sodium import ed25519_verify_hex
from vinculo.store.tables import audit_log
from vinculo.store.tables import record_versions as rv

TERMS = {"record_types": ["seizure"], "max_tlp": "amber", "start": "2020-01-01"}


def _versions(node) -> list:
    with node.engine.connect() as conn:
        return [repo.from_row(r) for r in conn.execute(rv.select().order_by(rv.c.seq))]


def _signed_by(node, record) -> bool:
    return ed25519_verify_hex(raw_public(node.key.public_key()), canonical_json(record.document()), record.signature)


def _import(node, tmp_path, count: int, name: str = "bulk") -> None:
    path = tmp_path / f"{name}.ndjson"
    path.write_text("".join(json.dumps({"type": "seizure", "key": f"{name}{i}", "markings": {"tlp": "green"},
                                        "body": SEIZURE | {"place": f"p{i}"}}) + "\n" for i in range(count)))
    import_rows(node, actor(node, "analyst"), str(path), parse_ndjson(path))


def test_versions_written_one_at_a_time_are_signed_as_stored(node, analyst, supervisor):
    made = service.create_record(node, analyst, "seizure", SEIZURE, {"tlp": "green"})
    service.update_record(node, analyst, made.id, SEIZURE | {"place": "Otay Mesa"})
    service.revoke_record(node, supervisor, made.id, "entered twice")
    versions = _versions(node)
    assert [v.version for v in versions] == [1, 2, 3]
    assert all(v.signature and _signed_by(node, v) for v in versions)
    assert at_rest.sign_all(node) == 0  # nothing left to sign


def test_bulk_import_is_stored_unsigned_then_signed_in_batches(node, tmp_path):
    _import(node, tmp_path, 5)
    assert [v.signature for v in _versions(node)] == [None] * 5
    first = at_rest.sign_pending(node, 0, batch=2)
    second = at_rest.sign_pending(node, first[1], batch=2)
    third = at_rest.sign_pending(node, second[1], batch=2)
    assert [first[0], second[0], third[0]] == [2, 2, 1]
    seqs = [v.seq for v in _versions(node)]
    assert (first[1], second[1], third[1]) == (seqs[1], seqs[3], seqs[4])
    assert at_rest.sign_pending(node, third[1]) == (0, seqs[4])
    assert all(_signed_by(node, v) for v in _versions(node))
    with node.engine.connect() as conn:
        events = [json.loads(r.detail) for r in conn.execute(select(audit_log.c.detail)
                                                             .where(audit_log.c.action == "records.signed"))]
    assert [e["count"] for e in events] == [2, 2, 1] and events[0]["first_seq"] == seqs[0]
    assert verify_node(node).ok


def test_only_current_versions_of_ours_are_signed(node, analyst, tmp_path):
    _import(node, tmp_path, 2)
    old = _versions(node)[0]
    service.update_record(node, analyst, old.id, SEIZURE | {"place": "Nogales"})  # retires the unsigned v1
    assert at_rest.sign_all(node) == 1
    by_seq = {v.seq: v for v in _versions(node)}
    assert by_seq[old.seq].signature is None  # retired before it was signed: never served again
    assert all(v.signature for s, v in by_seq.items() if s != old.seq)


def test_the_signing_loop_signs_what_an_import_left(node, tmp_path):
    _import(node, tmp_path, 7)
    loop = at_rest.SigningLoop(node, interval=0.05)
    loop.start()
    try:
        deadline = time.monotonic() + 30
        while loop.signed < 7 and time.monotonic() < deadline:
            time.sleep(0.02)
        _import(node, tmp_path, 3, "later")  # a later import: picked up from where the loop stopped
        while loop.signed < 10 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        loop.stop()
        loop.join()
    assert loop.signed == 10
    assert all(v.signature and _signed_by(node, v) for v in _versions(node))


@pytest.fixture
def nodes(make_node):
    return make_node("us-dea", "US"), make_node("mx-fgr", "MX")


def test_the_outbox_sends_the_stored_signature_and_signs_views_it_builds(nodes, tmp_path):
    us, mx = nodes
    _import(us, tmp_path, 2)
    at_rest.sign_all(us)
    full = _versions(us)
    with pair(us, mx, us_terms=TERMS):
        page = outbox.feed(us, mx.id)
        sent = {o["extensions"][next(iter(o["extensions"]))]["document"]["id"]: o for o in page.objects}
        for v in full:
            ext = next(e for e in sent[v.id]["extensions"].values() if "signature" in e)
            assert ext["signature"] == v.signature  # not signed again
        report = sync.pull(mx, us.id)
        assert report.new == 2 and not report.rejected


def test_a_view_with_withheld_fields_is_signed_as_it_is_served(nodes, tmp_path):
    us, mx = nodes
    _import(us, tmp_path, 1)
    at_rest.sign_all(us)
    stored = _versions(us)[0]
    with pair(us, mx, us_terms=TERMS | {"withheld_fields": {"seizure": ["place"]}}):
        report = sync.pull(mx, us.id)
        assert report.new == 1 and not report.rejected
        held = _versions(mx)[0]
    assert "place" not in held.body and held.signature != stored.signature
    assert _signed_by(us, held)


def test_a_row_altered_in_the_database_is_rejected_by_the_partner(nodes):
    us, mx = nodes
    made = service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
    altered = validate_body("seizure", SEIZURE | {"quantity": {"amount": 1.5, "unit": "kg"}})  # still valid
    with us.engine.begin() as conn:  # someone with database access edits the quantity
        conn.execute(update(rv).where(rv.c.id == made.id).values(body=json.dumps(altered)))
    with pair(us, mx, us_terms=TERMS):
        report = sync.pull(mx, us.id)
    assert report.new == 0 and len(report.rejected) == 1
    assert "signature does not verify" in report.rejected[0][1]
    assert _versions(mx) == []

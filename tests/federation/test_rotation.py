"""Key rotation without losing trust: a node rotates, its partner follows the signed statement on its next
pull (real servers, real HTTP, both databases); forged statements, wrong fingerprints and a stolen key."""

import datetime as dt
import json
import stat
import uuid

import pytest
from conftest import SEIZURE, actor
from fed_helpers import pair
from sqlalchemy import select, update

from vinculo.audit import service as audit
from vinculo.audit.checks import verify_node
from vinculo.canonical import canonical_json
from vinculo.federation import inbox, partners, rotation, sync
from vinculo.federation.provenance import origin_signature
from vinculo.federation.signing import sign_document
from vinculo.federation.stix_map import to_stix
from vinculo.node import key_statement
from vinculo.node.context import open_node
from vinculo.node.home import resolve
from vinculo.node.key_rotation import rotate_key
from vinculo.node.keys import fingerprint, generate, public_hex
from vinculo.node.service import init_node
from vinculo.records import service
from vinculo.records.model import format_ts, utcnow
from vinculo.sharing.service import SharingError
from vinculo.store.tables import partners as partners_table
from vinculo.store.tables_federation import key_periods

TERMS = {"record_types": ["seizure"], "max_tlp": "amber", "start": "2020-01-01"}


@pytest.fixture
def nodes(make_node):
    return make_node("us-dea", "US"), make_node("mx-fgr", "MX")


def actions(node, action):
    with node.engine.connect() as conn:
        return [e for e in audit.entries(conn, action=action, limit=1000)]


def pinned(node, partner):
    with node.engine.connect() as conn:
        return conn.execute(select(partners_table.c.public_key).where(partners_table.c.node_id == partner)).scalar()


def cursor(node):
    return {s["partner"]: s for s in sync.status(node)}["us-dea"]["cursor"]


def held(node, record_id):
    return service.get_record(node, actor(node, "supervisor"), record_id)[0]


def made_at(template: dict, when: dt.datetime) -> dict:
    """Another seizure document from us-dea, made at `when`."""
    return template | {"id": f"seizure--{uuid.uuid4()}", "version": 1, "created": format_ts(when),
                       "modified": format_ts(when)}


def test_rotation_is_followed_on_the_next_pull(nodes):
    us, mx = nodes
    ana = actor(us, "analyst")
    before = service.create_record(us, ana, "seizure", SEIZURE, {"tlp": "green"})
    with pair(us, mx, us_terms=TERMS):
        assert sync.pull(mx, "us-dea").new == 1
        old_key, old_hex = us.key, us.public_key_hex
        not_pulled = service.create_record(us, ana, "seizure", SEIZURE | {"date": "2025-06-02"}, {"tlp": "green"})
        done = rotate_key(us)
        assert done.old_key == old_hex and us.public_key_hex == done.new_key != old_hex
        assert stat.S_IMODE(us.home.key_file.stat().st_mode) == 0o600 and not us.home.pending_key_file.exists()
        after = service.create_record(us, ana, "seizure", SEIZURE | {"date": "2025-06-03"}, {"tlp": "green"})

        report = sync.pull(mx, "us-dea")
        assert (report.new, report.rejected) == (2, [])  # made before the rotation (old key) and after (new)
        assert pinned(mx, "us-dea") == done.new_key
        [event] = actions(mx, "partner.key_rotated")
        detail = event["detail"]
        assert (detail["old_key"], detail["new_key"]) == (old_hex, done.new_key)
        with mx.engine.connect() as conn:
            rows = conn.execute(select(key_periods).where(key_periods.c.node_id == "us-dea")
                                .order_by(key_periods.c.id)).all()
        assert [(r.public_key, r.valid_to) for r in rows] == [(old_hex, done.time), (done.new_key, None)]
        for rid in (before.id, not_pulled.id, after.id):  # old and new signatures verify again, here and now
            assert origin_signature(mx, held(mx, rid))["status"] == "verified"

        # Nothing new to follow: the next pull pins nothing more; a new version verifies with the new key.
        service.update_record(us, ana, before.id, SEIZURE | {"admin_area": "Baja California"})
        assert sync.pull(mx, "us-dea").updated == 1
        assert len(actions(mx, "partner.key_rotated")) == 1

        # A version made after the rotation but signed by the retired key is rejected, naming why; one made
        # before it, signed by that key, still verifies.
        template = {k: v for k, v in held(mx, after.id).document().items()}
        late = made_at(template, utcnow())
        early = made_at(template, dt.datetime.fromisoformat(done.time) - dt.timedelta(hours=1))
        result = inbox.apply_page(mx, "us-dea", [to_stix(d, sign_document(old_key, d), "us-dea")
                                                 for d in (late, early)], cursor(mx))
        assert result.new == 1 and [rid for rid, _ in result.rejected] == [late["id"]]
        assert "retired" in result.rejected[0][1] and "after that" in result.rejected[0][1]
    assert open_node(us.home).public_key_hex == done.new_key
    for n in (us, mx):  # the audit log's tree heads: the old key's before the rotation, the new key's after
        assert verify_node(n).ok, verify_node(n).problem
    [own] = actions(us, "node.key_rotated")
    assert own["detail"]["new_fingerprint"] == fingerprint(done.new_key)


def test_statement_not_signed_by_the_pinned_key_is_refused(nodes, databases, tmp_path):
    us, mx = nodes
    service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
    with pair(us, mx, us_terms=TERMS):
        sync.pull(mx, "us-dea")
        original = us.public_key_hex
        rotate_key(us)
        with us.engine.connect() as conn:  # the statement as stored: its "old" signature is swapped for a stranger's
            row = conn.execute(select(key_periods).where(key_periods.c.node_id == "us-dea",
                                                         key_periods.c.statement.is_not(None))).one()
        signed = json.loads(row.statement)
        data = canonical_json(signed["statement"])
        signed["signatures"]["old"] = generate().sign(data).hex()
        with us.engine.begin() as conn:
            conn.execute(update(key_periods).where(key_periods.c.id == row.id).values(statement=json.dumps(signed)))

        with pytest.raises(rotation.KeyRefused, match="not a signature of the pinned key"):
            sync.pull(mx, "us-dea")
        assert pinned(mx, "us-dea") == original
        [refused] = actions(mx, "partner.key_refused")
        assert "not a signature of the pinned key" in refused["detail"]["reason"]
        state = {s["partner"]: s for s in sync.status(mx)}["us-dea"]
        assert state["last_result"]["key_refused"] and "not followed" in state["last_result"]["error"]
        assert "not followed" in sync.run_all(mx)[0]  # `sync run` reports it too, and nothing is pinned
        assert pinned(mx, "us-dea") == original and actions(mx, "partner.key_rotated") == []


def test_impostor_with_its_own_rotation_is_refused(nodes, databases, tmp_path):
    """Another node under the same id, at the partner's address, serving a proper chain of its own keys."""
    us, mx = nodes
    impostor = init_node(resolve(tmp_path / "impostor", databases.new("impostor")), "us-dea", "fake", "US")
    try:
        with pair(impostor, mx, us_terms=TERMS) as (fake_url, *_):
            rotate_key(impostor)  # a chain that verifies, but it starts from the impostor's key
            with mx.engine.begin() as conn:  # mx pinned the real us-dea's key; the impostor now answers for it
                conn.execute(update(partners_table).where(partners_table.c.node_id == "us-dea")
                             .values(public_key=us.public_key_hex, url=fake_url))
            with pytest.raises(rotation.KeyRefused, match="no rotation statement it serves moves away from the pinned"):
                sync.pull(mx, "us-dea")
            assert pinned(mx, "us-dea") == us.public_key_hex
            assert len(actions(mx, "partner.key_refused")) == 1
    finally:
        impostor.engine.dispose()


def test_statement_checks():
    old, new, now = generate(), generate(), utcnow()
    good = key_statement.make("us-dea", old, new, now)
    assert key_statement.check(good, "us-dea", public_hex(old), now)["new_key"] == public_hex(new)
    bad = [
        (good, "mx-fgr", public_hex(old), now, "about node 'us-dea'"),
        (good, "us-dea", public_hex(new), now, "other than the pinned"),
        (good, "us-dea", public_hex(old), now - dt.timedelta(hours=1), "later than this node's clock"),
        (good | {"statement": good["statement"] | {"time": "2026-01-01"}}, "us-dea", public_hex(old), now, "time"),
        (good | {"signatures": {"old": good["signatures"]["new"], "new": good["signatures"]["new"]}}, "us-dea",
         public_hex(old), now, "'old' is not a signature"),
        (good | {"signatures": {"old": good["signatures"]["old"], "new": good["signatures"]["old"]}}, "us-dea",
         public_hex(old), now, "'new' is not a signature"),
        (good | {"extra": 1}, "us-dea", public_hex(old), now, "exactly"),
        ([good], "us-dea", public_hex(old), now, "exactly"),
    ]
    for signed, node_id, key, when, why in bad:
        with pytest.raises(key_statement.StatementProblem, match=why):
            key_statement.check(signed, node_id, key, when)
    with pytest.raises(key_statement.StatementProblem, match="before the pinned key came in"):
        key_statement.check(good, "us-dea", public_hex(old), now, format_ts(now + dt.timedelta(seconds=1)))


def test_repin_with_a_wrong_fingerprint_is_refused(nodes):
    us, mx = nodes
    partners.add_partner(mx, "us-dea", "US", us.public_key_hex, None)
    new = public_hex(generate())
    with pytest.raises(SharingError, match="--fingerprint does not match"):
        rotation.repin(mx, "us-dea", new, fingerprint(public_hex(generate())))
    with pytest.raises(SharingError, match="time zone"):
        rotation.repin(mx, "us-dea", new, fingerprint(new), "2026-01-01T00:00:00")
    with pytest.raises(SharingError, match="in the future"):
        rotation.repin(mx, "us-dea", new, fingerprint(new), format_ts(utcnow() + dt.timedelta(days=1)))
    with pytest.raises(SharingError, match="already the key pinned"):
        rotation.repin(mx, "us-dea", us.public_key_hex, fingerprint(us.public_key_hex))
    assert pinned(mx, "us-dea") == us.public_key_hex
    [refused] = actions(mx, "partner.repin_refused")
    assert refused["detail"]["key"] == new
    assert actions(mx, "partner.repin") == []
    done = rotation.repin(mx, "us-dea", new, fingerprint(new).lower())  # the fingerprint, however it is cased
    assert (pinned(mx, "us-dea"), done.compromised, done.suspects) == (new, False, [])
    with pytest.raises(SharingError, match="used before"):  # the key it replaced is not pinned back
        rotation.repin(mx, "us-dea", us.public_key_hex, fingerprint(us.public_key_hex))


def test_compromise_time_rejects_later_old_key_records(nodes):
    us, mx = nodes
    ana = actor(us, "analyst")
    honest = service.create_record(us, ana, "seizure", SEIZURE, {"tlp": "green"})
    with pair(us, mx, us_terms=TERMS):
        sync.pull(mx, "us-dea")
        stolen, stolen_hex = us.key, us.public_key_hex
        since = utcnow()
        suspect = service.create_record(us, ana, "seizure", SEIZURE | {"date": "2025-06-04"}, {"tlp": "green"})
        assert sync.pull(mx, "us-dea").new == 1  # signed by the key mx still trusts: stored
        # us-dea's operator rotates (the statement is signed by the stolen key too, so mx's operator does
        # not rely on it) and reads the new fingerprint to mx's operator on the phone.
        done = rotate_key(us)
        repinned = rotation.repin(mx, "us-dea", done.new_key, done.new_fingerprint, format_ts(since))
        assert repinned.compromised and repinned.old_key == stolen_hex
        assert [(s["id"], s["version"]) for s in repinned.suspects] == [(suspect.id, 1)]
        assert rotation.suspects(mx, "us-dea") == repinned.suspects
        [event] = actions(mx, "partner.repin")
        detail = event["detail"]
        assert detail["suspects"] == [[suspect.id, 1]] and detail["compromised_since"] == format_ts(since)

        template = held(mx, honest.id).document()
        forged = made_at(template, utcnow())  # the thief signs something new with the stolen key
        backdated = made_at(template, since - dt.timedelta(minutes=5))
        result = inbox.apply_page(mx, "us-dea", [to_stix(d, sign_document(stolen, d), "us-dea")
                                                 for d in (forged, backdated)], cursor(mx))
        assert [rid for rid, _ in result.rejected] == [forged["id"]] and "compromised since" in result.rejected[0][1]
        assert result.new == 1  # made before the stated compromise: still verifies with that key

        fresh = service.create_record(us, ana, "seizure", SEIZURE | {"date": "2025-06-05"}, {"tlp": "green"})
        report = sync.pull(mx, "us-dea")  # us-dea serves the key mx repinned: nothing to follow
        assert report.new == 1 and report.rejected == [] and held(mx, fresh.id) is not None
        assert origin_signature(mx, held(mx, honest.id))["status"] == "verified"
        assert origin_signature(mx, held(mx, suspect.id))["status"] == "invalid"
        assert actions(mx, "partner.key_rotated") == [] and actions(mx, "partner.key_refused") == []
    assert verify_node(mx).ok


def test_a_partner_added_after_a_rotation_learns_the_keys_before_it(nodes):
    """mx-fgr pins us-dea's key in force; the versions us-dea signed with its two earlier keys verify too,
    because the statements that retired them are signed by the keys that followed."""
    us, mx = nodes
    ana = actor(us, "analyst")
    first_key, first_private = us.public_key_hex, us.key
    oldest = service.create_record(us, ana, "seizure", SEIZURE, {"tlp": "green"})
    rotate_key(us)
    middle = service.create_record(us, ana, "seizure", SEIZURE | {"date": "2025-06-02"}, {"tlp": "green"})
    second = rotate_key(us)
    newest = service.create_record(us, ana, "seizure", SEIZURE | {"date": "2025-06-03"}, {"tlp": "green"})
    with pair(us, mx, us_terms=TERMS):  # mx pins the key us-dea holds now
        report = sync.pull(mx, "us-dea")
        assert (report.new, report.rejected) == (3, [])
        with mx.engine.connect() as conn:
            rows = conn.execute(select(key_periods).where(key_periods.c.node_id == "us-dea")).all()
        retired = {r.public_key: r.valid_to for r in rows if r.valid_to}
        assert set(retired) == {first_key, second.old_key} and retired[second.old_key] == second.time
        assert retired[first_key] < second.time
        [event] = actions(mx, "partner.key_history")
        assert [k[0] for k in event["detail"]["keys"]] == [second.old_key, first_key]
        for rid in (oldest.id, middle.id, newest.id):
            assert origin_signature(mx, held(mx, rid))["status"] == "verified"
        assert sync.pull(mx, "us-dea").new == 0 and len(actions(mx, "partner.key_history")) == 1
        # a version made after a retirement and signed by the retired key is still refused
        late = made_at(held(mx, newest.id).document(), utcnow())
        result = inbox.apply_page(mx, "us-dea", [to_stix(late, sign_document(first_private, late), "us-dea")],
                                  cursor(mx))
        assert [rid for rid, _ in result.rejected] == [late["id"]] and "retired" in result.rejected[0][1]
    assert verify_node(mx).ok and verify_node(us).ok


def test_tree_heads_signed_before_a_rotation_still_verify(nodes):
    from vinculo.federation import head_store

    us, mx = nodes
    service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
    with pair(us, mx, us_terms=TERMS):
        sync.pull(mx, "us-dea")  # holds a head signed with the key us-dea is about to retire
        rotate_key(us)
        service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE | {"date": "2025-06-02"}, {"tlp": "green"})
        report = sync.pull(mx, "us-dea")
        assert "CONFLICT" not in (report.audit_heads or "") and "REFUSED" not in (report.audit_heads or "")
    results = {p: (ok, line) for p, ok, line in head_store.verify_partners(mx)}
    assert results["us-dea"][0], results["us-dea"][1]
    assert results["us-dea"][1].startswith("ok: 2 heads")


def test_keys_are_asked_for_at_the_first_pull_and_when_a_page_names_another_key(nodes, monkeypatch):
    from vinculo.federation.client import TaxiiClient

    asked = []
    real = TaxiiClient.get_json

    def get_json(self, url, *a, **k):
        if url.endswith(rotation.KEYS_PATH):
            asked.append(url)
        return real(self, url, *a, **k)

    monkeypatch.setattr(TaxiiClient, "get_json", get_json)
    us, mx = nodes
    ana = actor(us, "analyst")
    service.create_record(us, ana, "seizure", SEIZURE, {"tlp": "green"})
    with pair(us, mx, us_terms=TERMS):
        sync.pull(mx, "us-dea")
        assert len(asked) == 1  # the first pull learns the partner's keys and their history
        service.create_record(us, ana, "seizure", SEIZURE | {"date": "2025-06-02"}, {"tlp": "green"})
        assert sync.pull(mx, "us-dea").new == 1 and len(asked) == 1  # its pages name the pinned key
        rotate_key(us)
        service.create_record(us, ana, "seizure", SEIZURE | {"date": "2025-06-03"}, {"tlp": "green"})
        report = sync.pull(mx, "us-dea")
        assert len(asked) == 2 and report.new == 1 and not report.rejected  # a page named another key
        assert pinned(mx, "us-dea") == us.public_key_hex

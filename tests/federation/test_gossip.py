"""Audit logs cross-checked between two real nodes over real HTTP (CT-style gossip of signed tree heads):
heads and consistency proofs exchanged on every sync; a log truncated, or rewritten at the same size, by an
insider with the node's key is detected by the partner (status, audit entry, evidence, `audit verify
--partners`); the endpoints refuse absurd sizes and bodies."""

import json
import os
import re
import subprocess
import sys

import httpx
import pytest
from conftest import SEIZURE, actor
from fed_helpers import pair
from sqlalchemy import delete, func, select, update

from vinculo.accounts import service as accounts
from vinculo.audit.events import AuditEvent, entry_bytes
from vinculo.audit.merkle import CompactRange, leaf_hash
from vinculo.audit.treehead import sign_tree_head
from vinculo.federation import sync
from vinculo.federation.head_store import verify_partners
from vinculo.records import service
from vinculo.records.model import format_ts, utcnow
from vinculo.store.tables import audit_log, node_state, tree_heads
from vinculo.store.tables_federation import partner_tree_heads

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TERMS = {"record_types": ["seizure"], "max_tlp": "amber", "start": "2020-01-01"}


@pytest.fixture
def nodes(make_node):
    return make_node("us-dea", "US"), make_node("mx-fgr", "MX")


def held_rows(node, partner):
    with node.engine.connect() as conn:
        return [r._mapping for r in conn.execute(select(partner_tree_heads).where(
            partner_tree_heads.c.partner == partner).order_by(partner_tree_heads.c.id))]


def log_size(node) -> int:
    with node.engine.connect() as conn:
        return conn.execute(select(node_state.c.audit_size)).scalar_one()


def grow(node, count: int) -> None:
    with node.uow() as uow:
        for i in range(count):
            uow.audit(AuditEvent("user:ana", "record.read", f"seizure--{i}"))
        uow.commit()


def cut_log(node, size: int, rewrite_last: bool = False) -> None:
    """What an insider with database access and the node's key does: drop the log's tail past `size` and
    its tree heads, optionally rewrite the last entry kept, and re-sign a head at `size`."""
    with node.engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.idx >= size))
        conn.execute(delete(tree_heads).where(tree_heads.c.size >= size))
        if rewrite_last:
            e = conn.execute(select(audit_log).where(audit_log.c.idx == size - 1)).one()
            detail = {"rewritten": True}
            leaf = leaf_hash(entry_bytes(e.idx, e.ts, e.actor, e.action, e.target, detail))
            conn.execute(update(audit_log).where(audit_log.c.idx == e.idx)
                         .values(detail=json.dumps(detail), leaf_hash=leaf.hex()))
        tree = CompactRange()
        tree.extend([bytes.fromhex(h) for h in conn.execute(select(audit_log.c.leaf_hash)
                                                             .order_by(audit_log.c.idx)).scalars()])
        head = sign_tree_head(node.key, node.id, tree.size, tree.root(), utcnow())
        conn.execute(tree_heads.insert().values(size=head.size, root=head.root.hex(), ts=format_ts(head.timestamp),
                                                signature=head.signature.hex()))
        conn.execute(update(node_state).values(audit_size=tree.size, audit_frontier=json.dumps(tree.to_json())))


def verify_cli(node) -> subprocess.CompletedProcess:
    env = os.environ | {"VINCULO_HOME": str(node.home.path), "VINCULO_DATABASE_URL": node.home.db_url}
    return subprocess.run([sys.executable, "-m", "vinculo.cli.main", "audit", "verify", "--partners"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def status(node, partner):
    return next(s for s in sync.status(node) if s["partner"] == partner)["audit_heads"]


def conflicts(node):
    with node.engine.connect() as conn:
        return [json.loads(d) for d in conn.execute(select(audit_log.c.detail)
                                                    .where(audit_log.c.action == "treehead.conflict")).scalars()]


def test_two_syncs_exchange_heads_and_prove_them_consistent(nodes):
    us, mx = nodes
    with pair(us, mx, us_terms=TERMS, mx_terms=TERMS):
        service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
        first = sync.pull(mx, us.id)
        assert "us-dea's at size" in first.audit_heads and "ok" in first.audit_heads, first.audit_heads
        assert "ours at size" in first.audit_heads and "sent" in first.audit_heads
        service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
        grow(mx, 5)
        second = sync.pull(mx, us.id)
        assert "CONFLICT" not in second.audit_heads and "REFUSED" not in second.audit_heads, second.audit_heads

        on_mx = held_rows(mx, us.id)
        assert len(on_mx) == 2 and [r["problem"] for r in on_mx] == [None, None]
        assert on_mx[0]["proof_from"] is None and on_mx[1]["proof_from"] == on_mx[0]["size"] < on_mx[1]["size"]
        assert json.loads(on_mx[1]["proof"]), "a non-empty consistency proof was kept"
        assert [r["via"] for r in on_mx] == ["pull", "pull"]
        on_us = held_rows(us, mx.id)  # mx sent its own heads on both syncs
        assert len(on_us) == 2 and on_us[1]["proof_from"] == on_us[0]["size"] and on_us[1]["via"] == "push"
        with us.engine.connect() as conn:  # what mx holds is what us signed
            signed = conn.execute(select(tree_heads.c.root).where(tree_heads.c.size == on_mx[1]["size"])).scalar()
        assert signed == on_mx[1]["root"]
        assert status(mx, us.id)["held"]["size"] == on_mx[1]["size"] and status(mx, us.id)["problem"] is None
        assert verify_partners(mx) == [(us.id, True, verify_partners(mx)[0][2])]
        assert verify_partners(mx)[0][2].startswith("ok: 2 heads")
        out = verify_cli(mx)
        assert out.returncode == 0 and out.stdout.startswith("us-dea: ok: 2 heads"), out.stdout + out.stderr
        # and nothing of the log's entries crossed: only heads and hashes are stored
        assert set(on_mx[0]) >= {"size", "root", "signature"} and not conflicts(mx) and not conflicts(us)


def test_a_truncated_log_is_detected_by_the_partner_on_its_next_sync(nodes):
    us, mx = nodes
    with pair(us, mx, us_terms=TERMS, mx_terms=TERMS):
        service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
        sync.pull(mx, us.id)
        grow(us, 4)
        sync.pull(mx, us.id)
        kept = held_rows(mx, us.id)[-1]
        cut_log(us, kept["size"] - 3)  # the last entries mx saw, and their heads, deleted...
        grow(us, 12)  # ...and the log goes on past the size mx holds
        assert log_size(us) > kept["size"]

        report = sync.pull(mx, us.id)
        assert "CONFLICT in us-dea's log" in report.audit_heads and "does not verify" in report.audit_heads
        seen = status(mx, us.id)
        assert "does not verify" in seen["problem"] and seen["conflicts"] == 1
        assert seen["held"]["size"] == kept["size"]  # the last good head stays the one checked against
        entry = conflicts(mx)[-1]
        assert entry["held"]["root"] == kept["root"] and entry["new"]["size"] == log_size(us)  # both heads kept
        evidence = held_rows(mx, us.id)[-1]
        assert evidence["problem"] and evidence["conflicts_with"] == kept["id"]
        out = verify_cli(mx)
        assert out.returncode == 1 and "us-dea: FAILED: conflict kept as evidence" in out.stdout, out.stdout

        # when us pulls from mx, mx's log checks out, but the head us sends is refused and kept as well
        assert len(conflicts(mx)) == 1
        sync.pull(mx, us.id)  # the same bad head again: evidence held already, no new entry
        assert len(conflicts(mx)) == 1 and status(mx, us.id)["conflicts"] == 1
        grow(us, 2)
        back = sync.pull(us, mx.id)
        assert "mx-fgr's at size" in back.audit_heads and "ok" in back.audit_heads
        assert "REFUSED: HTTP 409" in back.audit_heads and "does not verify" in back.audit_heads
        assert len(conflicts(mx)) == 2 and [e["via"] for e in conflicts(mx)] == ["pull", "push"]
        again = sync.pull(mx, us.id)  # the alert stays until an operator looks
        assert "CONFLICT" in again.audit_heads


def test_a_log_shrunk_below_the_head_held_is_detected_and_shown_to_administrators(nodes):
    us, mx = nodes
    accounts.add_user(mx, "adm", "admin", "admin-password-1")
    with pair(us, mx, us_terms=TERMS, mx_terms=TERMS) as (_us_url, mx_url, _, _):
        grow(us, 20)
        sync.pull(mx, us.id)
        with httpx.Client(base_url=mx_url, follow_redirects=True) as web:
            web.post("/login", data={"csrf_token": CSRF.search(web.get("/login").text).group(1), "username": "adm",
                                     "password": "admin-password-1", "next": "/"})
            assert "Cross-checked up to entry" in web.get(f"/partners/{us.id}").text
            cut_log(us, held_rows(mx, us.id)[-1]["size"] - 10)
            report = sync.pull(mx, us.id)
            assert "the log shrank" in report.audit_heads
            page = web.get(f"/partners/{us.id}").text
            assert 'role="alert"' in page and "Conflict: the log shrank" in page
            api = web.get(f"/api/v1/partners/{us.id}", headers={
                "Authorization": f"Bearer {accounts.create_token(mx, 'adm', 'test')}"}).json()
            assert api["audit_heads"]["problem"].startswith("the log shrank")
        assert verify_cli(mx).returncode == 1


def test_a_log_rewritten_at_the_same_size_is_detected(nodes):
    us, mx = nodes
    with pair(us, mx, us_terms=TERMS, mx_terms=TERMS):
        grow(us, 6)
        sync.pull(mx, us.id)
        kept = held_rows(mx, us.id)[-1]
        cut_log(us, kept["size"], rewrite_last=True)  # same size, one entry changed, the head re-signed
        assert log_size(us) == kept["size"]
        report = sync.pull(mx, us.id)
        assert "two different roots signed for size" in report.audit_heads, report.audit_heads
        assert "two different roots" in status(mx, us.id)["problem"]
        assert verify_cli(mx).returncode == 1


def test_the_endpoints_want_a_partner_and_refuse_absurd_sizes_and_bodies(nodes):
    us, mx = nodes
    with pair(us, mx, us_terms=TERMS) as (us_url, _mx_url, cred_for_mx, _):
        grow(us, 3)
        auth = {"Authorization": f"Bearer {cred_for_mx}"}
        api = us_url + "/api/v1/federation/"
        assert httpx.get(api + "tree-head").status_code == 401
        assert httpx.get(api + "consistency", params={"first": 1, "second": 2}).status_code == 401
        head = httpx.get(api + "tree-head", headers=auth).json()
        assert head["head"]["node"] == us.id and head["yours"] is None
        size = head["head"]["size"]
        ok = httpx.get(api + "consistency", params={"first": 1, "second": size}, headers=auth)
        assert ok.status_code == 200 and all(len(h) == 64 for h in ok.json()["proof"])
        for first, second, code in ((1, size + 1, 400), (1, 2**62, 400), (size, 1, 400), (0, size, 422),
                                    (1, 10**30, 422), ("x", size, 422)):
            r = httpx.get(api + "consistency", params={"first": first, "second": second}, headers=auth)
            assert r.status_code == code, (first, second, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        big = httpx.post(api + "tree-head", content=b"{" + b" " * 100_000 + b"}", headers=auth)
        assert big.status_code == 400 and "more than" in big.json()["detail"]
        bad = httpx.post(api + "tree-head", json={"head": {"node": mx.id}, "first": None, "proof": []},
                         headers=auth)
        assert bad.status_code == 400 and "head" in bad.json()["detail"]
        with mx.engine.connect() as conn:
            mine = conn.execute(select(tree_heads).order_by(tree_heads.c.size.desc())).first()
        forged = {"node": mx.id, "size": mine.size, "root": mine.root, "timestamp": mine.ts,
                  "signature": "00" * 64}
        r = httpx.post(api + "tree-head", json={"head": forged, "first": None, "proof": []}, headers=auth)
        assert r.status_code == 409 and "pinned key" in r.json()["detail"]
        with us.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(partner_tree_heads)).scalar_one() == 1

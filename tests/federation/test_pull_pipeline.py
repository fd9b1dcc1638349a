"""The fast pull path: pipelined pages, positional rows, orjson on the wire, stricter envelopes.

Every shortcut must keep the checks: each object verified against the pinned key, a tampered field
rejected, a bad page stored not at all, the cursor never ahead of what is stored."""

import hashlib
import json
import ssl
from types import SimpleNamespace

import httpx
import pytest
from conftest import SEIZURE, actor
from fed_helpers import pair

from vinculo.audit.checks import verify_node
from vinculo.audit.merkle import leaf_hash
from vinculo.canonical import canonical_json
from vinculo.federation import inbox, pull_receipts, receipts, sync
from vinculo.federation.agreements import update_agreement
from vinculo.federation.at_rest import stored_canonical
from vinculo.federation.client import TaxiiClient, TaxiiClientError, _tls_for
from vinculo.federation.signing import sign_document
from vinculo.federation.stix_defs import DOCUMENT_EXTENSION
from vinculo.federation.stix_map import to_stix
from vinculo.records import holding, service
from vinculo.records import repository as repo
from vinculo.records.repository import _COLUMNS

TERMS = {"record_types": ["seizure"], "max_tlp": "amber", "start": "2020-01-01"}


@pytest.fixture
def nodes(make_node):
    return make_node("us-dea", "US"), make_node("mx-fgr", "MX")


def _held(node, origin="us-dea"):
    with node.engine.connect() as conn:
        return {r.id: r for r in conn.execute(repo.rv.select().where(repo.rv.c.origin == origin))}


def test_pipelined_pull_ramps_pages_and_honours_max_pages(nodes, monkeypatch):
    us, mx = nodes
    ana = actor(us, "analyst")
    made = [service.create_record(us, ana, "seizure", SEIZURE | {"place": f"p{i}"}, {"tlp": "green"}).id
            for i in range(23)]
    monkeypatch.setattr(sync, "FIRST_PAGE", 2)  # pages of 2, 4, 5, 5, ... records (page size 5)
    with pair(us, mx, us_terms=TERMS):
        first = sync.pull(mx, "us-dea", page_size=5, max_pages=2)
        assert (first.pages, first.new, first.rejected) == (2, 6, [])  # 2 + 4: nothing beyond max_pages
        assert len(_held(mx)) == 6
        rest = sync.pull(mx, "us-dea", page_size=5)
        assert rest.new == 17 and not rest.rejected and rest.receipts_sent == 17
        assert set(_held(mx)) == set(made)
        again = sync.pull(mx, "us-dea", page_size=5)
        assert (again.new, again.updated, again.unchanged) == (0, 0, 0)
    assert verify_node(mx).ok and verify_node(us).ok


def test_receipts_sent_during_a_pull_are_each_sent_once(nodes, monkeypatch):
    """Receipts start while later pages are still being stored (a thread); every stored version gets
    exactly one receipt and both audit logs verify (on PostgreSQL this also exercises the lock order)."""
    us, mx = nodes
    ana = actor(us, "analyst")
    made = [service.create_record(us, ana, "seizure", SEIZURE | {"place": f"p{i}"}, {"tlp": "green"}).id
            for i in range(23)]
    monkeypatch.setattr(sync, "FIRST_PAGE", 2)
    monkeypatch.setattr(pull_receipts, "EARLY_RECEIPTS", 3)
    sent = []
    real = pull_receipts.send_receipts
    monkeypatch.setattr(pull_receipts, "send_receipts", lambda *a: sent.append(real(*a)) or sent[-1])
    with pair(us, mx, us_terms=TERMS):
        report = sync.pull(mx, "us-dea", page_size=5)
        assert report.new == 23 and report.receipts_sent == 23 and not report.rejected
        assert len(sent) >= 2 and sum(sent) == 23  # some went early, the rest at the end
        got = receipts.list_receipts(us, "mx-fgr", limit=100)
        assert sorted(r["record_id"] for r in got) == sorted(made)
        assert sync.pull(mx, "us-dea", page_size=5).receipts_sent == 0
    assert verify_node(mx).ok and verify_node(us).ok


def test_vinculo_server_says_whether_there_is_more(nodes):
    us, mx = nodes
    ana = actor(us, "analyst")
    for i in range(3):
        service.create_record(us, ana, "seizure", SEIZURE | {"place": f"p{i}"}, {"tlp": "green"})
    with pair(us, mx, us_terms=TERMS) as (us_url, _mx_url, cred_for_mx, _), \
            TaxiiClient(us_url + "/taxii2/", token=cred_for_mx) as client:
        root = client.api_root()
        cid = next(c["id"] for c in client.collections(root) if c["alias"] == "all")
        r = client.fetch_objects(root, cid, None, 2)
        assert r.headers["X-Vinculo-More"] == "true"
        assert r.headers["content-type"].startswith("application/taxii+json")
        env = client.envelope(r)
        assert env.more and len(env.objects) == 2 and env.cursor == r.headers["X-Vinculo-Next"]
        assert json.loads(r.content) == {"more": True, "next": env.next, "objects": env.objects}
        last = client.fetch_objects(root, cid, env.cursor, 2)
        assert last.headers["X-Vinculo-More"] == "false" and len(client.envelope(last).objects) == 1


def test_a_page_that_is_not_json_is_a_client_error():
    req = httpx.Request("GET", "http://partner.invalid/taxii2/api/collections/x/objects/")
    for content in (b"<html>oops</html>", b'["not", "an", "envelope"]', b'{"objects": {"a": 1}}'):
        with pytest.raises(TaxiiClientError):
            TaxiiClient.envelope(httpx.Response(200, content=content, request=req))
    env = TaxiiClient.envelope(httpx.Response(200, content=b'{"objects": [], "more": false}', request=req))
    assert env.objects == [] and not env.more


def test_plain_http_partners_get_a_context_that_trusts_nothing():
    ctx = _tls_for("http://127.0.0.1:8000/taxii2/")
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname and not ctx.get_ca_certs()
    assert _tls_for("https://partner.example/taxii2/") is True


def test_rows_match_document_row(nodes):
    us, _mx = nodes
    rec = service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE | {"place": "Tijuana ñ"},
                                {"tlp": "green"})
    doc = rec.document()
    data = canonical_json(doc)
    digest = hashlib.sha256(data).digest()
    expected = repo.document_row(doc, 7, digest.hex(), "sig", True, "2026-01-01T00:00:00.000000Z")
    leaf, values = inbox._prepared(doc, "sig", data)
    assert leaf == leaf_hash(digest)
    got = dict(zip(_COLUMNS, (7, *values, "2026-01-01T00:00:00.000000Z"), strict=True))
    for text in ("markings", "body"):
        assert json.loads(got.pop(text)) == json.loads(expected.pop(text))
    assert got == expected


def test_tampered_malformed_and_unsigned_objects_are_rejected_and_nothing_else_changes(nodes):
    us, mx = nodes
    ana = actor(us, "analyst")
    recs = [service.create_record(us, ana, "seizure", SEIZURE | {"place": f"p{i}"}, {"tlp": "green"})
            for i in range(3)]
    with pair(us, mx):  # keys pinned both ways; nothing pulled
        pass
    docs = [r.document() for r in recs]
    good = to_stix(docs[0], sign_document(us.key, docs[0]), "us-dea")
    tampered = json.loads(json.dumps(to_stix(docs[1], sign_document(us.key, docs[1]), "us-dea")))
    tampered["extensions"][DOCUMENT_EXTENSION]["document"]["body"]["substance"] = "cocaine"
    renumbered = to_stix(docs[1] | {"version": 2}, sign_document(us.key, docs[1]), "us-dea")
    bare = docs[2] | {"markings": {"tlp": "green"}}  # parses (handling has a default): not a full document
    no_handling = to_stix(docs[2], sign_document(us.key, bare), "us-dea")
    no_handling["extensions"][DOCUMENT_EXTENSION]["document"] = bare  # signed as is: only the shape is wrong
    flag = docs[2] | {"revoked": 0}
    bad_flag = to_stix(flag, sign_document(us.key, flag), "us-dea")
    page = [good, tampered, renumbered, no_handling, bad_flag, "junk", 7]
    result = inbox.apply_page(mx, "us-dea", page, "c1")
    assert result.new == 1
    reasons = [r for _, r in result.rejected]
    assert len(reasons) == 6
    assert sum("signature does not verify" in r for r in reasons) == 2
    assert any("tlp and handling" in r for r in reasons) and any("revoked flag" in r for r in reasons)
    assert sum(r == "not a STIX object" for r in reasons) == 2
    held = _held(mx)
    assert set(held) == {recs[0].id}
    assert held[recs[0].id].content_hash == hashlib.sha256(canonical_json(docs[0])).hexdigest()
    assert verify_node(mx).ok


def test_receipts_check_each_item(nodes):
    us, mx = nodes
    rec = service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
    ok = {"id": rec.id, "version": 1, "status": "stored", "received_at": "2026-01-01T00:00:00Z"}
    with pair(us, mx, us_terms=TERMS):
        # a receipt for something never sent to mx is not kept: nothing says mx may know of it
        assert receipts.record_receipts(us, "mx-fgr", [ok]) == 0
        sync.pull(mx, "us-dea")
        service.update_record(us, actor(us, "analyst"), rec.id, SEIZURE | {"place": "Nogales"})
        sync.pull(mx, "us-dea")
        assert receipts.record_receipts(us, "mx-fgr", [ok, ok | {"version": 2}, ok | {"version": 3}]) == 2
        bad_items = (["x"], [ok | {"received_at": "yesterday"}], [ok | {"status": "lost"}],
                     [ok | {"id": "x"}])
        for bad in bad_items:
            with pytest.raises(receipts.ReceiptError):
                receipts.record_receipts(us, "mx-fgr", [ok, *bad])
        assert receipts.record_receipts(us, "mx-fgr", [ok | {"status": "withdrawn"}]) == 1
        listed = receipts.list_receipts(us, "mx-fgr")
    assert {(r["version"], r["status"], r["received_at"]) for r in listed} == {
        (1, "withdrawn", "2026-01-01T00:00:00.000000Z"), (2, "stored", "2026-01-01T00:00:00.000000Z")}


def test_receipts_route_checks_the_credential_first_then_the_body(nodes):
    us, mx = nodes
    rec = service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
    ok = {"id": rec.id, "version": 1, "status": "stored", "received_at": "2026-01-01T00:00:00Z"}
    with pair(us, mx, us_terms=TERMS) as (us_url, _mx_url, cred_for_mx, _):
        sync.pull(mx, "us-dea")
        for_test = receipts.list_receipts(us, "mx-fgr")
        with us.engine.begin() as conn:  # forget the receipts the pull sent: this test sends its own
            conn.execute(receipts.receipts.delete())
        assert for_test
        url = us_url + "/api/v1/federation/receipts"
        r = httpx.post(url, content=b"not json", headers={"Authorization": "Bearer vnp_wrong"})
        assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
        auth = {"Authorization": f"Bearer {cred_for_mx}"}
        for body, why in ((b"not json", "body: not JSON"), (b'{"receipts": {"a": 1}}', "'receipts' is a list"),
                          (b'[1, 2]', "'receipts' is a list"), (json.dumps({"receipts": [ok, "x"]}).encode(),
                                                                "receipts[1]")):
            r = httpx.post(url, content=body, headers=auth)
            assert r.status_code == 400 and why in r.json()["detail"], (body, r.text)
        assert receipts.list_receipts(us, "mx-fgr") == []  # nothing half-written
        r = httpx.post(url, content=json.dumps({"receipts": [ok]}).encode(), headers=auth)
        assert r.status_code == 200 and r.json() == {"recorded": 1}
        assert [x["record_id"] for x in receipts.list_receipts(us, "mx-fgr")] == [rec.id]


def test_full_views_are_signed_over_the_stored_canonical_bytes_only_when_they_hash_right(nodes):
    us, _mx = nodes
    made = service.create_record(us, actor(us, "analyst"), "seizure",
                                 SEIZURE | {"place": "Nogales", "quantity": {"amount": 1.5, "unit": "kg"}},
                                 {"tlp": "green"})
    with us.engine.connect() as conn:
        row = next(r for r in holding.feed_rows(conn, 0, {"seizure"}, {made.id}, 10))
    doc = holding.feed_record(row).document()
    assembled = stored_canonical(row, doc)
    assert assembled == canonical_json(doc)
    assert hashlib.sha256(assembled).hexdigest() == row.content_hash
    # stored text that is not canonical (here: spaces) no longer hashes right: the bytes are computed
    stored = SimpleNamespace(**row._asdict())
    spaced = SimpleNamespace(**vars(stored) | {"body": row.body.replace(",", ", ")})
    assert stored_canonical(spaced, doc) == canonical_json(doc)
    assert stored_canonical(spaced) == canonical_json(doc)  # without a document: parsed from the row
    wrong = SimpleNamespace(**vars(stored) | {"body": row.body.replace("Nogales", "Sonoyta")})  # a different body with a stale hash
    assert stored_canonical(wrong, doc) == canonical_json(doc)


def test_pull_asks_for_the_derived_collection_and_falls_back_to_discovery(nodes, monkeypatch):
    us, mx = nodes
    ana = actor(us, "analyst")
    for i in range(3):
        service.create_record(us, ana, "seizure", SEIZURE | {"place": f"p{i}"}, {"tlp": "green"})
    asked: list[str] = []
    real_get = TaxiiClient._get

    def get(self, url, params=None):
        if "/taxii2/" in url:  # not the partner's keys (federation.rotation), asked before every pull
            asked.append(url.split("/taxii2/", 1)[1])
        return real_get(self, url, params)

    monkeypatch.setattr(TaxiiClient, "_get", get)
    with pair(us, mx) as (_us_url, _mx_url, _cred, _):
        with pytest.raises(sync.SyncError, match="no agreement covers us"):  # 404, then discovery says why
            sync.pull(mx, "us-dea")
        assert asked[1:] == ["", "api/collections/"]
        update_agreement(us, "mx-fgr", TERMS)
        asked.clear()
        assert sync.pull(mx, "us-dea").new == 3
        assert all(a.startswith("api/collections/") and a.endswith("/objects/") for a in asked)  # no discovery
        monkeypatch.setattr(sync, "collection_id", lambda node_id, alias: "00000000-0000-4000-8000-000000000000")
        asked.clear()
        service.create_record(us, ana, "seizure", SEIZURE | {"place": "p3"}, {"tlp": "green"})
        assert sync.pull(mx, "us-dea").new == 1  # not where a Vinculo server keeps it: discovery finds it
        assert asked[1:3] == ["", "api/collections/"]

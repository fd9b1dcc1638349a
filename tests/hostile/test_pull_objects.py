"""Each object a partner sends is judged on its own, by the same record models as local input: a bad one is
rejected with its reason (counted, the first few kept, clipped) and the rest of its page is stored."""

import json

from fake_partner import FakePartner, events, nested, page, state, stored_ids

from vinculo.canonical import canonical_json
from vinculo.federation import inbox, sync
from vinculo.federation.stix_map import from_stix


def doc_id(obj: dict) -> str:
    return from_stix(obj)[0]["id"]


def pull_page(node, fake: FakePartner, objects: list) -> sync.SyncReport:
    fake.serve = lambda _t, _l: page(objects, next_token="1")
    return sync.pull(node, fake.node_id)


def test_an_integer_past_2_53_rejects_its_object_only(node):
    with FakePartner() as fake:
        fake.register(node)
        good = [fake.signed() for _ in range(3)]
        doc = fake.document({**fake.document()["body"], "quantity": {"amount": 2**60, "unit": "kg"}})
        big = fake.signed_over(doc, b"whatever was signed")
        report = pull_page(node, fake, [good[0], big, *good[1:]])  # on main: IntegerDomainError, page lost
        assert report.new == 3 and report.rejected_count == 1
        assert report.rejected[0][0] == big["id"]
        assert stored_ids(node) == {doc_id(o) for o in good} and state(node, fake.node_id)["cursor"] == "1"


def test_a_signed_record_that_fails_the_record_model_is_rejected_with_its_reason(node):
    with FakePartner() as fake:
        fake.register(node)
        seizure = fake.signed()
        ok_note = fake.signed(fake.document({"text": "confirmed", "about_refs": [doc_id(seizure)]}, "note"))
        long_note = fake.signed(fake.document({"text": "x" * 1_000_000, "about_refs": [doc_id(seizure)]}, "note"))
        no_refs = fake.signed(fake.document({"text": "about nothing"}, "note"))
        unknown = fake.signed(fake.document({**fake.document()["body"], "substance": "unobtainium"}))
        extra = fake.signed(fake.document({**fake.document()["body"], "x_secret": "smuggled"}))
        report = pull_page(node, fake, [seizure, ok_note, long_note, no_refs, unknown, extra])
        assert stored_ids(node) == {doc_id(seizure), doc_id(ok_note)}  # on main: all six stored
        reasons = dict(report.rejected)
        assert "text: String should have at most 20000 characters" in reasons[long_note["id"]]
        assert "about_refs: Field required" in reasons[no_refs["id"]]
        assert "unknown substance" in reasons[unknown["id"]]
        assert "x_secret: Extra inputs are not permitted" in reasons[extra["id"]]


def test_deep_nesting_rejects_the_object_and_a_page_too_deep_to_decode_fails_cleanly(node):
    with FakePartner() as fake:
        fake.register(node)
        good = fake.signed()
        deep = fake.signed(fake.document({**fake.document()["body"], "place": nested(200)}))
        report = pull_page(node, fake, [deep, good])  # on main: stored, signed as it is
        assert report.new == 1 and report.rejected_count == 1 and stored_ids(node) == {doc_id(good)}
        too_deep = b'{"objects": [' + b"[" * 5000 + b"]" * 5000 + b'], "more": false}'
        from fake_partner import Reply
        fake.serve = lambda _t, _l: Reply(too_deep)
        try:
            sync.pull(node, fake.node_id)
            raise AssertionError("a page nested 5,000 deep was accepted")
        except sync.SyncError as exc:
            assert "not JSON" in str(exc)
        assert state(node, fake.node_id)["cursor"] == "1"


def test_rejections_are_counted_and_only_the_first_few_are_kept_clipped(node):
    with FakePartner() as fake:
        fake.register(node)
        good = fake.signed()
        junk = [{"id": f"vinculo-seizure--{'9' * 500}-{i}", "type": "x", "blob": "y" * 1_000} for i in range(3_000)]
        report = pull_page(node, fake, [*junk, good])
        assert report.new == 1 and report.rejected_count == 3_000 and len(report.rejected) == 20
        assert all(len(rid) < 400 and len(reason) < 400 for rid, reason in report.rejected)
        entry = events(node, "receive")[-1]
        assert entry["rejected_count"] == 3_000 and len(entry["rejected"]) == 20
        assert len(json.dumps(entry)) < 20_000  # on main: 3,000 reasons with their ids
        last = state(node, fake.node_id)["last_result"]
        assert last["rejected_count"] == 3_000 and len(json.dumps(last)) < 20_000


def test_a_bad_signature_is_still_a_rejection_among_good_ones(node):
    with FakePartner() as fake:
        fake.register(node)
        good = [fake.signed() for _ in range(6)]
        doc = fake.document()
        forged = fake.signed_over(doc, canonical_json(fake.document()))
        report = pull_page(node, fake, [*good[:3], forged, *good[3:]])
        assert report.new == 6 and report.rejected_count == 1 and "does not verify" in report.rejected[0][1]


def test_apply_page_survives_anything_in_a_list(node):
    with FakePartner() as fake:
        fake.register(node)
        good = fake.signed()
        odd = [None, 1, "x", [], {}, {"extensions": 5}, {"id": 7, "extensions": {"a": {"document": []}}}, 2**80,
               {"id": "x", "extensions": {"extension-definition--x": {"document": {"id": 5}}}}]
        for sig in (5, [], {"a": 1}, "zz", "00" * 64, "0" * 10_000, None):
            obj = fake.signed()
            next(iter(obj["extensions"].values()))["signature"] = sig
            odd.append(obj)
        result = inbox.apply_page(node, fake.node_id, [*odd, good], "c1")  # on main: TypeError from verifying
        assert result.new == 1 and result.rejected_count == len(odd)

"""One partner's failure, whatever it is, never stops the pulls from the others: it is a `sync.failed`
audit entry with its reason, and the next partner is pulled all the same."""

from fake_partner import FakePartner, Reply, endless, events, page, state, stored_ids

from vinculo.federation import sync
from vinculo.federation.stix_map import from_stix


def test_a_partner_failing_in_every_way_stops_no_other(node, monkeypatch):
    with FakePartner("aa-huge-next") as a, FakePartner("ab-big-int") as b, FakePartner("ac-endless") as c, \
            FakePartner("ad-broken") as d, FakePartner("zz-honest") as honest:
        for fake in (a, b, c, d, honest):
            fake.register(node)
        a.serve = lambda _t, _l: page([a.signed()], next_token="9" * 1_000_000)
        doc = b.document({**b.document()["body"], "quantity": {"amount": 2**60, "unit": "kg"}})
        b.serve = lambda _t, _l: page([b.signed_over(doc, b"-")], next_token="1")
        c.serve = endless(stop_after=1_000)
        d.serve = lambda _t, _l: Reply(b"<html>oops</html>", status=500)
        mine = [honest.signed() for _ in range(5)]
        honest.serve = lambda _t, _l: page(mine, next_token="5")
        monkeypatch.setenv("VINCULO_PULL_MAX_PAGES", "10")
        for run in range(2):  # on main the huge cursor is stored on the first run and breaks the second
            out = sync.run_all(node)
            assert [o if isinstance(o, str) else o.partner for o in out][-1] == "zz-honest"
        failed = {e["error"].split(":", 1)[0] for e in events(node, "sync.failed")}
        assert len(events(node, "sync.failed")) == 6  # a, c, d on each run; b's object is a rejection
        assert state(node, "aa-huge-next") is None and state(node, "ab-big-int")["cursor"] == "1"
        assert state(node, "zz-honest")["cursor"] == "5"
        assert {from_stix(o)[0]["id"] for o in mine} <= stored_ids(node)
        assert failed  # reasons recorded
        assert any("HTTP 500" in e["error"] for e in events(node, "sync.failed"))
        assert any("VINCULO_PULL_MAX_PAGES" in e["error"] for e in events(node, "sync.failed"))


def test_a_bad_limit_in_the_environment_is_a_failed_line_per_partner_not_a_crash(node, monkeypatch):
    with FakePartner() as fake:
        fake.register(node)
        monkeypatch.setenv("VINCULO_PULL_DEADLINE", "-3")
        out = sync.run_all(node)
        assert out == [f"{fake.node_id}: VINCULO_PULL_DEADLINE='-3': must be above 0"]
        assert events(node, "sync.failed")[-1]["error"] == "VINCULO_PULL_DEADLINE='-3': must be above 0"
        assert fake.requests == []

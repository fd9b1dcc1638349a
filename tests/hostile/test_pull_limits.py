"""A partner cannot make one pull endless, huge or slow: pages, bytes, objects and time are bounded, and a
cursor it hands us is checked before it is stored (issue 17)."""

import pytest
from fake_partner import FakePartner, Reply, drip, endless, events, padded, page, state, stored_ids

from vinculo.federation import sync
from vinculo.federation.limits import pull_limits
from vinculo.federation.stix_map import from_stix


def test_an_endless_next_chain_stops_at_the_page_limit_and_the_next_run_resumes(node, monkeypatch):
    with FakePartner(serve=endless(stop_after=500)) as fake:
        fake.register(node)
        monkeypatch.setenv("VINCULO_PULL_MAX_PAGES", "20")
        with pytest.raises(sync.SyncError, match="stopped after 20 pages"):
            sync.pull(node, fake.node_id)
        assert len(fake.requests) == 20 and state(node, fake.node_id)["cursor"] == "20"
        out = sync.run_all(node)
        assert len(fake.requests) == 40 and fake.requests[20][0] == "20"  # resumed where it stopped
        assert out == [f"{fake.node_id}: " + events(node, "sync.failed")[-1]["error"]]
        assert "VINCULO_PULL_MAX_PAGES" in out[0]


def test_a_huge_next_is_never_stored_and_the_pull_works_again_once_the_partner_is_fixed(node, monkeypatch):
    with FakePartner() as fake:
        fake.register(node)
        good = [fake.signed() for _ in range(3)]
        fake.serve = lambda token, _limit: page(good[:2], more=True, next_token="7") if token is None \
            else page(good[2:], more=True, next_token="9" * 5_000_000)
        with pytest.raises(sync.SyncError, match="cursor that cannot be kept.*5,000,000 characters"):
            sync.pull(node, fake.node_id)
        assert state(node, fake.node_id)["cursor"] == "7"  # the first page's: the bad page was dropped
        assert stored_ids(node) == {doc_id(o) for o in good[:2]}
        fake.serve = lambda token, _limit: page(good[2:], next_token="8")
        report = sync.pull(node, fake.node_id)  # on main: httpx.InvalidURL, for ever
        assert report.new == 1 and state(node, fake.node_id)["cursor"] == "8"
        assert fake.requests[-1][0] == "7"


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
@pytest.mark.parametrize("bad", ["", "a b", "é", "x\n", 12])
def test_a_cursor_of_the_wrong_shape_is_refused(node, bad, monkeypatch):
    with FakePartner(serve=lambda _t, _l: page([], next_token=bad)) as fake:  # type: ignore[arg-type]
        fake.register(node)
        with pytest.raises(sync.SyncError, match="cannot be kept"):
            sync.pull(node, fake.node_id)
        assert state(node, fake.node_id) is None


def doc_id(obj: dict) -> str:
    return from_stix(obj)[0]["id"]


def test_a_body_larger_than_a_page_may_be_is_refused_while_it_streams_in(node, monkeypatch):
    total = 40 * 1024 * 1024
    with FakePartner(serve=lambda _t, _l: Reply(padded(total))) as fake:
        fake.register(node)
        monkeypatch.setenv("VINCULO_PULL_MAX_PAGE_BYTES", "1048576")
        with pytest.raises(sync.SyncError, match="passed 1,048,576 bytes"):
            sync.pull(node, fake.node_id)
        assert fake.sent < total // 2  # the client hung up long before the end: never all in memory


def test_a_body_announced_too_large_is_refused_before_it_is_read(node, monkeypatch):
    with FakePartner(serve=lambda _t, _l: Reply(padded(8 * 1024 * 1024), length=8 * 1024 * 1024)) as fake:
        fake.register(node)
        monkeypatch.setenv("VINCULO_PULL_MAX_PAGE_BYTES", "1048576")
        with pytest.raises(sync.SyncError, match="8,388,608 bytes, more than 1,048,576"):
            sync.pull(node, fake.node_id)


def test_a_page_with_more_objects_than_allowed_is_refused_whole(node, monkeypatch):
    with FakePartner() as fake:
        fake.register(node)
        objs = [fake.signed() for _ in range(30)]
        fake.serve = lambda _t, _l: page(objs, next_token="1")
        monkeypatch.setenv("VINCULO_PULL_MAX_PAGE_OBJECTS", "25")
        with pytest.raises(sync.SyncError, match="a page of 30 objects, more than 25"):
            sync.pull(node, fake.node_id)
        assert stored_ids(node) == set() and state(node, fake.node_id) is None


def test_a_slow_drip_body_ends_at_the_pulls_deadline(node, monkeypatch):
    body = page([], next_token="1").body
    with FakePartner(serve=lambda _t, _l: drip(b" " * 400 + body, every=0.05)) as fake:  # 20 s in all
        fake.register(node)
        monkeypatch.setenv("VINCULO_PULL_DEADLINE", "1")
        with pytest.raises(sync.SyncError, match="past its deadline of 1 s"):
            sync.pull(node, fake.node_id)
        assert fake.sent < 400 and state(node, fake.node_id) is None


def test_a_partner_that_goes_silent_ends_at_the_read_timeout(node, monkeypatch):
    def silent(_t, _l):
        return Reply(iter([b'{"objects": [', b"]}"]), pause=30)  # one chunk, then nothing for 30 s

    with FakePartner(serve=silent) as fake:
        fake.register(node)
        monkeypatch.setenv("VINCULO_PULL_READ_TIMEOUT", "0.5")
        with pytest.raises(sync.SyncError, match="ReadTimeout"):
            sync.pull(node, fake.node_id)


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("VINCULO_PULL_MAX_PAGES", "7")
    monkeypatch.setenv("VINCULO_PULL_DEADLINE", "2.5")
    limits = pull_limits()
    assert (limits.max_pages, limits.deadline, limits.max_page_objects) == (7, 2.5, 5_000)
    monkeypatch.setenv("VINCULO_PULL_MAX_PAGES", "lots")
    with pytest.raises(ValueError, match="VINCULO_PULL_MAX_PAGES='lots': not a number"):
        pull_limits()


def test_a_huge_answer_to_our_receipts_is_never_read(node):
    total = 100 * 1024 * 1024
    with FakePartner() as fake:
        fake.register(node)
        objs = [fake.signed() for _ in range(3)]
        fake.serve = lambda _t, _l: page(objs, next_token="3")
        fake.answer_receipts = lambda: Reply(padded(total))
        report = sync.pull(node, fake.node_id)
        assert report.new == 3 and report.receipts_sent == 3 and fake.receipts == 1
        assert fake.sent < total // 2  # on main: all 100 MB read into memory


def test_a_receipts_body_past_its_limit_is_refused_as_it_streams(monkeypatch, make_node):
    """A partner's receipts request is read only up to `receipts.MAX_BODY` bytes, then refused (400)."""
    import httpx
    from fed_helpers import pair

    from vinculo.federation import receipts

    us, mx = make_node("us-dea", "US"), make_node("mx-fgr", "MX")
    monkeypatch.setattr(receipts, "MAX_BODY", 1000)
    with pair(us, mx) as (us_url, _mx_url, cred_for_mx, _):
        r = httpx.post(us_url + "/api/v1/federation/receipts", content=b'{"receipts": [' + b" " * 5000 + b"]}",
                       headers={"Authorization": f"Bearer {cred_for_mx}"}, timeout=30)
    assert r.status_code == 400 and "more than 1,000 bytes" in r.json()["detail"]

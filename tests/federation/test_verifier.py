"""Signatures of a long pull are verified in a helper process; nothing about a verdict may change.

The helper answers batches in order; if it dies, the rest is verified here. A page checked against
one set of pinned keys is checked and verified again if the keys change before it is stored."""

import pytest
from conftest import SEIZURE, actor
from fed_helpers import pair

from vinculo.audit.checks import verify_node
from vinculo.canonical import canonical_json
from vinculo.federation import inbox, sync, verifier
from vinculo.federation.signing import raw_public, sign_document, verify_many
from vinculo.federation.stix_map import to_stix
from vinculo.node.keys import generate
from vinculo.records import repository as repo
from vinculo.records import service
from vinculo.store.tables import partners

TERMS = {"record_types": ["seizure"], "max_tlp": "amber", "start": "2020-01-01"}


def _items(n: int, offset: int = 0) -> tuple[list, list[bool]]:
    """n (key, data, signature) items, every third one bad in a different way, and the right verdicts."""
    key, other = generate(), generate()
    pub = raw_public(key.public_key())
    items, expected = [], []
    for i in range(offset, offset + n):
        data = canonical_json({"i": i, "place": f"p{i}"})
        good = key.sign(data).hex()
        bad = [(pub, data + b" ", good), (raw_public(other.public_key()), data, good), (pub, data, "zz"),
               (pub, data, None)][i % 4]
        items.append((pub, data, good) if i % 3 else bad)
        expected.append(bool(i % 3))
    return items, expected


def test_helper_verdicts_come_back_in_order():
    batches = [_items(n, 100 * k) for k, n in enumerate((5, 1, 40))]
    with verifier.Verifier() as helper:
        for items, _ in batches:
            helper.submit(items)
        got = [helper.result() for _ in batches]
        assert not helper.broken
    assert got == [expected for _, expected in batches]


def test_a_killed_helper_leaves_verification_here():
    batches = [_items(9, 100 * k) for k in range(3)]
    with verifier.Verifier() as helper:
        helper.submit(batches[0][0])
        assert helper.result() == batches[0][1]
        helper.submit(batches[1][0])
        helper.proc.kill()
        helper.proc.wait()
        helper.submit(batches[2][0])
        assert [helper.result(), helper.result()] == [batches[1][1], batches[2][1]]
        assert helper.broken


def test_verdicts_are_handed_out_only_for_the_oldest_batch():
    verification = sync._Verification()
    first = verification.submit(_items(2)[0])
    second = verification.submit(_items(2)[0])
    with pytest.raises(RuntimeError, match="batch 1"):
        verification.result(second)
    assert verification.result(first) == [False, True]


@pytest.fixture
def nodes(make_node):
    return make_node("us-dea", "US"), make_node("mx-fgr", "MX")


def test_a_long_pull_verifies_in_the_helper_and_stores_everything_once(nodes, monkeypatch):
    us, mx = nodes
    ana = actor(us, "analyst")
    made = {service.create_record(us, ana, "seizure", SEIZURE | {"place": f"p{i}"}, {"tlp": "green"}).id
            for i in range(14)}
    started = []
    real = verifier.Verifier

    class Spy(real):
        def __init__(self):
            super().__init__()
            started.append(self)

    monkeypatch.setattr(sync, "Verifier", Spy)
    monkeypatch.setattr(sync, "PROCESS_AFTER", 3)
    monkeypatch.setattr(sync, "FIRST_PAGE", 2)
    with pair(us, mx, us_terms=TERMS):
        report = sync.pull(mx, "us-dea", page_size=4)
    assert (report.new, report.rejected, report.pages) == (14, [], 4)  # pages of 2, 4, 4, 4
    assert len(started) == 1 and not started[0].broken and started[0].proc.returncode is not None
    with mx.engine.connect() as conn:
        held = [r.id for r in conn.execute(repo.rv.select().where(repo.rv.c.origin == "us-dea"))]
    assert sorted(held) == sorted(made)
    assert verify_node(mx).ok


def test_a_page_checked_under_old_keys_is_verified_again_when_stored(nodes):
    us, mx = nodes
    recs = [service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE | {"place": f"p{i}"},
                                  {"tlp": "green"}) for i in range(3)]
    with pair(us, mx):
        pass
    objects = [to_stix(r.document(), sign_document(us.key, r.document()), "us-dea") for r in recs]
    page = inbox.check_page(mx, "us-dea", objects)
    assert verify_many(page.items()) == [True] * 3
    with mx.engine.begin() as conn:  # the key is re-pinned (say, the partner rotated it) meanwhile
        conn.execute(partners.update().where(partners.c.node_id == "us-dea")
                     .values(public_key=generate().public_key().public_bytes_raw().hex()))
    result = inbox.store_page(mx, "us-dea", page, [True] * 3, "c1")  # stale verdicts must not count
    assert result.new == 0
    assert [reason.split(": ", 1)[1] for _, reason in result.rejected] == [
        "signature does not verify against us-dea's pinned key"] * 3


def test_without_a_helper_process_the_pull_verifies_here(nodes, monkeypatch):
    us, mx = nodes
    for i in range(6):
        service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE | {"place": f"p{i}"}, {"tlp": "green"})

    def no_process():
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(sync, "Verifier", no_process)
    monkeypatch.setattr(sync, "PROCESS_AFTER", 1)
    monkeypatch.setattr(sync, "FIRST_PAGE", 2)
    with pair(us, mx, us_terms=TERMS):
        report = sync.pull(mx, "us-dea", page_size=2)
    assert (report.new, report.rejected, report.pages) == (6, [], 3)

"""Signatures of a pull are verified in batches on other threads (`vinculo._verify_batch`, libsodium
with the GIL released for a whole batch); nothing about a verdict may change.

Batches answer in order, each verdict the one libsodium gives for that item alone. A page checked
against one set of pinned keys is checked and verified again if the keys change before it is stored."""

import pytest
from conftest import SEIZURE, actor
from fed_helpers import pair

from vinculo import sodium
from vinculo.audit.checks import verify_node
from vinculo.canonical import canonical_json
from vinculo.federation import inbox, sync
from vinculo.federation.signing import raw_public, sign_document, verify_later, verify_many
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


def test_the_batch_verifier_is_built_and_agrees_with_one_call_a_signature():
    assert sodium._verify_batch is not None, "vinculo._verify_batch was not built: a C compiler and Python headers"
    items, expected = _items(60)
    sig = items[1][2]
    items += [(items[1][0], items[1][1], sig.upper()),  # hex digits in either case
              (items[1][0], items[1][1], sig[:126]), (items[1][0], items[1][1], sig + "00"),  # wrong length
              (items[1][0], items[1][1], "g" + sig[1:]), (items[1][0], items[1][1], " " + sig[1:]),  # not hex
              (items[1][0][:31], items[1][1], sig), (items[1][0] + b"\0", items[1][1], sig),  # key not 32 bytes
              (items[1][0], items[1][1], "")]
    expected += [True] + [False] * 7
    assert sodium.ed25519_verify_batch(items) == expected
    assert [sodium.ed25519_verify_hex(*item) for item in items] == expected
    assert sodium.ed25519_verify_batch([]) == []


@pytest.mark.parametrize("bad, where", [
    ([[b"k" * 32, b"m", None]], "item 0 is not a"), ([(b"k" * 32, "m", None)], "item 0 is not a"),
    ([(b"k" * 32, b"m", None), (b"k" * 32, b"m")], "item 1 is not a"), ([(b"k" * 32, b"m", 7)], "item 0's signature"),
])
def test_the_batch_verifier_names_the_item_it_cannot_read(bad, where):
    with pytest.raises(TypeError, match=where):
        sodium.ed25519_verify_batch(bad)


def test_batches_started_at_once_answer_each_for_its_own_items():
    batches = [_items(n, 1000 * k) for k, n in enumerate((5, 1, 400, 0, 130))]
    pending = [verify_later(items) for items, _ in batches]
    assert [wait() for wait in pending] == [expected for _, expected in batches]


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


def test_a_pull_of_many_pages_verifies_and_stores_everything_once(nodes, monkeypatch):
    us, mx = nodes
    ana = actor(us, "analyst")
    made = {service.create_record(us, ana, "seizure", SEIZURE | {"place": f"p{i}"}, {"tlp": "green"}).id
            for i in range(14)}
    monkeypatch.setattr(sync, "FIRST_PAGE", 2)
    with pair(us, mx, us_terms=TERMS):
        report = sync.pull(mx, "us-dea", page_size=4)
    assert (report.new, report.rejected, report.pages) == (14, [], 4)  # pages of 2, 4, 4, 4
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

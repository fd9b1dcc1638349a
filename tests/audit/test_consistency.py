"""Consistency proofs as partners exchange them: verify_consistency over every pair of sizes up to 64, the
proof computed range by range from a node's stored log, and the checks a partner's new tree head must pass."""

import datetime as dt
import random

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update

from vinculo.audit import merkle as mk
from vinculo.audit import proofs
from vinculo.audit.events import AuditEvent
from vinculo.audit.proofs import ProofError, consistency_from_log, latest_head
from vinculo.audit.treehead import sign_tree_head
from vinculo.federation.heads import MAX_PROOF, HeadError, check_head, head_json, parse_head, parse_proof
from vinculo.store.tables import audit_log, audit_subtrees

N = 64
LEAVES = [mk.leaf_hash(b"gossip-%d" % i) for i in range(N)]
ROOTS = [mk.root(LEAVES[:n]) for n in range(N + 1)]


def _flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 1]) + h[1:]


def test_every_pair_of_sizes_up_to_64_verifies_and_every_tampering_fails():
    for n in range(N + 1):
        for m in range(n + 1):
            proof = [mk.root(LEAVES[lo:hi]) for lo, hi in mk.consistency_ranges(m, n)]
            assert proof == mk.consistency_proof(LEAVES[:n], m), (m, n)
            assert len(proof) <= n.bit_length() + 1
            assert mk.verify_consistency(m, n, ROOTS[m], ROOTS[n], proof), (m, n)
            if not 0 < m < n:
                continue
            assert not mk.verify_consistency(m, n, _flip(ROOTS[m]), ROOTS[n], proof)
            assert not mk.verify_consistency(m, n, ROOTS[m], _flip(ROOTS[n]), proof)
            assert not mk.verify_consistency(m, n, ROOTS[m], ROOTS[n], proof[:-1])
            assert not mk.verify_consistency(m, n, ROOTS[m], ROOTS[n], proof + [ROOTS[n]])
            for k in range(len(proof)):
                assert not mk.verify_consistency(m, n, ROOTS[m], ROOTS[n], proof[:k] + [_flip(proof[k])] + proof[k + 1:])
            # a log whose first m leaves changed (an entry rewritten) has no proof from the old root
            changed = LEAVES[: m - 1] + [_flip(LEAVES[m - 1])] + LEAVES[m:n]
            assert not mk.verify_consistency(m, n, ROOTS[m], mk.root(changed), mk.consistency_proof(changed, m))


def test_proofs_stay_short_for_any_size_a_partner_may_name():
    rng = random.Random(6962)
    for _ in range(5_000):
        n = rng.randrange(1, 2**62 + 1)
        assert len(mk.consistency_ranges(rng.randrange(1, n + 1), n)) <= MAX_PROOF
    for bad in ((5, 4), (-1, 4), (1, True)):
        with pytest.raises(ValueError):
            mk.consistency_ranges(*bad)


def _grow(node, count: int) -> None:
    with node.uow() as uow:
        for i in range(count):
            uow.audit(AuditEvent("test", "record.read", f"seizure--{i}"))
        uow.commit()


def _stored_leaves(node) -> list[bytes]:
    with node.engine.connect() as conn:
        return [bytes.fromhex(h) for h in conn.execute(select(audit_log.c.leaf_hash).order_by(audit_log.c.idx))
                .scalars()]


def test_a_proof_from_the_stored_log_matches_the_tree_and_bad_sizes_are_refused(node):
    for _ in range(5):
        _grow(node, 7)
    leaves = _stored_leaves(node)
    with node.engine.connect() as conn:
        size = latest_head(conn).size
    assert size == len(leaves)
    for m in range(1, size + 1):
        assert consistency_from_log(node.engine, m, size) == mk.consistency_proof(leaves, m), m
    for first, second in ((0, size), (2, 1), (1, size + 1), (1, 2**62)):
        with pytest.raises(ProofError):
            consistency_from_log(node.engine, first, second)


def test_cached_chunk_roots_give_the_same_proofs_for_every_pair_of_sizes(node, monkeypatch):
    monkeypatch.setattr(proofs, "CHUNK", 4)  # so that a small log has many chunks
    _grow(node, 36)
    leaves = _stored_leaves(node)
    n = len(leaves)
    for new in range(1, n + 1):
        for old in sorted({1, 2, 3, 4, 5, new // 2, new // 2 + 1, new - 4, new - 1, new} & set(range(1, new + 1))):
            assert consistency_from_log(node.engine, old, new) == mk.consistency_proof(leaves[:new], old), (old, new)
    with node.engine.connect() as conn:
        cached = conn.execute(select(audit_subtrees).order_by(audit_subtrees.c.start)).all()
    assert [r.start for r in cached] == list(range(0, n - n % 4, 4))  # every complete chunk, none other
    assert all(bytes.fromhex(r.root) == mk.root(leaves[r.start:r.start + 4]) for r in cached)
    with node.engine.begin() as conn:  # a forged cache makes proofs that fail, never ones that pass
        conn.execute(update(audit_subtrees).where(audit_subtrees.c.start == 0).values(root="00" * 32))
    proof = consistency_from_log(node.engine, 9, n)
    assert not mk.verify_consistency(9, n, mk.root(leaves[:9]), mk.root(leaves), proof)


KEY = Ed25519PrivateKey.generate()
T = dt.datetime(2026, 12, 4, 12, tzinfo=dt.UTC)


def head(n: int, root: bytes | None = None, key=KEY):
    return sign_tree_head(key, "mx-fgr", n, ROOTS[n] if root is None else root, T)


def test_a_new_head_is_checked_against_the_one_held():
    pub = KEY.public_key()
    assert check_head("mx-fgr", pub, None, head(5), None).problem is None  # the first one is trusted
    good = check_head("mx-fgr", pub, head(5), head(9), mk.consistency_proof(LEAVES[:9], 5))
    assert good.problem is None and not good.same
    assert check_head("mx-fgr", pub, head(9), head(9), None).same
    assert "shrank" in check_head("mx-fgr", pub, head(9), head(5), None).problem
    assert "two different roots" in check_head("mx-fgr", pub, head(9), head(9, ROOTS[8]), None).problem
    assert "does not verify" in check_head("mx-fgr", pub, head(5), head(9), mk.consistency_proof(LEAVES[:9], 4)).problem
    assert "no consistency proof" in check_head("mx-fgr", pub, head(5), head(9), None).problem
    other = Ed25519PrivateKey.generate()
    assert "pinned key" in check_head("mx-fgr", pub, head(5), head(9, key=other), []).problem
    assert "pinned key" in check_head("us-dea", pub, None, head(5), None).problem  # signed as another node


def test_heads_and_proofs_from_a_partner_are_parsed_strictly():
    wire = head_json("mx-fgr", head(7))
    assert parse_head(wire, "mx-fgr") == head(7)
    for bad, field in ((wire | {"size": -1}, "size"), (wire | {"size": 2**62 + 1}, "size"),
                       (wire | {"size": True}, "size"), (wire | {"root": "AB" * 32}, "root"),
                       (wire | {"signature": "00"}, "signature"), (wire | {"timestamp": "yesterday"}, "timestamp"),
                       (wire | {"node": "us-dea"}, "node"), (wire | {"extra": 1}, "head"), ([], "head")):
        with pytest.raises(HeadError, match=field):
            parse_head(bad, "mx-fgr")
    assert parse_proof([ROOTS[1].hex()]) == [ROOTS[1]]
    for bad in ([ROOTS[1].hex()] * (MAX_PROOF + 1), ["zz" * 32], [1], "abc"):
        with pytest.raises(HeadError, match="proof"):
            parse_proof(bad)

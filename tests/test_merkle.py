"""RFC 6962 Merkle tree and signed tree head tests."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from vinculo.audit import merkle as mk
from vinculo.audit.treehead import TreeHead, sign_tree_head, tree_head_message, verify_tree_head

# --- Reference vectors (certificate-transparency / transparency-dev/merkle) ---

_CT_HEX = "00 10 2021 3031 40414243 5051525354555657 606162636465666768696a6b6c6d6e6f"
CT_DATA = [b""] + [bytes.fromhex(h) for h in _CT_HEX.split()]
CT_LEAVES = [mk.leaf_hash(d) for d in CT_DATA]
_CT_ROOTS_HEX = (  # index = tree size
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)
CT_ROOTS = [bytes.fromhex(h) for h in _CT_ROOTS_HEX]
H = {  # named intermediate hashes from the reference proofs
    "l1": "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "n23": "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "n4567": "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    "l4": "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "n67": "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    "n45": "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "l6": "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
}
CT_ROOT = {n: CT_ROOTS[n].hex() for n in range(9)}
CT_INCLUSION = [  # (index, size, proof)
    (0, 8, [H["l1"], H["n23"], H["n4567"]]),
    (5, 8, [H["l4"], H["n67"], CT_ROOT[4]]),
    (2, 3, [CT_ROOT[2]]),
    (1, 5, [CT_ROOT[1], H["n23"], H["l4"]]),
]
CT_CONSISTENCY = [  # (old_size, new_size, proof)
    (1, 8, [H["l1"], H["n23"], H["n4567"]]),
    (6, 8, [H["n45"], H["n67"], CT_ROOT[4]]),
    (2, 5, [H["n23"], H["l4"]]),
    (6, 7, [H["n45"], H["l6"], CT_ROOT[4]]),
]

# --- Naive recursive reference, written straight from RFC 6962 §2.1 ---


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + naive_mth(d[:k]) + naive_mth(d[k:])).digest()


def naive_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return naive_path(m, d[:k]) + [naive_mth(d[k:])]
    return naive_path(m - k, d[k:]) + [naive_mth(d[:k])]


def naive_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [naive_mth(d)]
    k = _k(len(d))
    if m <= k:
        return naive_subproof(m, d[:k], b) + [naive_mth(d[k:])]
    return naive_subproof(m - k, d[k:], False) + [naive_mth(d[:k])]


N = 64
LEAVES = [mk.leaf_hash(b"vinculo-test-%d" % i) for i in range(N)]
ROOTS = [naive_mth(LEAVES[:n]) for n in range(N + 1)]
OTHER = hashlib.sha256(b"some other hash").digest()


def _flip(h: bytes, bit: int = 3) -> bytes:
    return bytes([h[0] ^ (1 << bit)]) + h[1:]


# --- Hashing and roots ---


def test_hash_primitives() -> None:
    assert mk.EMPTY_ROOT == hashlib.sha256(b"").digest() == CT_ROOTS[0]
    assert mk.leaf_hash(b"") == CT_ROOTS[1]
    assert mk.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert mk.node_hash(CT_LEAVES[0], CT_LEAVES[1]) == CT_ROOTS[2]
    assert mk.node_hash(OTHER, ROOTS[3]) != mk.node_hash(ROOTS[3], OTHER)


@pytest.mark.parametrize("n", range(9))
def test_reference_roots(n: int) -> None:
    assert mk.root(CT_LEAVES[:n]) == CT_ROOTS[n]
    assert naive_mth(CT_LEAVES[:n]) == CT_ROOTS[n]  # the reference itself is right


def test_root_matches_naive_all_sizes() -> None:
    for n in range(N + 1):
        assert mk.root(LEAVES[:n]) == ROOTS[n]
    assert mk.root(tuple(LEAVES[:5])) == ROOTS[5]


def test_root_rejects_unhashed_leaves() -> None:
    with pytest.raises(ValueError):
        mk.root([b"raw data, not a leaf hash"])


# --- Inclusion ---


@pytest.mark.parametrize(("index", "size", "proof"), CT_INCLUSION)
def test_reference_inclusion(index: int, size: int, proof: list[str]) -> None:
    want = [bytes.fromhex(p) for p in proof]
    assert mk.inclusion_proof(CT_LEAVES[:size], index) == want
    assert mk.verify_inclusion(CT_LEAVES[index], index, size, want, CT_ROOTS[size])


def _bad_inclusions(leaf: bytes, i: int, n: int, proof: list[bytes], root: bytes):
    yield leaf, i, n, proof, OTHER  # wrong root
    yield OTHER, i, n, proof, root  # wrong leaf
    yield leaf, i, n * 2, proof, root
    yield leaf, i, n // 2, proof, root
    yield leaf, i, n, proof + [root], root  # trailing
    yield leaf, i, n, [root] + proof, root  # preceding
    for j in (i - 1, i + 1, i ^ 2):
        if 0 <= j < n and j != i:
            yield leaf, j, n, proof, root
    for k in range(len(proof)):
        yield leaf, i, n, proof[:k] + [_flip(proof[k])] + proof[k + 1 :], root
    if proof:
        yield leaf, i, n, proof[:-1], root
        yield leaf, i, n, proof[:1] + [OTHER] + proof[1:], root


def test_inclusion_all_sizes_and_indices() -> None:
    for n in range(1, N + 1):
        for i in range(n):
            proof = mk.inclusion_proof(LEAVES[:n], i)
            assert proof == naive_path(i, LEAVES[:n]), (i, n)
            assert mk.verify_inclusion(LEAVES[i], i, n, proof, ROOTS[n]), (i, n)
            for bad in _bad_inclusions(LEAVES[i], i, n, proof, ROOTS[n]):
                assert not mk.verify_inclusion(*bad), (i, n, bad[1:3])


def test_inclusion_edge_cases() -> None:
    leaf = LEAVES[0]
    assert mk.inclusion_proof([leaf], 0) == []
    assert mk.verify_inclusion(leaf, 0, 1, [], leaf)
    for index, size in [(0, 0), (1, 1), (-1, 4), (4, 4)]:
        assert not mk.verify_inclusion(leaf, index, size, [], leaf)
    assert not mk.verify_inclusion(leaf[:31], 0, 1, [], leaf[:31])
    assert not mk.verify_inclusion(LEAVES[0], 0, 2, [LEAVES[1][:31]], ROOTS[2])
    assert not mk.verify_inclusion(LEAVES[0], 0, 2, "not a list", ROOTS[2])  # type: ignore[arg-type]
    for index in (-1, 3, True):
        with pytest.raises(ValueError):
            mk.inclusion_proof(LEAVES[:3], index)


# --- Consistency ---


@pytest.mark.parametrize(("old", "new", "proof"), CT_CONSISTENCY)
def test_reference_consistency(old: int, new: int, proof: list[str]) -> None:
    want = [bytes.fromhex(p) for p in proof]
    assert mk.consistency_proof(CT_LEAVES[:new], old) == want
    assert mk.verify_consistency(old, new, CT_ROOTS[old], CT_ROOTS[new], want)


def _bad_consistencies(m: int, n: int, r1: bytes, r2: bytes, proof: list[bytes]):
    yield m, n, r2, r1, proof  # swapped roots
    yield m, n, OTHER, r2, proof
    yield m, n, r1, OTHER, proof
    yield m, n, r1, r2, []
    yield m, n * 2, r1, r2, proof
    yield m, n // 2, r1, r2, proof
    for k in (m - 1, m + 1, m ^ 2):
        if 0 < k < n and k != m:
            yield k, n, r1, r2, proof
    for extra in (r1, r2, OTHER):
        yield m, n, r1, r2, proof + [extra]
        yield m, n, r1, r2, [extra] + proof
    yield m, n, r1, r2, proof[:-1]
    for k in range(len(proof)):
        yield m, n, r1, r2, proof[:k] + [_flip(proof[k], 4)] + proof[k + 1 :]


def test_consistency_all_size_pairs() -> None:
    for n in range(N + 1):
        for m in range(n + 1):
            proof = mk.consistency_proof(LEAVES[:n], m)
            want = naive_subproof(m, LEAVES[:n], True) if 0 < m < n else []
            assert proof == want, (m, n)
            assert mk.verify_consistency(m, n, ROOTS[m], ROOTS[n], proof), (m, n)
            if 0 < m < n:
                for bad in _bad_consistencies(m, n, ROOTS[m], ROOTS[n], proof):
                    assert not mk.verify_consistency(*bad), (m, n, bad[:2])


def test_consistency_edge_cases() -> None:
    r4, r8 = ROOTS[4], ROOTS[8]
    assert mk.verify_consistency(4, 4, r4, r4, [])
    assert not mk.verify_consistency(4, 4, r4, r8, [])
    assert not mk.verify_consistency(4, 4, r4, r4, [r4])
    assert mk.verify_consistency(0, 8, mk.EMPTY_ROOT, r8, [])
    assert not mk.verify_consistency(0, 8, r4, r8, [])  # an empty tree has a known root
    assert not mk.verify_consistency(0, 8, mk.EMPTY_ROOT, r8, [r8])
    assert not mk.verify_consistency(8, 4, r8, r4, mk.consistency_proof(LEAVES[:8], 4))
    assert not mk.verify_consistency(4, 8, r4[:31], r8, mk.consistency_proof(LEAVES[:8], 4))
    assert not mk.verify_consistency(-1, 8, r4, r8, [])
    for old in (-1, 9, True):
        with pytest.raises(ValueError):
            mk.consistency_proof(LEAVES[:8], old)


def hash_lists(min_size: int = 0) -> st.SearchStrategy[list[bytes]]:
    return st.lists(st.binary(min_size=32, max_size=32), min_size=min_size, max_size=300)


@settings(max_examples=60, deadline=None)
@given(leaves=hash_lists(1), data=st.data())
def test_proofs_property(leaves: list[bytes], data: st.DataObject) -> None:
    n = len(leaves)
    i = data.draw(st.integers(0, n - 1))
    m = data.draw(st.integers(0, n))
    r = mk.root(leaves)
    assert r == naive_mth(leaves)
    assert mk.verify_inclusion(leaves[i], i, n, mk.inclusion_proof(leaves, i), r)
    assert mk.verify_consistency(m, n, mk.root(leaves[:m]), r, mk.consistency_proof(leaves, m))


def test_proofs_bind_shape_not_exact_size() -> None:
    # Standard RFC 9162 behaviour: a proof fixes the tree's shape along the path, and some
    # sizes share a shape (3 and 4 here). Only the signed tree head binds size to root.
    assert mk.verify_inclusion(LEAVES[0], 0, 4, mk.inclusion_proof(LEAVES[:3], 0), ROOTS[3])
    assert mk.verify_consistency(1, 4, ROOTS[1], ROOTS[3], mk.consistency_proof(LEAVES[:3], 1))


# --- CompactRange ---


@settings(max_examples=100, deadline=None)
@given(leaves=hash_lists())
def test_compact_range_root_and_json(leaves: list[bytes]) -> None:
    cr = mk.CompactRange()
    for h in leaves:
        cr.append(h)
    assert cr.size == len(leaves)
    assert cr.root() == mk.root(leaves)
    assert len(cr.hashes) == len(leaves).bit_count()
    back = mk.CompactRange.from_json(cr.to_json())
    assert back == cr and back.root() == cr.root()
    back.append(mk.leaf_hash(b"next"))  # a restored range keeps growing correctly
    assert back.root() == mk.root(leaves + [mk.leaf_hash(b"next")])


def test_compact_range_every_prefix() -> None:
    cr = mk.CompactRange()
    assert cr.root() == mk.EMPTY_ROOT and cr.to_json() == {"size": 0, "hashes": []}
    for n in range(N):
        cr.append(LEAVES[n])
        assert cr.root() == ROOTS[n + 1]
    big = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(70_003)]
    cr = mk.CompactRange()
    cr.extend(big)
    assert cr.root() == mk.root(big)


def test_extend_in_pieces_equals_append_and_refuses_bad_leaves() -> None:
    one = mk.CompactRange()
    for leaf in LEAVES:
        one.append(leaf)
    pieces = mk.CompactRange()
    pieces.extend(LEAVES[:5])
    pieces.extend([bytearray(h) for h in LEAVES[5:]])  # any bytes-like hash
    assert (pieces.size, pieces.hashes, pieces.root()) == (one.size, one.hashes, one.root())
    with pytest.raises(ValueError, match="leaf hash 2 is not 32 bytes"):
        pieces.extend([LEAVES[0], LEAVES[1], b"short"])
    assert pieces.size == len(LEAVES) + 2 and pieces.root() == mk.root(LEAVES + LEAVES[:2])


@pytest.mark.parametrize(
    "bad",
    [
        {"size": 3, "hashes": ["00" * 32]},  # needs 2 hashes
        {"size": -1, "hashes": []},
        {"size": 1, "hashes": ["AB" * 32]},  # not lowercase
        {"size": 1, "hashes": ["00" * 31]},
        {"size": 1},
        {"size": 1, "hashes": ["00" * 32], "extra": 1},
        {"size": "1", "hashes": ["00" * 32]},
    ],
)
def test_compact_range_rejects_bad_json(bad: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError):
        mk.CompactRange.from_json(bad)


# --- Signed tree heads ---

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
T0 = datetime(2024, 5, 1, 12, 30, 0, 123456, tzinfo=UTC)


def test_tree_head_message_is_fixed() -> None:
    msg = tree_head_message(8, CT_ROOTS[8], T0, "node-co")
    assert msg == (
        b"vinculo-sth-v1\nnode:node-co\nsize:8\nroot:"
        + CT_ROOTS[8].hex().encode()
        + b"\ntime:2024-05-01T12:30:00.123456Z\n"
    )
    bogota = T0.astimezone(timezone(timedelta(hours=-5)))
    assert tree_head_message(8, CT_ROOTS[8], bogota, "node-co") == msg
    for args in [
        (-1, CT_ROOTS[8], T0, "n"),
        (1, b"short", T0, "n"),
        (1, CT_ROOTS[8], T0, ""),
        (1, CT_ROOTS[8], T0, "a\nsize:9"),
        (1, CT_ROOTS[8], T0.replace(tzinfo=None), "n"),
    ]:
        with pytest.raises(ValueError):
            tree_head_message(*args)


def test_sign_and_verify_tree_head() -> None:
    head = sign_tree_head(KEY, "node-co", 8, CT_ROOTS[8], T0)
    pub = KEY.public_key()
    assert head.timestamp == T0 and head.timestamp.tzinfo == UTC and len(head.signature) == 64
    assert verify_tree_head(pub, "node-co", head)
    other = Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
    assert not verify_tree_head(other, "node-co", head)
    assert not verify_tree_head(pub, "node-pe", head)
    assert not verify_tree_head(pub, "", head)
    for changed in (
        TreeHead(9, head.root, head.timestamp, head.signature),
        TreeHead(8, CT_ROOTS[7], head.timestamp, head.signature),
        TreeHead(8, head.root, T0 + timedelta(microseconds=1), head.signature),
        TreeHead(8, head.root, T0.replace(tzinfo=None), head.signature),
        TreeHead(8, head.root, head.timestamp, _flip(head.signature)),
        TreeHead(8, head.root, head.timestamp, head.signature[:63]),
        TreeHead(-8, head.root, head.timestamp, head.signature),
    ):
        assert not verify_tree_head(pub, "node-co", changed)

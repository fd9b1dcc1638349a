"""RFC 6962 Merkle tree: hashing, proofs, and a compact range for appends.

Pure functions, no I/O. All hashes are 32-byte SHA-256 digests. Leaves are
hashed with a 0x00 prefix and interior nodes with 0x01 (RFC 6962 §2.1), so a
leaf can never be passed off as an interior node. Trees split at the largest
power of two smaller than the size, which is what every CT implementation does.

Proof *generators* raise ``ValueError`` on bad arguments; *verifiers* never
raise and return ``False`` for anything malformed. As in every RFC 9162
verifier, a proof binds the root and the tree's shape along the path, not the
exact size (sizes 3 and 4 share a shape for leaf 0): the signed tree head is
what binds a size to a root.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "consistency_proof",
    "consistency_ranges",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256
_HEX64 = re.compile(r"[0-9a-f]{64}")


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data)."""
    return _sha256(b"\x00" + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return _sha256(b"\x01" + left + right).digest()


def _is_hash(h: object) -> bool:
    return isinstance(h, (bytes, bytearray, memoryview)) and len(h) == HASH_SIZE


def _check_leaves(leaf_hashes: Sequence[bytes]) -> None:
    for i, h in enumerate(leaf_hashes):
        if not _is_hash(h):
            raise ValueError(f"leaf hash {i} is not {HASH_SIZE} bytes")


def _largest_pow2_below(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_root(leaf_hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]), iteratively.

    Pairing neighbours level by level and promoting an odd last node unchanged
    builds exactly the left-complete tree of RFC 6962's recursive definition.
    """
    if hi <= lo:
        return EMPTY_ROOT
    level = list(leaf_hashes[lo:hi])  # bytes-likes are fine: b"\x01" + a + b is bytes
    sha = _sha256
    while len(level) > 1:
        odd = level[-1] if len(level) & 1 else None
        level = [sha(b"\x01" + a + b).digest() for a, b in zip(level[0::2], level[1::2])]
        if odd is not None:
            level.append(odd)
    return bytes(level[0])


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over already-hashed leaves (RFC 6962 §2.1); ``EMPTY_ROOT`` if none."""
    _check_leaves(leaf_hashes)
    return _subtree_root(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path for leaf ``index`` in the tree of all ``leaf_hashes`` (RFC 6962 §2.1.1).

    Ordered from the leaf's sibling up to the child of the root.
    """
    n = len(leaf_hashes)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
        raise ValueError(f"index {index!r} out of range for tree of size {n}")
    _check_leaves(leaf_hashes)
    top_down: list[bytes] = []
    lo, hi = 0, n
    while hi - lo > 1:
        k = _largest_pow2_below(hi - lo)
        if index < lo + k:
            top_down.append(_subtree_root(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            top_down.append(_subtree_root(leaf_hashes, lo, lo + k))
            lo += k
    top_down.reverse()
    return top_down


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """Proof that the first ``old_size`` leaves are a prefix of all of them (RFC 6962 §2.1.2).

    Empty when ``old_size`` is 0 or equals the current size.
    """
    n = len(leaf_hashes)
    if isinstance(old_size, bool) or not isinstance(old_size, int) or not 0 <= old_size <= n:
        raise ValueError(f"old_size {old_size!r} out of range for tree of size {n}")
    _check_leaves(leaf_hashes)
    if old_size == 0 or old_size == n:
        return []
    # Iterative SUBPROOF(m, D[lo:hi], b): siblings are collected top-down and
    # emitted bottom-up, after the subtree root where the recursion stops.
    top_down: list[bytes] = []
    m, lo, hi, whole = old_size, 0, n, True
    while m != hi - lo:
        k = _largest_pow2_below(hi - lo)
        if m <= k:
            top_down.append(_subtree_root(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            top_down.append(_subtree_root(leaf_hashes, lo, lo + k))
            lo += k
            m -= k
            whole = False
    proof = [] if whole else [_subtree_root(leaf_hashes, lo, hi)]
    proof.extend(reversed(top_down))
    return proof


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges ``[lo, hi)`` whose subtree roots, in this order, are the consistency proof from
    ``old_size`` to ``new_size`` (``consistency_proof`` without the leaves: a log kept in a database
    computes each root by streaming just that range). At most ``new_size.bit_length() + 1`` ranges."""
    if not (_valid_size(old_size) and _valid_size(new_size) and old_size <= new_size):
        raise ValueError(f"sizes {old_size!r}, {new_size!r}: need 0 <= old_size <= new_size")
    if old_size == 0 or old_size == new_size:
        return []
    top_down: list[tuple[int, int]] = []
    m, lo, hi, whole = old_size, 0, new_size, True
    while m != hi - lo:
        k = _largest_pow2_below(hi - lo)
        if m <= k:
            top_down.append((lo + k, hi))
            hi = lo + k
        else:
            top_down.append((lo, lo + k))
            lo += k
            m -= k
            whole = False
    ranges = [] if whole else [(lo, hi)]
    ranges.extend(reversed(top_down))
    return ranges


def _valid_size(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _valid_proof(proof: object) -> bool:
    return isinstance(proof, (list, tuple)) and all(_is_hash(p) for p in proof)


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """Check that ``leaf`` (a leaf hash) is at ``index`` in the tree ``(size, root)``.

    RFC 9162 §2.1.3.2.
    """
    if not (_valid_size(index) and _valid_size(size) and index < size):
        return False
    if not (_is_hash(leaf) and _is_hash(root) and _valid_proof(proof)):
        return False
    fn, sn, r = index, size - 1, bytes(leaf)
    for p in proof:
        p = bytes(p)
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == bytes(root)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> bool:
    """Check that tree ``(old_size, old_root)`` is a prefix of ``(new_size, new_root)``.

    RFC 9162 §2.1.4.2 for ``0 < old_size < new_size``. Edge cases: equal sizes need an
    empty proof and equal roots; ``old_size == 0`` needs an empty proof and
    ``old_root == EMPTY_ROOT``.
    """
    if not (_valid_size(old_size) and _valid_size(new_size) and old_size <= new_size):
        return False
    if not (_is_hash(old_root) and _is_hash(new_root) and _valid_proof(proof)):
        return False
    old_root, new_root = bytes(old_root), bytes(new_root)
    path = [bytes(p) for p in proof]
    if old_size == new_size:
        return not path and old_root == new_root
    if old_size == 0:
        return not path and old_root == EMPTY_ROOT
    if not path:
        return False
    if old_size & (old_size - 1) == 0:  # exact power of two
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


class CompactRange:
    """The frontier of a tree: roots of its perfect subtrees, left to right.

    Subtree sizes are the set bits of ``size``, largest first, so there are
    ``size.bit_count()`` hashes. An append costs O(1) hashes amortised, O(log n) at worst.
    """

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: list[bytes] | None = None) -> None:
        hashes = [] if hashes is None else list(hashes)
        if not _valid_size(size):
            raise ValueError(f"size must be a non-negative int, got {size!r}")
        if len(hashes) != size.bit_count():
            raise ValueError(f"size {size} needs {size.bit_count()} hashes, got {len(hashes)}")
        if not all(_is_hash(h) for h in hashes):
            raise ValueError(f"every hash must be {HASH_SIZE} bytes")
        self.size: int = size
        self.hashes: list[bytes] = [bytes(h) for h in hashes]

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf hash (already ``leaf_hash()``-ed)."""
        if not _is_hash(leaf_hash):
            raise ValueError(f"leaf hash must be {HASH_SIZE} bytes")
        hashes = self.hashes
        hashes.append(bytes(leaf_hash))
        s = self.size
        while s & 1:  # merge equal-sized perfect subtrees, like binary carry
            right = hashes.pop()
            hashes[-1] = node_hash(hashes[-1], right)
            s >>= 1
        self.size += 1

    def extend(self, leaf_hashes: Sequence[bytes]) -> None:
        """Append several leaf hashes in order (`append` in one loop: the bulk-import path)."""
        hashes, size, sha = self.hashes, self.size, _sha256
        try:
            for i, leaf in enumerate(leaf_hashes):
                if type(leaf) is not bytes:
                    leaf = bytes(leaf) if _is_hash(leaf) else b""
                if len(leaf) != HASH_SIZE:
                    raise ValueError(f"leaf hash {i} is not {HASH_SIZE} bytes")
                hashes.append(leaf)
                s = size
                while s & 1:
                    right = hashes.pop()
                    hashes[-1] = sha(b"\x01" + hashes[-1] + right).digest()
                    s >>= 1
                size += 1
        finally:
            self.size = size  # the leaves before a bad one stay appended, as with append()

    def root(self) -> bytes:
        """MTH of all leaves appended so far (folds the frontier right to left)."""
        if not self.hashes:
            return EMPTY_ROOT
        r = self.hashes[-1]
        for h in reversed(self.hashes[:-1]):
            r = node_hash(h, r)
        return r

    def copy(self) -> CompactRange:
        return CompactRange(self.size, self.hashes)

    def to_json(self) -> dict[str, Any]:
        """``{"size": int, "hashes": [lowercase hex, ...]}``."""
        return {"size": self.size, "hashes": [h.hex() for h in self.hashes]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CompactRange:
        """Inverse of ``to_json``; raises ``ValueError`` on malformed input."""
        if not isinstance(d, dict) or set(d) != {"size", "hashes"}:
            raise ValueError("compact range JSON must have exactly 'size' and 'hashes'")
        hexes = d["hashes"]
        if not isinstance(hexes, list) or not all(isinstance(x, str) and _HEX64.fullmatch(x) for x in hexes):
            raise ValueError("'hashes' must be a list of 64-char lowercase hex strings")
        return cls(d["size"], [bytes.fromhex(x) for x in hexes])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactRange):
            return NotImplemented
        return self.size == other.size and self.hashes == other.hashes

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"CompactRange(size={self.size}, root={self.root().hex()[:16]}…)"

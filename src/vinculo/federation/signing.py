"""Origin signatures: Ed25519 over the RFC 8785 canonical JSON of a released document.

Keys are `cryptography` objects (how the node stores and pins them); the signing and verifying on
the federation hot path go through libsodium (`vinculo.sodium`), which is faster and releases the GIL,
so a page of signatures is verified on every core.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from vinculo.canonical import canonical_json
from vinculo.sodium import ed25519_sign, ed25519_verify_batch, ed25519_verify_hex

_RAW = serialization.Encoding.Raw
_secrets: dict[int, tuple[Ed25519PrivateKey, bytes]] = {}
_WORKERS = int(os.environ.get("VINCULO_VERIFY_THREADS", "0")) or max(1, min(4, os.cpu_count() or 1))
_pool = ThreadPoolExecutor(_WORKERS, thread_name_prefix="vinculo-verify") if _WORKERS > 1 else None
PARALLEL_MIN = 64


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(_RAW, serialization.PublicFormat.Raw)


def _secret(key: Ed25519PrivateKey) -> bytes:
    cached = _secrets.get(id(key))
    if cached is None or cached[0] is not key:
        seed = key.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        cached = (key, seed + raw_public(key.public_key()))
        _secrets[id(key)] = cached
    return cached[1]


def sign_document(key: Ed25519PrivateKey, doc: dict) -> str:
    return sign_bytes(key, canonical_json(doc))


def sign_bytes(key: Ed25519PrivateKey, canonical: bytes) -> str:
    """Sign canonical bytes the caller already has (and has checked are the document's)."""
    return ed25519_sign(_secret(key), canonical).hex()


def sign_many(key: Ed25519PrivateKey, canonical: list[bytes]) -> list[str]:
    """`sign_bytes` for each of a page's canonical texts, spread over the cores for big pages (libsodium
    releases the GIL while it signs)."""
    secret = _secret(key)
    return _spread(lambda chunk: [ed25519_sign(secret, data).hex() for data in chunk], canonical)


def _spread(work, items: list) -> list:  # noqa: ANN001
    """`work(items)` in order, split over the pool's threads when there are enough items to be worth it."""
    return _spread_later(work, items)()


def _spread_later(work, items: list) -> Callable[[], list]:  # noqa: ANN001
    """Start `_spread(work, items)` on the pool's threads; the function returned waits for its result.
    Without a pool, or for a few items, the work is done when the result is asked for."""
    if _pool is None or len(items) < PARALLEL_MIN:
        return lambda: work(items)
    step = -(-len(items) // _WORKERS)
    futures = [_pool.submit(work, items[i : i + step]) for i in range(0, len(items), step)]
    return lambda: [out for future in futures for out in future.result()]


def verify_document(public_key: Ed25519PublicKey, doc: dict, signature: str | None) -> bool:
    return ed25519_verify_hex(raw_public(public_key), canonical_json(doc), signature)


def verify_bytes(public_key: Ed25519PublicKey, data: bytes, signature: str | None) -> bool:
    """Verify a signature over canonical bytes the caller already has (and will hash)."""
    return ed25519_verify_hex(raw_public(public_key), data, signature)


def verify_many(items: list[tuple[bytes, bytes, str | None]]) -> list[bool]:
    """Verify (raw public key, data, signature hex) triples, spread over the cores for big batches."""
    return _spread(ed25519_verify_batch, items)


def verify_later(items: list[tuple[bytes, bytes, str | None]]) -> Callable[[], list[bool]]:
    """Start `verify_many(items)` on the pool's threads, which hold no GIL while they verify (see
    `vinculo.sodium`); the function returned waits for the verdicts."""
    return _spread_later(ed25519_verify_batch, items)

"""Signatures under one key are checked together (`_ed25519/batch.c`) and, when that check fails, one at
a time: whatever the batch, each verdict must be the one libsodium gives for that signature alone.

The one designed difference is pinned here too: the batch equation is the cofactored one, so it also
accepts a signature whose R its own key holder offset by a point of small order, which libsodium's
one-at-a-time check refuses. Only the holder of the secret key can make one."""

import ctypes
import hashlib
import os
import random

import pytest

from vinculo import sodium
from vinculo.canonical import canonical_json

LIB = sodium.LIB
L = 2**252 + 27742317777372353535851937790883648493
ORDER_8_POINT = bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")


def _keypair() -> tuple[bytes, bytes]:
    pk, sk = ctypes.create_string_buffer(32), ctypes.create_string_buffer(64)
    LIB.crypto_sign_ed25519_keypair(pk, sk)
    return pk.raw, sk.raw


def _signed(n: int, pk: bytes, sk: bytes, tag: str = "") -> list[tuple[bytes, bytes, str]]:
    docs = [canonical_json({"i": i, "tag": tag, "pad": "x" * random.randint(0, 900)}) for i in range(n)]
    return [(pk, doc, sodium.ed25519_sign(sk, doc).hex()) for doc in docs]


def _one_at_a_time(items: list) -> list[bool]:
    return [sodium.ed25519_verify_hex(*item) for item in items]


def _flip(hex_sig: str, byte: int) -> str:
    raw = bytearray(bytes.fromhex(hex_sig))
    raw[byte] ^= 0x01
    return raw.hex()


def _non_canonical_s(hex_sig: str) -> str:
    raw = bytes.fromhex(hex_sig)
    s = int.from_bytes(raw[32:], "little") + L  # the same scalar mod L, written as it must not be
    return (raw[:32] + s.to_bytes(32, "little")).hex()


TAMPERINGS = {
    "message altered": lambda items, i, other: (items[i][0], items[i][1] + b" ", items[i][2]),
    "R altered": lambda items, i, other: (items[i][0], items[i][1], _flip(items[i][2], 3)),
    "S altered": lambda items, i, other: (items[i][0], items[i][1], _flip(items[i][2], 40)),
    "S not canonical": lambda items, i, other: (items[i][0], items[i][1], _non_canonical_s(items[i][2])),
    "R of small order": lambda items, i, other: (items[i][0], items[i][1], ORDER_8_POINT.hex() + items[i][2][64:]),
    "R not a point": lambda items, i, other: (items[i][0], items[i][1], "ff" * 31 + "7f" + items[i][2][64:]),
    "another item's signature": lambda items, i, other: (items[i][0], items[i][1], items[i - 1][2]),
    "signed by another key": lambda items, i, other: (items[i][0], items[i][1], other[i][2]),
    "claims another key": lambda items, i, other: (other[i][0], items[i][1], items[i][2]),
}


@pytest.mark.parametrize("kind", sorted(TAMPERINGS))
def test_one_bad_signature_among_many_is_named_and_only_it(kind):
    pk, sk = _keypair()
    items, other = _signed(300, pk, sk), _signed(300, *_keypair())
    assert sodium.ed25519_verify_batch(items) == [True] * 300
    where = random.randrange(1, 300)
    items[where] = TAMPERINGS[kind](items, where, other)
    expected = [i != where for i in range(300)]
    assert _one_at_a_time(items) == expected
    assert sodium.ed25519_verify_batch(items) == expected


def test_interleaved_keys_with_bad_items_get_libsodiums_verdicts():
    keys = [_keypair() for _ in range(3)]
    items = [item for k, key in enumerate(keys) for item in _signed(70, *key, tag=str(k))]
    random.shuffle(items)
    for i in random.sample(range(len(items)), 9):
        items[i] = (items[i][0], items[i][1], _flip(items[i][2], random.randrange(64)))
    items += _signed(2, *_keypair())  # a key with too few signatures to batch
    assert sodium.ed25519_verify_batch(items) == _one_at_a_time(items)


@pytest.mark.parametrize("n", [1, 3, 4, 5, 17, 64, 1000])
def test_every_size_of_batch_accepts_good_and_refuses_a_forgery(n):
    pk, sk = _keypair()
    items = _signed(n, pk, sk)
    assert sodium.ed25519_verify_batch(items) == [True] * n
    items[-1] = (pk, items[-1][1], os.urandom(64).hex())
    assert sodium.ed25519_verify_batch(items) == [True] * (n - 1) + [False]


def _scalar(data: bytes) -> bytes:
    out = ctypes.create_string_buffer(32)
    LIB.crypto_core_ed25519_scalar_reduce(out, data.ljust(64, b"\0"))
    return out.raw


def _offset_signature(pk: bytes, sk: bytes, message: bytes) -> str:
    """What only the key's holder can make: R = rB + T with T of order 8, S = r + H(R, A, M) a."""
    expanded = hashlib.sha512(sk[:32]).digest()
    a = bytearray(expanded[:32])
    a[0] &= 248
    a[31] = (a[31] & 127) | 64
    r = ctypes.create_string_buffer(32)
    LIB.crypto_core_ed25519_scalar_random(r)
    r_point, big_r = ctypes.create_string_buffer(32), ctypes.create_string_buffer(32)
    assert LIB.crypto_scalarmult_ed25519_base_noclamp(r_point, r.raw) == 0
    assert LIB.crypto_core_ed25519_add(big_r, r_point.raw, ORDER_8_POINT) == 0
    h = _scalar(hashlib.sha512(big_r.raw + pk + message).digest())
    ha, s = ctypes.create_string_buffer(32), ctypes.create_string_buffer(32)
    LIB.crypto_core_ed25519_scalar_mul(ha, h, _scalar(bytes(a)))
    LIB.crypto_core_ed25519_scalar_add(s, r.raw, ha.raw)
    return (big_r.raw + s.raw).hex()


def test_the_batch_is_cofactored_a_small_order_offset_by_the_key_holder_passes_only_there():
    pk, sk = _keypair()
    message = canonical_json({"made": "by the key holder"})
    crafted = (pk, message, _offset_signature(pk, sk, message))
    assert sodium.ed25519_verify_hex(*crafted) is False  # libsodium: R is not S B - h A exactly
    items = _signed(10, pk, sk) + [crafted]
    assert sodium.ed25519_verify_batch(items) == [True] * 11  # 8 (R - S B + h A) = 0
    assert sodium.ed25519_verify_batch(items[:2] + [crafted]) == [True, True, False]  # too few to batch
    # anyone else's offset changes h, so the equation fails and the fallback names it
    stolen = (pk, message + b"!", crafted[2])
    assert sodium.ed25519_verify_batch(_signed(10, pk, sk) + [stolen]) == [True] * 10 + [False]

"""Batched ristretto255 operations over libsodium (as bundled by ``rbcl``).

Points travel as packed blobs of 32-byte encodings.  The libsodium functions are called through
the ``ctypes`` handle rbcl opens, writing straight into one output buffer, so the per-element
Python overhead is a loop step and a ctypes call (well under 1 µs against ~36 µs for a scalar
multiplication).  ctypes releases the GIL during each call, so large batches are split over
``workers`` threads and run on several cores without copying secrets into other processes.
"""

from __future__ import annotations

import ctypes
import hashlib
import itertools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import rbcl

from vinculo.sodium import LIB

POINT_BYTES = 32
SCALAR_BYTES = 32
DOMAIN = b"vinculo-psi-v1|"
T = TypeVar("T")
PARALLEL_MIN = 1024
"""Batches smaller than this run on the calling thread."""
CHUNK = 2048
"""Elements per unit of work handed to a thread (about 75 ms of scalar multiplications)."""

_lib = LIB
_from_hash = _lib.crypto_core_ristretto255_from_hash
_scalarmult = _lib.crypto_scalarmult_ristretto255


class InvalidPoint(ValueError):
    """A received element is not a canonical ristretto255 encoding (or gave the identity)."""


def random_scalar() -> bytes:
    """A fresh non-zero scalar, uniformly random modulo the group order."""
    return rbcl.crypto_core_ristretto255_scalar_random()


def default_workers() -> int:
    """Threads to use by default: the usable cores, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def _hash_span(kind: bytes, values: Sequence[str], start: int, stop: int, out: ctypes.Array) -> None:
    prefix = DOMAIN + kind + b"|"
    sha512 = hashlib.sha512
    byref = ctypes.byref
    from_hash = _from_hash
    for i in range(start, stop):
        digest = sha512(prefix + values[i].encode("utf-8", "surrogatepass")).digest()
        from_hash(byref(out, i * POINT_BYTES), digest)


def _mul_span(scalar: bytes, blob: ctypes.Array, start: int, stop: int, out: ctypes.Array) -> int:
    byref = ctypes.byref
    mult = _scalarmult
    failed = 0
    for off in range(start * POINT_BYTES, stop * POINT_BYTES, POINT_BYTES):
        failed |= mult(byref(out, off), scalar, byref(blob, off))
    return failed


def _spans(n: int, workers: int) -> list[tuple[int, int]]:
    """Chunks of CHUNK elements (one chunk when the batch is small or single-threaded)."""
    if workers <= 1 or n < PARALLEL_MIN:
        return [(0, n)]
    bounds = [*range(0, n, CHUNK), n]
    return list(itertools.pairwise(bounds))


def _run(task: Callable[[int, int], T], n: int, workers: int) -> list[T]:
    """``task(start, stop)`` over all chunks of ``range(n)``: this thread and ``workers - 1``
    others pull chunks from one shared iterator, so a core that another process slows down
    simply takes fewer chunks (a static half/half split would wait for the slow half)."""
    spans = _spans(n, workers)
    if len(spans) == 1:
        return [task(*spans[0])]
    shared = iter(spans)  # next() on a list iterator is atomic under the GIL

    def drain() -> list[T]:
        return [task(start, stop) for start, stop in shared]

    with ThreadPoolExecutor(workers - 1) as pool:
        futures = [pool.submit(drain) for _ in range(workers - 1)]
        results = drain()
        for future in futures:
            results += future.result()
    return results


def hash_to_group(kind: str, values: Sequence[str], workers: int = 1) -> bytes:
    """H(v) for each value, packed: SHA-512 of ``b"vinculo-psi-v1|" + kind + b"|" + v`` mapped
    with ``crypto_core_ristretto255_from_hash`` (Elligator 2, twice, and added)."""
    n = len(values)
    out = ctypes.create_string_buffer(n * POINT_BYTES)
    kind_bytes = kind.encode("ascii")
    _run(lambda a, b: _hash_span(kind_bytes, values, a, b, out), n, workers)
    return out.raw


def multiply(scalar: bytes, blob: bytes, workers: int = 1) -> bytes:
    """``P^scalar`` for each packed point P; raises InvalidPoint if any input is not a valid
    encoding or a product is the identity (libsodium checks both)."""
    if len(scalar) != SCALAR_BYTES or len(blob) % POINT_BYTES:
        raise ValueError("scalar must be 32 bytes and the blob a multiple of 32 bytes")
    n = len(blob) // POINT_BYTES
    src = ctypes.create_string_buffer(blob, len(blob))
    out = ctypes.create_string_buffer(len(blob))
    failed = _run(lambda a, b: _mul_span(scalar, src, a, b, out), n, workers)
    if any(failed):
        raise InvalidPoint("an element is not a valid ristretto255 point")
    return out.raw


def split(blob: bytes) -> list[bytes]:
    """The 32-byte elements of a packed blob."""
    return [blob[i:i + POINT_BYTES] for i in range(0, len(blob), POINT_BYTES)]

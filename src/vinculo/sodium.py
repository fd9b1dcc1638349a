"""libsodium, as bundled by the `rbcl` wheel, loaded once for the whole package.

Used for ristretto255 (PSI) and for Ed25519 signatures on the federation hot path: libsodium's
Ed25519 verifies about twice as fast as the `cryptography` wheel here. A batch of signatures is
verified by `vinculo._verify_batch` (built from C when the package is installed) with the GIL released
once for the whole batch, so verifying threads run on other cores while Python work goes on. It checks
the signatures under one key together (batch verification, several times cheaper a signature; see
`_ed25519/batch.c` for exactly what it accepts) and falls back to this same libsodium function, one
signature at a time, for small groups and to name the bad signatures of a batch that fails. Without the
C module, one ctypes call a signature (each gives the GIL up and must take it back).
"""

from __future__ import annotations

import ctypes
import os
import sys

import rbcl

LIB = rbcl._sodium  # the ctypes.CDLL rbcl loaded (libsodium 1.0.18 with ristretto255)


def _forget_library_file() -> None:
    """rbcl writes its libsodium to a temporary file on import and never removes it; once the
    library is mapped the file is not needed (POSIX), so remove it rather than leak 2.7 MB per
    process in /tmp."""
    module = sys.modules.get("rbcl._sodium")
    path = getattr(module, "lib_path", None)
    if os.name == "posix" and isinstance(path, str) and os.path.exists(path):
        try:
            os.unlink(path)
        except OSError:  # pragma: no cover - another process or a read-only /tmp
            pass


_forget_library_file()

_verify = LIB.crypto_sign_ed25519_verify_detached
_verify.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_char_p]
_verify.restype = ctypes.c_int
_sign = LIB.crypto_sign_ed25519_detached
_sign.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_char_p]
_sign.restype = ctypes.c_int


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True if `signature` (64 bytes) is `public_key`'s (32 bytes) signature of `message`."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    return _verify(signature, message, len(message), public_key) == 0


def ed25519_verify_hex(public_key: bytes, message: bytes, signature: str | None) -> bool:
    """`ed25519_verify` with the signature as hex text (128 hex digits), as it travels; False for none
    or anything else."""
    if not signature or len(signature) != 128:
        return False
    try:
        sig = bytes.fromhex(signature)
    except ValueError:
        return False
    return ed25519_verify(public_key, message, sig)


try:
    from vinculo import _verify_batch
except ImportError:  # pragma: no cover - installed without a C compiler
    _verify_batch = None
# what the C module calls: one-at-a-time verification, SHA-512 for the batch equation's hashes, and
# the random coefficients of a batch (rbcl has run sodium_init, so randombytes_buf is thread-safe)
_ADDRESSES = tuple(ctypes.cast(function, ctypes.c_void_p).value
                   for function in (_verify, LIB.crypto_hash_sha512, LIB.randombytes_buf))


def ed25519_verify_batch(items: list[tuple[bytes, bytes, str | None]]) -> list[bool]:
    """A verdict for each (raw public key, message, signature hex) tuple, with the GIL released for the
    whole batch when the C helper is built. There, signatures under one key are checked as a batch, which
    gives `ed25519_verify_hex`'s verdict for every signature except one its own key holder built with a
    small-order offset on purpose: a batch accepts that (cofactored equation, `_ed25519/batch.c`)."""
    if _verify_batch is not None:
        return _verify_batch.verify(*_ADDRESSES, items)
    return [ed25519_verify_hex(*item) for item in items]  # pragma: no cover - no C helper


def ed25519_sign(secret_key: bytes, message: bytes) -> bytes:
    """Sign with libsodium's 64-byte secret key (seed || public key)."""
    out = ctypes.create_string_buffer(64)
    if _sign(out, None, message, len(message), secret_key) != 0:  # pragma: no cover - cannot fail
        raise ValueError("libsodium refused to sign")
    return out.raw

"""The node's Ed25519 key pair: generation, storage (owner-only file), fingerprints."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def generate() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def save_private_key(key: Ed25519PrivateKey, path: Path) -> None:
    """Write the key as PKCS#8 PEM, readable by the owner only; never overwrite."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)  # exactly 0600, whatever the umask
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    mode = path.stat().st_mode & 0o077
    if mode:
        raise PermissionError(f"{path}: private key is readable by others (mode {oct(path.stat().st_mode & 0o777)}); "
                              "chmod 600 it")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def public_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def public_from_hex(value: str) -> Ed25519PublicKey:
    raw = bytes.fromhex(value)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes (64 hex characters)")
    return Ed25519PublicKey.from_public_bytes(raw)


def fingerprint(public_key_hex: str) -> str:
    """SHA-256 of the raw public key, as `SHA256:` and colon-separated hex groups."""
    digest = hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()
    return "SHA256:" + ":".join(digest[i : i + 4] for i in range(0, 32, 4))


def settle_pending(key_file: Path, pending: Path, stored_public: str) -> Ed25519PrivateKey | None:
    """The key a rotation left in `pending` if the database already holds it as the node's key (the
    rotation committed, then stopped before moving the file over `key_file`): moved into place now, and
    returned. None if there is no such file or it is not the stored key (a rotation that never committed)."""
    if not pending.exists():
        return None
    key = load_private_key(pending)
    if public_hex(key) != stored_public:
        return None
    os.replace(pending, key_file)
    return key

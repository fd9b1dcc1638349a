"""Origin signatures: Ed25519 over the RFC 8785 canonical JSON of a released document."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from vinculo.canonical import canonical_json


def sign_document(key: Ed25519PrivateKey, doc: dict) -> str:
    return key.sign(canonical_json(doc)).hex()


def verify_document(public_key: Ed25519PublicKey, doc: dict, signature: str | None) -> bool:
    if not signature:
        return False
    try:
        public_key.verify(bytes.fromhex(signature), canonical_json(doc))
        return True
    except (InvalidSignature, ValueError):
        return False


def verify_bytes(public_key: Ed25519PublicKey, data: bytes, signature: str | None) -> bool:
    """Verify a signature over canonical bytes the caller already has (and will hash)."""
    if not signature:
        return False
    try:
        public_key.verify(bytes.fromhex(signature), data)
        return True
    except (InvalidSignature, ValueError):
        return False

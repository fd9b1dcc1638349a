"""Signed tree heads (STH): a node's Ed25519 signature over (size, root, time).

Signed message, version 1 (``tree_head_message``) is exactly five lines of
UTF-8, each terminated by a single ``\\n``, in this order::

    vinculo-sth-v1
    node:<node_id>
    size:<size as decimal, no sign, no leading zeros>
    root:<root as 64 lowercase hex digits>
    time:<timestamp in UTC as YYYY-MM-DDTHH:MM:SS.ffffffZ>

``node_id`` must be 1..256 characters with no control characters (so no line
breaks), which together with the fixed labels, order and formats makes the
encoding injective: distinct (node_id, size, root, instant) give distinct
bytes. The first line is a domain separator so an STH signature can never be
mistaken for a signature over anything else the node signs. The timestamp is
the instant to microsecond precision; its original time zone is not signed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "STH_DOMAIN",
    "TreeHead",
    "sign_tree_head",
    "tree_head_message",
    "verify_tree_head",
]

STH_DOMAIN = b"vinculo-sth-v1\n"
_ROOT_SIZE = 32
_SIG_SIZE = 64
_MAX_NODE_ID = 256


@dataclass(frozen=True)
class TreeHead:
    """A tree size and root, the time it was observed, and the node's signature."""

    size: int
    root: bytes
    timestamp: datetime  # UTC, timezone-aware
    signature: bytes


def _utc(timestamp: datetime) -> datetime:
    if not isinstance(timestamp, datetime):
        raise TypeError("timestamp must be a datetime")
    if timestamp.tzinfo is None or timestamp.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware")
    return timestamp.astimezone(UTC)


def _check_node_id(node_id: str) -> None:
    if not isinstance(node_id, str):
        raise TypeError("node_id must be a str")
    if not 1 <= len(node_id) <= _MAX_NODE_ID:
        raise ValueError(f"node_id must be 1..{_MAX_NODE_ID} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in node_id):
        raise ValueError("node_id must not contain control characters or lone surrogates")


def tree_head_message(size: int, root: bytes, timestamp: datetime, node_id: str) -> bytes:
    """The exact bytes signed for a tree head (format in the module docstring).

    Raises ``ValueError``/``TypeError`` for a negative size, a root that is not
    32 bytes, a naive timestamp, or an invalid ``node_id``.
    """
    _check_node_id(node_id)
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError("size must be an int")
    if size < 0:
        raise ValueError("size must be non-negative")
    if not isinstance(root, (bytes, bytearray, memoryview)) or len(root) != _ROOT_SIZE:
        raise ValueError(f"root must be {_ROOT_SIZE} bytes")
    when = _utc(timestamp).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    text = f"node:{node_id}\nsize:{size}\nroot:{bytes(root).hex()}\ntime:{when}\n"
    return STH_DOMAIN + text.encode("utf-8")


def sign_tree_head(
    private_key: Ed25519PrivateKey, node_id: str, size: int, root: bytes, timestamp: datetime
) -> TreeHead:
    """Sign ``(size, root, timestamp)`` as ``node_id``; the head's timestamp is normalised to UTC."""
    message = tree_head_message(size, root, timestamp, node_id)
    return TreeHead(
        size=size,
        root=bytes(root),
        timestamp=_utc(timestamp),
        signature=private_key.sign(message),
    )


def verify_tree_head(public_key: Ed25519PublicKey, node_id: str, head: TreeHead) -> bool:
    """True iff ``head.signature`` is ``node_id``'s valid signature over the head. Never raises."""
    try:
        if not isinstance(head.signature, (bytes, bytearray)) or len(head.signature) != _SIG_SIZE:
            return False
        message = tree_head_message(head.size, head.root, head.timestamp, node_id)
        public_key.verify(bytes(head.signature), message)
    except (InvalidSignature, ValueError, TypeError, AttributeError):
        return False
    return True

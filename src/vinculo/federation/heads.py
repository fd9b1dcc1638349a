"""Partners' signed tree heads as they cross the wire, and the checks a new one must pass (pure).

A head is `{"node", "size", "root", "timestamp", "signature"}`; a proof is a list of 64-hex hashes. Both
are parsed strictly and bounded before anything else looks at them: a size past `MAX_SIZE` or a proof
longer than `MAX_PROOF` hashes is refused, so a hostile partner cannot make this node compute or store
much. Only sizes, roots, times, signatures and hashes: nothing of what a log's entries say.
"""

from __future__ import annotations

from collections.abc import Sequence

import re
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from vinculo.audit.merkle import verify_consistency
from vinculo.audit.treehead import TreeHead, verify_tree_head
from vinculo.records.model import format_ts, parse_ts

MAX_SIZE = 2**62  # far past any log; a larger size is refused as absurd
MAX_PROOF = 64  # a proof to size n has at most n.bit_length() + 1 hashes, and MAX_SIZE has 63 bits
MAX_BODY = 16 * 1024  # a head with its 64-hash proof is under 5 KB
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX128 = re.compile(r"[0-9a-f]{128}")
_TS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_KEYS = {"node", "size", "root", "timestamp", "signature"}


class HeadError(ValueError):
    """A head or proof that is malformed or out of bounds (the message names the field)."""


def head_json(node_id: str, head: TreeHead) -> dict:
    return {"node": node_id, "size": head.size, "root": head.root.hex(), "timestamp": format_ts(head.timestamp),
            "signature": head.signature.hex()}


def parse_size(value: object, where: str, lo: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise HeadError(f"{where}: must be an integer")
    if not lo <= value <= MAX_SIZE:
        raise HeadError(f"{where}: {value} is outside {lo}..{MAX_SIZE}")
    return value


def parse_head(value: object, node_id: str, where: str = "head") -> TreeHead:
    """A head `node_id` signed, checked for shape (not yet for its signature)."""
    if not isinstance(value, dict) or set(value) != _KEYS:
        raise HeadError(f"{where}: must be an object with exactly {', '.join(sorted(_KEYS))}")
    if value["node"] != node_id:
        raise HeadError(f"{where}.node: is {str(value['node'])[:80]!r}, expected {node_id!r}")
    size = parse_size(value["size"], f"{where}.size")
    for name, pattern in (("root", _HEX64), ("signature", _HEX128), ("timestamp", _TS)):
        if not isinstance(value[name], str) or not pattern.fullmatch(value[name]):
            raise HeadError(f"{where}.{name}: not in the expected format")
    try:
        when = parse_ts(value["timestamp"])
    except ValueError:
        raise HeadError(f"{where}.timestamp: not a valid time") from None
    return TreeHead(size, bytes.fromhex(value["root"]), when, bytes.fromhex(value["signature"]))


def parse_proof(value: object, where: str = "proof") -> list[bytes]:
    if not isinstance(value, list):
        raise HeadError(f"{where}: must be a list of hashes")
    if len(value) > MAX_PROOF:
        raise HeadError(f"{where}: {len(value)} hashes, more than {MAX_PROOF}")
    if not all(isinstance(h, str) and _HEX64.fullmatch(h) for h in value):
        raise HeadError(f"{where}: every hash must be 64 lowercase hex digits")
    return [bytes.fromhex(h) for h in value]


def describe(head: TreeHead) -> str:
    return f"size {head.size}, root {head.root.hex()[:16]}…, signed {format_ts(head.timestamp)}"


@dataclass(frozen=True)
class Check:
    """Whether a new head may follow the one held; `problem` is None when it may."""

    problem: str | None
    same: bool = False  # the head held already (nothing new to keep)


def check_head(partner: str, key: Ed25519PublicKey | Sequence[Ed25519PublicKey], held: TreeHead | None,
               new: TreeHead, proof: list[bytes] | None) -> Check:
    """The checks of a partner's new head against the last good one held: its signature with the pinned
    key (or one of `key`: those valid at the head's time, see `head_store.partner_keys`), that the log did
    not shrink, that a size has one root, and the consistency proof between them."""
    keys = [key] if isinstance(key, Ed25519PublicKey) else key
    if not any(verify_tree_head(k, partner, new) for k in keys):
        return Check(f"the tree head at size {new.size} is not signed with {partner}'s pinned key")
    if held is None:
        return Check(None)
    if new.size < held.size:
        return Check(f"the log shrank: size {new.size} after size {held.size} (entries were removed)")
    if new.size == held.size:
        if new.root != held.root:
            return Check(f"two different roots signed for size {new.size}: the log was rewritten")
        return Check(None, same=True)
    if proof is None:
        return Check(f"no consistency proof from size {held.size} to {new.size}")
    if not verify_consistency(held.size, new.size, held.root, new.root, proof):
        return Check(f"the consistency proof from size {held.size} to {new.size} does not verify: the log "
                     f"at size {new.size} does not extend the one held (entries were removed or changed)")
    return Check(None)

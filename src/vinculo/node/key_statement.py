"""Key rotation statements: a node declares that it signs with a new Ed25519 key from a given time on.

The statement is signed twice over its canonical JSON (RFC 8785, `vinculo.canonical`): by the old key,
so a partner that pinned the old key knows the node itself asked for the change, and by the new key, so
the node proves it holds the key it names. Its `purpose` field keeps it from ever reading as anything
else a node signs (a record document has no such field; a tree head is not JSON). Pure: no I/O.

A statement only moves trust from a key a partner pinned; it cannot repair a stolen key (whoever holds
the old key can sign a statement for a key of their own): that is the operator's out-of-band repin.
"""

from __future__ import annotations

import datetime as dt
import re

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vinculo.canonical import canonical_json
from vinculo.node.keys import fingerprint, public_from_hex, public_hex
from vinculo.records.model import format_ts, parse_ts
from vinculo.sodium import ed25519_verify_hex

PURPOSE = "vinculo-key-rotation/1"
FIELDS = frozenset(("purpose", "node_id", "old_key", "new_key", "time"))
MAX_SKEW = dt.timedelta(minutes=10)  # a statement dated later than this past our clock is refused
_KEY_RE = re.compile(r"[0-9a-f]{64}")
_SIG_RE = re.compile(r"[0-9a-f]{128}")
_TS_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")  # exactly as `format_ts` writes it


class StatementProblem(ValueError):
    """A rotation statement that does not move trust: the reason, naming the part at fault."""


def make(node_id: str, old: Ed25519PrivateKey, new: Ed25519PrivateKey, at: dt.datetime) -> dict:
    """The statement that `node_id` moves from key `old` to key `new` at `at`, signed by both."""
    statement = {"purpose": PURPOSE, "node_id": node_id, "old_key": public_hex(old), "new_key": public_hex(new),
                 "time": format_ts(at)}
    data = canonical_json(statement)
    return {"statement": statement, "signatures": {"old": old.sign(data).hex(), "new": new.sign(data).hex()}}


def check(signed: object, node_id: str, old_key: str, now: dt.datetime, not_before: str | None = None) -> dict:
    """The statement inside `signed` if it is `node_id`'s move away from `old_key` (the key pinned for it),
    signed by that key and by the new one, dated no later than `now` (give or take `MAX_SKEW`) and not
    before `not_before`; otherwise `StatementProblem` saying why."""
    if not isinstance(signed, dict) or signed.keys() != {"statement", "signatures"}:
        raise StatementProblem("a rotation statement is an object with exactly 'statement' and 'signatures'")
    statement, signatures = signed["statement"], signed["signatures"]
    if not isinstance(statement, dict) or statement.keys() != FIELDS \
            or not all(type(v) is str for v in statement.values()):
        raise StatementProblem(f"statement: its fields are exactly {', '.join(sorted(FIELDS))}, all text")
    if statement["purpose"] != PURPOSE:
        raise StatementProblem(f"statement: purpose is not {PURPOSE}")
    if statement["node_id"] != node_id:
        raise StatementProblem(f"statement: it is about node {statement['node_id'][:64]!r}, not {node_id}")
    if statement["old_key"] != old_key:
        raise StatementProblem(f"statement: it moves away from a key other than the pinned {fingerprint(old_key)}")
    new_key = statement["new_key"]
    if not _KEY_RE.fullmatch(new_key) or new_key == old_key:
        raise StatementProblem("statement: new_key is not another Ed25519 key as 64 lowercase hex characters")
    try:
        public_from_hex(new_key)
    except ValueError:
        raise StatementProblem("statement: new_key is not an Ed25519 public key") from None
    if not _TS_RE.fullmatch(statement["time"]):
        raise StatementProblem("statement: time is not a UTC time as YYYY-MM-DDTHH:MM:SS.ffffffZ")
    when = parse_ts(statement["time"])
    if when > now + MAX_SKEW:
        raise StatementProblem(f"statement: dated {statement['time']}, later than this node's clock allows")
    if not_before is not None and statement["time"] < not_before:
        raise StatementProblem(f"statement: dated {statement['time']}, before the pinned key came in ({not_before})")
    if not isinstance(signatures, dict) or signatures.keys() != {"old", "new"} \
            or not all(type(s) is str and _SIG_RE.fullmatch(s) for s in signatures.values()):
        raise StatementProblem("signatures: exactly 'old' and 'new', each 128 hex characters")
    data = canonical_json(statement)
    if not ed25519_verify_hex(bytes.fromhex(old_key), data, signatures["old"]):
        raise StatementProblem(f"signatures: 'old' is not a signature of the pinned key {fingerprint(old_key)}")
    if not ed25519_verify_hex(bytes.fromhex(new_key), data, signatures["new"]):
        raise StatementProblem(f"signatures: 'new' is not a signature of the new key {fingerprint(new_key)}")
    return statement

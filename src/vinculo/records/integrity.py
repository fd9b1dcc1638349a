"""Check every stored record version against its own hash and against the audit log.

A version is named when its content no longer matches its stored hash, when its stored hash differs
from the one its audit event recorded, or when no audit event covers it. Bulk writes (imports, pages
received from partners) are covered by one event holding the Merkle root of their versions; a version
a partner later withdrew, or whose retention ended, is deleted, and the event that deleted it lists its hash, so the root still
recomputes. A range whose versions no longer hash to its root names that audit entry.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection

from vinculo.audit.merkle import CompactRange, leaf_hash
from vinculo.audit.service import stream
from vinculo.canonical import content_hash
from vinculo.records.model import version_document
from vinculo.records.repository import stored_hashes

_SINGLE = {"record.create", "record.version", "record.revoke"}
_BULK = {"import", "receive", "retention.received"}
_PURGES = {"retention.approve"}  # lists the [seq, hash] of the versions it deleted


class _Range:
    def __init__(self, idx: int, action: str, first: int, last: int, root: str | None):
        self.idx, self.action, self.first, self.last, self.root = idx, action, first, last, root
        self.tree = CompactRange()
        self.next = first

    def fill_to(self, seq: int, purged: dict[int, str]) -> str | None:
        """Append purged versions between the last seen seq and `seq` (exclusive)."""
        while self.next < seq:
            if self.next not in purged:
                return f"audit entry {self.idx} ({self.action}): version seq {self.next} is missing"
            self.tree.append(leaf_hash(bytes.fromhex(purged[self.next])))
            self.next += 1
        return None

    def close(self, purged: dict[int, str]) -> str | None:
        problem = self.fill_to(self.last + 1, purged)
        if problem:
            return problem
        if self.tree.root().hex() != self.root:
            return (f"audit entry {self.idx} ({self.action}): its records no longer match its root; "
                    "a version with seq in its range was changed")
        return None


def _index(conn: Connection) -> tuple[dict, dict, dict]:
    single: dict[int, tuple[int, str]] = {}
    ranges: dict[int, _Range] = {}
    purged: dict[int, str] = {}
    for e in stream(conn):
        action = e["action"]
        if action not in _SINGLE and action not in _BULK and action not in _PURGES:
            continue
        d = json.loads(e["detail"])
        if action in _PURGES:
            purged.update({seq: h for seq, h in d.get("purged", [])})
            continue
        if action in _BULK:
            if d.get("first_seq"):
                ranges[d["first_seq"]] = _Range(e["idx"], action, d["first_seq"], d["last_seq"], d["root"])
            purged.update({seq: h for seq, h in d.get("purged", [])})
        else:
            single[d["seq"]] = (e["idx"], d["hash"])
    return single, ranges, purged


def check_records(conn: Connection) -> tuple[int, str | None]:
    """Return (versions checked, first problem or None)."""
    single, ranges, purged = _index(conn)
    starts = sorted(ranges)
    checked = 0
    open_range: _Range | None = None
    for r in stored_hashes(conn):
        checked += 1
        doc = version_document(r.id, r.type, r.origin, r.version, r.created, r.modified, r.revoked,
                               json.loads(r.markings), json.loads(r.body))
        if content_hash(doc) != r.content_hash:
            return checked, f"record {r.id} version {r.version} (seq {r.seq}): content does not match its hash"
        if open_range is not None and r.seq > open_range.last:
            problem = open_range.close(purged)
            if problem:
                return checked, problem
            open_range = None
        while open_range is None and starts and starts[0] <= r.seq:
            candidate = ranges[starts.pop(0)]
            if candidate.last >= r.seq:
                open_range = candidate
            else:  # a whole range whose versions were all purged
                problem = candidate.close(purged)
                if problem:
                    return checked, problem
        if open_range is not None and open_range.first <= r.seq:
            problem = open_range.fill_to(r.seq, purged)
            if problem:
                return checked, problem
            open_range.tree.append(leaf_hash(bytes.fromhex(r.content_hash)))
            open_range.next = r.seq + 1
            continue
        event = single.get(r.seq)
        if event is None:
            return checked, f"record {r.id} version {r.version} (seq {r.seq}): no audit entry records it"
        if event[1] != r.content_hash:
            return checked, (f"record {r.id} version {r.version} (seq {r.seq}): differs from what audit entry "
                             f"{event[0]} recorded")
    for candidate in ([open_range] if open_range else []) + [ranges[s] for s in starts]:
        problem = candidate.close(purged)
        if problem:
            return checked, problem
    return checked, None

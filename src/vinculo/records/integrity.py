"""Check every stored record version against its own hash and against the audit log.

A version is named when its content no longer matches its stored hash, when its stored hash differs
from the one its audit event recorded, when no audit event covers it, or (for bulk imports) when the
versions of an import no longer hash to the Merkle root its audit event holds.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection

from vinculo.audit.merkle import CompactRange, leaf_hash
from vinculo.audit.service import stream
from vinculo.canonical import content_hash
from vinculo.records.model import version_document
from vinculo.records.repository import stored_hashes

_SINGLE = {"record.create", "record.version", "record.revoke", "record.receive"}


def check_records(conn: Connection) -> tuple[int, str | None]:
    """Return (versions checked, first problem or None)."""
    single: dict[int, tuple[int, str]] = {}
    imports: dict[int, tuple[int, int, str | None]] = {}  # first_seq -> (audit idx, last_seq, root)
    for e in stream(conn):
        if e["action"] in _SINGLE or e["action"] == "import":
            d = json.loads(e["detail"])
            if e["action"] == "import":
                if d.get("first_seq"):
                    imports[d["first_seq"]] = (e["idx"], d["last_seq"], d["root"])
            else:
                single[d["seq"]] = (e["idx"], d["hash"])
    checked = 0
    open_import: tuple[int, int, str | None] | None = None
    tree = CompactRange()
    for r in stored_hashes(conn):
        checked += 1
        doc = version_document(r.id, r.type, r.origin, r.version, r.created, r.modified, r.revoked,
                               json.loads(r.markings), json.loads(r.body))
        if content_hash(doc) != r.content_hash:
            return checked, f"record {r.id} version {r.version} (seq {r.seq}): content does not match its hash"
        if r.seq in imports:
            open_import, tree = imports[r.seq], CompactRange()
        if open_import is not None and r.seq <= open_import[1]:
            tree.append(leaf_hash(bytes.fromhex(r.content_hash)))
            if r.seq == open_import[1]:
                if tree.root().hex() != open_import[2]:
                    return checked, (f"audit entry {open_import[0]} (import): its records no longer match its root; "
                                     f"a version with seq in its range was changed")
                open_import = None
            continue
        event = single.get(r.seq)
        if event is None:
            return checked, f"record {r.id} version {r.version} (seq {r.seq}): no audit entry records it"
        if event[1] != r.content_hash:
            return checked, (f"record {r.id} version {r.version} (seq {r.seq}): differs from what audit entry "
                             f"{event[0]} recorded")
    if open_import is not None:
        return checked, f"audit entry {open_import[0]} (import): some of its records are missing"
    return checked, None

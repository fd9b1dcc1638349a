"""Everything about an imported row that does not depend on where it lands in the change feed.

Runs where the rows are parsed (in a worker process for large files): ids, canonical JSON, content
hash, Merkle leaf hash and facets. Only the sequence numbers and the tree are left to the writer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

from vinculo.audit.merkle import leaf_hash
from vinculo.canonical import canonical_json, dumps_prepared
from vinculo.records.facets import document_values
from vinculo.records.importers.batches import Tally, batches
from vinculo.records.importers.rows import ParsedRow
from vinculo.records.model import document_bytes, source_id, version_document

# One prepared row: (record id, record_versions values without seq, Merkle leaf hash of the version).
Prepared = tuple[str, tuple, bytes]


def prepare(batch: list[ParsedRow], origin: str, ts: str, markings_cache: dict) -> list[Prepared]:
    out = []
    for p in batch:
        rid = source_id(p.record_type, p.key)
        key = id(p.markings)
        if key not in markings_cache:
            markings_cache[key] = (p.markings, canonical_json(p.markings).decode())
        markings_json = markings_cache[key][1]
        body_json = dumps_prepared(p.body) if p.prepared else canonical_json(p.body).decode()
        digest = hashlib.sha256(document_bytes(rid, p.record_type, origin, 1, ts, ts, False, markings_json,
                                                body_json)).digest()
        doc = version_document(rid, p.record_type, origin, 1, ts, ts, False, p.markings, p.body)
        out.append((rid, document_values(doc, markings_json, body_json, digest.hex(), None, True, ts),
                    leaf_hash(digest)))
    return out


def prepared_batches(rows: Iterable[ParsedRow], tally: Tally, name: str, origin: str, ts: str,
                     skip_invalid: bool) -> Iterator[tuple[str, object]]:
    """`batches()` with each batch prepared: ("progress", n), ("batch", [Prepared, ...]), ("rejects", [...])."""
    cache: dict = {}
    for kind, payload in batches(rows, tally, name, skip_invalid):
        yield kind, (prepare(payload, origin, ts, cache) if kind == "batch" else payload)

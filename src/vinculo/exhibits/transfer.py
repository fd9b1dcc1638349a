"""Attachments' bytes between nodes. The record (hash, size, type) travels signed over TAXII like any other;
the bytes are then fetched from the origin's authenticated endpoint (`GET /api/v1/partner/attachments/<sha256>`,
the same credential as TAXII) and stored only if they are exactly the signed size and hash to the signed
SHA-256 (`Store.put_verified`). Bounded: at most `VINCULO_EXHIBITS_MAX_FETCH_BYTES` (default 64 MiB) per file
and never more than the signed size, `MAX_FILES_PER_PULL` files per call, a read timeout per request.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import httpx

from vinculo.audit.events import AuditEvent
from vinculo.exhibits.files import FileRefused
from vinculo.exhibits.service import ATTACHMENT_TYPES, store_of
from vinculo.federation.client import _tls_for
from vinculo.federation.partners import partner_row, pull_credential
from vinculo.node.context import Node
from vinculo.records import projection

MAX_FILES_PER_PULL = 5000
DEFAULT_MAX_FETCH = 64 * 1024 * 1024


def max_fetch_bytes() -> int:
    raw = os.environ.get("VINCULO_EXHIBITS_MAX_FETCH_BYTES")
    return int(raw) if raw and raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_FETCH


@dataclass
class FetchReport:
    partner: str
    fetched: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # "<sha256 prefix>: reason"


def missing_from(node: Node, partner: str) -> list[dict]:
    """Bodies of the partner's attachment records held here whose file is not here yet."""
    files = store_of(node)
    with node.engine.connect() as conn:
        q = projection.changes([projection.columns.id], 0, None, projection.columns.type.in_(ATTACHMENT_TYPES),
                               projection.columns.origin == partner, current_only=True)
        ids = [r.id for r in conn.execute(q)]
        held = projection.current_records(conn, ids)
    want = {r.body["sha256"]: r.body for r in held.values()
            if not r.revoked and isinstance(r.body.get("sha256"), str) and not files.has(r.body["sha256"])}
    return list(want.values())[:MAX_FILES_PER_PULL]


def fetch_from(node: Node, partner: str, http: httpx.Client | None = None) -> FetchReport:
    """Fetch and verify the files of the partner's attachments that are not here yet; audited."""
    report = FetchReport(partner)
    wanted = missing_from(node, partner)
    if not wanted:
        return report
    row = partner_row(node, partner)
    base = row.url.rstrip("/")
    own = http is None
    http = http or httpx.Client(verify=_tls_for(base), timeout=httpx.Timeout(120, connect=10, read=60))
    headers = {"Authorization": f"Bearer {pull_credential(node, partner)}"}
    files, cap = store_of(node), max_fetch_bytes()
    try:
        for body in wanted:
            sha, size = body["sha256"], int(body["size"])
            try:
                if size > cap:
                    raise FileRefused(413, f"signed size {size} is past the fetch limit of {cap} bytes")
                with http.stream("GET", f"{base}/api/v1/partner/attachments/{sha}", headers=headers) as resp:
                    if resp.status_code != 200:
                        raise FileRefused(resp.status_code, f"origin answered {resp.status_code}")
                    declared = resp.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) != size:
                        raise FileRefused(422, f"origin declares {declared} bytes, the record says {size}")
                    files.put_verified(resp.iter_bytes(1 << 20), sha, size, body["media_type"])
                report.fetched.append(sha)
            except (FileRefused, httpx.HTTPError) as exc:
                report.rejected.append(f"{sha[:12]}: {exc}"[:200])
    finally:
        if own:
            http.close()
    with node.uow(read_only=True) as uow:
        uow.audit(AuditEvent("system", "attachment.received", partner,
                             {"fetched": len(report.fetched), "sha256": report.fetched[:100],
                              "rejected": report.rejected[:20]}))
        uow.commit()
    return report

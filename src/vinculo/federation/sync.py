"""Pull what a partner releases to us, page by page; each page applied with its cursor in one transaction."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
from sqlalchemy import select

from vinculo.audit.events import AuditEvent
from vinculo.federation import inbox
from vinculo.federation.client import TaxiiClient, TaxiiClientError
from vinculo.federation.partners import partner_row, pull_credential
from vinculo.node.context import Node
from vinculo.records.model import format_ts, utcnow
from vinculo.sharing import service as sharing
from vinculo.store.tables import record_versions as rv
from vinculo.store.tables_federation import sync_state


class SyncError(Exception):
    pass


@dataclass
class SyncReport:
    partner: str
    pages: int = 0
    new: int = 0
    updated: int = 0
    retracted: int = 0
    unchanged: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    receipts_sent: int = 0
    cursor: str | None = None

    def line(self) -> str:
        return (f"{self.partner}: {self.new} new, {self.updated} updated, {self.retracted} retracted, "
                f"{self.unchanged} unchanged, {len(self.rejected)} rejected ({self.pages} pages)")


def _cursor(node: Node, partner: str) -> str | None:
    with node.engine.connect() as conn:
        return conn.execute(select(sync_state.c.cursor).where(sync_state.c.partner == partner)).scalar()


def _all_collection(client: TaxiiClient, root: str) -> str:
    for c in client.collections(root):
        if c.get("alias") == "all":
            return c["id"]
    raise SyncError("the partner offers no 'all' collection: no agreement covers us on its side yet")


def pull(node: Node, partner: str, page_size: int = 500, max_pages: int | None = None) -> SyncReport:
    row = partner_row(node, partner)
    if not row.url:
        raise SyncError(f"partner {partner} has no URL")
    report = SyncReport(partner)
    with TaxiiClient(row.url.rstrip("/") + "/taxii2/", token=pull_credential(node, partner)) as client:
        try:
            root = client.api_root()
            collection = _all_collection(client, root)
            cursor = _cursor(node, partner)
            # Fetch page k+1 while page k is verified and stored: the partner signs while we verify.
            with ThreadPoolExecutor(1) as pool:
                pending = pool.submit(client.objects, root, collection, cursor, page_size)
                while True:
                    env = pending.result()
                    nxt = env.cursor or cursor
                    last = not env.more or (max_pages is not None and report.pages + 1 >= max_pages)
                    if not last:
                        pending = pool.submit(client.objects, root, collection, nxt, page_size)
                    result = inbox.apply_page(node, partner, env.objects, nxt)
                    report.pages += 1
                    for name in ("new", "updated", "retracted", "unchanged"):
                        setattr(report, name, getattr(report, name) + getattr(result, name))
                    report.rejected += result.rejected
                    cursor = nxt
                    if last:
                        break
        except TaxiiClientError as exc:
            raise SyncError(str(exc)) from None
        report.cursor = cursor
        report.receipts_sent = send_receipts(node, partner, row.url, client.http)
    return report


def send_receipts(node: Node, partner: str, url: str, http: httpx.Client) -> int:
    """Tell the partner what we stored (or dropped) since the last receipts it acknowledged."""
    with node.engine.connect() as conn:
        since = conn.execute(select(sync_state.c.receipts_seq).where(sync_state.c.partner == partner)).scalar() or 0
        agreement = sharing.current_agreement(conn, partner)
        origins = {partner} | set(agreement.relay_origins if agreement else ())
        rows = conn.execute(select(rv.c.seq, rv.c.id, rv.c.version, rv.c.revoked, rv.c.body, rv.c.added)
                            .where(rv.c.seq > since, rv.c.origin.in_(origins)).order_by(rv.c.seq)).all()
    sent = 0
    for i in range(0, len(rows), 5000):
        chunk = rows[i : i + 5000]
        receipts = [{"id": r.id, "version": r.version, "received_at": r.added,
                     "status": "withdrawn" if r.revoked and r.body == "{}" else "stored"} for r in chunk]
        try:
            resp = http.post(url.rstrip("/") + "/api/v1/federation/receipts", json={"receipts": receipts})
        except httpx.HTTPError:
            return sent  # the next run sends them again
        if resp.status_code != 200:
            return sent
        with node.uow() as uow:
            uow.conn.execute(sync_state.update().where(sync_state.c.partner == partner)
                             .values(receipts_seq=chunk[-1].seq))
            uow.audit(AuditEvent(f"node:{node.id}", "receipts.sent", f"partner:{partner}",
                                 {"count": len(chunk), "up_to_seq": chunk[-1].seq}))
            uow.commit()
        sent += len(chunk)
    return sent


def run_all(node: Node, page_size: int = 500) -> list[SyncReport | str]:
    """Pull from every partner with a URL and a credential; errors become lines, not crashes."""
    with node.engine.connect() as conn:
        partners = [p for p in sharing.list_partners(conn) if p["url"] and not p["disabled"]]
    out: list[SyncReport | str] = []
    for p in partners:
        try:
            out.append(pull(node, p["node_id"], page_size))
        except (SyncError, sharing.SharingError) as exc:
            out.append(f"{p['node_id']}: {exc}")
            with node.uow() as uow:
                uow.audit(AuditEvent(f"node:{node.id}", "sync.failed", f"partner:{p['node_id']}", {"error": str(exc)}))
                uow.commit()
    return out


def status(node: Node) -> list[dict]:
    with node.engine.connect() as conn:
        return [dict(r._mapping) | {"last_result": json.loads(r.last_result or "{}")}
                for r in conn.execute(select(sync_state).order_by(sync_state.c.partner))]


def now() -> str:
    return format_ts(utcnow())

"""Receipts a pull owes the partner it pulls from: what this node stored (or dropped) from the partner's own
pages, sent as the pull goes on and at its end."""

from __future__ import annotations

import threading

import httpx
import orjson
from sqlalchemy import select

from vinculo.audit.events import AuditEvent
from vinculo.node.context import Node
from vinculo.records import holding
from vinculo.store.feed import lock_node_state
from vinculo.store.tables_federation import received_pages, sync_state

EARLY_RECEIPTS = 5_000  # stored versions waiting for receipts that start sending them during a pull


class Receipts:
    """Receipts sent while the pull goes on. After a page is stored, if no receipts are on their way and
    at least `EARLY_RECEIPTS` stored versions wait for one, a thread sends what is stored so far: the
    partner records them while this node stores the next pages. `finish` waits for it and sends the rest
    (or everything again from the last acknowledged point, if the early send failed)."""

    def __init__(self, node: Node, partner: str, url: str, http: httpx.Client):
        self.args = (node, partner, url, http)
        self.waiting, self.sent = 0, 0
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def stored(self, count: int) -> None:
        self.waiting += count
        if self.waiting >= EARLY_RECEIPTS and (self.thread is None or not self.thread.is_alive()):
            self.waiting = 0
            self.thread = threading.Thread(target=self._send, name="vinculo-sync-receipts", daemon=True)
            self.thread.start()

    def _send(self) -> None:
        try:
            self.sent += send_receipts(*self.args)
        except BaseException as exc:  # noqa: BLE001 - raised by finish(), in the pulling thread
            self.error = exc

    def wait(self) -> None:
        if self.thread is not None:
            self.thread.join()

    def finish(self) -> int:
        self.wait()
        if self.error is not None:
            raise self.error
        return self.sent + send_receipts(*self.args)


def send_receipts(node: Node, partner: str, url: str, http: httpx.Client) -> int:
    """Tell the partner what we stored (or dropped) since the last receipts it acknowledged."""
    with node.engine.connect() as conn:
        since = conn.execute(select(sync_state.c.receipts_seq).where(sync_state.c.partner == partner)).scalar() or 0
        # Only versions stored from this partner's own pages: a receipt for a record another node relayed
        # to us would tell this partner that we hold something it may never have released to us.
        pages = select(received_pages.c.first_seq, received_pages.c.last_seq).where(
            received_pages.c.partner == partner, received_pages.c.last_seq > since)
        rows = holding.stored_in(conn, pages, since)
    sent = 0
    for i in range(0, len(rows), 5000):
        chunk = rows[i : i + 5000]
        receipts = [{"id": rid, "version": version, "received_at": added, "status": "withdrawn" if dropped else "stored"}
                    for _seq, rid, version, dropped, added in chunk]
        try:  # streamed, and the answer's body never read: only its status counts
            with http.stream("POST", url.rstrip("/") + "/api/v1/federation/receipts",
                             content=orjson.dumps({"receipts": receipts}),
                             headers={"Content-Type": "application/json"}) as resp:
                status = resp.status_code
        except httpx.HTTPError:
            return sent  # the next run sends them again
        if status != 200:
            return sent
        with node.uow() as uow:
            lock_node_state(uow.conn)  # before sync_state, as store_page does: both may run at once
            uow.conn.execute(sync_state.update().where(sync_state.c.partner == partner)
                             .values(receipts_seq=chunk[-1].seq))
            uow.audit(AuditEvent(f"node:{node.id}", "receipts.sent", f"partner:{partner}",
                                 {"count": len(chunk), "up_to_seq": chunk[-1].seq}))
            uow.commit()
        sent += len(chunk)
    return sent

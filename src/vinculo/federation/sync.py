"""Pull what a partner releases to us, page by page; each page applied with its cursor in one transaction."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Self

from sqlalchemy import select

from vinculo.audit.events import AuditEvent
from vinculo.collector import fewer_collections
from vinculo.federation import gossip, head_store, inbox, rotation
from vinculo.federation.beside import Beside
from vinculo.federation.client import Envelope, TaxiiClient, TaxiiClientError
from vinculo.federation.limits import LimitsError, PullLimits, pull_limits
from vinculo.federation.partners import partner_row, pull_credential
from vinculo.federation.pull_receipts import Receipts
from vinculo.federation.signing import verify_later
from vinculo.federation.stix_defs import collection_id
from vinculo.node.context import Node
from vinculo.notify import hooks as notify_hooks
from vinculo.records.model import format_ts, utcnow
from vinculo.sharing import service as sharing
from vinculo.store.tables_federation import sync_state

log = logging.getLogger("vinculo.sync")
FIRST_PAGE = 500  # then doubling up to the page size (measured at N = 2,000: 125 and 250 start slower)


class SyncError(Exception):
    pass


class SyncLimited(SyncError):
    """The pull stopped at one of its limits; what it stored is kept, the next run resumes after it."""


@dataclass
class SyncReport:
    partner: str
    pages: int = 0
    new: int = 0
    updated: int = 0
    retracted: int = 0
    unchanged: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # the first `max_reasons`
    receipts_sent: int = 0
    cursor: str | None = None
    rejected_count: int = 0
    seconds: float = 0.0  # wall-clock time of the pull
    audit_heads: str | None = None  # how the exchange of audit tree heads went (federation/gossip.py)

    def line(self) -> str:
        return (f"{self.partner}: {self.new} new, {self.updated} updated, {self.retracted} retracted, "
                f"{self.unchanged} unchanged, {self.rejected_count} rejected ({self.pages} pages)"
                + (f"\n  {self.audit_heads}" if self.audit_heads else ""))


def _cursor(node: Node, partner: str) -> str | None:
    with node.engine.connect() as conn:
        return conn.execute(select(sync_state.c.cursor).where(sync_state.c.partner == partner)).scalar()


def _all_collection(client: TaxiiClient, root: str) -> str:
    for c in client.collections(root):
        if c.get("alias") == "all":
            return c["id"]
    raise SyncError("the partner offers no 'all' collection: no agreement covers us on its side yet")


class _Pages:
    """Fetch pages in a thread, each requested as soon as the previous one has arrived (a Vinculo server
    says in headers whether there is more and where the page ended), so the partner builds and signs
    page k+1 while we verify and store page k. At most `depth` fetched pages wait; decoding is left to
    the consumer. The first pages are smaller so that verifying starts early; none exceeds `page_size`."""

    def __init__(self, client: TaxiiClient, root: str, collection: str, cursor: str | None, page_size: int,
                 max_pages: int | None, depth: int = 2):
        self.client, self.root, self.collection = client, root, collection
        self.cursor, self.page_size, self.max_pages = cursor, page_size, max_pages
        self.limited = False  # stopped at `limits.max_pages` with more to come
        self.queue: queue.Queue = queue.Queue(depth)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="vinculo-sync-fetch", daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        while self.thread.is_alive():  # unblock a fetcher waiting for room
            try:
                self.queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self.thread.join()

    def _put(self, item: object) -> bool:
        while not self.stopped.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        token, pages, limit = self.cursor, 0, max(1, min(self.page_size, FIRST_PAGE))
        limits = self.client.limits
        try:
            while not self.stopped.is_set():
                r = self.client.fetch_objects(self.root, self.collection, token, limit)
                pages += 1
                more, nxt = r.headers.get("X-Vinculo-More"), r.headers.get("X-Vinculo-Next")
                if more is None or nxt is None:  # not a Vinculo server: the body says
                    env = self.client.envelope(r)
                    more, nxt, item = ("true" if env.more else "false"), env.cursor, env
                else:
                    item = r
                bad = limits.check_cursor(nxt)
                if bad:  # never stored nor sent back: the page that carries it is dropped with it
                    raise TaxiiClientError(f"{self.collection}: page {pages} ends at a cursor that cannot be "
                                           f"kept ({bad}); the stored cursor is left as it was")
                last = more != "true" or (self.max_pages is not None and pages >= self.max_pages)
                if not last and pages >= limits.max_pages:
                    self.limited = last = True
                if not self._put((item, last)) or last:
                    return
                token, limit = nxt or token, min(self.page_size, limit * 2)
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            self._put((exc, True))

    def waiting(self) -> int:
        """How many fetched pages (or a failure) wait to be taken."""
        return self.queue.qsize()

    def __iter__(self):
        most = self.client.limits.max_page_objects
        while True:
            item, last = self.queue.get()
            if isinstance(item, Exception):
                raise item
            env = item if isinstance(item, Envelope) else self.client.envelope(item)
            if len(env.objects) > most:
                raise TaxiiClientError(f"{self.collection}: a page of {len(env.objects):,} objects, more than "
                                       f"{most:,} (VINCULO_PULL_MAX_PAGE_OBJECTS); nothing of it was stored")
            yield env
            if last:
                return


def pull(node: Node, partner: str, page_size: int = 500, max_pages: int | None = None,
         limits: PullLimits | None = None) -> SyncReport:
    """Pull within `limits` (default: `limits.pull_limits()`); past one, raise `SyncLimited` once what
    was fetched before it is stored."""
    started = time.monotonic()
    with fewer_collections():
        report = _pull(node, partner, page_size, max_pages, limits or pull_limits())
    report.seconds = time.monotonic() - started
    return report


def _pull(node: Node, partner: str, page_size: int, max_pages: int | None, limits: PullLimits) -> SyncReport:
    row = partner_row(node, partner)
    if not row.url:
        raise SyncError(f"partner {partner} has no URL")
    report = SyncReport(partner)
    page_size = max(1, min(page_size, limits.max_page_objects))
    with TaxiiClient(row.url.rstrip("/") + "/taxii2/", token=pull_credential(node, partner), limits=limits) as client:
        client.deadline = time.monotonic() + limits.deadline
        # Before its first page is checked, the key the partner signs with now. At the first pull from it, its
        # keys and rotation statements are asked for while that page is fetched (keys it used before it was
        # added here are learned from them). Later, a Vinculo server names its key on every page
        # (`X-Vinculo-Key`), and the statements are asked for only when that is not the key pinned here or no
        # page says. The header is only a hint: a key is pinned only from statements `rotation.follow`
        # verified, and a page signed by another key is rejected as it is.
        first = Beside(rotation.follow, node, partner, row.url, client) if _cursor(node, partner) is None else None
        followed: list[bool] = []

        def keys_followed(env: Envelope | None = None) -> None:
            if not followed:
                if first is not None:
                    first.result()
                elif env is None or env.key != row.public_key:
                    rotation.follow(node, partner, row.url, client)
                followed.append(True)

        receipts = Receipts(node, partner, row.url, client.http)
        try:
            report.cursor = _pull_all(node, partner, row.url, client, page_size, max_pages, report, receipts,
                                      keys_followed)
            keys_followed()  # and when no page came
        except BaseException:
            receipts.wait()  # no early receipts still on their way once the client closes
            if first is not None:
                first.wait()
            if followed:  # the pull failed, the audit heads are still worth crossing
                gossip.exchange(node, partner, row.url, client)
            raise
        receipts.wait()
        # The audit heads once the pages are stored (both nodes' write transactions are then done: exchanged
        # beside them, each side's head waited for the other's pages), beside the last receipts.
        heads = Beside(gossip.exchange, node, partner, row.url, client)
        report.receipts_sent = receipts.finish()
        report.audit_heads = heads.result()
    return report


def _pull_all(node: Node, partner: str, url: str, client: TaxiiClient, page_size: int, max_pages: int | None,
              report: SyncReport, receipts: Receipts,
              ready: Callable[[Envelope], None] = lambda env: None) -> str | None:
    """Pull the partner's "all" collection from the cursor on; the new cursor."""
    cursor = _cursor(node, partner)
    try:
        # A Vinculo partner serves its "all" collection at a derived id: ask for it straight away, and
        # go through discovery only if it is not there (another server, or no agreement on its side).
        where = (url.rstrip("/") + "/taxii2/api/", collection_id(partner, "all"))
        try:
            return _pull_pages(node, partner, client, where, cursor, page_size, max_pages, report, receipts, ready)
        except TaxiiClientError as exc:
            if exc.status != 404 or report.pages:
                raise
            root = client.api_root()
            where = (root, _all_collection(client, root))
            return _pull_pages(node, partner, client, where, cursor, page_size, max_pages, report, receipts, ready)
    except TaxiiClientError as exc:
        raise SyncError(client.limits.clip(exc)) from None


def _pull_pages(node: Node, partner: str, client: TaxiiClient, where: tuple[str, str], cursor: str | None,
                page_size: int, max_pages: int | None, report: SyncReport, receipts: Receipts,
                ready: Callable[[Envelope], None] = lambda env: None) -> str | None:
    """Apply pages from collection `where` = (API root, collection id) until the end; the last cursor.

    Page k is checked, its signatures handed to the verifying threads and its rows prepared before page
    k-1 is stored, so one page is verified while this thread stores the previous one. When
    no fetched page is waiting, the checked page is stored at once rather than after the next arrives:
    this thread would otherwise idle while the partner builds it."""
    verification = _Verification()
    with _Pages(client, *where, cursor, page_size, max_pages) as pages:
        pending: tuple[inbox.CheckedPage, str | None, int] | None = None
        fetched = iter(pages)
        while True:
            try:
                env = next(fetched)
            except StopIteration:
                break
            except Exception:  # a failed fetch: keep the page already checked, the next run resumes after it
                if pending is not None:
                    cursor = _store(node, partner, pending, verification, report, receipts)
                raise
            ready(env)  # the partner's keys followed before anything it sent is checked
            page = inbox.check_page(node, partner, env.objects, client.limits)
            ticket = verification.submit(page.items())
            page.prepare()  # while its signatures are verified on other threads
            if pending is not None:
                cursor = _store(node, partner, pending, verification, report, receipts)
            pending = (page, env.cursor or cursor, ticket)
            if not pages.waiting():
                cursor = _store(node, partner, pending, verification, report, receipts)
                pending = None
        if pending is not None:
            cursor = _store(node, partner, pending, verification, report, receipts)
    if pages.limited:
        raise SyncLimited(f"stopped after {report.pages:,} pages (VINCULO_PULL_MAX_PAGES) with more to come; "
                          "what was stored is kept and the next run resumes after it")
    return cursor


def _store(node: Node, partner: str, pending: tuple[inbox.CheckedPage, str | None, int],
           verification: _Verification, report: SyncReport, receipts: Receipts) -> str | None:
    page, cursor, ticket = pending
    result = inbox.store_page(node, partner, page, verification.result(ticket), cursor)
    report.pages += 1
    for name in ("new", "updated", "retracted", "unchanged"):
        setattr(report, name, getattr(report, name) + getattr(result, name))
    room = page.limits.max_reasons - len(report.rejected)
    report.rejected += result.rejected[: max(0, room)]
    report.rejected_count += result.rejected_count
    receipts.stored(result.new + result.updated + result.retracted)
    return cursor


class _Verification:
    """Verdicts in submission order. Each batch starts verifying on the signing pool's threads as soon
    as it is submitted (`signing.verify_later`: libsodium with the GIL released for a whole chunk), so
    it goes on while this thread prepares and stores pages. Each batch gets a ticket, and verdicts are
    only handed out for the oldest one."""

    def __init__(self) -> None:
        self.submitted = self.answered = 0
        self.waiting: deque[Callable[[], list[bool]]] = deque()

    def submit(self, items: list) -> int:
        self.waiting.append(verify_later(items))
        self.submitted += 1
        return self.submitted - 1

    def result(self, ticket: int) -> list[bool]:
        if ticket != self.answered:
            raise RuntimeError(f"verdicts asked for batch {ticket}, but batch {self.answered} is next")
        self.answered += 1
        return self.waiting.popleft()()


def run_all(node: Node, page_size: int = 500, limits: PullLimits | None = None) -> list[SyncReport | str]:
    """Pull from every partner with a URL and a credential, each on its own: whatever one partner's pull
    raises becomes a line and a `sync.failed` audit entry, and the next partner is pulled all the same."""
    with node.engine.connect() as conn:
        partners = [p for p in sharing.list_partners(conn) if p["url"] and not p["disabled"]]
    out: list[SyncReport | str] = []
    for p in partners:
        try:
            out.append(pull(node, p["node_id"], page_size, limits=limits))  # a bad VINCULO_PULL_* fails each
            _exhibit_files(node, p["node_id"])
        except Exception as exc:  # noqa: BLE001 - one partner's failure, whatever it is, is that partner's
            out.append(failed(node, p["node_id"], exc, limits))
    return out


def failed(node: Node, partner: str, exc: BaseException, limits: PullLimits | None = None) -> str:
    """Record that pulling from `partner` failed (`sync.failed`, with the reason clipped); the line to show."""
    limits = limits or PullLimits()
    expected = isinstance(exc, (SyncError, sharing.SharingError, LimitsError))
    reason = limits.clip(exc if expected else f"unexpected {type(exc).__name__}: {exc}")
    if not expected:
        log.error("sync from %s failed", partner, exc_info=exc)
    with node.uow() as uow:
        uow.audit(AuditEvent(f"node:{node.id}", "sync.failed", f"partner:{partner}", {"error": reason}))
        uow.commit()
    notify_hooks.sync_problem(node, partner, "pull failed", reason)
    return f"{partner}: {reason}"


def status(node: Node) -> list[dict]:
    with node.engine.connect() as conn:
        return [dict(r._mapping) | {"last_result": json.loads(r.last_result or "{}"),
                                    "audit_heads": head_store.status(conn, r.partner)}
                for r in conn.execute(select(sync_state).order_by(sync_state.c.partner))]


def now() -> str:
    return format_ts(utcnow())


def _exhibit_files(node: Node, partner: str) -> None:
    """After a pull: fetch the new attachments' bytes from the partner (hashes verified) and delete the
    files of attachments withdrawn or revoked (vinculo.exhibits; imported here, as it imports federation)."""
    from vinculo.exhibits import service as exhibits
    from vinculo.exhibits import transfer

    transfer.fetch_from(node, partner)
    exhibits.purge_unreferenced(node)

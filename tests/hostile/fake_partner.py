"""A small fake TAXII 2.1 partner on loopback (a real HTTP server in a thread) that can be made hostile.

It signs Vinculo documents with its own Ed25519 key, which the node under test pins, so what it sends
passes every check a node makes of a partner except the ones a test sets out to break. How it answers a
request for objects is `FakePartner.serve`, a function of (next token, limit) to a `Reply`; the helpers
below build the usual hostile replies. Bodies may be an iterator of chunks sent one by one (optionally
with a pause between them): they are sent without a Content-Length and end when the connection closes.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qs, urlparse

import orjson

from vinculo.federation import partners
from vinculo.federation.signing import sign_bytes, sign_document
from vinculo.federation.stix_map import to_stix
from vinculo.node.keys import generate, public_hex
from vinculo.records.model import format_ts, validate_body, version_document
from vinculo.sharing.markings import TLP, Markings

SEIZURE = validate_body("seizure", {"date": "2025-06-01", "country": "MX", "substance": "fentanyl",
                                    "quantity": {"amount": 2.5, "unit": "kg"}, "form": "pill"})
MARKINGS = Markings(tlp=TLP.GREEN).to_json()


@dataclass
class Reply:
    body: bytes | Iterable[bytes] = b'{"objects": [], "more": false}'
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    pause: float = 0.0  # seconds between the chunks of an iterable body
    length: int | None = None  # a Content-Length to announce (a body of bytes announces its own)


def page(objects: list, more: bool = False, next_token: str | None = None, **extra: object) -> Reply:
    """A TAXII envelope with no Vinculo headers, so the client reads `more`/`next` from the body."""
    body: dict = {"objects": objects, "more": more, **extra}
    if next_token is not None:
        body["next"] = next_token
    return Reply(orjson.dumps(body))


class FakePartner:
    def __init__(self, node_id: str = "mx-fake", serve: Callable[[str | None, int], Reply] | None = None):
        self.node_id, self.key = node_id, generate()
        self.serve = serve or (lambda _next, _limit: page([]))
        self.requests: list[tuple[str | None, int]] = []  # (next, limit) of every objects request
        self.sent = 0  # bytes of bodies written (until a client hung up)
        self.receipts = 0  # receipts posts received
        self.answer_receipts: Callable[[], Reply] = lambda: Reply(b'{"recorded": 0}')
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def register(self, node) -> None:
        """Make `node` know this partner: its pinned key, its URL and the credential it issued us."""
        partners.add_partner(node, self.node_id, f"Fake {self.node_id}", public_hex(self.key), self.url, "MX")
        partners.store_pull_credential(node, self.node_id, partners.PREFIX + "fake-credential")

    def document(self, body: dict | None = None, rtype: str = "seizure", version: int = 1,
                 rid: str | None = None, normal: bool = True) -> dict:
        """A version document from this partner; its body normalised as a node stores it, if it is valid."""
        if body is None:
            body = SEIZURE
        elif normal:
            try:
                body = validate_body(rtype, body)
            except ValueError:
                pass  # an invalid body goes as it is: the point of the test
        now = format_ts(dt.datetime.now(dt.UTC))
        return version_document(rid or f"{rtype}--{uuid.uuid4()}", rtype, self.node_id, version, now, now, False,
                                dict(MARKINGS), copy.deepcopy(body))

    def signed(self, doc: dict | None = None, **kw: object) -> dict:
        """A STIX object carrying `doc` (default: a valid seizure), signed by this partner."""
        doc = doc if doc is not None else self.document(**kw)  # type: ignore[arg-type]
        return to_stix(doc, sign_document(self.key, doc), self.node_id)

    def signed_over(self, doc: dict, data: bytes) -> dict:
        """A STIX object carrying `doc` with a signature over `data` (for documents canonical JSON refuses)."""
        return to_stix(doc, sign_bytes(self.key, data), self.node_id)


def _handler(partner: FakePartner) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # receipts: read, counted and forgotten
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            partner.receipts += 1
            self._send(partner.answer_receipts())

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if not url.path.endswith("/objects/"):
                self._send(Reply(b'{"title": "not here"}', status=404))
                return
            query = parse_qs(url.query)
            token = query.get("next", [None])[0]
            limit = int(query.get("limit", ["500"])[0])
            partner.requests.append((token, limit))
            self._send(partner.serve(token, limit))

        def _send(self, reply: Reply) -> None:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/taxii+json;version=2.1")
            for k, v in reply.headers.items():
                self.send_header(k, v)
            if isinstance(reply.body, bytes):
                self.send_header("Content-Length", str(len(reply.body)))
            elif reply.length is not None:
                self.send_header("Content-Length", str(reply.length))
            self.send_header("Connection", "close")
            self.end_headers()
            chunks: Iterable[bytes] = [reply.body] if isinstance(reply.body, bytes) else reply.body
            try:
                for chunk in chunks:
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    partner.sent += len(chunk)
                    if reply.pause:
                        time.sleep(reply.pause)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up on us, as it should
            self.close_connection = True

    return Handler


def endless(objects: Callable[[int], list] = lambda _n: [], stop_after: int = 10_000) -> Callable:
    """`next` always says there is more (up to `stop_after` pages, so an unbounded client ends too)."""
    def serve(token: str | None, _limit: int) -> Reply:
        n = int(token or 0) + 1
        return page(objects(n), more=n < stop_after, next_token=str(n))
    return serve


def padded(total: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """A valid, empty TAXII envelope `total` bytes long, sent `chunk` bytes at a time."""
    head, tail = b'{"objects": [], "more": false, "pad": "', b'"}'
    yield head
    left = total - len(head) - len(tail)
    while left > 0:
        yield b"x" * min(chunk, left)
        left -= chunk
    yield tail


def drip(body: bytes, every: float) -> Reply:
    """`body` one byte at a time, `every` seconds apart."""
    return Reply((body[i : i + 1] for i in range(len(body))), pause=every)


def nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth):
        value = {"n": value}
    return value


def events(node, action: str) -> list[dict]:
    """The details of `node`'s audit entries with `action`, oldest first."""
    from vinculo.audit.service import entries

    with node.engine.connect() as conn:
        return [e["detail"] for e in entries(conn, action=action, limit=10_000)]


def stored_ids(node) -> set[str]:
    from sqlalchemy import select

    from vinculo.store.tables import record_versions as rv

    with node.engine.connect() as conn:
        return set(conn.execute(select(rv.c.id).where(rv.c.origin != node.id)).scalars())


def state(node, partner: str) -> dict | None:
    """The partner's sync_state row (cursor, last_result...), or None before any page was stored."""
    from vinculo.federation import sync

    return next((s for s in sync.status(node) if s["partner"] == partner), None)
